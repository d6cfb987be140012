package asm

//go:generate go -C _gen run ./adam -out ../adam_amd64.s
//go:generate go -C _gen run ./neon -family adam -out ../adam_arm64.s

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
// would write NaN there. It is AdamStep with r1 = r2 = 1.
func Adam(theta, m, v, g []float64, beta1, beta2, stepSize, sqrtBC2, eps float64) {
	n := len(theta)
	active.adam(theta, m[:n], v[:n], g[:n], 1, 1, beta1, beta2, stepSize, sqrtBC2, eps)
}

// AdamStep is Adam with the moments first rescaled in the same pass, and
// the maxima a caller's finiteness checks need returned from it:
//
//	m_i ← β1·(r1·m_i) + (1−β1)·g_i
//	v_i ← β2·(r2·v_i) + (1−β2)·g_i²
//	θ_i ← θ_i − stepSize · m_i / (√v_i / sqrtBC2 + ε)   (not where the denominator is 0)
//
// maxM = max|m_i|, maxV = max|v_i| and maxTheta = max|θ_i| are taken over
// the updated values with MaxAbs's rules (0 for n = 0, NaN if any is NaN).
// Each product is rounded on its own, so r1·m_i rounds exactly as
// Scal(r1, m) would: AdamStep equals Scal(r1, m), Scal(r2, v), Adam(…) on
// the same level, in one pass. The arithmetic is plain: with β1 = 0 the
// old moment still enters as 0·(r1·m_i), which is NaN where r1·m_i
// overflows, so a caller that drops the old moment passes r1 = 1 (and
// likewise r2 with β2).
func AdamStep(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64) {
	n := len(theta)
	return active.adam(theta, m[:n], v[:n], g[:n], r1, r2, beta1, beta2, stepSize, sqrtBC2, eps)
}

func adamGeneric(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64) {
	for i := range theta {
		gi := g[i]
		mi := beta1*(r1*m[i]) + (1-beta1)*gi
		vi := beta2*(r2*v[i]) + (1-beta2)*(gi*gi)
		m[i], v[i] = mi, vi
		d := math.Sqrt(vi)/sqrtBC2 + eps
		ti := theta[i]
		if d != 0 {
			ti -= stepSize * (mi / d)
			theta[i] = ti
		}
		maxM, maxV, maxTheta = maxAbsAcc(maxM, mi), maxAbsAcc(maxV, vi), maxAbsAcc(maxTheta, ti)
	}
	return maxM, maxV, maxTheta
}
