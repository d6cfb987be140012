package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor"
)

// Inverse p-th roots of symmetric positive definite matrices by the coupled
// Newton iteration (Guo & Higham 2006; the form used by the Shampoo
// authors), on GEMMs only — no eigendecomposition or SVD:
//
//	z = (p+1)/(2‖A‖_F),  M₀ = z·A,  H₀ = z^{1/p}·I
//	K = ((p+1)/p)·I − M/p,  H ← H·K,  M ← K^p·M
//
// Every iterate is a polynomial in A, so all commute and M_k = A·H_k^p. Each
// eigenvalue μ of M moves by μ ↦ μ((p+1−μ)/p)^p, which maps (0, p+1) into
// (0, 1] and converges to 1: quadratically near 1 and by the factor
// ((p+1)/p)^p (2.25 for p = 2) while μ is small. Scaling by ‖A‖_F ≥ λ_max
// puts every μ₀ in (0, (p+1)/2]. Hence H → A^{−1/p}; the number of steps
// grows like log(κ(A))/log(2.25) + 6 for p = 2. The loop stops when
// ‖M − I‖_F ≤ 2⁻⁴⁶·n or once ‖M − I‖_F < 1e−8 stops shrinking fourfold
// (rounding floor), or after invRootMaxIter steps. H stays exactly
// symmetric (symMul).
// Accuracy (relative, in the Frobenius norm) is about κ(A)·n·2⁻⁵² — the
// tests compare with a Jacobi eigendecomposition.
//
// Cost: 3 n×n products per step for p = 2 (p+1 for integer p), each
// computed as its upper triangle only (symMul: about half of a GEMM's
// flops). For Shampoo's right preconditioner of a 128×784 layer (n = 784)
// and κ ~ 1e6 that is ~25 steps, ~4·10¹⁰ flop: use Shampoo.UpdateFreq to
// amortise it.
const invRootMaxIter = 200

// invRootWork holds the n×n buffers of the iteration.
type invRootWork struct {
	m, h, k, t1, t2 *tensor.Dense
	iters           int
	views           [3]tensor.Dense // symMul's block views, reused
	pool            *tensor.Pool    // runs symMul's products
}

func newInvRootWork(n int) *invRootWork {
	return &invRootWork{m: tensor.NewDense(n, n), h: tensor.NewDense(n, n), k: tensor.NewDense(n, n),
		t1: tensor.NewDense(n, n), t2: tensor.NewDense(n, n)}
}

// invRoot writes A^{−1/p} into dst (n×n) for a symmetric positive definite
// a and an integer p ≥ 1. It reports an error for a non-finite or zero
// matrix; for a singular or indefinite one the iteration does not converge
// and the error says so.
func (w *invRootWork) invRoot(dst, a *tensor.Dense, p int) error {
	n := a.Rows
	f := asm.Nrm2(a.Data)
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return errorf("inverse root: ‖A‖_F = %v", f)
	}
	pf := float64(p)
	z := (pf + 1) / (2 * f)
	m, h, k := w.m, w.h, w.k
	copy(m.Data, a.Data)
	asm.Scal(z, m.Data)
	clear(h.Data)
	h0 := math.Pow(z, 1/pf)
	for i := range n {
		h.Set(i, i, h0)
	}
	prev := math.Inf(1)
	w.iters = 0
	converged := false
	for w.iters < invRootMaxIter {
		w.iters++
		// K = ((p+1)/p)·I − M/p
		copy(k.Data, m.Data)
		asm.Scal(-1/pf, k.Data)
		for i := range n {
			k.Data[i*n+i] += (pf + 1) / pf
		}
		// H ← H·K
		w.symMul(h, k, w.t1)
		h, w.t1 = w.t1, h
		// M ← K^p·M
		for range p {
			w.symMul(k, m, w.t2)
			m, w.t2 = w.t2, m
		}
		// ‖M − I‖_F
		var e float64
		for i := range n {
			m.Data[i*n+i]--
		}
		e = asm.Nrm2(m.Data)
		for i := range n {
			m.Data[i*n+i]++
		}
		if math.IsNaN(e) || math.IsInf(e, 0) {
			break
		}
		if e <= 0x1p-46*float64(n) || (e < 1e-8 && e > prev/4) {
			converged = true
			break
		}
		prev = e
	}
	w.m, w.h = m, h
	if !converged {
		return errorf("inverse root: no convergence after %d steps (matrix not positive definite?)", w.iters)
	}
	dst.Copy(h) // exactly symmetric: every product is symMul's
	return nil
}

// symMulBlock is the row block of symMul (a multiple of every level's
// micro-kernel height).
const symMulBlock = 64

// symMul writes C = A·B for n×n matrices whose product is symmetric — in
// the iteration above every iterate is a polynomial in A, so they commute
// and their products are symmetric. It computes only the upper triangle,
// row block by row block (rows [r, r+b) times columns [r, n): Gemm on
// views), and mirrors it into the lower triangle: about half the flops of
// a full product for n ≫ b. Each upper element is bitwise what the full
// Gemm computes (its summation order depends on k alone), and C comes out
// exactly symmetric.
func (w *invRootWork) symMul(a, b, c *tensor.Dense) {
	n := a.Rows
	va, vb, vc := &w.views[0], &w.views[1], &w.views[2]
	for r := 0; r < n; r += symMulBlock {
		r1 := min(n, r+symMulBlock)
		a.SliceInto(va, r, r1, 0, n)
		b.SliceInto(vb, 0, n, r, n)
		c.SliceInto(vc, r, r1, r, n)
		w.pool.Gemm(tensor.NoTrans, tensor.NoTrans, 1, va, vb, 0, vc)
	}
	// Mirror in 32×32 tiles, so that the rows read and the rows written
	// both stay in cache (a plain column-by-column mirror of n = 784 took
	// as long as a third of the products).
	const tile = 32
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := i0; j0 < n; j0 += tile {
			for i := i0; i < min(n, i0+tile); i++ {
				row := c.Data[i*c.Stride:]
				for j := max(j0, i+1); j < min(n, j0+tile); j++ {
					c.Data[j*c.Stride+i] = row[j]
				}
			}
		}
	}
}
