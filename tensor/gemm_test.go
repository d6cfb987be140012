package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/margo-lab/margo/asm"
	"pgregory.net/rapid"
)

// gemmNaive is the reference triple loop (plain multiply and add).
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

// magnitude returns |α|·(|op(A)|·|op(B)|)_ij + |β·C_ij| (C before the call).
func magnitude(tA, tB Op, alpha float64, a, b *Dense, beta float64, c0 *Dense, i, j, k int) float64 {
	var s float64
	for p := 0; p < k; p++ {
		var x, y float64
		if tA {
			x = a.At(p, i)
		} else {
			x = a.At(i, p)
		}
		if tB {
			y = b.At(j, p)
		} else {
			y = b.At(p, j)
		}
		s += math.Abs(x * y)
	}
	s *= math.Abs(alpha)
	if beta != 0 {
		s += math.Abs(beta * c0.At(i, j))
	}
	return s
}

const eps = 0x1p-52

// gemmBound is the elementwise error allowed between Gemm and the naive
// loop: 2·(k+3)·ε·mag. Each of the two computes a k-term sum (error ≤ k·ε·mag
// to first order, for any summation order), scales by α and adds β·C (two
// more roundings; Gemm folds α into A, one rounding per product): c = 2
// covers both sides, k+3 the extra roundings. Each rounding may also lose
// up to η = 2⁻¹⁰⁷⁴ absolutely when it underflows (|fl(x)−x| ≤ ε|x| + η), so
// the bound is 2·(k+3)·(ε·mag + η).
func gemmBound(k int, mag float64) float64 { return 2 * float64(k+3) * (eps*mag + 0x1p-1074) }

const guardVal = -7777.25

// view draws a rows×cols view at a random offset inside a larger matrix
// whose other elements are guards, and returns the view and its parent.
func view(t *rapid.T, name string, rows, cols int, fill func() float64) (v, parent *Dense) {
	top := rapid.IntRange(0, 3).Draw(t, name+".top")
	left := rapid.IntRange(0, 3).Draw(t, name+".left")
	extra := rapid.IntRange(0, 5).Draw(t, name+".extra")
	return guardedView(top, left, extra, rows, cols, fill)
}

// guardedView returns a rows×cols view at (top, left) of a parent with
// extra columns on the right and one row below; the parent's other elements
// are guards, the view's come from fill.
func guardedView(top, left, extra, rows, cols int, fill func() float64) (v, parent *Dense) {
	parent = NewDense(top+rows+1, left+cols+extra)
	for i := range parent.Data {
		parent.Data[i] = guardVal
	}
	v = parent.Slice(top, top+rows, left, left+cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			v.Set(i, j, fill())
		}
	}
	return v, parent
}

// guardsIntact reports whether every element of parent outside v is still
// a guard.
func guardsIntact(parent, v *Dense) bool {
	inside := map[int]bool{}
	base := 0
	if len(v.Data) > 0 {
		base = cap(parent.Data) - cap(v.Data)
	}
	for i := 0; i < v.Rows; i++ {
		for j := 0; j < v.Cols; j++ {
			inside[base+i*v.Stride+j] = true
		}
	}
	for idx, x := range parent.Data {
		if !inside[idx] && x != guardVal {
			return false
		}
	}
	return true
}

// forEachLevel runs f under every SIMD level available here plus generic,
// restoring the active level afterwards.
func forEachLevel(t *testing.T, f func(t *testing.T, l asm.Level)) {
	defer asm.SetLevel(asm.Active())
	for _, l := range asm.Available() {
		if err := asm.SetLevel(l); err != nil {
			t.Fatal(err)
		}
		t.Run(l.String(), func(t *testing.T) { f(t, l) })
	}
}

func withThreads(n int, f func()) {
	old := Threads()
	SetThreads(n)
	defer SetThreads(old)
	f()
}

// drawDim draws a dimension: often tiny (edge tiles), sometimes up to 300.
func drawDim(t *rapid.T, name string) int {
	return rapid.OneOf(rapid.IntRange(1, 30), rapid.IntRange(1, 300)).Draw(t, name)
}

