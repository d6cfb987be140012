package verify

import (
	"fmt"
	"math"
	"sort"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
)

// KKTOptions tunes KKT.
type KKTOptions struct {
	// SoftT0 is γ̃(θ_{t0}), the soft margin at the first separated iterate,
	// that Proposition 28's bounds are stated with; 0 means γ̃ at θ itself
	// (t0 = t, where the bounds still hold).
	SoftT0 float64
	// TieTol widens the subdifferential of the norm at θ̃ to an approximate
	// one: for ℓ∞ the coordinates with |θ_p| ≥ (1 − TieTol)‖θ‖∞ count as
	// maximal, for ℓ1 those with |θ_p| ≤ TieTol·‖θ‖∞ count as zero. 0 is the
	// exact subdifferential of Def. 16. Iterates at finite t have no exact
	// ties; the limit direction of Theorem 4 does.
	TieTol float64
	// Refit also minimises the residuals over λ ≥ 0 (and k in the
	// subdifferential) by non-negative least squares.
	Refit bool
}

// KKTResiduals are the (ε, δ)-approximate KKT measures of Def. 16 at θ̃ =
// θ/q_min^{1/L} for the margin problem (MM) of a norm, with the λ of
// Proposition 28 and, optionally, λ refitted by non-negative least squares.
type KKTResiduals struct {
	QMin      float64 // q_min(θ) (must be > 0)
	NormTilde float64 // ‖θ̃‖ in the norm
	Alignment float64 // A = ⟨θ, −g⟩/(‖θ‖ ‖g‖⋆)
	// Bregman is the closed form D = (1 − A)/γ^{2/L} (paper.md §3.7.3) and
	// BregmanBound Proposition 28's (1 − A)/γ̃(t0)^{2/L}.
	Bregman, BregmanBound float64
	// Eps = min_k ‖Σ λ_i y_i h̃_i − k‖₂ over k ∈ ∂½‖θ̃‖², Delta = Σ λ_i(q̃_i − 1)
	// with λ of Proposition 28; EpsRel = Eps/‖θ̃‖, DeltaRel = Delta/‖θ̃‖²
	// (at a KKT point Σ λ_i q̃_i = ‖θ̃‖²/L, so these are scale-free).
	Eps, Delta, EpsRel, DeltaRel float64
	// DeltaBound is Proposition 28's m/(e·γ̃(t0)^{2/L}·L·log(1/L(θ))).
	DeltaBound float64
	// IdentityErr is ‖Σ λ_i y_i h̃_i − ‖θ̃‖(−g)/‖g‖⋆‖₂ relative to
	// Σ λ_i ‖h̃_i‖₂: the identity of Proposition 28's proof, with per-sample
	// gradients on one side and the batch gradient on the other.
	IdentityErr float64
	Lambda      []float64
	// The same with λ (and k) refitted by NNLS, when Refit is set (the
	// better of the refit and Proposition 28's λ).
	EpsFit, DeltaFit, EpsFitRel, DeltaFitRel float64
	LambdaFit                                []float64
}

