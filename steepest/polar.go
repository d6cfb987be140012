package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor"
)

// Newton–Schulz polar iteration: the orthogonal polar factor U·Vᵀ of a
// matrix G = U·Σ·Vᵀ computed with GEMMs only (no SVD).
//
// X₀ = G/‖G‖_F has every singular value in (0, 1]; the iteration
//
//	X ← X·(3I − XᵀX)/2      (XᵀX is the smaller Gram matrix: XXᵀ when G is wide)
//
// maps each singular value s ↦ s(3 − s²)/2, which converges to 1 for
// s ∈ (0, √3), quadratically near 1 (1 − s ↦ ≈ 1.5(1 − s)²) and by a factor
// 1.5 per step while s is small. It is an odd polynomial in X, so U and V are
// never changed and zero singular values stay exactly zero: for a rank-r
// matrix the result is the partial isometry U_r·V_rᵀ on G's range, which is
// still a steepest direction of the spectral norm (⟨U_rV_rᵀ, G⟩ = ‖G‖_nuclear).
//
// Stopping rule: the step δ_k = ‖X_{k+1} − X_k‖_F is watched. The loop ends
// when δ_k ≤ 2⁻⁴⁸·‖X‖_F (converged to working accuracy), or when
// δ_k < 1e−10·‖X‖_F and δ_k > δ_{k−1}/4 (what still moves are singular
// values in the linear phase far below the converged ones, or rounding
// noise), or after polarMaxIter = 60 steps — enough to bring a singular
// value of 1e−10·‖G‖_F to 1 (55 steps of ×1.5, then quadratic).
//
// Consequences, for a G with singular values σ_i: those above ≈ 1e−10·‖G‖_F
// converge to 1 to float64 accuracy; smaller ones count as numerically
// zero and end with a weight in [0, 1) (≤ σ_i/‖G‖_F·1.5⁶⁰ ≈ 3.6e10·σ_i/‖G‖_F),
// which changes ⟨U·Vᵀ, G⟩ by less than rank·1e−10·‖G‖_F. Rounding noise in
// the iteration (≈ 1e−16 relative in the null space of a rank-deficient G)
// grows by the same factor 1.5 per step while the loop runs, so the null-
// space error of U_r·V_rᵀ is about 1e−16·1.5^k after k steps (k ≈ 20 for
// σ_min/‖G‖_F ≈ 1e−3). The tests compare with a Jacobi SVD.
const polarMaxIter = 60

// polarWork holds the buffers of the polar iteration for one m×n shape.
type polarWork struct {
	x, xn, gram *tensor.Dense
	wide        bool // m < n: Gram matrix XXᵀ
	iters       int  // iterations used by the last call (for tests and benchmarks)
	pool        *tensor.Pool
}

func newPolarWork(m, n int) *polarWork {
	k := min(m, n)
	return &polarWork{
		x: tensor.NewDense(m, n), xn: tensor.NewDense(m, n),
		gram: tensor.NewDense(k, k), wide: m < n,
	}
}

// polar writes the polar factor of g (m×n, contiguous) into dst (len m·n)
// and returns ⟨polar(g), g⟩ = ‖g‖_nuclear (up to the cut-off above).
func (w *polarWork) polar(dst, g []float64) float64 {
	f := asm.Nrm2(g)
	w.iters = 0
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		clear(dst)
		if f != 0 { // propagate NaN/Inf so that a broken gradient is noticed
			for i := range dst {
				dst[i] = math.NaN()
			}
			return math.NaN()
		}
		return 0
	}
	x, xn := w.x, w.xn
	scaledCopy(x.Data, g, 1, f) // g/‖g‖_F, also when ‖g‖_F is subnormal (1/f overflows)
	prev := math.Inf(1)
	for w.iters < polarMaxIter {
		w.iters++
		copy(xn.Data, x.Data)
		if w.wide {
			w.pool.Gemm(tensor.NoTrans, tensor.Trans, 1, x, x, 0, w.gram)
			w.pool.Gemm(tensor.NoTrans, tensor.NoTrans, -0.5, w.gram, x, 1.5, xn)
		} else {
			w.pool.Gemm(tensor.Trans, tensor.NoTrans, 1, x, x, 0, w.gram)
			w.pool.Gemm(tensor.NoTrans, tensor.NoTrans, -0.5, x, w.gram, 1.5, xn)
		}
		asm.Axpy(-1, xn.Data, x.Data) // x = x − xn
		delta := asm.Nrm2(x.Data)
		x, xn = xn, x
		size := asm.Nrm2(x.Data)
		if delta <= 0x1p-48*size || (delta < 1e-10*size && delta > prev/4) {
			break
		}
		prev = delta
	}
	w.x, w.xn = x, xn
	copy(dst, x.Data)
	return asm.Dot(dst, g)
}

