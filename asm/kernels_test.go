package asm

import (
	"flag"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// variant is one implementation of the kernels, named for failure messages.
type variant struct {
	name string
	k    *kernels
}

// variants returns the generic table and every SIMD table this processor
// runs. A level the processor supports but the build lacks is a failure, not
// a skip.
func variants(t testing.TB) []variant {
	t.Helper()
	var vs []variant
	for l := Generic; int(l) < len(levelNames); l++ {
		if cpuSupports(l) && tables[l] == nil {
			t.Fatalf("the processor supports %s but no kernels are registered for it", l)
		}
		if Supported(l) {
			vs = append(vs, variant{l.String(), tables[l]})
		}
	}
	return vs
}

func TestConfig(t *testing.T) {
	if err := ConfigError(); err != nil {
		t.Fatal(err)
	}
	if s := os.Getenv("MARGO_SIMD"); s != "" {
		if l, _ := ParseLevel(s); Active() != l {
			t.Fatalf("MARGO_SIMD=%s but the active level is %s", s, Active())
		}
	}
	if _, err := ParseLevel("sse9"); err == nil {
		t.Fatal("ParseLevel accepted an unknown level")
	}
}

// Every registered SIMD level must implement every kernel itself.
func TestNoFallbacks(t *testing.T) {
	for l := range tables {
		if f := fallbacks(l); len(f) > 0 {
			t.Errorf("%s runs the generic code for %v", l, f)
		}
	}
}

// fillFrom names every field of kernels: on an empty table it sets each of
// them, and reports each under its field name. reflect only reads the
// struct's type and whether a field is nil; the registry itself uses none.
func TestFillFromCoversEveryField(t *testing.T) {
	checkFillCovers(t, (*kernels).fillFrom)
	// The generic table has every kernel: filling it from an empty table
	// changes nothing.
	g := genericKernels
	if filled := g.fillFrom(&kernels{}); len(filled) > 0 {
		t.Errorf("the generic table lacks %v", filled)
	}
}

// checkFillCovers fails unless fill, run on an empty table with the generic
// one as the source, reports every field of kernels by name and leaves
// none of them nil.
func checkFillCovers(t interface {
	Helper()
	Errorf(format string, args ...any)
}, fill func(k *kernels, g *kernels) []string) {
	t.Helper()
	var k kernels
	filled := fill(&k, &genericKernels)
	typ, val := reflect.TypeOf(k), reflect.ValueOf(k)
	var fields []string
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Name)
		f := val.Field(i)
		if f.Kind() == reflect.Func && f.IsNil() {
			t.Errorf("kernels.%s is still nil after fillFrom", typ.Field(i).Name)
		}
	}
	if k.gemm.tile == nil {
		t.Errorf("kernels.gemm has no tile after fillFrom")
	}
	if !cmp.Equal(filled, fields) {
		t.Errorf("fillFrom reports %v, the fields of kernels are %v", filled, fields)
	}
}

// The coverage check can fail: a fill that forgets one field is caught.
func TestFillFromCheckCanFail(t *testing.T) {
	forgetful := func(k *kernels, g *kernels) []string {
		relu := k.relu
		filled := k.fillFrom(g)
		k.relu = relu // as if fillFrom had no line for relu
		return slices.DeleteFunc(filled, func(s string) bool { return s == "relu" })
	}
	rec := &recordTB{name: t.Name()}
	checkFillCovers(rec, forgetful)
	if !rec.failed {
		t.Fatal("a fill that skips relu passed the coverage check")
	}
}

func TestSetLevel(t *testing.T) {
	defer setLevel(Active())
	for _, l := range Available() {
		if err := SetLevel(l); err != nil || Active() != l {
			t.Fatalf("SetLevel(%s): %v, active %s", l, err, Active())
		}
	}
	if err := SetLevel(Level(99)); err == nil {
		t.Fatal("SetLevel accepted an unknown level")
	}
}

var specials = []float64{
	0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
	5e-324, -5e-324, 0x1p-1022, math.MaxFloat64, -math.MaxFloat64, 1e300, -1e300, 1e-300, -1e-300,
}

