package verify

import "math"

// nnls minimises ½λᵀQλ − cᵀλ over λ ≥ 0 (Q = AᵀA, c = Aᵀb: the normal
// equations of min ‖Aλ − b‖₂, λ ≥ 0) by the active-set method of Lawson and
// Hanson, which terminates after finitely many exchanges. Q is n×n
// row-major. The result is written into lam (its initial value is ignored).
func nnls(Q, c []float64, n int, lam []float64) {
	for i := range lam {
		lam[i] = 0
	}
	passive := make([]bool, n)
	excluded := make([]bool, n) // columns dependent on the passive ones
	grad := make([]float64, n)
	z := make([]float64, n)
	scale := 0.0
	for i := range n {
		scale = math.Max(scale, math.Abs(c[i]))
	}
	tol := 1e-13 * math.Max(scale, 1e-300)
	for outer := 0; outer < 3*n+10; outer++ {
		for i := range n { // grad = c − Qλ
			g := c[i]
			for j := range n {
				g -= Q[i*n+j] * lam[j]
			}
			grad[i] = g
		}
		enter, best := -1, tol
		for i := range n {
			if !passive[i] && !excluded[i] && grad[i] > best {
				enter, best = i, grad[i]
			}
		}
		if enter < 0 {
			return
		}
		passive[enter] = true
		for inner := 0; inner < 3*n+10; inner++ {
			if !solvePassive(Q, c, n, passive, z) {
				// A column (numerically) in the span of the passive ones adds
				// nothing the others cannot: leave it out.
				passive[enter], excluded[enter] = false, true
				break
			}
			alpha := 1.0
			for i := range n {
				if passive[i] && z[i] <= 0 {
					if d := lam[i] - z[i]; d > 0 {
						alpha = math.Min(alpha, lam[i]/d)
					}
				}
			}
			feasible := true
			for i := range n {
				if passive[i] {
					lam[i] += alpha * (z[i] - lam[i])
					if z[i] <= 0 {
						feasible = false
					}
				}
			}
			if feasible {
				break
			}
			for i := range n {
				if passive[i] && lam[i] <= 1e-15*scale {
					passive[i], lam[i] = false, 0
				}
			}
		}
	}
}

// solvePassive solves Q_PP z_P = c_P by Gaussian elimination with partial
// pivoting (z = 0 off P); it reports false for a (numerically) singular
// system, i.e. linearly dependent columns.
func solvePassive(Q, c []float64, n int, passive []bool, z []float64) bool {
	var idx []int
	for i := range n {
		z[i] = 0
		if passive[i] {
			idx = append(idx, i)
		}
	}
	k := len(idx)
	M := make([]float64, k*(k+1))
	for a, i := range idx {
		for b, j := range idx {
			M[a*(k+1)+b] = Q[i*n+j]
		}
		M[a*(k+1)+k] = c[i]
	}
	for col := range k {
		p := col
		for r := col + 1; r < k; r++ {
			if math.Abs(M[r*(k+1)+col]) > math.Abs(M[p*(k+1)+col]) {
				p = r
			}
		}
		// The pivot is what remains of column col's squared norm after the
		// earlier columns are projected out: tiny relative to its own
		// squared norm means dependence.
		if d := Q[idx[col]*n+idx[col]]; math.Abs(M[p*(k+1)+col]) <= 1e-12*d || d == 0 {
			return false
		}
		for j := range k + 1 {
			M[col*(k+1)+j], M[p*(k+1)+j] = M[p*(k+1)+j], M[col*(k+1)+j]
		}
		for r := range k {
			if r == col {
				continue
			}
			f := M[r*(k+1)+col] / M[col*(k+1)+col]
			for j := col; j <= k; j++ {
				M[r*(k+1)+j] -= f * M[col*(k+1)+j]
			}
		}
	}
	for a, i := range idx {
		z[i] = M[a*(k+1)+k] / M[a*(k+1)+a]
	}
	return true
}
