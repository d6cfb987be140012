package tensor

import (
	"fmt"
	"runtime"

	"github.com/margo-lab/margo/asm"
)

// Op says whether GEMM uses a matrix as it is or transposed.
type Op bool

// The two operand forms.
const (
	NoTrans Op = false
	Trans   Op = true
)

// defaultPool runs the package-level Gemm, DotNorms, DotNormsThen and
// StepRanges. Library code (nn, steepest, steepest/train) does not use it:
// it takes a *Pool, so that two trainers in one process can run at once
// with different thread counts.
var defaultPool = NewPool(runtime.GOMAXPROCS(0))

// SetThreads sets how many goroutines the package-level functions may use
// (at least 1). Results do not depend on it: they are bitwise identical
// for every thread count. Like asm.SetLevel it must not run concurrently
// with them.
func SetThreads(n int) { defaultPool.threads = max(n, 1) }

// Threads returns the package-level functions' thread count.
func Threads() int { return defaultPool.threads }

// Gemm computes C = α·op(A)·op(B) + β·C. op(A) is m×k, op(B) k×n, C m×n.
// With β = 0, C is overwritten without being read (NaN in C does not
// propagate). Shapes that do not fit panic: they are programming errors.
//
// The product is cut into blocks of C, one per thread, on up to Threads()
// goroutines (the default pool's; Pool.Gemm on a pool of one's own), and
// each block runs blocked and packed on the micro-kernel of the active asm
// level (asm.Gemm, see gemm_block.go). Each element of C is summed in an
// order fixed by the shape and the level alone, so the result is bitwise
// the same for every thread count. C must not overlap A or B.
func Gemm(tA, tB Op, alpha float64, a, b *Dense, beta float64, c *Dense) {
	defaultPool.Gemm(tA, tB, alpha, a, b, beta, c)
}

// Gemm is the package-level Gemm on up to p.Threads() goroutines.
func (p *Pool) Gemm(tA, tB Op, alpha float64, a, b *Dense, beta float64, c *Dense) {
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
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		// C = β·C: asm.Gemm reads neither A nor B then.
		asm.Gemm(bool(tA), bool(tB), m, n, 0, alpha, nil, 0, nil, 0, beta, c.Data, c.Stride, nil)
		return
	}
	gemmBlocked(p, tA, tB, alpha, a, b, beta, c, m, n, k)
}