// drawFloat draws mostly ordinary floats and sometimes special values:
// rapid's own Float64 never draws NaN or ±Inf and almost never a subnormal.
func drawFloat(special bool) *rapid.Generator[float64] {
	ordinary := rapid.Float64Range(-10, 10)
	if !special {
		return ordinary
	}
	return rapid.OneOf(ordinary, ordinary, ordinary, rapid.SampledFrom(specials), rapid.Float64())
}

// vecCase is a drawn input: a slice of n elements starting at an offset into
// a larger backing array whose other elements are guards.
type vecCase struct {
	n, off int
}

const guard = -12345.678

// drawLen draws a length: anything up to 2000, with every length near the
// unroll boundaries (up to 4·8·4+3 = 131) drawn often.
func drawLen(t *rapid.T) int {
	return rapid.OneOf(rapid.IntRange(0, 131), rapid.IntRange(0, 2000),
		rapid.SampledFrom([]int{255, 256, 257, 511, 512, 513, 1023, 1024, 1025})).Draw(t, "n")
}

// drawVec draws n elements at a random offset 0..7 inside a guarded buffer,
// returning the view and the whole buffer.
func drawVec(t *rapid.T, name string, n int, special bool) (view, buf []float64) {
	off := rapid.IntRange(0, 7).Draw(t, name+".off")
	buf = make([]float64, off+n+8)
	for i := range buf {
		buf[i] = guard
	}
	view = buf[off : off+n]
	for i := range view {
		view[i] = drawFloat(special).Draw(t, name)
	}
	return view, buf
}

func clone(x []float64) []float64 { return append(make([]float64, 0, len(x)), x...) }

// same compares floats bitwise up to NaN payloads.
var same = cmp.Comparer(func(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || a != a && b != b
})

const eps = 0x1p-52

// closeSum checks a reduction against the reference: |got−want| ≤ c·n·ε·mag,
// with mag = Σ|terms|, the classic bound for recursive summation in any order
// (c = 2 covers both the reference's and the variant's error). Where mag
// overflows or the inputs hold non-finite values the order of summation can
// decide between Inf, NaN and a finite value, so only NaN-ness is checked
// against the inputs.
func closeSum(got, want, mag float64, n int, nanIn bool) bool {
	if nanIn {
		return got != got
	}
	if math.IsInf(mag, 0) || mag != mag {
		return true
	}
	return math.Abs(got-want) <= 2*float64(n+1)*eps*mag
}

func hasNaN(xs ...[]float64) bool {
	for _, x := range xs {
		for _, v := range x {
			if v != v {
				return true
			}
		}
	}
	return false
}

// checkGuards fails if an element of buf outside view was overwritten.
func checkGuards(t *rapid.T, who string, buf []float64, off, n int) {
	for i, v := range buf {
		if (i < off || i >= off+n) && v != guard {
			t.Fatalf("%s wrote outside its slice at buffer index %d (view %d..%d)", who, i, off, off+n)
		}
	}
}

func TestDot(t *testing.T) {
	for _, v := range variants(t) {
		rapid.Check(t, func(t *rapid.T) { checkDot(t, v) })
	}
}

func checkDot(t *rapid.T, v variant) {
	special := rapid.Bool().Draw(t, "special")
	n := drawLen(t)
	x, _ := drawVec(t, "x", n, special)
	y, _ := drawVec(t, "y", n, special)
	x0, y0 := clone(x), clone(y)
	got, want := v.k.dot(x, y), dotGeneric(x, y)
	var mag float64
	for i := range x {
		mag += math.Abs(x[i] * y[i])
	}
	if !closeSum(got, want, mag, n, hasNaN(x, y) || math.IsNaN(want) && math.IsInf(mag, 0) && !hasInfProducts(x, y)) {
		t.Fatalf("%s: n=%d got %v want %v (Σ|xy| = %v)", v.name, n, got, want, mag)
	}
	if !cmp.Equal(x, x0, same) || !cmp.Equal(y, y0, same) {
		t.Fatalf("%s changed its inputs", v.name)
	}
}

func hasInfProducts(x, y []float64) bool {
	for i := range x {
		if math.IsInf(x[i]*y[i], 0) {
			return true
		}
	}
	return false
}

