package verify

import (
	"fmt"
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// Homogeneity checks assumption (A2), f(x; cθ) = c^L f(x; θ), for every row
// of x and the factor c > 0.
//
// Residual: max_i |f(x_i; cθ) − c^L f(x_i; θ)| / (c^L·M_i) with M_i =
// Magnitude(θ, x_i). Bound: each forward pass is a nest of sums whose
// lengths add up to at most Σ_l fan-in_l + D ≤ 2·Size, so its first-order
// rounding error is at most 2·Size·u·M (u = 2⁻⁵³, M bounds every partial
// sum); the two passes, the rounding of cθ (u per weight, amplified L
// times) and of c^L add (4·Size + L + 2)·u, doubled for second-order terms.
// A bias b breaks the identity by |b|·|1 − c^L|, far above this.
func Homogeneity(m Model, theta []float64, x *tensor.Dense, c float64) (Result, error) {
	if !(c > 0) || math.IsInf(c, 0) {
		return Result{}, fmt.Errorf("verify: homogeneity: factor c = %v, want finite c > 0", c)
	}
	if len(theta) != m.Size() {
		return Result{}, fmt.Errorf("verify: homogeneity: len(θ) = %d, model has %d", len(theta), m.Size())
	}
	n := x.Rows
	f, fc, mag := make([]float64, n), make([]float64, n), make([]float64, n)
	ctheta := make([]float64, len(theta))
	for i, v := range theta {
		ctheta[i] = c * v
	}
	m.Forward(theta, x, f)
	m.Forward(ctheta, x, fc)
	m.Magnitude(theta, x, mag)
	L := float64(m.Degree())
	cL := math.Pow(c, L)
	res := Result{Bound: 2 * (4*float64(m.Size()) + L + 2) * unit}
	for i := range n {
		r := math.Abs(fc[i]-cL*f[i]) / (cL * mag[i])
		if mag[i] == 0 {
			r = math.Abs(fc[i] - cL*f[i]) // M = 0: f must be exactly 0 at both points
		}
		if !(r <= res.Residual) {
			res.Residual, res.Detail = r, fmt.Sprintf("sample %d: f(cθ) = %.17g, c^L f(θ) = %.17g, c = %g", i, fc[i], cL*f[i], c)
		}
	}
	return res, nil
}

// Euler checks Euler's identity for L-homogeneous f, ⟨∇_θ f(x_i; θ), θ⟩ =
// L·f(x_i; θ), on every sample of d. This is the identity behind MFCQ
// (Lemma 15), ⟨θ, −∇L⟩ = L Σ e^{−q_i} q_i in Theorem 1's proof, and the λ of
// Proposition 28. The per-sample gradient comes from Evaluate on the
// one-sample set {x_i} (weights [1], so Grad = −y_i ∇f(x_i; θ)).
//
// Residual: max_i |⟨∇f_i, θ⟩ − L f_i| / (L·M_i). Bound: backpropagation
// adds at most another 2·Size·u·M per partial derivative, the inner product
// of length Size another Size·u, and Σ_p |θ_p ∂f/∂θ_p| ≤ L·M (Euler for the
// magnitude network); so (5·Size + 2L + 4)·u, doubled for second-order
// terms. A gradient with one flipped layer or a bias fails by O(|f|/M).
func Euler(m Model, theta []float64, d *nn.Dataset) (Result, error) {
	if len(theta) != m.Size() {
		return Result{}, fmt.Errorf("verify: euler: len(θ) = %d, model has %d", len(theta), m.Size())
	}
	n := d.Len()
	f, mag := make([]float64, n), make([]float64, n)
	m.Forward(theta, d.X, f)
	m.Magnitude(theta, d.X, mag)
	L := float64(m.Degree())
	res := Result{Bound: 2 * (5*float64(m.Size()) + 2*L + 4) * unit}
	ev := nn.NewEval(1, len(theta))
	for i := range n {
		one, err := nn.NewDataset(d.X.Slice(i, i+1, 0, d.X.Cols), d.Y[i:i+1])
		if err != nil {
			return Result{}, fmt.Errorf("verify: euler: sample %d: %w", i, err)
		}
		m.Evaluate(theta, one, nn.Objective{Loss: nn.Exp}, ev)
		ip := -d.Y[i] * asm.Dot(ev.Grad, theta) // ⟨∇f_i, θ⟩
		r := math.Abs(ip-L*f[i]) / (L * mag[i])
		if mag[i] == 0 {
			r = math.Abs(ip - L*f[i])
		}
		if !(r <= res.Residual) {
			res.Residual, res.Detail = r, fmt.Sprintf("sample %d: ⟨∇f, θ⟩ = %.17g, L·f = %.17g", i, ip, L*f[i])
		}
	}
	return res, nil
}

// GradientCheck compares the directional derivative of log L(θ) along v
// computed from Evaluate (∇log L = exp(LogScale − LogLoss)·Grad) with
// central finite differences of LogLoss, step h = 1e−5·‖θ‖₂/‖v‖₂ (small so
// that crossing a ReLU kink is unlikely).
//
// Residual: |analytic − R| with R = (4D(h) − D(2h))/3 the Richardson
// extrapolation of the central differences D(·). Bound: 2·|D(h) − D(2h)|
// (R's truncation error is far smaller than D's, of which |D(h) − D(2h)| ≈
// 3·h²|ℓ”'|/6 is the estimate), plus |F(h) − B(h)|, the difference of the
// one-sided slopes (h·|ℓ”| where ℓ is smooth; where a ReLU kink lies
// within h of θ the central differences average the slopes of its two
// sides, D(h) ≈ D(2h), and the analytic value is one side's slope: the
// one-sided slopes differ by the jump, which bounds that gap), plus the
// rounding of the differences, 8·E/h with E = (2·Size·M + 4n·(|log L| +
// max|q|))·u the first-order rounding error of one log-loss evaluation,
// plus 1e−10·|analytic| for the rounding of the analytic side. A gradient
// with a flipped sign fails by 2·|analytic|.
func GradientCheck(m Model, theta []float64, d *nn.Dataset, obj nn.Objective, v []float64) (Result, error) {
	p := len(theta)
	if p != m.Size() || len(v) != p {
		return Result{}, fmt.Errorf("verify: gradient: len(θ) = %d, len(v) = %d, model has %d", p, len(v), m.Size())
	}
	n := d.Len()
	ev := nn.NewEval(n, p)
	m.Evaluate(theta, d, obj, ev)
	analytic := math.Exp(ev.LogScale-ev.LogLoss) * asm.Dot(ev.Grad, v)
	logL := ev.LogLoss
	var maxQ float64
	for _, q := range ev.Q {
		maxQ = math.Max(maxQ, math.Abs(q))
	}
	mag := make([]float64, n)
	m.Magnitude(theta, d.X, mag)
	var maxM float64
	for _, x := range mag {
		maxM = math.Max(maxM, x)
	}
	h := 1e-5 * asm.Nrm2(theta) / asm.Nrm2(v)
	if !(h > 0) || math.IsInf(h, 0) {
		return Result{}, fmt.Errorf("verify: gradient: step h = %v (θ or v zero or not finite)", h)
	}
	tmp := make([]float64, p)
	at := func(t float64) float64 {
		for i := range tmp {
			tmp[i] = theta[i] + t*v[i]
		}
		m.Evaluate(tmp, d, obj, ev)
		return ev.LogLoss
	}
	fp, fm := at(h), at(-h)
	dh := (fp - fm) / (2 * h)
	d2h := (at(2*h) - at(-2*h)) / (4 * h)
	rich := (4*dh - d2h) / 3
	// One-sided slopes F = (ℓ(h) − ℓ(0))/h and B = (ℓ(0) − ℓ(−h))/h: their
	// difference is h·ℓ” where ℓ is smooth, and the jump of the slope when
	// a kink lies in (−h, h).
	jump := math.Abs(fp-2*logL+fm) / h
	E := (2*float64(p)*maxM + 4*float64(n)*(math.Abs(logL)+maxQ)) * unit
	res := Result{
		Residual: math.Abs(analytic - rich),
		Bound:    2*math.Abs(dh-d2h) + jump + 8*E/h + 1e-10*math.Abs(analytic),
		Detail:   fmt.Sprintf("analytic %.12g, finite differences %.12g (D(h) %.12g, D(2h) %.12g, one-sided slopes differ by %.3g)", analytic, rich, dh, d2h, jump),
	}
	return res, nil
}