// KKT computes the residuals of θ as an approximate KKT point of (MM) for
// norm (steepest.L2, LInf or L1) on d with the exponential sum loss, the
// setting of Def. 16, Prop. 28, Cor. 30 and Theorem 4/20 (paper.md §3).
func KKT(m Model, theta []float64, d *nn.Dataset, norm steepest.Norm, opt KKTOptions) (KKTResiduals, error) {
	var kr KKTResiduals
	p, n := len(theta), d.Len()
	if p != m.Size() {
		return kr, fmt.Errorf("verify: kkt: len(θ) = %d, model has %d", p, m.Size())
	}
	switch norm.(type) {
	case steepest.L2, steepest.LInf, steepest.L1:
	default:
		return kr, fmt.Errorf("verify: kkt: norm %s: only l2, linf and l1 have a subdifferential projection here", norm.Name())
	}
	L := float64(m.Degree())
	ev := nn.NewEval(n, p)
	m.Evaluate(theta, d, nn.Objective{Loss: nn.Exp}, ev)
	qmin := ev.QMin()
	kr.QMin = qmin
	if !(qmin > 0) {
		return kr, fmt.Errorf("verify: kkt: q_min = %v: θ does not separate the data", qmin)
	}
	g := append([]float64(nil), ev.Grad...)
	w := append([]float64(nil), ev.Weights...)
	q := append([]float64(nil), ev.Q...)
	a := -ev.LogLoss // log 1/L(θ), exponential sum loss
	N, G := norm.Value(theta), norm.Dual(g)
	if !(G > 0) {
		return kr, fmt.Errorf("verify: kkt: zero gradient")
	}
	kr.Alignment = -asm.Dot(theta, g) / (N * G)
	gamma := qmin / math.Pow(N, L)
	soft0 := opt.SoftT0
	if soft0 == 0 {
		soft0 = a / math.Pow(N, L)
	}
	kr.Bregman = (1 - kr.Alignment) / math.Pow(gamma, 2/L)
	kr.BregmanBound = (1 - kr.Alignment) / math.Pow(soft0, 2/L)
	kr.DeltaBound = float64(n) / (math.E * math.Pow(soft0, 2/L) * L * a)

	// θ̃ = θ/q_min^{1/L}; y_i h̃_i = q_min^{1/L−1} y_i h_i; q̃_i = q_i/q_min.
	s := math.Pow(qmin, 1/L)
	tt := make([]float64, p)
	for i, v := range theta {
		tt[i] = v / s
	}
	kr.NormTilde = norm.Value(tt)
	cols := make([][]float64, n) // y_i h̃_i
	one := nn.NewEval(1, p)
	hs := math.Pow(qmin, 1/L-1)
	for i := range n {
		di, err := nn.NewDataset(d.X.Slice(i, i+1, 0, d.X.Cols), d.Y[i:i+1])
		if err != nil {
			return kr, fmt.Errorf("verify: kkt: sample %d: %w", i, err)
		}
		m.Evaluate(theta, di, nn.Objective{Loss: nn.Exp}, one)
		c := make([]float64, p)
		for j, v := range one.Grad { // Grad = −y_i ∇f_i
			c[j] = -v * hs
		}
		cols[i] = c
	}
	qt := make([]float64, n)
	for i := range q {
		qt[i] = q[i] / qmin
	}
	// Proposition 28: λ_i = ‖θ‖ q_min^{1−2/L} e^{−q_i}/‖∇L‖⋆; in the frame
	// units of nn (∇L = S·g, e^{−q_i} = S·w_i) the S cancels.
	kr.Lambda = make([]float64, n)
	for i := range w {
		kr.Lambda[i] = N * math.Pow(qmin, 1-2/L) * w[i] / G
	}
	v := combine(cols, kr.Lambda, p)
	// Identity: Σ λ_i y_i h̃_i = ‖θ̃‖·(−g)/‖g‖⋆.
	var diff2, scale float64
	for j := range v {
		e := v[j] + kr.NormTilde*g[j]/G
		diff2 += e * e
	}
	for i, c := range cols {
		scale += kr.Lambda[i] * asm.Nrm2(c)
	}
	kr.IdentityErr = math.Sqrt(diff2) / scale
	k := make([]float64, p)
	kr.Eps = projectSub(norm, tt, v, k, opt.TieTol)
	kr.Delta = slack(kr.Lambda, qt)
	kr.EpsRel, kr.DeltaRel = kr.Eps/kr.NormTilde, kr.Delta/(kr.NormTilde*kr.NormTilde)
	if opt.Refit {
		lam := append([]float64(nil), kr.Lambda...)
		refit(norm, cols, qt, tt, lam, opt.TieTol)
		kr.EpsFit = projectSub(norm, tt, combine(cols, lam, p), k, opt.TieTol)
		kr.DeltaFit = slack(lam, qt)
		if math.Hypot(kr.EpsFit, kr.DeltaFit) > math.Hypot(kr.Eps, kr.Delta) {
			// The normal equations lose accuracy near an exact KKT point;
			// Proposition 28's λ is a candidate of the same minimisation.
			lam = append(lam[:0], kr.Lambda...)
			kr.EpsFit, kr.DeltaFit = kr.Eps, kr.Delta
		}
		kr.LambdaFit = lam
		kr.EpsFitRel, kr.DeltaFitRel = kr.EpsFit/kr.NormTilde, kr.DeltaFit/(kr.NormTilde*kr.NormTilde)
	}
	return kr, nil
}

// combine returns Σ_i λ_i cols_i.
func combine(cols [][]float64, lam []float64, p int) []float64 {
	v := make([]float64, p)
	for i, c := range cols {
		asm.Axpy(lam[i], c, v)
	}
	return v
}

// slack returns Σ λ_i (q̃_i − 1).
func slack(lam, qt []float64) float64 {
	var s float64
	for i := range lam {
		s += lam[i] * (qt[i] - 1)
	}
	return s
}