func TestAbsSum(t *testing.T) {
	for _, v := range variants(t) {
		rapid.Check(t, func(t *rapid.T) {
			n := drawLen(t)
			x, _ := drawVec(t, "x", n, rapid.Bool().Draw(t, "special"))
			got, want := v.k.absSum(x), absSumGeneric(x)
			if !closeSum(got, want, want, n, hasNaN(x)) {
				t.Fatalf("%s: n=%d got %v want %v", v.name, n, got, want)
			}
		})
	}
}

func TestNrm2(t *testing.T) {
	for _, v := range variants(t) {
		rapid.Check(t, func(t *rapid.T) {
			n := drawLen(t)
			x, _ := drawVec(t, "x", n, rapid.Bool().Draw(t, "special"))
			// Scale everything to the edges of the range sometimes: the result
			// must stay exact to a few ulps where it is representable.
			scale := rapid.SampledFrom([]float64{1, 1e-300, 1e300, 0x1p-1060, 0x1p+1000}).Draw(t, "scale")
			for i := range x {
				x[i] *= scale
			}
			got, want := v.k.nrm2(x), refNrm2(x)
			switch {
			case math.IsNaN(want) || math.IsInf(want, 0):
				if !cmp.Equal(got, want, same) {
					t.Fatalf("%s: n=%d got %v want %v", v.name, n, got, want)
				}
			default:
				if !nrm2Agrees(got, want, n) {
					t.Fatalf("%s: n=%d got %v want %v (rel %g)", v.name, n, got, want, math.Abs(got-want)/want)
				}
			}
		})
	}
}

// nrm2Agrees reports whether an ℓ2 norm got of n elements agrees with the
// finite reference want. A sum of n non-negative terms has relative error
// ≤ (n+1)ε, half of that after the square root, plus the scaling and sqrt
// roundings and the loss of subnormal elements' low bits: |got − want| ≤
// (n+4)ε·want + 2^-1070. Within that bound of the overflow threshold got
// may also be +Inf: the exact norm can lie past MaxFloat64 + ulp/2 while
// the reference rounds below it (found on arm64: ‖(1, 1, 1, MaxFloat64,
// 2.3e300)‖₂ = MaxFloat64·(1 + 8.3e−17) rounds to +Inf, the Hypot fold
// gives MaxFloat64).
func nrm2Agrees(got, want float64, n int) bool {
	bound := (float64(n)+4)*eps*want + 0x1p-1070
	if math.IsInf(got, 1) {
		return want >= math.MaxFloat64-bound
	}
	return math.Abs(got-want) <= bound
}

// refNrm2 is an independent reference for Nrm2: math.Hypot folded over the
// elements (slow, but free of overflow and underflow). Hypot's result is
// rounded to an absolute 2^-1075 once it is subnormal, so a fold over tiny
// elements would drift by n such errors: when every |x_i| < 2^-900 the fold
// runs on x·2^600 (exact: a power of two, no overflow) and scales back once.
func refNrm2(x []float64) float64 {
	if hasNaN(x) {
		return math.NaN()
	}
	scale := 1.0
	if refMaxAbs(x) < 0x1p-900 {
		scale = 0x1p600
	}
	var r float64
	for _, v := range x {
		r = math.Hypot(r, v*scale)
	}
	return r / scale
}

func TestMaxAbsArgMaxAbs(t *testing.T) {
	for _, v := range variants(t) {
		rapid.Check(t, func(t *rapid.T) { checkMaxAbsArgMaxAbs(t, v) })
	}
}

func checkMaxAbsArgMaxAbs(t *rapid.T, v variant) {
	n := drawLen(t)
	x, _ := drawVec(t, "x", n, rapid.Bool().Draw(t, "special"))
	// Ties are common in real gradients: copy some elements around.
	for k := rapid.IntRange(0, 3).Draw(t, "ties"); k > 0 && n > 0; k-- {
		i, j := rapid.IntRange(0, n-1).Draw(t, "i"), rapid.IntRange(0, n-1).Draw(t, "j")
		x[j] = -x[i]
	}
	if got, want := v.k.maxAbs(x), refMaxAbs(x); !cmp.Equal(got, want, same) {
		t.Fatalf("%s MaxAbs: n=%d got %v want %v", v.name, n, got, want)
	}
	if got, want := v.k.argMaxAbs(x), refArgMaxAbs(x); got != want {
		t.Fatalf("%s ArgMaxAbs: n=%d got %d want %d", v.name, n, got, want)
	}
}

