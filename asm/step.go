package asm

//go:generate go -C _gen run ./step -out ../step_amd64.s
//go:generate go -C _gen run ./neon -family step -out ../step_arm64.s

import "math"

// The fused optimizer steps: one pass that reads the gradient once, reads
// and writes θ once, and returns the maxima the callers' finiteness checks
// need, so that a step costs one trip to memory per vector instead of one
// per operation (Sign, Scal, Axpy, MaxAbs of g, MaxAbs of θ).

// SignStep computes θ_i += a·sign(g_i) for i < len(g), with Sign's sign
// (sign(±0) = +0, sign(NaN) = NaN), and returns maxG = max|g_i| and
// maxTheta = max|θ_i| of the updated θ, both with MaxAbs's rules (0 for an
// empty slice, NaN if any element is NaN). a·sign(g_i) is exact for finite
// a, so every level computes θ_i + a·sign(g_i) with one rounding and agrees
// with the generic twin bitwise.
func SignStep(a float64, g, theta []float64) (maxG, maxTheta float64) {
	return active.signStep(a, g, theta[:len(g)])
}

// AxpyStep computes θ_i += a·g_i for i < len(g) and returns maxG =
// max|g_i| and maxTheta = max|θ_i| of the updated θ (MaxAbs's rules). θ
// is rounded exactly as Axpy(a, g, θ) rounds it on the same level: fused
// (one rounding) on the SIMD levels, as the Go compiler evaluates
// θ_i + a·g_i on the generic one.
func AxpyStep(a float64, g, theta []float64) (maxG, maxTheta float64) {
	return active.axpyStep(a, g, theta[:len(g)])
}

// maxAbsAcc returns max(acc, |x|), NaN once acc or x is NaN: the running
// maximum of the generic twins (MaxAbs's rules).
func maxAbsAcc(acc, x float64) float64 {
	return max(acc, math.Abs(x)) // the builtin max returns NaN if either is NaN
}

func signStepGeneric(a float64, g, theta []float64) (maxG, maxTheta float64) {
	for i, gi := range g {
		// sign(g_i) without a branch on the sign (random signs would
		// mispredict): ±1, then the rare ±0 and NaN.
		s := math.Copysign(1, gi)
		if gi == 0 {
			s = 0
		} else if gi != gi {
			s = gi
		}
		t := theta[i] + a*s
		theta[i] = t
		maxG, maxTheta = maxAbsAcc(maxG, gi), maxAbsAcc(maxTheta, t)
	}
	return maxG, maxTheta
}

func axpyStepGeneric(a float64, g, theta []float64) (maxG, maxTheta float64) {
	for i, gi := range g {
		theta[i] += a * gi // the expression of axpyGeneric: the same rounding
		maxG, maxTheta = maxAbsAcc(maxG, gi), maxAbsAcc(maxTheta, theta[i])
	}
	return maxG, maxTheta
}
