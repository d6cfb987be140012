package tensor

import "github.com/margo-lab/margo/asm"

// The fused optimizer steps of steepest/: one pass over g and θ that also
// returns what the finiteness checks need (see asm.SignStep, asm.AxpyStep,
// asm.AdamStep for the exact semantics).

// SignStep computes θ += a·sign(g) (sign(±0) = 0) and returns ‖g‖∞ and
// ‖θ‖∞ of the updated θ (NaN if any element is NaN).
func SignStep(a float64, g, theta []float64) (maxG, maxTheta float64) {
	return asm.SignStep(a, g, theta)
}

// AxpyStep computes θ += a·g, rounded as Axpy rounds it, and returns ‖g‖∞
// and ‖θ‖∞ of the updated θ (NaN if any element is NaN).
func AxpyStep(a float64, g, theta []float64) (maxG, maxTheta float64) {
	return asm.AxpyStep(a, g, theta)
}

// AdamStep is asm.Adam with the moments rescaled by r1 (m) and r2 (v) in the
// same pass, returning ‖m‖∞, ‖v‖∞ and ‖θ‖∞ of the updated vectors (see
// asm.AdamStep).
func AdamStep(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64) {
	return asm.AdamStep(theta, m, v, g, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps)
}
