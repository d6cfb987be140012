package steepest

import (
	"math"
	"sort"

	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// Test references written independently of the code under test.

// drawVec draws n finite floats of mixed magnitudes (including exact zeros),
// for norm properties (special values are tested separately).
func drawVec(t *rapid.T, n int, label string) []float64 {
	gen := rapid.OneOf(
		rapid.Float64Range(-10, 10),
		rapid.Float64Range(-1e-3, 1e-3),
		rapid.SampledFrom([]float64{0, 1, -1, 0.5, -2}),
	)
	return rapid.SliceOfN(gen, n, n).Draw(t, label)
}

// jacobiSVD returns the thin SVD a = U·diag(s)·Vᵀ (U m×k, V n×k, k =
// min(m, n)), singular values in decreasing order, by one-sided
// (Hestenes) Jacobi rotations on the columns of a (or of aᵀ when wide).
// The matrix is scaled by its largest |entry| first, so that squares neither
// underflow nor overflow.
func jacobiSVD(a *tensor.Dense) (u *tensor.Dense, s []float64, v *tensor.Dense) {
	m, n := a.Rows, a.Cols
	scale := 0.0
	for i := range m {
		for j := range n {
			scale = max(scale, math.Abs(a.At(i, j)))
		}
	}
	if scale == 0 {
		scale = 1
	}
	wide := m < n
	if wide {
		m, n = n, m
	}
	// w is m×n (tall), columns are rotated; vv accumulates the rotations.
	w := make([][]float64, n) // w[j] = column j
	for j := range n {
		w[j] = make([]float64, m)
		for i := range m {
			if wide {
				w[j][i] = a.At(j, i) / scale
			} else {
				w[j][i] = a.At(i, j) / scale
			}
		}
	}
	vv := make([][]float64, n)
	for j := range n {
		vv[j] = make([]float64, n)
		vv[j][j] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		rotated := false
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				var al, be, ga float64
				for k := range m {
					al += w[i][k] * w[i][k]
					be += w[j][k] * w[j][k]
					ga += w[i][k] * w[j][k]
				}
				if ga == 0 || math.Abs(ga) <= 1e-15*math.Sqrt(al*be) {
					continue
				}
				rotated = true
				zeta := (be - al) / (2 * ga)
				t := math.Copysign(1, zeta) / (math.Abs(zeta) + math.Sqrt(1+zeta*zeta))
				c := 1 / math.Sqrt(1+t*t)
				sn := c * t
				for k := range m {
					x, y := w[i][k], w[j][k]
					w[i][k], w[j][k] = c*x-sn*y, sn*x+c*y
				}
				for k := range n {
					x, y := vv[i][k], vv[j][k]
					vv[i][k], vv[j][k] = c*x-sn*y, sn*x+c*y
				}
			}
		}
		if !rotated {
			break
		}
	}
	idx := make([]int, n)
	sv := make([]float64, n)
	for j := range n {
		idx[j] = j
		var ss float64
		for _, x := range w[j] {
			ss += x * x
		}
		sv[j] = math.Sqrt(ss)
	}
	sort.SliceStable(idx, func(a, b int) bool { return sv[idx[a]] > sv[idx[b]] })
	left := tensor.NewDense(m, n)  // normalized columns of w
	right := tensor.NewDense(n, n) // columns vv[j]
	s = make([]float64, n)
	for c, j := range idx {
		s[c] = sv[j] * scale
		for k := range m {
			if sv[j] > 0 {
				left.Set(k, c, w[j][k]/sv[j])
			}
		}
		for k := range n {
			right.Set(k, c, vv[j][k])
		}
	}
	if wide { // a = (aᵀ)ᵀ = (L S Rᵀ)ᵀ = R S Lᵀ
		return right, s, left
	}
	return left, s, right
}

// refPolar returns Σ_{s_i > cut·s_0} u_i·v_iᵀ and the nuclear norm.
func refPolar(a *tensor.Dense, cut float64) (*tensor.Dense, float64) {
	u, s, v := jacobiSVD(a)
	p := tensor.NewDense(a.Rows, a.Cols)
	var nuc float64
	for c, sc := range s {
		nuc += sc
		if sc <= cut*s[0] || sc == 0 {
			continue
		}
		for i := range a.Rows {
			for j := range a.Cols {
				p.Set(i, j, p.At(i, j)+u.At(i, c)*v.At(j, c))
			}
		}
	}
	return p, nuc
}

// refInvRoot returns A^{−1/p} of a symmetric positive definite A from its
// Jacobi SVD (which for SPD A is an eigendecomposition, U = V).
func refInvRoot(a *tensor.Dense, p float64) *tensor.Dense {
	_, s, v := jacobiSVD(a)
	n := a.Rows
	r := tensor.NewDense(n, n)
	for c, sc := range s {
		f := math.Pow(sc, -1/p)
		for i := range n {
			for j := range n {
				r.Set(i, j, r.At(i, j)+f*v.At(i, c)*v.At(j, c))
			}
		}
	}
	return r
}

// frob returns ‖a − b‖_F and ‖b‖_F.
func frobDiff(a, b []float64) (diff, ref float64) {
	for i := range a {
		d := a[i] - b[i]
		diff += d * d
		ref += b[i] * b[i]
	}
	return math.Sqrt(diff), math.Sqrt(ref)
}

// naiveMul returns a·b.
func naiveMul(a, b *tensor.Dense) *tensor.Dense {
	c := tensor.NewDense(a.Rows, b.Cols)
	for i := range a.Rows {
		for j := range b.Cols {
			var s float64
			for k := range a.Cols {
				s += a.At(i, k) * b.At(k, j)
			}
			c.Set(i, j, s)
		}
	}
	return c
}

// transpose returns aᵀ.
func transpose(a *tensor.Dense) *tensor.Dense {
	t := tensor.NewDense(a.Cols, a.Rows)
	for i := range a.Rows {
		for j := range a.Cols {
			t.Set(j, i, a.At(i, j))
		}
	}
	return t
}