type gemmCase struct {
	tA, tB      Op
	alpha, beta float64
	m, n, k     int
	a, b, c     *Dense // views
	cp          *Dense // parent of c
}

// drawGemm draws a product whose naive reference stays cheap (m·n·k ≤
// 60k, so that the suite also runs under qemu in seconds): all four transposes, α and
// β including 0 and 1, strided views, and NaN in C when β = 0.
func drawGemm(t *rapid.T) gemmCase {
	var g gemmCase
	g.tA = Op(rapid.Bool().Draw(t, "tA"))
	g.tB = Op(rapid.Bool().Draw(t, "tB"))
	g.m, g.n, g.k = drawDim(t, "m"), drawDim(t, "n"), drawDim(t, "k")
	for g.m*g.n*g.k > 60_000 {
		switch {
		case g.m >= g.n && g.m >= g.k:
			g.m /= 2
		case g.n >= g.k:
			g.n /= 2
		default:
			g.k /= 2
		}
	}
	g.alpha = rapid.SampledFrom([]float64{1, 0, -1, 0.5, 2.75}).Draw(t, "alpha")
	g.beta = rapid.SampledFrom([]float64{0, 1, -1, 0.5, 2.75}).Draw(t, "beta")
	// Element values come from a generator seeded by rapid: drawing each
	// element through rapid would dominate the test's run time.
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
	val := func() float64 { return 8*rng.Float64() - 4 }
	ar, ac := g.m, g.k
	if g.tA {
		ar, ac = ac, ar
	}
	br, bc := g.k, g.n
	if g.tB {
		br, bc = bc, br
	}
	g.a, _ = view(t, "A", ar, ac, val)
	g.b, _ = view(t, "B", br, bc, val)
	cval := val
	if g.beta == 0 {
		cval = func() float64 { return math.NaN() }
	}
	g.c, g.cp = view(t, "C", g.m, g.n, cval)
	return g
}

func copyOf(d *Dense) *Dense {
	c := NewDense(d.Rows, d.Cols)
	c.Copy(d)
	return c
}

// checkGemm compares g.c (after Gemm) with the naive product on c0 (C
// before the call) within gemmBound, and returns a failure message or "".
func checkGemm(g gemmCase, c0 *Dense) string {
	want := copyOf(c0)
	gemmNaive(g.tA, g.tB, g.alpha, g.a, g.b, g.beta, want, g.m, g.n, g.k)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			got, w := g.c.At(i, j), want.At(i, j)
			mag := magnitude(g.tA, g.tB, g.alpha, g.a, g.b, g.beta, c0, i, j, g.k)
			if got != got || math.Abs(got-w) > gemmBound(g.k, mag) {
				return fmt.Sprintf("C[%d][%d] = %v, want %v (bound %.3g)", i, j, got, w, gemmBound(g.k, mag))
			}
		}
	}
	return ""
}

func TestGemmMatchesNaive(t *testing.T) {
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		rapid.Check(t, gemmMatchesNaive)
	})
}

// FuzzGemm runs the same property under the active level with go test
// -fuzz=FuzzGemm.
func FuzzGemm(f *testing.F) { f.Fuzz(rapid.MakeFuzz(gemmMatchesNaive)) }

// gemmMatchesNaive: on the active level and 1–3 threads, Gemm agrees with
// the naive loop within gemmBound, writes nothing outside the C view and
// leaves A and B unchanged.
func gemmMatchesNaive(t *rapid.T) {
	l := asm.Active()
	g := drawGemm(t)
	nt := rapid.SampledFrom([]int{1, 2, 3}).Draw(t, "threads")
	a0, b0, c0 := copyOf(g.a), copyOf(g.b), copyOf(g.c)
	// Send even small products through the threaded path here.
	restore := forceThreads()
	withThreads(nt, func() { Gemm(g.tA, g.tB, g.alpha, g.a, g.b, g.beta, g.c) })
	restore()
	if msg := checkGemm(g, c0); msg != "" {
		t.Fatalf("%s, %d threads, tA=%v tB=%v %d×%d×%d α=%v β=%v: %s", l, nt, g.tA, g.tB, g.m, g.k, g.n, g.alpha, g.beta, msg)
	}
	if !guardsIntact(g.cp, g.c) {
		t.Fatalf("%s: Gemm wrote outside the C view", l)
	}
	if !cmp.Equal(copyOf(g.a), a0) || !cmp.Equal(copyOf(g.b), b0) {
		t.Fatalf("%s: Gemm changed A or B", l)
	}
}

