//go:build !purego

package asm

// The arm64 kernel table. Entries left nil run the generic twin (and are
// reported by fallbacks, which the tests require to be empty).
var neonKernels = kernels{
	dot:  dotNEON,
	axpy: axpyNEON,
	scal: scalNEON,
}

// The NEON kernels (Advanced SIMD, two float64 lanes per V register). The
// callers in the exported functions have already cut the second and later
// slices to len of the first, so the assembly reads the first length only.

// dotNEON returns Σ x_i·y_i (fused multiply-adds, 8 partial sums).
//
//go:noescape
func dotNEON(x, y []float64) float64

// axpyNEON computes y_i += a·x_i with one fused multiply-add per element.
//
//go:noescape
func axpyNEON(a float64, x, y []float64)

// scalNEON computes x_i *= a.
//
//go:noescape
func scalNEON(a float64, x []float64)
