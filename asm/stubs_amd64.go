//go:build !purego

package asm

import (
	"math"

	"github.com/klauspost/cpuid/v2"
)

// The amd64 kernel tables. Entries left nil run the generic twin (and are
// reported by fallbacks, which the tests require to be empty).
var avx2Kernels = kernels{
	dot:       dotAVX2,
	axpy:      axpyAVX2,
	scal:      scalAVX2,
	sign:      signAVX2,
	relu:      reluAVX2,
	reluMask:  reluMaskAVX2,
	adam:      adamAVX2,
	absSum:    absSumAVX2,
	nrm2:      nrm2AVX2,
	maxAbs:    maxAbsAVX2,
	argMaxAbs: argMaxAbsAVX2,

	signStep: signStepAVX2,
	axpyStep: axpyStepAVX2,

	dotNorms: func(x, y []float64) (float64, Norms, Norms) { return dotNormsWith(dotNormsSumsAVX2, x, y) },

	gemm: gemmAVX2,
}

var avx512Kernels = kernels{
	dot:       dotAVX512,
	axpy:      axpyAVX512,
	scal:      scalAVX512,
	sign:      signAVX512,
	relu:      reluAVX512,
	reluMask:  reluMaskAVX512,
	adam:      adamAVX512,
	absSum:    absSumAVX512,
	nrm2:      nrm2AVX512,
	maxAbs:    maxAbsAVX512,
	argMaxAbs: argMaxAbsAVX512,

	signStep: signStepAVX512,
	axpyStep: axpyStepAVX512,

	dotNorms: func(x, y []float64) (float64, Norms, Norms) { return dotNormsWith(dotNormsSumsAVX512, x, y) },

	gemm: gemmAVX512,
}

// Nrm2 on a SIMD level: the SIMD sum of squares when it is safely inside
// the normal range (the rule of nrm2Generic), else the shared scaled pass
// with the SIMD max|x_i|.
func nrm2AVX2(x []float64) float64 {
	if ssq := sumSqAVX2(x); ssq >= nrm2Low && ssq <= math.MaxFloat64 {
		return math.Sqrt(ssq)
	}
	return nrm2Scaled(x, maxAbsAVX2(x))
}

func nrm2AVX512(x []float64) float64 {
	if ssq := sumSqAVX512(x); ssq >= nrm2Low && ssq <= math.MaxFloat64 {
		return math.Sqrt(ssq)
	}
	return nrm2Scaled(x, maxAbsAVX512(x))
}

// ntMinLen is the length from which Sign, ReLU and ReLUMask write dst with
// non-temporal stores (VMOVNTPD): the destination then no longer fits in
// the cache, and streaming stores save the read-for-ownership of every dst
// line. The results are the same either way. The assembly reads it; tests
// lower it to reach the streaming path with small slices (it must stay
// ≥ ntFloor: the aligning peel writes up to 7 elements before the loop).
var ntMinLen = ntThreshold(cpuid.CPU.Cache.L3)

const ntFloor = 8

// ntThreshold returns the dst length (elements) from which streaming
// stores pay: half the last-level cache l3 (bytes), or 4 MiB when cpuid
// does not know it.
func ntThreshold(l3 int) int {
	bytes := 4 << 20
	if l3 > 0 {
		bytes = l3 / 2
	}
	return max(bytes/8, ntFloor)
}

//go:noescape
func dotAVX2(x, y []float64) float64

//go:noescape
func dotAVX512(x, y []float64) float64

//go:noescape
func absSumAVX2(x []float64) float64

//go:noescape
func absSumAVX512(x []float64) float64

//go:noescape
func sumSqAVX2(x []float64) float64

//go:noescape
func sumSqAVX512(x []float64) float64

//go:noescape
func maxAbsAVX2(x []float64) float64

//go:noescape
func maxAbsAVX512(x []float64) float64

//go:noescape
func argMaxAbsAVX2(x []float64) int

//go:noescape
func argMaxAbsAVX512(x []float64) int

//go:noescape
func axpyAVX2(a float64, x, y []float64)

//go:noescape
func axpyAVX512(a float64, x, y []float64)

//go:noescape
func scalAVX2(a float64, x []float64)

//go:noescape
func scalAVX512(a float64, x []float64)

//go:noescape
func signAVX2(dst, x []float64)

//go:noescape
func signAVX512(dst, x []float64)

//go:noescape
func reluAVX2(dst, x []float64)

//go:noescape
func reluAVX512(dst, x []float64)

//go:noescape
func reluMaskAVX2(dst, g, z []float64)

//go:noescape
func reluMaskAVX512(dst, g, z []float64)

//go:noescape
func adamAVX2(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)

//go:noescape
func adamAVX512(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)

// The peak-FMA loops (peak_amd64.s) and the flops one iteration performs.
func peakFMAAVX2(n int)

func peakFMAAVX512(n int)

const (
	peakFlopsAVX2   = 12 * 4 * 2
	peakFlopsAVX512 = 12 * 8 * 2
)

func init() {
	peakFMA = func(l Level, n int) float64 {
		switch l {
		case AVX2:
			peakFMAAVX2(n)
			return float64(n) * peakFlopsAVX2
		case AVX512:
			peakFMAAVX512(n)
			return float64(n) * peakFlopsAVX512
		}
		return 0
	}
}
