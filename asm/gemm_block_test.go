package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// mat is a test operand: a rows×cols matrix with row stride ld at offset
// off inside buf, every other element of buf a guard.
type mat struct {
	rows, cols, ld, off int
	buf                 []float64
}

// data is the slice Gemm is given: from the first element to the last.
func (x mat) data() []float64 {
	if x.rows == 0 || x.cols == 0 {
		return nil
	}
	return x.buf[x.off : x.off+(x.rows-1)*x.ld+x.cols]
}

func (x mat) at(i, j int) float64 { return x.buf[x.off+i*x.ld+j] }

// newMat returns a guarded rows×cols matrix with 0–3 guard elements before
// it and 0–5 after each row, filled from fill.
func newMat(rng *rand.Rand, rows, cols int, fill func() float64) mat {
	x := mat{rows: rows, cols: cols, ld: cols + rng.IntN(6), off: rng.IntN(4)}
	x.buf = make([]float64, x.off+rows*x.ld+3)
	for i := range x.buf {
		x.buf[i] = guard
	}
	for i := range rows {
		for j := range cols {
			x.buf[x.off+i*x.ld+j] = fill()
		}
	}
	return x
}

// guardsIntact reports whether every element of x.buf outside the matrix
// is still a guard.
func (x mat) guardsIntact() bool {
	for idx, v := range x.buf {
		i, j := (idx-x.off)/x.ld, (idx-x.off)%x.ld
		inside := idx >= x.off && i < x.rows && j < x.cols
		if !inside && v != guard {
			return false
		}
	}
	return true
}

// product is a Gemm call: C = α·op(A)·op(B) + β·C.
type product struct {
	tA, tB      bool
	alpha, beta float64
	m, n, k     int
	a, b, c     mat
}

// run computes the product with Gemm on a fresh workspace.
func (g product) run() {
	Gemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a.data(), g.a.ld, g.b.data(), g.b.ld, g.beta, g.c.data(), g.c.ld, nil)
}

func (g product) opA(i, p int) float64 {
	if g.tA {
		return g.a.at(p, i)
	}
	return g.a.at(i, p)
}

func (g product) opB(p, j int) float64 {
	if g.tB {
		return g.b.at(j, p)
	}
	return g.b.at(p, j)
}

// newProduct draws the operands of an m×n×k product from rng, with NaN in C
// when β = 0 (Gemm must not read it then).
func newProduct(rng *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float64) product {
	g := product{tA: tA, tB: tB, alpha: alpha, beta: beta, m: m, n: n, k: k}
	val := func() float64 { return 8*rng.Float64() - 4 }
	ar, ac, br, bc := m, k, k, n
	if tA {
		ar, ac = k, m
	}
	if tB {
		br, bc = n, k
	}
	g.a, g.b = newMat(rng, ar, ac, val), newMat(rng, br, bc, val)
	cval := val
	if beta == 0 {
		cval = func() float64 { return math.NaN() }
	}
	g.c = newMat(rng, m, n, cval)
	return g
}

// drawProduct draws a product whose naive reference stays cheap (m·n·k ≤
// 60k, so that the suite also runs under qemu in seconds): both transposes,
// α and β including 0 and 1, strided operands. Element values come from a
// generator seeded by rapid: drawing each through rapid would dominate the
// test's run time.
func drawProduct(t *rapid.T) product {
	dim := func(name string) int { return rapid.OneOf(rapid.IntRange(1, 30), rapid.IntRange(1, 300)).Draw(t, name) }
	m, n, k := dim("m"), dim("n"), dim("k")
	for m*n*k > 60_000 {
		switch {
		case m >= n && m >= k:
			m /= 2
		case n >= k:
			n /= 2
		default:
			k /= 2
		}
	}
	tA, tB := rapid.Bool().Draw(t, "tA"), rapid.Bool().Draw(t, "tB")
	alpha := rapid.SampledFrom([]float64{1, 0, -1, 0.5, 2.75}).Draw(t, "alpha")
	beta := rapid.SampledFrom([]float64{0, 1, -1, 0.5, 2.75}).Draw(t, "beta")
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
	return newProduct(rng, tA, tB, m, n, k, alpha, beta)
}

