package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
)

// Norm is a norm ‖·‖ on the flat parameter vector θ together with what
// steepest descent needs from it (paper.md §2.1, §3.3):
//
//   - Value(x) = ‖x‖;
//   - Dual(g) = ‖g‖_⋆ = max{⟨g, v⟩ : ‖v‖ ≤ 1};
//   - Direction writes u ∈ argmin{⟨u, g⟩ : ‖u‖ ≤ 1}, so that
//     ⟨u, g⟩ = −‖g‖_⋆ and ‖u‖ = 1 (u = 0 when g = 0);
//   - Subgradient writes v ∈ ∂‖x‖, i.e. ⟨v, x⟩ = ‖x‖ and ‖v‖_⋆ ≤ 1 (v = 0
//     is returned for x = 0, which is in ∂‖0‖).
//
// Slices passed to one call must have equal lengths (a mismatch is a
// programming error and panics); dst may not alias the input. Norms with
// internal workspaces (Spectral) are not safe for concurrent use.
type Norm interface {
	Name() string
	Value(x []float64) float64
	Dual(g []float64) float64
	Direction(dst, g []float64)
	Subgradient(dst, x []float64)
}

// L2 is the Euclidean norm; it is its own dual. Steepest descent w.r.t. it
// is gradient descent.
type L2 struct{}

// Name returns "l2".
func (L2) Name() string { return "l2" }

// Value returns ‖x‖₂.
func (L2) Value(x []float64) float64 { return asm.Nrm2(x) }

// Dual returns ‖g‖₂.
func (L2) Dual(g []float64) float64 { return asm.Nrm2(g) }

// Direction writes −g/‖g‖₂.
func (L2) Direction(dst, g []float64) { scaledCopy(dst, g, -1, asm.Nrm2(g)) }

// Subgradient writes x/‖x‖₂.
func (L2) Subgradient(dst, x []float64) { scaledCopy(dst, x, 1, asm.Nrm2(x)) }

// scaledCopy writes dst = s·x/n, or 0 when n is 0.
func scaledCopy(dst, x []float64, s, n float64) {
	dst = dst[:len(x)]
	if n == 0 {
		clear(dst)
		return
	}
	if f := s / n; !math.IsInf(f, 0) {
		copy(dst, x)
		asm.Scal(f, dst)
		return
	}
	for i, v := range x { // n is subnormal: 1/n overflows
		dst[i] = s * (v / n)
	}
}

// LInf is the max norm ‖x‖∞ = max|x_i|; its dual is ℓ1. Steepest descent
// w.r.t. it is sign descent (SD).
type LInf struct{}

// Name returns "linf".
func (LInf) Name() string { return "linf" }

// Value returns ‖x‖∞.
func (LInf) Value(x []float64) float64 { return asm.MaxAbs(x) }

// Dual returns ‖g‖₁.
func (LInf) Dual(g []float64) float64 { return asm.AbsSum(g) }

// Direction writes −sign(g) (sign(0) = 0).
func (LInf) Direction(dst, g []float64) {
	dst = dst[:len(g)]
	asm.Sign(dst, g)
	asm.Scal(-1, dst)
}

// Subgradient writes sign(x_k)·e_k at the first k with |x_k| = ‖x‖∞.
func (LInf) Subgradient(dst, x []float64) { unitAtMax(dst, x, 1) }

// unitAtMax writes s·sign(x_k)·e_k at k = the first index of max|x_i|.
func unitAtMax(dst, x []float64, s float64) {
	dst = dst[:len(x)]
	clear(dst)
	if k := asm.ArgMaxAbs(x); k >= 0 && x[k] != 0 {
		dst[k] = s * math.Copysign(1, x[k])
	}
}

// L1 is the norm ‖x‖₁ = Σ|x_i|; its dual is ℓ∞. Steepest descent w.r.t. it
// is greedy coordinate descent (CD): the direction moves only the first
// coordinate of largest |g_i| (ties to the first index, as torch.argmax).
type L1 struct{}

// Name returns "l1".
func (L1) Name() string { return "l1" }

// Value returns ‖x‖₁.
func (L1) Value(x []float64) float64 { return asm.AbsSum(x) }

// Dual returns ‖g‖∞.
func (L1) Dual(g []float64) float64 { return asm.MaxAbs(g) }

// Direction writes −sign(g_k)·e_k at the first k of max|g_i|.
func (L1) Direction(dst, g []float64) { unitAtMax(dst, g, -1) }

// Subgradient writes sign(x) (0 on zero coordinates, a valid choice in [−1, 1]).
func (L1) Subgradient(dst, x []float64) { asm.Sign(dst[:len(x)], x) }

// Lp is the norm ‖x‖_p = (Σ|x_i|^p)^{1/p} for 1 < P < ∞; its dual is ℓq
// with 1/p + 1/q = 1. Construct it with NewLp. Values are computed after
// scaling by max|x_i|, so they neither overflow nor underflow.
type Lp struct {
	P float64 // the exponent p ∈ (1, ∞)
	q float64 // the dual exponent p/(p−1)
}

// NewLp returns the ℓp norm; p must lie in (1, ∞) (use L1, L2, LInf for the
// end points, they have exact special steps).
func NewLp(p float64) (Lp, error) {
	if !(p > 1) || math.IsInf(p, 1) || math.IsNaN(p) {
		return Lp{}, errorf("lp norm: p = %v, want 1 < p < ∞", p)
	}
	return Lp{P: p, q: p / (p - 1)}, nil
}

// Name returns "lp(p)".
func (n Lp) Name() string { return "lp(" + formatFloat(n.P) + ")" }

// Value returns ‖x‖_p.
func (n Lp) Value(x []float64) float64 { return pnorm(x, n.P) }

// Dual returns ‖g‖_q, q = p/(p−1).
func (n Lp) Dual(g []float64) float64 { return pnorm(g, n.dualExp()) }

// dualExp returns q, also for an Lp built as a literal.
func (n Lp) dualExp() float64 {
	if n.q == 0 {
		return n.P / (n.P - 1)
	}
	return n.q
}

// Direction writes u_i = −sign(g_i)·|g_i|^{q−1}/‖g‖_q^{q−1}, the unit-ℓp
// vector with ⟨u, g⟩ = −‖g‖_q.
func (n Lp) Direction(dst, g []float64) { dualMap(dst, g, n.dualExp(), -1) }

// Subgradient writes v_i = sign(x_i)·|x_i|^{p−1}/‖x‖_p^{p−1}, the gradient
// of ‖x‖_p (x ≠ 0).
func (n Lp) Subgradient(dst, x []float64) { dualMap(dst, x, n.P, 1) }

// pnorm returns ‖x‖_r for 1 < r < ∞, scaled by max|x_i| first.
func pnorm(x []float64, r float64) float64 {
	m := asm.MaxAbs(x)
	if m == 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Pow(math.Abs(v)/m, r)
	}
	return m * math.Pow(s, 1/r)
}

// dualMap writes dst_i = s·sign(x_i)·(|x_i|/‖x‖_r)^{r−1}, which has unit ℓ_{r/(r−1)}
// norm and ⟨dst, x⟩ = s‖x‖_r.
func dualMap(dst, x []float64, r, s float64) {
	dst = dst[:len(x)]
	n := pnorm(x, r)
	if n == 0 {
		clear(dst)
		return
	}
	for i, v := range x {
		dst[i] = s * math.Copysign(math.Pow(math.Abs(v)/n, r-1), v)
	}
}
