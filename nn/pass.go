package nn

import (
	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor"
)

// The passes of forward and backward outside the GEMMs — σ, the output
// layer's dot products, its weight gradient Σ_i c_i·a_i, the outer product
// c·w_Dᵀ and σ' — each read or write an n×K matrix: 49 MB for MNIST pairs
// (n = 12000, K = 512). On one core they were a tenth of a 2-thread
// training step's wall time, so they run on the GEMM pool
// (tensor.StepRanges, which keeps one goroutine below 2^16 elements; the
// measurements are in docs/benchmarks.md); at 1 thread they run in one piece. The
// ranges are ranges of the n×K elements, and a pass over rows takes the
// rows that start in its range; the weight gradient is cut into blocks of
// columns instead (see run). Every element is computed by the same
// operations in the same order as on one thread (elementwise, one Dot per
// row, or one Axpy per row over a column block: per-element rounding does
// not depend on the slice, see asm.Axpy), so the result is bitwise the
// same for every thread count.

// The kinds of rowPass.
const (
	passActivate     = iota // z ← σ(z) elementwise
	passOutput              // out_i = ⟨a_i, w⟩ for each row i
	passOuter               // g_ij = c_i·w_j
	passActivateBack        // g ← g⊙σ'(z), read from h = σ(z)
	passWeightGrad          // dw = Σ_i c_i·a_i, by column blocks
	passBiasActivate        // z_ij ← σ(z_ij + w_j): a hidden layer's bias, then σ
)

// rowPass is one pass, set up in the Workspace (so that handing it to
// tensor.StepRanges allocates nothing) and run by run.
type rowPass struct {
	m       *MLP
	kind    int
	n, k    int           // rows and columns of the matrix
	a       *tensor.Dense // passOutput, passWeightGrad: the rows a_i
	x, y    []float64     // the n×K data (z or g, and h for passActivateBack)
	w, c    []float64     // a K-vector and an n-vector
	out, dw []float64
}

// run runs the pass of kind on the n×k matrix described by the fields.
func (p *rowPass) run(pool *tensor.Pool) {
	if p.n == 0 || p.k == 0 {
		if p.kind == passWeightGrad {
			clear(p.dw) // an empty sum
		}
		return
	}
	size := p.n * p.k
	if p.kind == passWeightGrad {
		// Ranges of a virtual vector of weightGradSpan elements per column:
		// column blocks of at least 64 columns (one 8192-element range), each
		// read row by row. Ranges of the n×K elements themselves would give
		// most ranges one column or none, each a pass down a column of A.
		size = p.k * weightGradSpan
	}
	if !passRanges || pool.Threads() == 1 {
		// One piece: the same result (see above) without the ranges'
		// overhead, which cost 1.5–2 % of a 1-thread MNIST-pair step.
		p.StepRange(0, 0, size)
		return
	}
	pool.StepRanges(size, p)
}

// weightGradSpan is the length per column of passWeightGrad's virtual
// vector: tensor.StepRanges cuts 8192-element ranges, so 64 columns each.
const weightGradSpan = 128

// passRanges lets the passes run in ranges on the pool; tests turn it off
// to compare with the passes in one piece (the loops as they were before).
var passRanges = true

// StepRange does elements [lo, hi) of the n×k matrix (tensor.ChunkStep).
func (p *rowPass) StepRange(_, lo, hi int) {
	switch p.kind {
	case passActivate:
		p.m.activate(p.x[lo:hi])
	case passActivateBack:
		p.m.activateBack(p.x[lo:hi], p.y[lo:hi])
	case passOutput:
		for i := ceilDiv(lo, p.k); i < ceilDiv(hi, p.k); i++ {
			p.out[i] = asm.Dot(p.a.Row(i), p.w)
		}
	case passBiasActivate:
		for e := lo; e < hi; {
			j := e % p.k
			end := min(hi-e, p.k-j)
			row := p.x[e : e+end]
			for q, b := range p.w[j : j+end] {
				row[q] += b
			}
			p.m.activate(row)
			e += end
		}
	case passOuter:
		for e := lo; e < hi; {
			i, j := e/p.k, e%p.k
			end := min(hi-e, p.k-j)
			row, ci := p.x[e:e+end], p.c[i]
			for q, w := range p.w[j : j+end] {
				row[q] = ci * w
			}
			e += end
		}
	case passWeightGrad:
		j0, j1 := ceilDiv(lo, weightGradSpan), ceilDiv(hi, weightGradSpan)
		if j0 >= j1 {
			return
		}
		dw := p.dw[j0:j1]
		clear(dw)
		for i, ci := range p.c[:p.n] {
			asm.Axpy(ci, p.a.Row(i)[j0:j1], dw)
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