// TestArgMaxAbsNaN puts NaNs of different payloads and signs at chosen
// places (first, middle, last element, inside the last vector's tail, in
// another lane than an earlier NaN) next to ties of the largest finite
// value: the first NaN must win whatever its payload.
func TestArgMaxAbsNaN(t *testing.T) {
	nans := []float64{
		math.NaN(),
		math.Float64frombits(0x7ff0000000000001), // smallest payload
		math.Float64frombits(0xfff8000000000abc), // negative, larger payload
		math.Float64frombits(0x7fffffffffffffff), // largest payload
	}
	for _, v := range variants(t) {
		for _, n := range []int{1, 2, 3, 5, 8, 13, 31, 32, 33, 47, 64, 100, 131, 1000, 1027} {
			at := map[string][]int{
				"first":        {0},
				"middle":       {n / 2},
				"last":         {n - 1},
				"tail":         {n - 1 - n%3, n - 1},
				"two lanes":    {n / 3, n/3 + 1 + n/5},
				"reverse pays": {n - 1 - n/4, n - 1},
			}
			for name, pos := range at {
				for k := range nans {
					x := make([]float64, n)
					for i := range x {
						x[i] = float64(i%9) - 4 // ±4 ties everywhere
					}
					for j, p := range pos {
						// Later NaNs get other payloads: larger ones must not win.
						x[min(max(p, 0), n-1)] = nans[(k+j)%len(nans)]
					}
					if got, want := v.k.argMaxAbs(x), refArgMaxAbs(x); got != want {
						t.Errorf("%s: n=%d NaN %s at %v (payload %d): got %d want %d", v.name, n, name, pos, k, got, want)
					}
				}
			}
		}
	}
}

// The references below restate the documented semantics independently of
// the generic kernels.
func refMaxAbs(x []float64) float64 {
	if i := refArgMaxAbs(x); i >= 0 {
		return math.Abs(x[i])
	}
	return 0
}

func refArgMaxAbs(x []float64) int {
	for i, v := range x {
		if v != v {
			return i
		}
	}
	best := -1
	for i, v := range x {
		if best < 0 || math.Abs(v) > math.Abs(x[best]) {
			best = i
		}
	}
	return best
}

func refSign(v float64) float64 {
	switch {
	case v != v:
		return v
	case v == 0:
		return 0
	}
	return math.Copysign(1, v)
}

// elemKernel is an elementwise kernel with its documented meaning.
type elemKernel struct {
	name string
	get  func(k *kernels) func(dst, x, z []float64)
	want func(x, z float64) float64
}

var elemKernels = []elemKernel{
	{"Sign", func(k *kernels) func(dst, x, z []float64) { return func(d, x, _ []float64) { k.sign(d, x) } }, func(x, _ float64) float64 { return refSign(x) }},
	{"ReLU", func(k *kernels) func(dst, x, z []float64) { return func(d, x, _ []float64) { k.relu(d, x) } }, func(x, _ float64) float64 {
		if x > 0 || x != x {
			return x
		}
		return 0
	}},
	{"ReLUMask", func(k *kernels) func(dst, x, z []float64) { return k.reluMask }, func(g, z float64) float64 {
		if z > 0 {
			return g
		}
		return 0
	}},
}

// TestElementwise runs each elementwise kernel both in place and into a
// separate guarded destination and compares with want, exactly.
// elemKernelNamed returns the elementwise kernel called name.
func elemKernelNamed(t testing.TB, name string) elemKernel {
	t.Helper()
	for _, kk := range elemKernels {
		if kk.name == name {
			return kk
		}
	}
	t.Fatalf("no elementwise kernel %s", name)
	return elemKernel{}
}

func TestElementwise(t *testing.T) {
	for _, v := range variants(t) {
		for _, kk := range elemKernels {
			rapid.Check(t, func(t *rapid.T) { checkElementwise(t, v, kk) })
		}
	}
}

