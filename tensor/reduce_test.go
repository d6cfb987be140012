package tensor

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/margo-lab/margo/asm"
	"pgregory.net/rapid"
)

// dotNormsFunc is DotNorms or a variant of it run with the given thread
// count (the wrong variants of TestDotNormsCheckCanFail).
type dotNormsFunc func(x, y []float64, threads int) (float64, asm.Norms, asm.Norms)

// eps is the machine epsilon of float64 (the gap from 1 to the next float).
const eps = 0x1p-52

func dotNormsThreads(x, y []float64, nt int) (dot float64, nx, ny asm.Norms) {
	withThreads(nt, func() { dot, nx, ny = DotNorms(x, y) })
	return dot, nx, ny
}

// dotNormsCase is a pair of vectors: uniform in [−1, 1) from a seed,
// scaled, with a few special elements placed anywhere, next to a chunk
// boundary or at the end (where a chunk loses or repeats an element).
type dotNormsCase struct {
	x, y []float64
}

// specials are the values the cases plant: ±0, ±Inf, NaN, the smallest
// subnormal, the largest finite values, huge and tiny normals, and a
// finite value larger than every uniform element (a unique ℓ∞).
var specials = []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
	5e-324, -5e-324, math.MaxFloat64, -math.MaxFloat64, 1e300, -1e-300, 7.5}

// drawLength draws a vector length: short (one asm pass), around reduceMin
// (8 chunks), up to 3·reduceMin, or around 32 chunks (kept at that: the
// suite also runs under qemu).
func drawLength(t *rapid.T) int {
	many := 32 * reduceChunkMin
	return rapid.OneOf(
		rapid.IntRange(0, 300),
		rapid.IntRange(reduceMin-40, reduceMin+40),
		rapid.IntRange(reduceMin, 3*reduceMin),
		rapid.IntRange(many-2*reduceChunkMin, many+2*reduceChunkMin),
	).Draw(t, "n")
}

func drawDotNormsCase(t *rapid.T) dotNormsCase {
	n := drawLength(t)
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
	scales := []float64{1, 1, 1, 1e-300, 1e300, 0x1p-1060, 0x1p+1000}
	var c dotNormsCase
	for _, name := range []string{"x", "y"} {
		s := rapid.SampledFrom(scales).Draw(t, name+".scale")
		v := make([]float64, n)
		for i := range v {
			v[i] = (2*rng.Float64() - 1) * s
		}
		if n > 0 {
			for range rapid.IntRange(0, 3).Draw(t, name+".specials") {
				v[drawPosition(t, name, n)] = rapid.SampledFrom(specials).Draw(t, name+".special")
			}
		}
		if name == "x" {
			c.x = v
		} else {
			c.y = v
		}
	}
	return c
}

