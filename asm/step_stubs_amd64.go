//go:build !purego

package asm

// The fused optimizer steps on amd64 (step_amd64.s).

//go:noescape
func signStepAVX2(a float64, g, theta []float64) (maxG, maxTheta float64)

//go:noescape
func signStepAVX512(a float64, g, theta []float64) (maxG, maxTheta float64)

//go:noescape
func axpyStepAVX2(a float64, g, theta []float64) (maxG, maxTheta float64)

//go:noescape
func axpyStepAVX512(a float64, g, theta []float64) (maxG, maxTheta float64)