func checkElementwise(t *rapid.T, v variant, kk elemKernel) {
	n := drawLen(t)
	special := rapid.Bool().Draw(t, "special")
	x, _ := drawVec(t, "x", n, special)
	z, _ := drawVec(t, "z", n, special)
	x0, z0 := clone(x), clone(z)
	want := make([]float64, n)
	for i := range x {
		want[i] = kk.want(x[i], z[i])
	}
	dst, buf := drawVec(t, "dst", n, false)
	off := len(buf) - 8 - n
	kk.get(v.k)(dst, x, z)
	if !cmp.Equal(dst, want, same) {
		t.Fatalf("%s %s: n=%d\n got %v\nwant %v\n   x %v", v.name, kk.name, n, dst, want, x)
	}
	checkGuards(t, v.name+" "+kk.name, buf, off, n)
	if !cmp.Equal(x, x0, same) || !cmp.Equal(z, z0, same) {
		t.Fatalf("%s %s changed its inputs", v.name, kk.name)
	}
	kk.get(v.k)(x, x, z) // in place
	if !cmp.Equal(x, want, same) {
		t.Fatalf("%s %s in place: n=%d got %v want %v", v.name, kk.name, n, x, want)
	}
}

func TestScalAxpy(t *testing.T) {
	for _, v := range variants(t) {
		rapid.Check(t, func(t *rapid.T) {
			n := drawLen(t)
			special := rapid.Bool().Draw(t, "special")
			a := drawFloat(special).Draw(t, "a")
			x, _ := drawVec(t, "x", n, special)
			y, buf := drawVec(t, "y", n, special)
			off := len(buf) - 8 - n
			x0, y0 := clone(x), clone(y)

			// Scal is one multiplication per element: exact.
			got := clone(x)
			v.k.scal(a, got)
			for i := range x {
				if want := a * x[i]; !cmp.Equal(got[i], want, same) {
					t.Fatalf("%s Scal: n=%d i=%d got %v want %v", v.name, n, i, got[i], want)
				}
			}

			// Axpy may fuse: within one rounding of a·x_i plus one of the sum.
			v.k.axpy(a, x, y)
			checkGuards(t, v.name+" Axpy", buf, off, n)
			if !cmp.Equal(x, x0, same) {
				t.Fatalf("%s Axpy changed x", v.name)
			}
			for i := range y {
				// float64(…) rounds the product: the spec lets the compiler fuse
				// an unconverted x*y+z (it does with GOAMD64=v3).
				want := y0[i] + float64(a*x[i])
				exact := math.FMA(a, x[i], y0[i])
				if math.IsNaN(want) || math.IsInf(want, 0) || math.IsInf(a*x[i], 0) {
					if !cmp.Equal(y[i], want, same) && !cmp.Equal(y[i], exact, same) {
						t.Fatalf("%s Axpy: n=%d i=%d a=%v x=%v y=%v: got %v want %v or %v", v.name, n, i, a, x[i], y0[i], y[i], want, exact)
					}
					continue
				}
				if math.Abs(y[i]-want) > 2*eps*(math.Abs(y0[i])+math.Abs(a*x[i]))+0x1p-1074 {
					t.Fatalf("%s Axpy: n=%d i=%d got %v want %v", v.name, n, i, y[i], want)
				}
			}
		})
	}
}