// gemmBound is the elementwise error allowed between Gemm and the naive
// loop: 2·(k+3)·ε·mag, mag = |α|·Σ_p|op(A)_ip·op(B)_pj| + |β·C_ij|. Each of
// the two computes a k-term sum (error ≤ k·ε·mag to first order, for any
// summation order), scales by α and adds β·C (two more roundings; Gemm
// folds α into A, one rounding per product): c = 2 covers both sides, k+3
// the extra roundings. Each rounding may also lose up to η = 2⁻¹⁰⁷⁴
// absolutely when it underflows (|fl(x)−x| ≤ ε|x| + η), so the bound is
// 2·(k+3)·(ε·mag + η).
func gemmBound(k int, mag float64) float64 { return 2 * float64(k+3) * (eps*mag + 0x1p-1074) }

// checkProduct compares g.c (after Gemm) with the naive triple loop on c0
// (C before the call, same layout) within gemmBound, and returns a failure
// message or "".
func checkProduct(g product, c0 mat) string {
	for i := range g.m {
		for j := range g.n {
			var s, mag float64
			for p := range g.k {
				s += g.opA(i, p) * g.opB(p, j)
				mag += math.Abs(g.opA(i, p) * g.opB(p, j))
			}
			want, mag := g.alpha*s, math.Abs(g.alpha)*mag
			if g.beta != 0 {
				want += g.beta * c0.at(i, j)
				mag += math.Abs(g.beta * c0.at(i, j))
			}
			got := g.c.at(i, j)
			if got != got || math.Abs(got-want) > gemmBound(g.k, mag) {
				return fmt.Sprintf("C[%d][%d] = %v, want %v (bound %.3g)", i, j, got, want, gemmBound(g.k, mag))
			}
		}
	}
	return ""
}

func (x mat) clone() mat { x.buf = clone(x.buf); return x }

// forEachGemmLevel runs f with each level's micro-kernel active.
func forEachGemmLevel(t *testing.T, f func(t *testing.T, v gemmVariant)) {
	defer setLevel(Active())
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		t.Run(v.level.String(), func(t *testing.T) { f(t, v) })
	}
}

// On every level Gemm agrees with the naive loop within gemmBound, writes
// nothing of C's buffer outside C, and leaves A and B (and their buffers)
// unchanged.
func TestGemmMatchesNaive(t *testing.T) {
	forEachGemmLevel(t, func(t *testing.T, v gemmVariant) {
		rapid.Check(t, func(t *rapid.T) {
			g := drawProduct(t)
			a0, b0, c0 := clone(g.a.buf), clone(g.b.buf), g.c.clone()
			g.run()
			what := fmt.Sprintf("%s tA=%v tB=%v %d×%d×%d α=%v β=%v", v.level, g.tA, g.tB, g.m, g.k, g.n, g.alpha, g.beta)
			if msg := checkProduct(g, c0); msg != "" {
				t.Fatalf("%s: %s", what, msg)
			}
			if !g.c.guardsIntact() {
				t.Fatalf("%s: Gemm wrote outside C", what)
			}
			if !cmp.Equal(g.a.buf, a0, same) || !cmp.Equal(g.b.buf, b0, same) {
				t.Fatalf("%s: Gemm changed A or B", what)
			}
		})
	})
}

// The checker can fail: a product that drops the last term of k is caught.
func TestGemmCheckCanFail(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawProduct(t)
		if g.alpha == 0 {
			g.alpha = 1
		}
		c0 := g.c.clone()
		short := g
		short.k--
		short.run() // wrong: k−1 terms (for k = 1, C = β·C)
		g.c.buf[g.c.off] += 1
		if checkProduct(g, c0) == "" {
			t.Fatalf("a product missing a term passed the check")
		}
	})
}

