//go:build !purego

package asm

import "math"

// The arm64 kernel table. Entries left nil run the generic twin (and are
// reported by fallbacks, which the tests require to be empty).
var neonKernels = kernels{
	dot:       dotNEON,
	axpy:      axpyNEON,
	scal:      scalNEON,
	absSum:    absSumNEON,
	nrm2:      nrm2NEON,
	maxAbs:    maxAbsNEON,
	argMaxAbs: argMaxAbsNEON,
	sign:      signNEON,
	relu:      reluNEON,
	reluMask:  reluMaskNEON,
	adam:      adamNEON,

	signStep: signStepNEON,
	axpyStep: axpyStepNEON,

	dotNorms: func(x, y []float64) (float64, Norms, Norms) { return dotNormsWith(dotNormsSumsNEON, x, y) },

	gemm: gemmNEON,
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

// absSumNEON returns Σ|x_i| (8 partial sums).
//
//go:noescape
func absSumNEON(x []float64) float64

// sumSqNEON returns Σ x_i² (fused multiply-adds, 8 partial sums), the fast
// first pass of nrm2NEON.
//
//go:noescape
func sumSqNEON(x []float64) float64

// maxAbsNEON returns max|x_i|: 0 for an empty slice, NaN if any x_i is NaN
// (FMAX propagates NaN).
//
//go:noescape
func maxAbsNEON(x []float64) float64

// firstAbsAboveNEON returns the first index i with !(|x_i| ≤ t), that is
// |x_i| > t or x_i NaN, and len(x) if there is none.
//
//go:noescape
func firstAbsAboveNEON(x []float64, t float64) int

// signNEON writes dst_i = sign(x_i) (Sign's semantics).
//
//go:noescape
func signNEON(dst, x []float64)

// reluNEON writes dst_i = max(x_i, +0) with FMAX, which orders −0 below +0
// and propagates NaN: exactly ReLU's semantics.
//
//go:noescape
func reluNEON(dst, x []float64)

// reluMaskNEON writes dst_i = g_i where z_i > 0, else +0.
//
//go:noescape
func reluMaskNEON(dst, g, z []float64)

// adamNEON is the fused Adam update with rescaled moments and maxima
// (AdamStep's semantics).
//
//go:noescape
func adamNEON(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)

// nrm2NEON follows nrm2Generic: the SIMD sum of squares where it is safely
// inside the normal range, else the shared scaled second pass, with the
// NEON maximum.
func nrm2NEON(x []float64) float64 {
	ssq := sumSqNEON(x)
	if ssq >= nrm2Low && ssq <= math.MaxFloat64 {
		return math.Sqrt(ssq)
	}
	return nrm2Scaled(x, maxAbsNEON(x))
}

// argMaxAbsNEON finds max|x_i| in one SIMD pass and its first index in a
// second one that stops at the first hit. The search threshold t is the
// largest float below the maximum m, so the first |x_i| > t is the first
// |x_i| = m; if m is NaN, t = +Inf and the first hit is the first NaN.
func argMaxAbsNEON(x []float64) int {
	if len(x) == 0 {
		return -1
	}
	m := maxAbsNEON(x)
	t := math.Inf(1)
	if m == m {
		t = math.Nextafter(m, -1) // m = 0 gives −2^-1074: every ±0 is above it
	}
	return firstAbsAboveNEON(x, t)
}