func TestAdam(t *testing.T) {
	for _, v := range variants(t) {
		rapid.Check(t, func(t *rapid.T) {
			n := drawLen(t)
			theta, _ := drawVec(t, "theta", n, false)
			m, _ := drawVec(t, "m", n, false)
			vv, _ := drawVec(t, "v", n, false)
			for i := range vv {
				vv[i] = math.Abs(vv[i])
			}
			g, _ := drawVec(t, "g", n, false)
			// Exact zeros in g, m and v exercise the zero-denominator rule.
			for i := range g {
				if rapid.IntRange(0, 9).Draw(t, "zero") == 0 {
					g[i], m[i], vv[i] = 0, 0, 0
				}
			}
			beta1 := rapid.SampledFrom([]float64{0, 0.9, rapid.Float64Range(0, 1).Draw(t, "b1")}).Draw(t, "beta1")
			beta2 := rapid.SampledFrom([]float64{0, 0.99, 0.999, rapid.Float64Range(0, 1).Draw(t, "b2")}).Draw(t, "beta2")
			epsA := rapid.SampledFrom([]float64{0, 1e-8, 1e-2}).Draw(t, "eps")
			step := rapid.Float64Range(1e-6, 1).Draw(t, "step")
			bc2 := rapid.Float64Range(1e-3, 1).Draw(t, "sqrtBC2")

			t1, m1, v1 := clone(theta), clone(m), clone(vv)
			v.k.adam(t1, m1, v1, g, 1, 1, beta1, beta2, step, bc2, epsA)
			t2, m2, v2 := clone(theta), clone(m), clone(vv)
			refAdam(t2, m2, v2, g, beta1, beta2, step, bc2, epsA)
			// A handful of roundings per element; the update's error is relative
			// to the step size, not to θ. Each rounding errs by at most ε·|result|
			// or, where the result is subnormal (g ≈ 1e-160 squares into them),
			// by 2^-1075 absolute: tiny adds 8 such units.
			// m' may itself be off by mTol (a fused or differently ordered
			// β1·m + (1−β1)·g cancels to a tiny m'), and that error reaches θ
			// multiplied by step/d. Likewise v' may be off by vTol, which moves
			// d = √v'/bc2 + ε by at most dd = (√(v'+vTol) − √v')/bc2, and the
			// step m'/d by |m'|·dd/(d·(d−dd)); when dd ≥ d (v' is rounding
			// noise and ε = 0) the step is not determined and θ is not checked.
			const tiny = 8 * 0x1p-1075
			for i := range theta {
				tol := 8 * eps
				mTol := tol*(math.Abs(beta1*m[i])+math.Abs(g[i])) + tiny
				vTol := tol*(beta2*vv[i]+g[i]*g[i]) + tiny
				var mProp float64
				if d := math.Sqrt(v2[i])/bc2 + epsA; d > 0 {
					dd := (math.Sqrt(v2[i]+vTol) - math.Sqrt(v2[i])) / bc2
					mProp = step * mTol / d
					if dd >= d {
						mProp = math.Inf(1)
					} else {
						mProp += step * (math.Abs(m2[i]) / d) * (dd / (d - dd)) // in this order: no underflow
					}
				}
				if math.Abs(m1[i]-m2[i]) > mTol ||
					math.Abs(v1[i]-v2[i]) > vTol ||
					math.Abs(t1[i]-t2[i]) > tol*(math.Abs(theta[i])+math.Abs(theta[i]-t2[i]))+mProp+tiny {
					t.Fatalf("%s: i=%d θ %v/%v m %v/%v v %v/%v", v.name, i, t1[i], t2[i], m1[i], m2[i], v1[i], v2[i])
				}
			}
		})
	}
}

// refAdam restates torch.optim.Adam's single-tensor update. The step is
// param.addcdiv_(exp_avg, denom, value=−step_size), i.e. step·(m/denom):
// forming step·m first can underflow into the subnormals (m ≈ 1e-308) and
// lose the digits the tolerance below counts on.
func refAdam(theta, m, v, g []float64, beta1, beta2, step, sqrtBC2, eps float64) {
	for i := range theta {
		// float64(…) keeps every product rounded (no fusion by the compiler).
		m[i] = float64(beta1*m[i]) + float64((1-beta1)*g[i])
		v[i] = float64(beta2*v[i]) + float64((1-beta2)*g[i]*g[i])
		denom := math.Sqrt(v[i])/sqrtBC2 + eps
		if denom > 0 {
			theta[i] -= float64(step * (m[i] / denom))
		}
	}
}

// The exported functions route through the active table.
func TestExported(t *testing.T) {
	defer setLevel(Active())
	x := []float64{3, -4, 0, 1}
	y := []float64{1, 1, 1, 1, 99}
	for _, l := range Available() {
		if err := SetLevel(l); err != nil {
			t.Fatal(err)
		}
		if got := Dot(x, y); got != 0 {
			t.Errorf("%s Dot = %v, want 0", l, got)
		}
		if got := Nrm2(x); math.Abs(got-math.Sqrt(26)) > 1e-15 {
			t.Errorf("%s Nrm2 = %v", l, got)
		}
		if got := ArgMaxAbs(x); got != 1 {
			t.Errorf("%s ArgMaxAbs = %d", l, got)
		}
		if got := AbsSum(x); got != 8 {
			t.Errorf("%s AbsSum = %v", l, got)
		}
	}
}