// The checker can fail: a product that drops the last term of k is caught.
func TestGemmCheckCanFail(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawGemm(t)
		if g.alpha == 0 {
			g.alpha = 1
		}
		c0 := copyOf(g.c)
		// Wrong: sums only k−1 terms (plus a nonzero nudge when k = 1).
		gemmNaive(g.tA, g.tB, g.alpha, g.a, g.b, g.beta, g.c, g.m, g.n, g.k-1)
		g.c.Set(0, 0, g.c.At(0, 0)+1)
		if checkGemm(g, c0) == "" {
			t.Fatalf("a product missing a term passed the check")
		}
	})
}

// Bitwise determinism: for each level, C is the same for 1, 2, 3 and 8
// threads (each element summed in an order fixed by the shape alone).
func TestGemmDeterministicAcrossThreads(t *testing.T) {
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		rapid.Check(t, func(t *rapid.T) {
			g := drawGemm(t)
			c0 := copyOf(g.c)
			defer forceThreads()()
			var first *Dense
			for _, nt := range []int{1, 2, 3, 8} {
				g.c.Copy(c0)
				withThreads(nt, func() { Gemm(g.tA, g.tB, g.alpha, g.a, g.b, g.beta, g.c) })
				if first == nil {
					first = copyOf(g.c)
				} else if !cmp.Equal(copyOf(g.c), first, cmp.Comparer(func(x, y float64) bool {
					return math.Float64bits(x) == math.Float64bits(y)
				})) {
					t.Fatalf("%s %d×%d×%d: C with %d threads differs bitwise from 1 thread", l, g.m, g.k, g.n, nt)
				}
			}
		})
	})
}

// Reading op(B) and op(A) in place (directB and directA, used for op(B) = B
// and for op(A) = Aᵀ with α = 1 when M is one row block) gives bitwise the
// C of the packed path, on every level, for 1 and
// 2 threads: the kernel sees the same values in the same order.
func TestGemmDirectMatchesPacked(t *testing.T) {
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		rapid.Check(t, func(t *rapid.T) {
			g := drawGemm(t)
			c0 := copyOf(g.c)
			nt := rapid.IntRange(1, 2).Draw(t, "threads")
			old := gemmDirect
			defer forceThreads()()
			defer func() { gemmDirect = old }()
			var res [2]*Dense
			for i, direct := range []bool{false, true} {
				gemmDirect = direct
				g.c.Copy(c0)
				withThreads(nt, func() { Gemm(g.tA, g.tB, g.alpha, g.a, g.b, g.beta, g.c) })
				res[i] = copyOf(g.c)
			}
			if !cmp.Equal(res[0], res[1], cmp.Comparer(func(x, y float64) bool {
				return math.Float64bits(x) == math.Float64bits(y)
			})) {
				t.Fatalf("%s %d×%d×%d tA=%v tB=%v α=%v: in-place operands differ bitwise from packed ones",
					l, g.m, g.k, g.n, g.tA, g.tB, g.alpha)
			}
		})
	})
}