// A block of C computed on its own, with the matching rows of op(A) and
// columns of op(B), is bitwise that block of the whole product, on every
// level, for any block (not only whole tiles) and also when the blocks
// are shrunk so that the product spans several k, row and column blocks:
// the property tensor's threads rely on.
func TestGemmBlockMatchesWhole(t *testing.T) {
	forEachGemmLevel(t, func(t *testing.T, v gemmVariant) {
		rapid.Check(t, func(t *rapid.T) {
			g := drawProduct(t)
			if rapid.Bool().Draw(t, "small blocks") {
				shrinkBlocks(t, v.g)
			}
			r0 := rapid.IntRange(0, g.m-1).Draw(t, "r0")
			r1 := rapid.IntRange(r0+1, g.m).Draw(t, "r1")
			c0 := rapid.IntRange(0, g.n-1).Draw(t, "c0")
			c1 := rapid.IntRange(c0+1, g.n).Draw(t, "c1")
			whole, part := g, g
			whole.c, part.c = g.c.clone(), g.c.clone()
			whole.run()
			// The block: C rows r0..r1, columns c0..c1, and the operands cut to
			// match (op(A)'s rows are A's columns when transposed).
			a, b, c := part.a, part.b, part.c
			if g.tA {
				a.off, a.cols = a.off+r0, r1-r0
			} else {
				a.off, a.rows = a.off+r0*a.ld, r1-r0
			}
			if g.tB {
				b.off, b.rows = b.off+c0*b.ld, c1-c0
			} else {
				b.off, b.cols = b.off+c0, c1-c0
			}
			c.off, c.rows, c.cols = c.off+r0*c.ld+c0, r1-r0, c1-c0
			Gemm(g.tA, g.tB, r1-r0, c1-c0, g.k, g.alpha, a.data(), a.ld, b.data(), b.ld, g.beta, c.data(), c.ld, nil)
			for i := r0; i < r1; i++ {
				for j := c0; j < c1; j++ {
					if got, want := part.c.at(i, j), whole.c.at(i, j); !cmp.Equal(got, want, same) {
						t.Fatalf("%s %d×%d×%d tA=%v tB=%v, block [%d:%d, %d:%d]: C[%d][%d] = %v alone, %v in the whole product",
							v.level, g.m, g.k, g.n, g.tA, g.tB, r0, r1, c0, c1, i, j, got, want)
					}
				}
			}
		})
	})
}

// shrinkBlocks sets block sizes so small that modest products span several
// k, row and column blocks, until the test ends.
func shrinkBlocks(t *rapid.T, g *gemmKernels) {
	kc := 8 * rapid.IntRange(1, 4).Draw(t, "kc/8")
	mc := g.mr * rapid.IntRange(1, 3).Draw(t, "mc/mr")
	nc := g.nr * rapid.IntRange(1, 3).Draw(t, "nc/nr")
	old := gemmBlockOverride
	gemmBlockOverride = &gemmBlocking{kc: kc, mc: mc, nc: nc}
	t.Cleanup(func() { gemmBlockOverride = old })
}

// Larger than the blocks in every dimension (several kc, mc and nc
// blocks, edge tiles everywhere): one product per transpose pair and
// level, elementwise against the naive loop.
func TestGemmMultiBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("large product")
	}
	forEachGemmLevel(t, func(t *testing.T, v gemmVariant) {
		mr, nr := v.g.mr, v.g.nr
		old := gemmBlockOverride
		gemmBlockOverride = &gemmBlocking{kc: 16, mc: 3 * mr, nc: 2 * nr}
		defer func() { gemmBlockOverride = old }()
		m, n, k := 7*mr+3, 5*nr+1, 53
		// A few seeded cases per transpose pair (each is large for the naive
		// reference, and the suite also runs under qemu).
		for seed := range uint64(3) {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				g := newProduct(rand.New(rand.NewPCG(seed, 2)), tr[0], tr[1], m, n, k, 1.5, -0.5)
				c0 := g.c.clone()
				g.run()
				if msg := checkProduct(g, c0); msg != "" {
					t.Fatalf("%s tA=%v tB=%v seed %d: %s", v.level, g.tA, g.tB, seed, msg)
				}
				if !g.c.guardsIntact() {
					t.Fatalf("%s: wrote outside C", v.level)
				}
			}
		}
	})
}

// bitwiseSame runs g twice from the same C, once with each setting of
// *flag, and fails unless both give bitwise the same C.
func bitwiseSame(t *rapid.T, g product, flag *bool, what string) {
	old := *flag
	defer func() { *flag = old }()
	var res [2][]float64
	for i, on := range []bool{false, true} {
		*flag = on
		h := g
		h.c = g.c.clone()
		h.run()
		res[i] = h.c.buf
	}
	if !cmp.Equal(res[0], res[1], same) {
		t.Fatalf("%s %d×%d×%d tA=%v tB=%v α=%v: %s", Active(), g.m, g.k, g.n, g.tA, g.tB, g.alpha, what)
	}
}

