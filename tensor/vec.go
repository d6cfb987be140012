package tensor

import "github.com/margo-lab/margo/asm"

// The vector operations of nn/ and steepest/: thin names over the asm
// kernels, so that nothing above this package reaches into assembly. Their
// semantics (lengths, NaN, ±0) are those documented in package asm.

// Dot returns Σ x_i·y_i.
func Dot(x, y []float64) float64 { return asm.Dot(x, y) }

// Axpy computes y += a·x.
func Axpy(a float64, x, y []float64) { asm.Axpy(a, x, y) }

// Scal computes x *= a.
func Scal(a float64, x []float64) { asm.Scal(a, x) }

// AbsSum returns ‖x‖₁.
func AbsSum(x []float64) float64 { return asm.AbsSum(x) }

// Nrm2 returns ‖x‖₂ without overflow or underflow.
func Nrm2(x []float64) float64 { return asm.Nrm2(x) }

// MaxAbs returns ‖x‖∞ (NaN if any element is NaN).
func MaxAbs(x []float64) float64 { return asm.MaxAbs(x) }

// Norms holds the ℓ1, ℓ2 and ℓ∞ norms of one vector (see asm.Norms).
type Norms = asm.Norms

// DotNorms returns Σ x_i·y_i over i < len(x) and the norms of x and of
// y[:len(x)] in one pass over both: Dot, AbsSum, Nrm2 and MaxAbs of each,
// with their semantics (asm.DotNorms). From 2^16 elements the vectors are
// cut into chunks that run on up to Threads() goroutines (reduce.go); the
// result is bitwise the same for every thread count. The ℓ∞ norms are
// exactly MaxAbs's; the dot product, ℓ1 and ℓ2 agree with asm.DotNorms to
// the usual reduction bound (sums in another order), not bitwise.
func DotNorms(x, y []float64) (dot float64, nx, ny Norms) {
	if len(x) < reduceMin {
		return asm.DotNorms(x, y)
	}
	return dotNormsChunked(x, y)
}

// ArgMaxAbs returns the first index of the largest |x_i|, −1 if x is empty.
func ArgMaxAbs(x []float64) int { return asm.ArgMaxAbs(x) }

// Sign writes dst = sign(x) with sign(±0) = 0.
func Sign(dst, x []float64) { asm.Sign(dst, x) }

// ReLU writes dst = max(x, 0).
func ReLU(dst, x []float64) { asm.ReLU(dst, x) }

// ReLUMask writes dst_i = g_i where z_i > 0, else 0.
func ReLUMask(dst, g, z []float64) { asm.ReLUMask(dst, g, z) }