// powerWork estimates the largest singular value of a matrix by power
// iteration on WᵀW, warm-started from the previous right singular vector.
type powerWork struct {
	v, u   []float64     // right (len n) and left (len m) singular vector estimates
	iters  int           // iterations used by the last call
	scaled *tensor.Dense // scratch for badly scaled matrices (rescaled)
	pool   *tensor.Pool  // runs exact's Gram product
}

func newPowerWork(m, n int) *powerWork {
	p := &powerWork{v: make([]float64, n), u: make([]float64, m)}
	// A fixed, dense start vector: deterministic and not orthogonal to the
	// top singular vector unless by exact cancellation.
	for i := range p.v {
		p.v[i] = 1 + 0.5*math.Sin(float64(i)+1)
	}
	asm.Scal(1/asm.Nrm2(p.v), p.v)
	return p
}

// sigmaMax returns σ_max(W) to relative accuracy about tol. The power
// estimate is a lower bound that increases monotonically; the stop
// extrapolates the geometric decay of its increments (ratio ≈ (σ₂/σ₁)²),
// which needs increments above rounding level. When that fails — maxIter
// iterations, or increments lost in rounding (σ₂ ≈ σ₁) — it falls back to
// exact (Jacobi on the Gram matrix). Afterwards p.u and p.v hold the unit
// singular vectors with W·v ≈ σ·u.
func (p *powerWork) sigmaMax(w *tensor.Dense, tol float64, maxIter int) float64 {
	w, scale := p.rescaled(w)
	s, ok := p.iterate(w, tol, maxIter)
	if !ok {
		s = p.exact(w)
	}
	return s * scale
}

// sigmaMaxCapped is sigmaMax without the exact fallback: after maxIter
// iterations it returns the current lower bound (for cheap per-step
// metrics, where the warm start continues the iteration at the next call).
func (p *powerWork) sigmaMaxCapped(w *tensor.Dense, tol float64, maxIter int) float64 {
	w, scale := p.rescaled(w)
	s, _ := p.iterate(w, tol, maxIter)
	return s * scale
}

// rescaled returns w itself, or — when its largest entry is outside
// [2⁻⁴⁰⁰, 2⁴⁰⁰], where products and squares would under- or overflow — a
// copy scaled by an exact power of two, and the factor to multiply σ by.
func (p *powerWork) rescaled(w *tensor.Dense) (*tensor.Dense, float64) {
	var c float64
	for i := range w.Rows {
		c = max(c, asm.MaxAbs(w.Row(i)))
	}
	if c == 0 || math.IsNaN(c) || math.IsInf(c, 0) || (c >= 0x1p-400 && c <= 0x1p400) {
		return w, 1
	}
	_, e := math.Frexp(c)
	if p.scaled == nil || p.scaled.Rows != w.Rows || p.scaled.Cols != w.Cols {
		p.scaled = tensor.NewDense(w.Rows, w.Cols)
	}
	f := math.Ldexp(1, -e)
	for i := range w.Rows {
		row := p.scaled.Row(i)
		for j, v := range w.Row(i) {
			row[j] = v * f
		}
	}
	return p.scaled, math.Ldexp(1, e)
}