// projectSub writes into k the point of ‖θ̃‖·∂‖θ̃‖ = ∂½‖θ̃‖² nearest to v in ℓ2
// (paper.md §3.3) and returns the distance ‖v − k‖₂.
func projectSub(norm steepest.Norm, tt, v, k []float64, tie float64) float64 {
	switch norm.(type) {
	case steepest.L2:
		copy(k, tt)
	case steepest.LInf:
		M := asm.MaxAbs(tt)
		var act []int
		for j, x := range tt {
			k[j] = 0
			if math.Abs(x) >= (1-tie)*M && x != 0 {
				act = append(act, j)
			}
		}
		z := make([]float64, len(act))
		for i, j := range act {
			z[i] = math.Copysign(1, tt[j]) * v[j]
		}
		projectSimplex(z, M)
		for i, j := range act {
			k[j] = math.Copysign(z[i], tt[j])
		}
	case steepest.L1:
		S, M := asm.AbsSum(tt), asm.MaxAbs(tt)
		for j, x := range tt {
			if math.Abs(x) <= tie*M {
				k[j] = math.Max(-S, math.Min(S, v[j]))
			} else {
				k[j] = math.Copysign(S, x)
			}
		}
	}
	var d2 float64
	for j := range v {
		e := v[j] - k[j]
		d2 += e * e
	}
	return math.Sqrt(d2)
}

// projectSimplex replaces z by its Euclidean projection onto {c ≥ 0,
// Σ c = r} (sort-based, Held–Wolfe–Crowder).
func projectSimplex(z []float64, r float64) {
	if len(z) == 0 {
		return
	}
	s := append([]float64(nil), z...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	var cum, tau float64
	for i, x := range s {
		cum += x
		t := (cum - r) / float64(i+1)
		if x-t > 0 {
			tau = t
		}
	}
	for i := range z {
		z[i] = math.Max(z[i]-tau, 0)
	}
}

// refit minimises ‖Σ λ_i c_i − k‖₂² + (Σ λ_i(q̃_i − 1))² jointly over λ ≥ 0
// and k in the subdifferential ‖θ̃‖·∂‖θ̃‖, as one non-negative least-squares
// problem (nnls.go) whose extra variables describe k:
//
//	ℓ2:  k = θ̃ (fixed);
//	ℓ1:  k_p = ‖θ̃‖₁ sign(θ̃_p) off the zero set; rows of the zero set are
//	     left out (k_p ∈ [−‖θ̃‖₁, ‖θ̃‖₁] free there; projectSub clamps);
//	ℓ∞:  k = Σ_{p∈P} μ_p sign(θ̃_p) e_p with μ ≥ 0, and Σ μ_p = ‖θ̃‖∞ as a
//	     row (projectSub enforces it exactly afterwards).
//
// The caller measures ε and δ of the result exactly, so the weighting only
// affects which λ is chosen, never the honesty of the reported residual.
func refit(norm steepest.Norm, cols [][]float64, qt, tt, lam []float64, tie float64) {
	n, p := len(cols), len(tt)
	const omega = 1
	M, S := asm.MaxAbs(tt), asm.AbsSum(tt)
	rows := p + 2 // coordinates, δ row, (ℓ∞) sum row
	target := make([]float64, rows)
	use := make([]bool, p)
	var extra [][]float64
	switch norm.(type) {
	case steepest.L2:
		copy(target, tt)
		for j := range use {
			use[j] = true
		}
	case steepest.L1:
		for j, x := range tt {
			if math.Abs(x) > tie*M {
				use[j], target[j] = true, math.Copysign(S, x)
			}
		}
	case steepest.LInf:
		for j, x := range tt {
			use[j] = true
			if math.Abs(x) >= (1-tie)*M && x != 0 {
				col := make([]float64, rows)
				col[j] = -math.Copysign(1, x)
				col[p+1] = omega
				extra = append(extra, col)
			}
		}
		target[p+1] = omega * M
	}
	all := make([][]float64, 0, n+len(extra))
	for i, c := range cols {
		col := make([]float64, rows)
		for j := range p {
			if use[j] {
				col[j] = c[j]
			}
		}
		col[p] = qt[i] - 1
		all = append(all, col)
	}
	for _, col := range extra {
		for j := range p {
			if !use[j] {
				col[j] = 0
			}
		}
		all = append(all, col)
	}
	nv := len(all)
	Q := make([]float64, nv*nv)
	rhs := make([]float64, nv)
	for i := range nv {
		rhs[i] = asm.Dot(all[i], target)
		for j := i; j < nv; j++ {
			v := asm.Dot(all[i], all[j])
			Q[i*nv+j], Q[j*nv+i] = v, v
		}
	}
	x := make([]float64, nv)
	nnls(Q, rhs, nv, x)
	copy(lam, x[:n])
}
