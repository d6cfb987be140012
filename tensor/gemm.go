package tensor

import (
	"fmt"
	"runtime"
)

// Op says whether GEMM uses a matrix as it is or transposed.
type Op bool

// The two operand forms.
const (
	NoTrans Op = false
	Trans   Op = true
)

var threads = runtime.GOMAXPROCS(0)

// SetThreads sets how many goroutines GEMM may use (at least 1). Results do
// not depend on it: they are bitwise identical for every thread count.
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	threads = n
}

// Threads returns the GEMM thread count.
func Threads() int { return threads }

// Gemm computes C = α·op(A)·op(B) + β·C. op(A) is m×k, op(B) k×n, C m×n.
// With β = 0, C is overwritten without being read (NaN in C does not
// propagate). Shapes that do not fit panic: they are programming errors.
func Gemm(tA, tB Op, alpha float64, a, b *Dense, beta float64, c *Dense) {
	m, k := a.Rows, a.Cols
	if tA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if tB {
		kb, n = n, kb
	}
	if k != kb || c.Rows != m || c.Cols != n {
		panic(fmt.Sprintf("tensor: Gemm shapes op(A) %d×%d, op(B) %d×%d, C %d×%d", m, k, kb, n, c.Rows, c.Cols))
	}
	gemmNaive(tA, tB, alpha, a, b, beta, c, m, n, k)
}

// gemmNaive is the reference triple loop.
func gemmNaive(tA, tB Op, alpha float64, a, b *Dense, beta float64, c *Dense, m, n, k int) {
	at := func(i, p int) float64 {
		if tA {
			return a.At(p, i)
		}
		return a.At(i, p)
	}
	bt := func(p, j int) float64 {
		if tB {
			return b.At(j, p)
		}
		return b.At(p, j)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
			}
			if beta == 0 {
				c.Set(i, j, alpha*s)
			} else {
				c.Set(i, j, alpha*s+beta*c.At(i, j))
			}
		}
	}
}