// Reading op(B) and op(A) in place (directB and directA, used for op(B) = B
// and for op(A) = Aᵀ with α = 1 when M is one row block) gives bitwise the
// C of the packed path, on every level: the kernel sees the same values in
// the same order.
func TestGemmDirectMatchesPacked(t *testing.T) {
	forEachGemmLevel(t, func(t *testing.T, v gemmVariant) {
		rapid.Check(t, func(t *rapid.T) {
			bitwiseSame(t, drawProduct(t), &gemmDirect, "in-place operands differ bitwise from packed ones")
		})
	})
}

// Packing op(A) = Aᵀ for all row blocks of a k block at once (wideA, used
// when M spans several row blocks) gives bitwise the C of packing each row
// block on its own, on every level, α = 1 or not. The blocks are shrunk so
// that small products span several of them; m > mc makes the wide path
// certain (the product is far below wideABytes), and TestGemmMultiBlock
// checks its values against the naive loop.
func TestGemmWideAMatchesBlocks(t *testing.T) {
	forEachGemmLevel(t, func(t *testing.T, v gemmVariant) {
		rapid.Check(t, func(t *rapid.T) {
			shrinkBlocks(t, v.g)
			blk := *gemmBlockOverride
			m := rapid.IntRange(blk.mc+1, 4*blk.mc+v.g.mr).Draw(t, "m")
			n := rapid.IntRange(1, 3*blk.nc+5).Draw(t, "n")
			k := rapid.IntRange(1, 3*blk.kc+5).Draw(t, "k")
			tB := rapid.Bool().Draw(t, "tB")
			alpha := rapid.SampledFrom([]float64{1, 1.5}).Draw(t, "alpha")
			rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 3))
			g := newProduct(rng, true, tB, m, n, k, alpha, 0.5)
			bitwiseSame(t, g, &gemmWideA, fmt.Sprintf("blocks %+v: wide packing of Aᵀ differs bitwise from per-block packing", blk))
		})
	})
}

// k = 0 and α = 0 give C = β·C without reading A or B (NaN there does not
// propagate); β = 0 then writes zeros over NaN, β = 1 leaves C as it was.
func TestGemmScalesC(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, beta := range []float64{0, 1, -0.5} {
		for _, k := range []int{0, 5} {
			g := newProduct(rng, false, true, 6, 9, k, 0, beta)
			if k > 0 {
				for i := range g.a.buf {
					g.a.buf[i] = math.NaN()
				}
			}
			c0 := g.c.clone()
			g.run()
			for i := range g.m {
				for j := range g.n {
					want := 0.0
					if beta != 0 {
						want = beta * c0.at(i, j)
					}
					if got := g.c.at(i, j); !cmp.Equal(got, want, same) {
						t.Fatalf("k=%d α=0 β=%v: C[%d][%d] = %v, want %v", k, beta, i, j, got, want)
					}
				}
			}
			if !g.c.guardsIntact() {
				t.Fatalf("k=%d α=0 β=%v: wrote outside C", k, beta)
			}
		}
	}
}

// Gemm rejects operands that do not fit with a panic that names the
// problem (before any kernel could touch memory outside them), and accepts
// empty products with nil slices.
func TestGemmPanics(t *testing.T) {
	const m, n, k = 5, 7, 3
	a, b, c := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
	Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n, nil) // fits exactly
	Gemm(false, false, 0, n, k, 1, nil, k, b, n, 0, nil, n, nil)
	Gemm(true, true, m, 0, k, 1, a, m, nil, k, 0, nil, 0, nil)
	for name, call := range map[string]func(){
		"negative m": func() { Gemm(false, false, -1, n, k, 1, a, k, b, n, 0, c, n, nil) },
		"short A":    func() { Gemm(false, false, m, n, k, 1, a[:len(a)-1], k, b, n, 0, c, n, nil) },
		"short Aᵀ":   func() { Gemm(true, false, m, n, k, 1, a[:len(a)-1], m, b, n, 0, c, n, nil) },
		"short B":    func() { Gemm(false, false, m, n, k, 1, a, k, b[:len(b)-1], n, 0, c, n, nil) },
		"short C":    func() { Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c[:len(c)-1], n, nil) },
		"small lda":  func() { Gemm(false, false, m, n, k, 1, a, k-1, b, n, 0, c, n, nil) },
		"small ldb":  func() { Gemm(false, true, m, n, k, 1, a, k, b, k-1, 0, c, n, nil) },
		"small ldc":  func() { Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n-1, nil) },
	} {
		expectPanic(t, "Gemm with "+name, call)
	}
}