// Larger than the blocks in every dimension (several kc, mc and nc
// blocks, edge tiles everywhere): one product per transpose pair and
// level, 2 threads, elementwise against the naive loop.
func TestGemmMultiBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("large product")
	}
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		mr, nr := asm.GemmShape()
		// Shrink the blocks so that a modest product spans several of each.
		old := blockOverride
		blockOverride = &gemmBlocking{mr: mr, nr: nr, kc: 16, mc: 3 * mr, nc: 2 * nr}
		defer func() { blockOverride = old }()
		m, n, k := 7*mr+3, 5*nr+1, 53
		// A few seeded cases per transpose pair (each is large for the naive
		// reference, and the suite also runs under qemu).
		for seed := range uint64(3) {
			for _, tr := range [][2]Op{{NoTrans, NoTrans}, {NoTrans, Trans}, {Trans, NoTrans}, {Trans, Trans}} {
				rng := rand.New(rand.NewPCG(seed, 2))
				val := func() float64 { return 8*rng.Float64() - 4 }
				g := gemmCase{tA: tr[0], tB: tr[1], alpha: 1.5, beta: -0.5, m: m, n: n, k: k}
				ar, ac, br, bc := m, k, k, n
				if g.tA {
					ar, ac = ac, ar
				}
				if g.tB {
					br, bc = bc, br
				}
				g.a, _ = viewRand(rng, ar, ac, val)
				g.b, _ = viewRand(rng, br, bc, val)
				g.c, g.cp = viewRand(rng, m, n, val)
				c0 := copyOf(g.c)
				withThreads(2, func() { Gemm(g.tA, g.tB, g.alpha, g.a, g.b, g.beta, g.c) })
				if msg := checkGemm(g, c0); msg != "" {
					t.Fatalf("%s tA=%v tB=%v seed %d: %s", l, g.tA, g.tB, seed, msg)
				}
				if !guardsIntact(g.cp, g.c) {
					t.Fatalf("%s: wrote outside the C view", l)
				}
			}
		}
	})
}

// Packing op(A) = Aᵀ for all row blocks of a k block at once (wideA, used
// when M spans several row blocks) gives bitwise the C of packing each row
// block on its own, on every level, for 1 and 2 threads, α = 1 or not. The
// blocks are shrunk so that small products span several of them; with one
// thread, m > mc makes the wide path certain (the product is far below
// wideABytes), and TestGemmMultiBlock checks its values against the naive
// loop.
func TestGemmWideAMatchesBlocks(t *testing.T) {
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		mr, nr := asm.GemmShape()
		rapid.Check(t, func(t *rapid.T) {
			kc := 8 * rapid.IntRange(1, 4).Draw(t, "kc/8")
			mc := mr * rapid.IntRange(1, 3).Draw(t, "mc/mr")
			nc := nr * rapid.IntRange(1, 3).Draw(t, "nc/nr")
			old := blockOverride
			blockOverride = &gemmBlocking{mr: mr, nr: nr, kc: kc, mc: mc, nc: nc}
			defer func() { blockOverride = old }()
			m := rapid.IntRange(mc+1, 4*mc+mr).Draw(t, "m")
			n := rapid.IntRange(1, 3*nc+5).Draw(t, "n")
			k := rapid.IntRange(1, 3*kc+5).Draw(t, "k")
			tB := Op(rapid.Bool().Draw(t, "tB"))
			alpha := rapid.SampledFrom([]float64{1, 1.5}).Draw(t, "alpha")
			nt := rapid.IntRange(1, 2).Draw(t, "threads")
			rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 3))
			a := randDense(rng, k, m)
			b := randDense(rng, k, n)
			if tB {
				b = randDense(rng, n, k)
			}
			c0 := randDense(rng, m, n)
			defer forceThreads()()
			defer func(w bool) { gemmWideA = w }(gemmWideA)
			var res [2]*Dense
			for i, wide := range []bool{false, true} {
				gemmWideA = wide
				res[i] = copyOf(c0)
				withThreads(nt, func() { Gemm(Trans, tB, alpha, a, b, 0.5, res[i]) })
			}
			if !cmp.Equal(res[0], res[1], cmp.Comparer(func(x, y float64) bool {
				return math.Float64bits(x) == math.Float64bits(y)
			})) {
				t.Fatalf("%s %d×%d×%d tB=%v α=%v, %d threads, blocks %d/%d/%d: wide packing of Aᵀ differs bitwise from per-block packing",
					l, m, k, n, tB, alpha, nt, kc, mc, nc)
			}
		})
	})
}

