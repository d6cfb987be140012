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

// drawGemm draws a product that stays cheap (m·n·k ≤ 60k, so that the
// suite also runs under qemu in seconds): all four transposes, α and
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

// bitsEqual compares floats bitwise (NaN payloads included).
var bitsEqual = cmp.Comparer(sameBits)

// equalBits is cmp.Equal(x, y, bitsEqual) for the loops that compare
// thousands of products: go-cmp's reflection per element made
// TestGemmRepeatedCalls take 19 s (minutes under -race) instead of 0.2.
func equalBits(x, y []float64) bool { return slices.EqualFunc(x, y, sameBits) }

// checkGemm compares g.c (after Gemm) with asm.Gemm's single call on the
// whole product from c0 (C before the call), bitwise, and returns a
// failure message or "". asm's tests check asm.Gemm against the naive
// product; here only the split into blocks and threads is on trial.
func checkGemm(g gemmCase, c0 *Dense) string {
	want := copyOf(c0)
	asm.Gemm(bool(g.tA), bool(g.tB), g.m, g.n, g.k, g.alpha, g.a.Data, g.a.Stride, g.b.Data, g.b.Stride,
		g.beta, want.Data, want.Stride, nil)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			if got, w := g.c.At(i, j), want.At(i, j); !cmp.Equal(got, w, bitsEqual) {
				return fmt.Sprintf("C[%d][%d] = %v, asm.Gemm on the whole product %v", i, j, got, w)
			}
		}
	}
	return ""
}

func TestGemmMatchesAsm(t *testing.T) {
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		rapid.Check(t, gemmMatchesAsm)
	})
}

// FuzzGemm runs the same property under the active level with go test
// -fuzz=FuzzGemm.
func FuzzGemm(f *testing.F) { f.Fuzz(rapid.MakeFuzz(gemmMatchesAsm)) }

// gemmMatchesAsm: on the active level and 1–3 threads (and so on every
// grid of blocks chooseGrid picks), Gemm gives bitwise the C of one
// asm.Gemm call on the whole product, writes nothing outside the C view
// and leaves A and B unchanged.
func gemmMatchesAsm(t *rapid.T) {
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

// The checker can fail: a C one ulp off in one element is caught, and so
// is the product of a grid that drops the last column of op(B).
func TestGemmCheckCanFail(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawGemm(t)
		c0 := copyOf(g.c)
		Gemm(g.tA, g.tB, g.alpha, g.a, g.b, g.beta, g.c)
		i, j := rapid.IntRange(0, g.m-1).Draw(t, "i"), rapid.IntRange(0, g.n-1).Draw(t, "j")
		g.c.Set(i, j, math.Nextafter(g.c.At(i, j), math.Inf(1)))
		if checkGemm(g, c0) == "" {
			t.Fatalf("C one ulp off at (%d, %d) passed the check", i, j)
		}
		if g.n < 2 {
			return
		}
		// A grid that forgets the last column: C's last column keeps c0.
		g.c.Copy(c0)
		short := *g.b
		if g.tB {
			short.Rows--
		} else {
			short.Cols--
		}
		Gemm(g.tA, g.tB, g.alpha, g.a, &short, g.beta, g.c.Slice(0, g.m, 0, g.n-1))
		if checkGemm(g, c0) == "" && !(g.alpha == 0 && g.beta == 1) {
			t.Fatalf("a product without its last column passed the check")
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
				} else if !cmp.Equal(copyOf(g.c), first, bitsEqual) {
					t.Fatalf("%s %d×%d×%d: C with %d threads differs bitwise from 1 thread", l, g.m, g.k, g.n, nt)
				}
			}
		})
	})
}

// Products longer than one k block (k = 1100 > kc ≤ 512), whose
// column and row blocks evened out differ from thread to thread, give
// bitwise the same C for 1, 2 and 3 threads on every level.
func TestGemmDeterministicLongK(t *testing.T) {
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, tr := range [][2]Op{{NoTrans, NoTrans}, {Trans, NoTrans}, {NoTrans, Trans}} {
			const m, k, n = 70, 1100, 53
			ar, ac, br, bc := m, k, k, n
			if tr[0] {
				ar, ac = k, m
			}
			if tr[1] {
				br, bc = n, k
			}
			a, b, c0 := randDense(rng, ar, ac), randDense(rng, br, bc), randDense(rng, m, n)
			var first *Dense
			for _, nt := range []int{1, 2, 3} {
				c := copyOf(c0)
				withThreads(nt, func() { Gemm(tr[0], tr[1], 1.5, a, b, 0.5, c) })
				if first == nil {
					first = c
				} else if !cmp.Equal(c, first, bitsEqual) {
					t.Fatalf("%s %s: %d threads differ bitwise from 1", l, opName(tr[0], tr[1]), nt)
				}
			}
		}
	})
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
				if !equalBits(c.Data, want.Data) {
					t.Fatalf("%s %d×%d×%d, call %d with %d threads: C differs bitwise from 1 thread", l, m, k, n, it, nt)
				}
			}
		}
	})
}