// With a warm workspace Gemm allocates nothing.
func TestGemmNoAllocs(t *testing.T) {
	const m, n, k = 64, 80, 96
	a, b, c := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
	var ws GemmWorkspace
	Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n, &ws)
	if allocs := testing.AllocsPerRun(20, func() { Gemm(false, false, m, n, k, 1.5, a, k, b, n, 0.5, c, n, &ws) }); allocs != 0 {
		t.Errorf("%v allocations per call", allocs)
	}
}

// BenchmarkGemmBlocks runs Gemm on one goroutine on the products of a
// training step (the shapes of docs/benchmarks.md, "GEMM next to
// OpenBLAS") on every SIMD level, GFLOP/s. For tuning, MARGO_GEMM_BLOCKS=
// kc,mc,nc replaces the block sizes (benchmarks only), so that settings
// can be alternated in one run.
func BenchmarkGemmBlocks(b *testing.B) {
	if s := os.Getenv("MARGO_GEMM_BLOCKS"); s != "" {
		var blk gemmBlocking
		if _, err := fmt.Sscanf(s, "%d,%d,%d", &blk.kc, &blk.mc, &blk.nc); err != nil || blk.kc < 1 || blk.mc < 1 || blk.nc < 1 {
			b.Fatalf("MARGO_GEMM_BLOCKS=%q: want kc,mc,nc, three positive integers", s)
		}
		gemmBlockOverride = &blk
		defer func() { gemmBlockOverride = nil }()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct {
		op      string // NN, TN, NT: whether A and B are transposed
		m, k, n int
	}{
		{"NN", 1024, 1024, 1024}, {"NN", 12000, 784, 512}, {"TN", 784, 12000, 512},
		{"NT", 250, 2048, 1024}, {"TN", 1024, 250, 2048}, {"NT", 100, 784, 128},
	} {
		var g product // made on first use: -bench filters most shapes out
		for _, v := range gemmVariants(b) {
			if v.level == Generic {
				continue
			}
			name := fmt.Sprintf("%s/%dx%dx%d/%s", s.op, s.m, s.k, s.n, v.level)
			b.Run(name, func(b *testing.B) {
				defer setLevel(Active())
				if err := SetLevel(v.level); err != nil {
					b.Fatal(err)
				}
				if g.a.buf == nil {
					g = newProduct(rng, s.op[0] == 'T', s.op[1] == 'T', s.m, s.n, s.k, 1, 0)
				}
				var ws GemmWorkspace
				run := func() {
					Gemm(g.tA, g.tB, g.m, g.n, g.k, 1, g.a.data(), g.a.ld, g.b.data(), g.b.ld, 0, g.c.data(), g.c.ld, &ws)
				}
				run() // grow the workspace
				for b.Loop() {
					run()
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// In-place reads are refused for strides that are multiples of 4 KB
// (every line of a panel in one L1 set) and taken otherwise, for both
// operands (the packed and in-place paths give bitwise the same C:
// TestGemmDirectMatchesPacked).
func TestDirectReadsAvoidAliasingStrides(t *testing.T) {
	if !gemmDirect {
		t.Skip("direct reads disabled")
	}
	for _, ld := range []int{512, 1024, 4096} {
		if directA(true, 1, 8, 256, ld) || directB(false, 8, 256, ld) {
			t.Errorf("stride %d doubles (a multiple of 4 KB) read in place", ld)
		}
	}
	for _, ld := range []int{8, 520, 784, 1000} {
		if !directA(true, 1, 8, 256, ld) || !directB(false, 8, 256, ld) {
			t.Errorf("stride %d doubles not read in place", ld)
		}
	}
}

// The strip that prefetches the A panel (gemmPrefetchA, chosen on Intel
// processors) gives bitwise the C of the plain strip, on every level.
func TestGemmPrefetchMatchesPlain(t *testing.T) {
	forEachGemmLevel(t, func(t *testing.T, v gemmVariant) {
		rapid.Check(t, func(t *rapid.T) {
			bitwiseSame(t, drawProduct(t), &gemmPrefetchA, "the prefetching strip differs bitwise from the plain one")
		})
	})
}