// viewRand is view with offsets drawn from rng instead of rapid.
func viewRand(rng *rand.Rand, rows, cols int, fill func() float64) (v, parent *Dense) {
	return guardedView(rng.IntN(4), rng.IntN(4), rng.IntN(6), rows, cols, fill)
}

// Steady state allocates nothing, also with threads.
func TestGemmNoAllocs(t *testing.T) {
	a, b, c := NewDense(64, 96), NewDense(96, 80), NewDense(64, 80)
	defer forceThreads()()
	for _, nt := range []int{1, 2} {
		withThreads(nt, func() {
			Gemm(NoTrans, NoTrans, 1, a, b, 0, c)
			if n := testing.AllocsPerRun(20, func() { Gemm(NoTrans, NoTrans, 1.5, a, b, 0.5, c) }); n != 0 {
				t.Errorf("%d threads: %v allocations per call", nt, n)
			}
		})
	}
}

// Concurrent Gemm calls (each with its own C, threads = 2) give the same
// bitwise result as the same calls made one after another: the worker pool
// and the job buffers are not shared between calls.
func TestGemmConcurrentCalls(t *testing.T) {
	defer forceThreads()()
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(d *Dense) *Dense {
		for i := range d.Data {
			d.Data[i] = 2*rng.Float64() - 1
		}
		return d
	}
	const calls = 6
	var as, bs, want, got [calls]*Dense
	for i := range calls {
		m, k, n := 20+7*i, 33+5*i, 41+3*i
		as[i], bs[i] = fill(NewDense(m, k)), fill(NewDense(k, n))
		want[i], got[i] = NewDense(m, n), NewDense(m, n)
	}
	withThreads(2, func() {
		for i := range calls {
			Gemm(NoTrans, NoTrans, 1, as[i], bs[i], 0, want[i])
		}
		done := make(chan int)
		for i := range calls {
			go func() {
				for range 5 {
					Gemm(NoTrans, NoTrans, 1, as[i], bs[i], 0, got[i])
				}
				done <- i
			}()
		}
		for range calls {
			<-done
		}
	})
	for i := range calls {
		if !cmp.Equal(got[i].Data, want[i].Data) {
			t.Fatalf("call %d: concurrent result differs from the sequential one", i)
		}
	}
}

// forceThreads sends even the smallest products through the threaded path;
// the returned func restores the threshold.
func forceThreads() (restore func()) {
	p := gemmParallelFlops
	gemmParallelFlops = 0
	return func() { gemmParallelFlops = p }
}

// Many calls in a row with the thread count changing between them give
// bitwise the C of one thread every time. Back-to-back calls are where a
// worker finishes its part and is offered another part of the same call,
// or comes late for a part the caller has taken over: an early version of
// the hand-off computed such a part twice (β applied twice) about once in
// a thousand calls, which this loop caught reliably.
func TestGemmRepeatedCalls(t *testing.T) {
	defer forceThreads()()
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, sz := range [][3]int{{26, 5, 22}, {60, 20, 40}} {
			m, k, n := sz[0], sz[1], sz[2]
			a, b, c0 := randDense(rng, m, k), randDense(rng, k, n), randDense(rng, m, n)
			want, c := NewDense(m, n), NewDense(m, n)
			want.Copy(c0)
			withThreads(1, func() { Gemm(NoTrans, NoTrans, 1, a, b, 0.5, want) })
			for it := range 1500 {
				nt := []int{1, 2, 3, 8}[it%4]
				c.Copy(c0)
				withThreads(nt, func() { Gemm(NoTrans, NoTrans, 1, a, b, 0.5, c) })
				if !slices.EqualFunc(c.Data, want.Data, func(x, y float64) bool {
					return math.Float64bits(x) == math.Float64bits(y)
				}) {
					t.Fatalf("%s %d×%d×%d, call %d with %d threads: C differs bitwise from 1 thread", l, m, k, n, it, nt)
				}
			}
		}
	})
}
