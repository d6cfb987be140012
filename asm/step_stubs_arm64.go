//go:build !purego

package asm

// The fused optimizer steps on arm64 (step_arm64.s).

// signStepNEON is SignStep (FMLA θ += a·sign(g): exact, a·sign(g) is).
//
//go:noescape
func signStepNEON(a float64, g, theta []float64) (maxG, maxTheta float64)

// axpyStepNEON is AxpyStep with FMLA, the rounding of axpyNEON.
//
//go:noescape
func axpyStepNEON(a float64, g, theta []float64) (maxG, maxTheta float64)
