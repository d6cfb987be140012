package verify

import (
	"errors"
	"math"
)

// errLPInfeasible and errLPUnbounded are the simplex method's verdicts.
var (
	errLPInfeasible = errors.New("lp: infeasible")
	errLPUnbounded  = errors.New("lp: unbounded")
	errLPStalled    = errors.New("lp: no convergence (cycling in floating point)")
)

// simplex minimises cᵀx subject to Ax = b, x ≥ 0 (A is m×nv, row-major) by
// the two-phase tableau simplex method with Bland's rule (smallest entering
// index, smallest basic index among tied ratios), which cannot cycle. It is
// meant for the small dense LPs of MaxMargin. tol is the pivot and
// optimality tolerance.
func simplex(c, A, b []float64, m, nv int, tol float64) ([]float64, error) {
	w := nv + m + 1 // columns: x, artificials, right-hand side
	T := make([]float64, (m+1)*w)
	basis := make([]int, m)
	for i := range m {
		sgn := 1.0
		if b[i] < 0 {
			sgn = -1
		}
		for j := range nv {
			T[i*w+j] = sgn * A[i*nv+j]
		}
		T[i*w+nv+i] = 1
		T[i*w+w-1] = sgn * b[i]
		basis[i] = nv + i
	}
	obj := T[m*w:]
	// Phase 1: minimise the sum of the artificials; reduced costs −Σ rows.
	for i := range m {
		for j := range nv {
			obj[j] -= T[i*w+j]
		}
		obj[w-1] -= T[i*w+w-1]
	}
	if err := pivotLoop(T, basis, m, w, nv+m, tol); err != nil {
		return nil, err
	}
	if -obj[w-1] > tol*math.Max(1, maxAbs(b)) {
		return nil, errLPInfeasible
	}
	// Drive artificials out of the basis where a real column can replace them.
	for i := range m {
		if basis[i] < nv {
			continue
		}
		for j := range nv {
			if math.Abs(T[i*w+j]) > tol {
				pivot(T, basis, m, w, i, j)
				break
			}
		}
	}
	// Phase 2: the real objective, reduced by the basic columns; artificial
	// columns never enter again.
	for j := range w {
		obj[j] = 0
	}
	copy(obj, c)
	for i := range m {
		if bj := basis[i]; bj < nv && c[bj] != 0 {
			f := c[bj]
			for j := range w {
				obj[j] -= f * T[i*w+j]
			}
		}
	}
	if err := pivotLoop(T, basis, m, w, nv, tol); err != nil {
		return nil, err
	}
	x := make([]float64, nv)
	for i, bj := range basis {
		if bj < nv {
			x[bj] = T[i*w+w-1]
		}
	}
	return x, nil
}

// pivotLoop runs Bland's rule over the first ncols columns until no reduced
// cost is below −tol.
func pivotLoop(T []float64, basis []int, m, w, ncols int, tol float64) error {
	obj := T[m*w:]
	for it := 0; it < 100000; it++ {
		enter := -1
		for j := range ncols {
			if obj[j] < -tol {
				enter = j
				break
			}
		}
		if enter < 0 {
			return nil
		}
		leave, best := -1, math.Inf(1)
		for i := range m {
			a := T[i*w+enter]
			if a <= tol {
				continue
			}
			r := T[i*w+w-1] / a
			if leave < 0 || r < best-1e-15*best || (r <= best && basis[i] < basis[leave]) {
				leave, best = i, r
			}
		}
		if leave < 0 {
			return errLPUnbounded
		}
		pivot(T, basis, m, w, leave, enter)
	}
	return errLPStalled
}

// pivot makes column j basic in row r.
func pivot(T []float64, basis []int, m, w, r, j int) {
	p := T[r*w+j]
	row := T[r*w : r*w+w]
	for k := range row {
		row[k] /= p
	}
	for i := 0; i <= m; i++ {
		if i == r {
			continue
		}
		f := T[i*w+j]
		if f == 0 {
			continue
		}
		ri := T[i*w : i*w+w]
		for k := range ri {
			ri[k] -= f * row[k]
		}
		ri[j] = 0
	}
	basis[r] = j
}

func maxAbs(x []float64) float64 {
	var v float64
	for _, a := range x {
		v = math.Max(v, math.Abs(a))
	}
	return v
}