// drawPosition draws an index of a vector of n > 0 elements: anywhere,
// within 3 of a chunk boundary, or within 3 of the end.
func drawPosition(t *rapid.T, name string, n int) int {
	switch rapid.IntRange(0, 2).Draw(t, name+".where") {
	case 0:
		return rapid.IntRange(0, n-1).Draw(t, name+".pos")
	case 1:
		if n >= reduceMin {
			c := reduceChunks(n)
			lo, _ := chunkBounds(n, c, rapid.IntRange(0, c-1).Draw(t, name+".chunk"))
			return min(n-1, max(0, lo+rapid.IntRange(-3, 3).Draw(t, name+".off")))
		}
	}
	return n - 1 - rapid.IntRange(0, min(3, n-1)).Draw(t, name+".fromEnd")
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// sameFloat is equality that also holds between NaNs (any payload) and
// tells −0 from +0.
func sameFloat(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || a != a && b != b
}

// checkDotNorms runs f on c with 1, 2, 3 and 8 threads and returns a
// failure message, or "":
//   - the seven values are bitwise the same for every thread count;
//   - ℓ∞ is exactly asm.DotNorms's on the whole vectors (NaN where it is);
//   - the dot product and ℓ1 are within 4(n+c)ε·Σ|terms| + 2n·2^-1074 of
//     asm.DotNorms's (c chunks): asm's tested bound puts each within
//     2(n+1)ε·Σ|terms| + n·2^-1074 of the exact sum whatever the order of
//     its n terms, the chunked sum adds c−1 additions of partial sums
//     (each ≤ Σ|terms|), and the two can err in opposite directions; NaN
//     exactly where asm's is; not checked where Σ|terms| overflows (the
//     order then decides between ±Inf, NaN and a finite value), as in asm;
//   - ℓ2 within 2(n+c+8)ε relative + 2^-1069 of asm's: each chunk's norm
//     is within asm's (n_c+4)ε + 2^-1070 of its exact value, their Nrm2
//     adds (c+4)ε, and asm's whole-vector value is within (n+4)ε + 2^-1070;
//     NaN and ±Inf exactly where asm's are, except that +Inf is accepted
//     where that bound reaches past MaxFloat64 (the norm may not be
//     representable; asm may then return MaxFloat64).
func checkDotNorms(c dotNormsCase, f dotNormsFunc) string {
	x, y := c.x, c.y
	n := len(x)
	var r [4]struct {
		dot    float64
		nx, ny asm.Norms
	}
	ts := []int{1, 2, 3, 8}
	for i, nt := range ts {
		r[i].dot, r[i].nx, r[i].ny = f(x, y, nt)
	}
	bits := func(i int) [7]float64 {
		return [7]float64{r[i].dot, r[i].nx.L1, r[i].nx.L2, r[i].nx.Linf, r[i].ny.L1, r[i].ny.L2, r[i].ny.Linf}
	}
	for i := 1; i < len(ts); i++ {
		a, b := bits(0), bits(i)
		for k := range a {
			if !sameBits(a[k], b[k]) {
				return fmt.Sprintf("n=%d: value %d is %v with %d threads, %v with 1", n, k, b[k], ts[i], a[k])
			}
		}
	}
	chunks := 1
	if n >= reduceMin {
		chunks = reduceChunks(n)
	}
	dot, nx, ny := r[0].dot, r[0].nx, r[0].ny
	wdot, wx, wy := asm.DotNorms(x, y)
	var mag float64
	nanProduct := false
	for i := range x {
		p := x[i] * y[i]
		mag += math.Abs(p)
		nanProduct = nanProduct || p != p
	}
	sumBound := func(mag float64) float64 {
		return 4*float64(n+chunks)*eps*mag + 2*float64(n)*0x1p-1074
	}
	closeSum := func(got, want, mag float64, nan bool) bool {
		if nan {
			return got != got && want != want
		}
		return math.IsInf(mag, 0) || math.Abs(got-want) <= sumBound(mag)
	}
	if !closeSum(dot, wdot, mag, nanProduct) {
		return fmt.Sprintf("n=%d: dot %v, asm.DotNorms %v (Σ|xy| = %v)", n, dot, wdot, mag)
	}
	for _, v := range []struct {
		name      string
		x         []float64
		got, want asm.Norms
	}{{"x", x, nx, wx}, {"y", y, ny, wy}} {
		nan := false
		for _, e := range v.x {
			nan = nan || e != e
		}
		if !closeSum(v.got.L1, v.want.L1, v.want.L1, nan) {
			return fmt.Sprintf("n=%d: ℓ1(%s) %v, asm.DotNorms %v", n, v.name, v.got.L1, v.want.L1)
		}
		if !sameFloat(v.got.Linf, v.want.Linf) {
			return fmt.Sprintf("n=%d: ℓ∞(%s) %v, asm.DotNorms %v", n, v.name, v.got.Linf, v.want.Linf)
		}
		w := v.want.L2
		if w != w || math.IsInf(w, 0) {
			if !sameFloat(v.got.L2, w) {
				return fmt.Sprintf("n=%d: ℓ2(%s) %v, asm.DotNorms %v", n, v.name, v.got.L2, w)
			}
		} else if rel := 2 * float64(n+chunks+8) * eps; math.IsInf(v.got.L2, 1) && w*(1+rel) > math.MaxFloat64 {
			// Within the bound of w the true norm may exceed MaxFloat64
			// (e.g. MaxFloat64 plus small elements), where +Inf is right.
		} else if !(math.Abs(v.got.L2-w) <= rel*w+0x1p-1069) {
			return fmt.Sprintf("n=%d: ℓ2(%s) %v, asm.DotNorms %v (rel %g)", n, v.name, v.got.L2, w, math.Abs(v.got.L2-w)/w)
		}
	}
	return ""
}

// DotNorms on every level: bitwise the same for 1, 2, 3 and 8 threads, and
// asm.DotNorms's values within the reduction bounds (checkDotNorms).
func TestDotNormsThreads(t *testing.T) {
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		rapid.Check(t, func(t *rapid.T) {
			c := drawDotNormsCase(t)
			x0, y0 := append([]float64(nil), c.x...), append([]float64(nil), c.y...)
			if msg := checkDotNorms(c, dotNormsThreads); msg != "" {
				t.Fatalf("%s: %s", l, msg)
			}
			for i := range x0 {
				if !sameBits(c.x[i], x0[i]) || !sameBits(c.y[i], y0[i]) {
					t.Fatalf("%s: DotNorms changed its inputs at %d", l, i)
				}
			}
		})
	})
}

