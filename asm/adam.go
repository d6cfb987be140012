package asm

import "math"

// Adam applies one fused torch.optim.Adam update to θ in place, for
// i < len(theta):
//
//	m_i ← β1·m_i + (1−β1)·g_i
//	v_i ← β2·v_i + (1−β2)·g_i²
//	θ_i ← θ_i − stepSize · m_i / (√v_i / sqrtBC2 + ε)
//
// with stepSize = lr/(1−β1^t) and sqrtBC2 = √(1−β2^t) supplied by the
// caller (the bias corrections, computed as torch does). Where the
// denominator is exactly 0 (then m_i = 0 as well) θ_i does not move; torch
// would write NaN there.
func Adam(theta, m, v, g []float64, beta1, beta2, stepSize, sqrtBC2, eps float64) {
	n := len(theta)
	active.adam(theta, m[:n], v[:n], g[:n], beta1, beta2, stepSize, sqrtBC2, eps)
}

func adamGeneric(theta, m, v, g []float64, beta1, beta2, stepSize, sqrtBC2, eps float64) {
	for i := range theta {
		gi := g[i]
		mi := beta1*m[i] + (1-beta1)*gi
		vi := beta2*v[i] + (1-beta2)*(gi*gi)
		m[i], v[i] = mi, vi
		d := math.Sqrt(vi)/sqrtBC2 + eps
		if d != 0 {
			theta[i] -= stepSize * (mi / d)
		}
	}
}