// The properties above can fail: each table below breaks one documented
// rule the way a SIMD kernel plausibly would (a tail bug, a −0 let through,
// a tie or a NaN lost, a selection done as a multiplication), and the same
// property functions must reject it.
func TestPropertiesCatchWrongKernels(t *testing.T) {
	elem := func(name string) elemKernel {
		for _, kk := range elemKernels {
			if kk.name == name {
				return kk
			}
		}
		t.Fatalf("no elementwise kernel %s", name)
		return elemKernel{}
	}
	cases := []wrongKernel{
		{"dot that drops the scalar tail", withGeneric(func(k *kernels) {
			k.dot = func(x, y []float64) float64 { return dotGeneric(x[:len(x)&^3], y) }
		}), checkDot},
		{"sign that keeps -0", withGeneric(func(k *kernels) {
			k.sign = func(dst, x []float64) {
				signGeneric(dst, x)
				for i, v := range x {
					if v == 0 {
						dst[i] = v
					}
				}
			}
		}), func(t *rapid.T, v variant) { checkElementwise(t, v, elem("Sign")) }},
		{"relu written as max(x, 0) with NaN lost", withGeneric(func(k *kernels) {
			k.relu = func(dst, x []float64) {
				for i, v := range x {
					dst[i] = 0
					if v > 0 {
						dst[i] = v
					}
				}
			}
		}), func(t *rapid.T, v variant) { checkElementwise(t, v, elem("ReLU")) }},
		{"reluMask as a multiplication by the 0/1 mask", withGeneric(func(k *kernels) {
			k.reluMask = func(dst, g, z []float64) {
				for i := range g {
					var m float64
					if z[i] > 0 {
						m = 1
					}
					dst[i] = g[i] * m
				}
			}
		}), func(t *rapid.T, v variant) { checkElementwise(t, v, elem("ReLUMask")) }},
		{"argMaxAbs that returns the last tie", withGeneric(func(k *kernels) {
			k.argMaxAbs = func(x []float64) int {
				best, m := -1, -1.0
				for i, v := range x {
					if a := math.Abs(v); a != a {
						return i
					} else if a >= m {
						best, m = i, a
					}
				}
				return best
			}
		}), checkMaxAbsArgMaxAbs},
		{"maxAbs that skips NaN", withGeneric(func(k *kernels) {
			k.maxAbs = func(x []float64) float64 {
				var m float64
				for _, v := range x {
					m = math.Max(m, math.Abs(v))
					if m != m {
						m = 0
					}
				}
				return m
			}
		}), checkMaxAbsArgMaxAbs},
	}
	requireRejected(t, cases)
}

// wrongKernel is a deliberately broken kernel table and the property check
// that must reject it.
type wrongKernel struct {
	name  string
	k     *kernels
	check func(t *rapid.T, v variant)
}

// withGeneric returns a copy of the generic table with edit applied.
func withGeneric(edit func(k *kernels)) *kernels {
	k := genericKernels
	edit(&k)
	return &k
}

// requireRejected fails t for every broken table whose check passes.
func requireRejected(t *testing.T, cases []wrongKernel) {
	t.Helper()
	defer quietRapid(t)()
	for _, c := range cases {
		rec := &recordTB{name: t.Name() + "/" + c.name}
		rapid.Check(rec, func(t *rapid.T) { c.check(t, variant{c.name, c.k}) })
		if !rec.failed {
			t.Errorf("the properties accepted a %s", c.name)
			continue
		}
		t.Logf("%s: rejected (%s)", c.name, strings.SplitN(rec.msg, "\n", 2)[0])
	}
}