// FuzzDotNorms runs the same property under the fuzzer (go test -fuzz
// FuzzDotNorms ./tensor/).
func FuzzDotNorms(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		if msg := checkDotNorms(drawDotNormsCase(t), dotNormsThreads); msg != "" {
			t.Fatal(msg)
		}
	}))
}

// chunkedPlain is the chunk scheme written out sequentially, with one rule
// that can be broken: tail false drops the last n mod 8 elements (a last
// chunk cut like the others), l2 and inf combine the chunks' ℓ2 and ℓ∞.
func chunkedPlain(x, y []float64, tail bool, l2, inf func([]float64) float64) (dot float64, nx, ny asm.Norms) {
	n := len(x)
	if n < reduceMin {
		return asm.DotNorms(x, y)
	}
	c := reduceChunks(n)
	var l2x, l2y, infx, infy []float64
	for i := range c {
		lo, hi := chunkBounds(n, c, i)
		if !tail {
			hi = 8 * ((n / 8) * (i + 1) / c)
		}
		d, a, b := asm.DotNorms(x[lo:hi], y[lo:hi])
		dot += d
		nx.L1 += a.L1
		ny.L1 += b.L1
		l2x, l2y = append(l2x, a.L2), append(l2y, b.L2)
		infx, infy = append(infx, a.Linf), append(infy, b.Linf)
	}
	nx.L2, ny.L2, nx.Linf, ny.Linf = l2(l2x), l2(l2y), inf(infx), inf(infy)
	return dot, nx, ny
}