// iterate runs the power iteration and reports whether it converged.
func (p *powerWork) iterate(w *tensor.Dense, tol float64, maxIter int) (float64, bool) {
	p.iters = 0
	if v := asm.Nrm2(p.v); v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		*p = *newPowerWork(w.Rows, w.Cols) // a NaN of an earlier broken θ must not stick
	}
	sigma, prevD, prevRho := 0.0, 0.0, 0.0 // last estimate, increment and increment ratio (0: none yet)
	for p.iters < max(maxIter, 1) {
		p.iters++
		for i := range p.u { // u = W v
			p.u[i] = asm.Dot(w.Row(i), p.v)
		}
		s := asm.Nrm2(p.u)
		if s == 0 {
			// v ⟂ the row space of W: restart from a nonzero row of W (which
			// lies in the row space), or report σ_max = 0 for W = 0.
			r := firstNonzeroRow(w)
			if r < 0 {
				clear(p.u)
				return 0, true
			}
			copy(p.v, w.Row(r))
			asm.Scal(1/asm.Nrm2(p.v), p.v)
			continue
		}
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return s, true
		}
		asm.Scal(1/s, p.u)
		clear(p.v) // v = Wᵀu
		for i := range p.u {
			asm.Axpy(p.u[i], w.Row(i), p.v)
		}
		t := asm.Nrm2(p.v) // = ‖WᵀWv‖/‖Wv‖ ≥ ‖Wv‖ = s
		asm.Scal(1/t, p.v)
		if p.iters == 1 {
			sigma = t // the first estimate: no increment yet
			continue
		}
		// t increases toward σ_max; the increments shrink by ρ ≈ (σ₂/σ₁)²,
		// so what remains is about Δ·ρ/(1−ρ). Stop when that is below tol·t
		// (ρ needs two increments).
		d := t - sigma
		if d <= 0x1p-46*t {
			// Increments at rounding level (64 ulps) carry no information
			// about the remaining error: either converged or stuck on a
			// near-degenerate pair; let the caller decide (exact fallback).
			return max(t, sigma), false
		}
		if d <= tol*t && prevD > 0 {
			// ρ from the last two increment ratios, the larger one: the
			// first steps also remove faster-decaying components (e.g. the
			// null space), which makes a single early ratio look too small.
			rho := d / prevD
			if prevRho > rho {
				rho = prevRho
			}
			if p.iters >= 4 && rho < 1 && d*rho/(1-rho) <= tol*t {
				return t, true
			}
		}
		if prevD > 0 {
			prevRho = d / prevD
		}
		sigma, prevD = t, d
	}
	return sigma, false
}

// exactSigma returns σ_max(W) by exact on scratch of its own: a function of
// W alone (no warm start), for records that must not depend on history.
func exactSigma(pool *tensor.Pool, w *tensor.Dense) float64 {
	p := newPowerWork(w.Rows, w.Cols)
	p.pool = pool
	w, scale := p.rescaled(w)
	return p.exact(w) * scale
}

// exact returns σ_max(W) from the eigendecomposition of the smaller Gram
// matrix (Jacobi, jacobi.go) and resets u, v to the top singular pair. It is
// the fallback when power iteration converges too slowly (σ₂ ≈ σ₁); σ_max
// is then accurate to a few ulps relative.
func (p *powerWork) exact(w *tensor.Dense) float64 {
	m, n := w.Rows, w.Cols
	k := min(m, n)
	g, vecs := tensor.NewDense(k, k), tensor.NewDense(k, k)
	if m >= n {
		p.pool.Gemm(tensor.Trans, tensor.NoTrans, 1, w, w, 0, g)
	} else {
		p.pool.Gemm(tensor.NoTrans, tensor.Trans, 1, w, w, 0, g)
	}
	symEig(g, vecs)
	top := 0
	for i := range k {
		if g.At(i, i) > g.At(top, top) {
			top = i
		}
	}
	// x = top eigenvector: v (m ≥ n) or u (m < n); the other vector follows.
	x := make([]float64, k)
	for i := range k {
		x[i] = vecs.At(i, top)
	}
	if m >= n {
		copy(p.v, x)
		for i := range p.u {
			p.u[i] = asm.Dot(w.Row(i), p.v)
		}
		s := asm.Nrm2(p.u)
		if s > 0 {
			asm.Scal(1/s, p.u)
		}
		return s
	}
	copy(p.u, x)
	clear(p.v)
	for i := range p.u {
		asm.Axpy(p.u[i], w.Row(i), p.v)
	}
	s := asm.Nrm2(p.v)
	if s > 0 {
		asm.Scal(1/s, p.v)
	}
	return s
}

// firstNonzeroRow returns the index of the first row of w with a nonzero
// entry, or −1.
func firstNonzeroRow(w *tensor.Dense) int {
	for i := 0; i < w.Rows; i++ {
		if asm.MaxAbs(w.Row(i)) != 0 {
			return i
		}
	}
	return -1
}
