package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor"
)

// symEig computes the eigendecomposition of the symmetric n×n matrix a by
// cyclic Jacobi rotations: on return a's diagonal holds the eigenvalues and
// vecs (n×n, overwritten) the eigenvectors as columns. a is destroyed.
// Each rotation zeroes one off-diagonal pair; sweeps repeat until the
// off-diagonal mass is below 2⁻¹⁰⁴ of the total (eigenvalues then carry an
// absolute error of a few ulps of ‖a‖_F), at most 60 sweeps. O(n³) per
// sweep: meant for the occasional small Gram matrix (power iteration's
// fallback), not for large preconditioners.
func symEig(a, vecs *tensor.Dense) {
	n := a.Rows
	clear(vecs.Data)
	for i := range n {
		vecs.Set(i, i, 1)
	}
	total := asm.Nrm2(a.Data)
	if total == 0 || math.IsNaN(total) || math.IsInf(total, 0) {
		return
	}
	for sweep := 0; sweep < 60; sweep++ {
		var off float64
		for i := range n {
			for j := i + 1; j < n; j++ {
				off += a.At(i, j) * a.At(i, j)
			}
		}
		if math.Sqrt(2*off) <= 0x1p-52*total {
			return
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				apq := a.At(p, q)
				if apq == 0 {
					continue
				}
				theta := (a.At(q, q) - a.At(p, p)) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Hypot(theta, 1))
				c := 1 / math.Hypot(t, 1)
				s := t * c
				rotateCols(a, p, q, c, s)
				rotateRows(a, p, q, c, s)
				a.Set(p, q, 0)
				a.Set(q, p, 0)
				rotateCols(vecs, p, q, c, s)
			}
		}
	}
}

// rotateCols replaces columns p, q of m by c·m_p − s·m_q and s·m_p + c·m_q.
func rotateCols(m *tensor.Dense, p, q int, c, s float64) {
	for k := range m.Rows {
		x, y := m.At(k, p), m.At(k, q)
		m.Set(k, p, c*x-s*y)
		m.Set(k, q, s*x+c*y)
	}
}

// rotateRows replaces rows p, q of m by c·m_p − s·m_q and s·m_p + c·m_q.
func rotateRows(m *tensor.Dense, p, q int, c, s float64) {
	rp, rq := m.Row(p), m.Row(q)
	for k := range rp {
		x, y := rp[k], rq[k]
		rp[k] = c*x - s*y
		rq[k] = s*x + c*y
	}
}