// The check can fail: each variant below breaks one rule of the chunked
// reduction, and checkDotNorms rejects it on a case built to show it.
// chunkedPlain with the right rules passes the same cases (so the cases
// themselves are fair).
func TestDotNormsCheckCanFail(t *testing.T) {
	plainL2 := func(v []float64) float64 {
		var s float64
		for _, r := range v {
			s += r * r
		}
		return math.Sqrt(s)
	}
	plainMax := func(v []float64) float64 {
		var m float64
		for _, r := range v {
			if r > m {
				m = r
			}
		}
		return m
	}
	n := 3*reduceMin + 5
	vec := func(scale float64, set func(v []float64)) []float64 {
		rng := rand.New(rand.NewPCG(7, 8))
		v := make([]float64, n)
		for i := range v {
			v[i] = (2*rng.Float64() - 1) * scale
		}
		set(v)
		return v
	}
	none := func([]float64) {}
	cases := []struct {
		name string
		c    dotNormsCase
		f    dotNormsFunc
	}{
		{"one pass at 1 thread, chunks otherwise", dotNormsCase{vec(1, none), vec(1, none)},
			func(x, y []float64, nt int) (float64, asm.Norms, asm.Norms) {
				if nt == 1 {
					return asm.DotNorms(x, y)
				}
				return chunkedPlain(x, y, true, asm.Nrm2, asm.MaxAbs)
			}},
		{"last chunk without the n mod 8 tail", dotNormsCase{vec(1, func(v []float64) { v[n-1] = 9 }), vec(1, none)},
			func(x, y []float64, _ int) (float64, asm.Norms, asm.Norms) {
				return chunkedPlain(x, y, false, asm.Nrm2, asm.MaxAbs)
			}},
		{"ℓ2 of the chunks as the plain √Σr²", dotNormsCase{vec(1e300, none), vec(1, none)},
			func(x, y []float64, _ int) (float64, asm.Norms, asm.Norms) {
				return chunkedPlain(x, y, true, plainL2, asm.MaxAbs)
			}},
		{"ℓ∞ of the chunks that skips NaN", dotNormsCase{vec(1, func(v []float64) { v[100] = math.NaN() }), vec(1, none)},
			func(x, y []float64, _ int) (float64, asm.Norms, asm.Norms) {
				return chunkedPlain(x, y, true, asm.Nrm2, plainMax)
			}},
	}
	right := func(x, y []float64, _ int) (float64, asm.Norms, asm.Norms) {
		return chunkedPlain(x, y, true, asm.Nrm2, asm.MaxAbs)
	}
	for _, c := range cases {
		if msg := checkDotNorms(c.c, right); msg != "" {
			t.Errorf("%s: the right scheme fails the case: %s", c.name, msg)
		}
		msg := checkDotNorms(c.c, c.f)
		if msg == "" {
			t.Errorf("the check accepted %s", c.name)
			continue
		}
		t.Logf("%s: rejected (%s)", c.name, msg)
	}
}

// The chunks cover [0, n) in order without gaps or overlaps, start at
// multiples of 8, number at least 8 and hold reduceChunkMin − 8 to
// 2·reduceChunkMin + 8 elements each (short enough for DotNormsThen's
// step to find its chunk in cache).
func TestChunkBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.OneOf(rapid.IntRange(reduceMin, 4*reduceMin), rapid.IntRange(reduceMin, 1<<26)).Draw(t, "n")
		c := reduceChunks(n)
		if c < 8 {
			t.Fatalf("n=%d: %d chunks", n, c)
		}
		next := 0
		for i := range c {
			lo, hi := chunkBounds(n, c, i)
			if lo != next || lo%8 != 0 || hi-lo < reduceChunkMin-8 || hi-lo > 2*reduceChunkMin+8 {
				t.Fatalf("n=%d: chunk %d of %d is [%d, %d), previous ended at %d", n, i, c, lo, hi, next)
			}
			next = hi
		}
		if next != n {
			t.Fatalf("n=%d: chunks end at %d", n, next)
		}
	})
}