// quietRapid sets rapid's flags so that a failing check neither writes a
// fail file nor shrinks for long, and returns the function that restores
// them.
func quietRapid(t *testing.T) (restore func()) {
	var undo []func()
	for name, value := range map[string]string{"rapid.nofailfile": "true", "rapid.shrinktime": "100ms"} {
		f := flag.Lookup(name)
		if f == nil {
			t.Fatalf("rapid has no flag %s", name)
		}
		old := f.Value.String()
		if err := f.Value.Set(value); err != nil {
			t.Fatal(err)
		}
		undo = append(undo, func() { f.Value.Set(old) })
	}
	return func() {
		for _, u := range undo {
			u()
		}
	}
}

// recordTB stands in for *testing.T under rapid.Check and records a failure
// instead of failing the test.
type recordTB struct {
	name   string
	failed bool
	msg    string
}

func (r *recordTB) fail(msg string) {
	if !r.failed {
		r.msg = msg
	}
	r.failed = true
}

func (r *recordTB) Helper()                           {}
func (r *recordTB) Name() string                      { return r.name }
func (r *recordTB) Logf(string, ...any)               {}
func (r *recordTB) Log(...any)                        {}
func (r *recordTB) Skipf(string, ...any)              {}
func (r *recordTB) Skip(...any)                       {}
func (r *recordTB) SkipNow()                          {}
func (r *recordTB) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recordTB) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recordTB) Fatalf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recordTB) Fatal(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recordTB) FailNow()                          { r.failed = true }
func (r *recordTB) Fail()                             { r.failed = true }
func (r *recordTB) Failed() bool                      { return r.failed }

// Empty and nil slices: no kernel may touch memory, and the reductions
// return their documented empty values.
func TestEmpty(t *testing.T) {
	for _, v := range variants(t) {
		for _, x := range [][]float64{nil, {}, make([]float64, 8)[8:]} {
			if got := v.k.dot(x, x); got != 0 || math.Signbit(got) {
				t.Errorf("%s: dot of empty = %v", v.name, got)
			}
			if got := v.k.absSum(x); got != 0 {
				t.Errorf("%s: absSum of empty = %v", v.name, got)
			}
			if got := v.k.nrm2(x); got != 0 {
				t.Errorf("%s: nrm2 of empty = %v", v.name, got)
			}
			if got := v.k.maxAbs(x); got != 0 {
				t.Errorf("%s: maxAbs of empty = %v", v.name, got)
			}
			if got := v.k.argMaxAbs(x); got != -1 {
				t.Errorf("%s: argMaxAbs of empty = %v", v.name, got)
			}
			v.k.axpy(2, x, x)
			v.k.scal(2, x)
			v.k.sign(x, x)
			v.k.relu(x, x)
			v.k.reluMask(x, x, x)
			v.k.adam(x, x, x, x, 1, 1, 0.9, 0.999, 1e-3, 1, 1e-8)
		}
	}
}

// PeakFMA returns its documented operation count: n iterations of 12
// vector FMAs (2 flops per lane) on the SIMD levels, 0 elsewhere.
func TestPeakFMA(t *testing.T) {
	lanes := map[Level]float64{AVX2: 4, AVX512: 8}
	for _, l := range []Level{Generic, AVX2, AVX512, NEON} {
		want := 0.0
		if Supported(l) {
			want = 7 * 12 * 2 * lanes[l]
		}
		if got := PeakFMA(l, 7); got != want {
			t.Errorf("PeakFMA(%s, 7) = %v, want %v", l, got, want)
		}
		if got := PeakFMA(l, 0); got != 0 {
			t.Errorf("PeakFMA(%s, 0) = %v, want 0", l, got)
		}
	}
}

// FuzzKernels runs the exact-semantics properties under the fuzzer
// (go test -fuzz FuzzKernels ./asm/): rapid turns the fuzzer's bytes into
// drawn lengths, offsets and values. Without -fuzz it runs the seed once.
func FuzzKernels(f *testing.F) {
	vs := variants(f)
	f.Add([]byte{})
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		v := vs[rapid.IntRange(0, len(vs)-1).Draw(t, "variant")]
		switch rapid.IntRange(0, 2).Draw(t, "property") {
		case 0:
			checkMaxAbsArgMaxAbs(t, v)
		case 1:
			checkElementwise(t, v, rapid.SampledFrom(elemKernels).Draw(t, "kernel"))
		default:
			checkDot(t, v)
		}
	}))
}