// Many calls in a row with the thread count changing between them give
// bitwise the 1-thread result every time: back to back, a worker is
// offered a part while it polls, or comes late for a part the caller took
// over (the hand-off TestGemmRepeatedCalls checks for GEMM).
func TestDotNormsRepeatedCalls(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x, y := make([]float64, reduceMin+27), make([]float64, reduceMin+27)
	for i := range x {
		x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	wdot, wx, wy := dotNormsThreads(x, y, 1)
	calls := 800
	if testing.Short() {
		calls = 200
	}
	for it := range calls {
		nt := []int{1, 2, 3, 8}[it%4]
		dot, nx, ny := dotNormsThreads(x, y, nt)
		if !sameBits(dot, wdot) || nx != wx || ny != wy {
			t.Fatalf("call %d with %d threads: %v %v %v, 1 thread %v %v %v", it, nt, dot, nx, ny, wdot, wx, wy)
		}
	}
}

// DotNorms while Gemm calls run on other goroutines (threads = 2, workers
// busy with GEMM parts or not) gives the 1-thread result, and so do the
// products: the pool is shared between jobs of both kinds.
func TestDotNormsConcurrentGemm(t *testing.T) {
	defer forceThreads()()
	rng := rand.New(rand.NewPCG(11, 12))
	x, y := make([]float64, reduceMin+11), make([]float64, reduceMin+11)
	for i := range x {
		x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	a, b := randDense(rng, 40, 30), randDense(rng, 30, 50)
	wdot, wx, wy := dotNormsThreads(x, y, 1)
	const products = 2
	var want, got [products]*Dense
	for i := range products {
		want[i], got[i] = NewDense(40, 50), NewDense(40, 50)
		withThreads(1, func() { Gemm(NoTrans, NoTrans, 1, a, b, 0, want[i]) })
	}
	withThreads(2, func() {
		done := make(chan int)
		for i := range products {
			go func() {
				for range 200 {
					Gemm(NoTrans, NoTrans, 1, a, b, 0, got[i])
				}
				done <- i
			}()
		}
		for it := range 200 {
			dot, nx, ny := DotNorms(x, y)
			if !sameBits(dot, wdot) || nx != wx || ny != wy {
				t.Errorf("call %d: %v %v %v, 1 thread %v %v %v", it, dot, nx, ny, wdot, wx, wy)
				break
			}
		}
		for range products {
			<-done
		}
	})
	for i := range products {
		for k := range want[i].Data {
			if !sameBits(got[i].Data[k], want[i].Data[k]) {
				t.Fatalf("product %d: C differs from the 1-thread one at %d", i, k)
			}
		}
	}
}

// Once the pool and the jobs are warm, DotNorms allocates nothing.
func TestDotNormsNoAllocs(t *testing.T) {
	x := make([]float64, 2*reduceMin)
	for i := range x {
		x[i] = float64(i%13) - 6
	}
	for _, nt := range []int{1, 2} {
		withThreads(nt, func() {
			DotNorms(x, x)
			if n := testing.AllocsPerRun(50, func() { DotNorms(x, x) }); n != 0 {
				t.Errorf("%d threads: %v allocations per call", nt, n)
			}
			s := new(countStep)
			DotNormsThen(x, x, s)
			if n := testing.AllocsPerRun(50, func() { DotNormsThen(x, x, s) }); n != 0 {
				t.Errorf("DotNormsThen, %d threads: %v allocations per call", nt, n)
			}
			if s.n.Load() != 52*int64(len(x)) {
				t.Errorf("DotNormsThen, %d threads: stepped %d elements in 52 calls of %d", nt, s.n.Load(), len(x))
			}
			if n := testing.AllocsPerRun(50, func() { StepRanges(len(x), s) }); n != 0 {
				t.Errorf("StepRanges, %d threads: %v allocations per call", nt, n)
			}
		})
	}
}

// BenchmarkDotNorms times DotNorms at lengths below and above reduceMin
// (2^17 ≈ the p of the 100×784×128 model, 2^21 ≈ that of 250×2048×1024):
// asm is one asm.DotNorms pass, 1T and 2T are DotNorms with that many
// threads. Calls run back to back, so the workers are polling, as after a
// training step's gradient GEMM. b.SetBytes counts the 16 bytes per
// element read.
func BenchmarkDotNorms(b *testing.B) {
	for _, n := range []int{1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 21} {
		rng := rand.New(rand.NewPCG(1, 2))
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		var sink float64
		b.Run(fmt.Sprintf("%d/asm", n), func(b *testing.B) {
			b.SetBytes(int64(16 * n))
			for b.Loop() {
				d, _, _ := asm.DotNorms(x, y)
				sink += d
			}
		})
		for _, nt := range []int{1, 2} {
			b.Run(fmt.Sprintf("%d/%dT", n, nt), func(b *testing.B) {
				b.SetBytes(int64(16 * n))
				withThreads(nt, func() {
					for b.Loop() {
						d, _, _ := DotNorms(x, y)
						sink += d
					}
				})
			})
		}
		_ = sink
	}
}

// poisonStep is a ChunkStep that records the ranges it is given and
// overwrites them with NaN in both vectors: a reduction that read a range
// after its step would turn NaN, so equality with DotNorms shows that every
// range is reduced before it is stepped.
type poisonStep struct {
	mu     sync.Mutex
	x, y   []float64
	ranges map[int][2]int // chunk → [lo, hi)
	dup    bool           // a chunk number came twice
}

func (s *poisonStep) StepRange(chunk, lo, hi int) {
	for i := lo; i < hi; i++ {
		s.x[i], s.y[i] = math.NaN(), math.NaN()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ranges[chunk]; ok {
		s.dup = true
	}
	s.ranges[chunk] = [2]int{lo, hi}
}

// TestDotNormsThen: DotNormsThen returns DotNorms's values bitwise (with
// 1, 2, 3 and 8 threads), reduces every range before stepping it, and
// steps ranges that cover the vector exactly once, with distinct chunk
// numbers below DotNormsRanges(n); StepRanges runs the same ranges.
func TestDotNormsThen(t *testing.T) {
	forEachLevel(t, func(t *testing.T, l asm.Level) {
		rapid.Check(t, func(t *rapid.T) {
			c := drawDotNormsCase(t)
			n := len(c.x)
			dot, nx, ny := dotNormsThreads(c.x, c.y, 1)
			for _, nt := range []int{1, 2, 3, 8} {
				s := &poisonStep{x: slices.Clone(c.x), y: slices.Clone(c.y), ranges: map[int][2]int{}}
				var d float64
				var mx, my asm.Norms
				withThreads(nt, func() { d, mx, my = DotNormsThen(s.x, s.y, s) })
				got := []float64{d, mx.L1, mx.L2, mx.Linf, my.L1, my.L2, my.Linf}
				want := []float64{dot, nx.L1, nx.L2, nx.Linf, ny.L1, ny.L2, ny.Linf}
				for i := range got {
					if !sameFloat(got[i], want[i]) {
						t.Fatalf("%s, %d threads, n = %d: value %d is %v, DotNorms gives %v", l, nt, n, i, got[i], want[i])
					}
				}
				if s.dup {
					t.Fatalf("%s, %d threads: a chunk number was stepped twice", l, nt)
				}
				covered := 0
				prev := 0
				for k := range DotNormsRanges(n) {
					r, ok := s.ranges[k]
					if !ok {
						continue
					}
					if r[0] != prev || r[1] < r[0] {
						t.Fatalf("%s, %d threads, n = %d: chunk %d is [%d, %d), want it to start at %d", l, nt, n, k, r[0], r[1], prev)
					}
					covered += r[1] - r[0]
					prev = r[1]
				}
				if covered != n || len(s.ranges) != DotNormsRanges(n) {
					t.Fatalf("%s, %d threads, n = %d: %d ranges cover %d elements (chunk numbers %v)", l, nt, n, len(s.ranges), covered, s.ranges)
				}
				// StepRanges gives the same ranges under the same numbers.
				r := &poisonStep{x: make([]float64, n), y: make([]float64, n), ranges: map[int][2]int{}}
				withThreads(nt, func() { StepRanges(n, r) })
				if r.dup || !maps.Equal(r.ranges, s.ranges) {
					t.Fatalf("%s, %d threads, n = %d: StepRanges ran ranges %v (a number twice: %v), DotNormsThen %v", l, nt, n, r.ranges, r.dup, s.ranges)
				}
			}
		})
	})
}

// countStep counts the elements it is given (no allocation, for
// TestDotNormsNoAllocs).
type countStep struct{ n atomic.Int64 }

func (s *countStep) StepRange(_, lo, hi int) { s.n.Add(int64(hi - lo)) }

// panicStep panics on every range but the first.
type panicStep struct{}

func (panicStep) StepRange(chunk, lo, hi int) {
	if chunk > 0 {
		panic("step range failed")
	}
}

// A panic in a part that a pool worker computes reaches the caller, on
// the caller's goroutine (where a recover can turn it into an error),
// instead of crashing the process from the worker.
func TestPoolPanicReachesCaller(t *testing.T) {
	p := NewPool(3)
	for range 20 {
		func() {
			defer func() {
				if r := recover(); r != "step range failed" {
					t.Fatalf("recovered %v, want the part's panic", r)
				}
			}()
			p.StepRanges(1<<18, panicStep{})
			t.Fatal("no panic")
		}()
	}
	// The pool still works afterwards.
	x := make([]float64, 1<<17)
	for i := range x {
		x[i] = 1
	}
	if dot, _, _ := p.DotNorms(x, x); dot != 1<<17 {
		t.Fatalf("dot after the panics: %v", dot)
	}
}
