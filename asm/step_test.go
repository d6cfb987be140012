package asm

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// drawRate draws the step's coefficient a: ordinary rates of either sign,
// powers of two, and with special set anything drawFloat gives (±0, ±Inf,
// NaN, subnormals, ±MaxFloat64).
func drawRate(t *rapid.T, special bool) float64 {
	ordinary := rapid.OneOf(rapid.Float64Range(-1, 1), rapid.SampledFrom([]float64{-1e-3, 1e-3, -0x1p-10, 0x1p-10, -1, 1}))
	if !special {
		return ordinary.Draw(t, "a")
	}
	return rapid.OneOf(ordinary, drawFloat(true)).Draw(t, "a")
}

// stepKernel is a fused step (SignStep or AxpyStep) with the θ it must
// produce, given the same level's table.
type stepKernel struct {
	name string
	get  func(k *kernels) func(a float64, g, theta []float64) (float64, float64)
	// want writes the expected θ into theta, on level k.
	want func(k *kernels, a float64, g, theta []float64)
}

var stepKernels = []stepKernel{
	{"SignStep", func(k *kernels) func(float64, []float64, []float64) (float64, float64) { return k.signStep },
		// a·sign(g_i) ∈ {±a, ±0·a, NaN} is exact, so θ_i + a·sign(g_i) has
		// one rounding however a level evaluates it (fused or not): every
		// level must match this bitwise.
		func(_ *kernels, a float64, g, theta []float64) {
			for i := range g {
				theta[i] += float64(a * refSign(g[i]))
			}
		}},
	{"AxpyStep", func(k *kernels) func(float64, []float64, []float64) (float64, float64) { return k.axpyStep },
		// The rounding of the same level's Axpy, bitwise (TestScalAxpy checks
		// Axpy against the arithmetic).
		func(k *kernels, a float64, g, theta []float64) { k.axpy(a, g, theta) }},
}

func TestSteps(t *testing.T) {
	for _, v := range variants(t) {
		for _, sk := range stepKernels {
			rapid.Check(t, func(t *rapid.T) { checkStep(t, v, sk) })
		}
	}
}

// checkStep runs a fused step on a guarded θ (or on θ = g itself) and
// compares θ with the kernel's meaning and both maxima with refMaxAbs of
// g and of the θ it produced, exactly (a maximum is exact and NaN must
// propagate).
func checkStep(t *rapid.T, v variant, sk stepKernel) {
	n := drawLen(t)
	special := rapid.Bool().Draw(t, "special")
	a := drawRate(t, special)
	g, gbuf := drawVec(t, "g", n, special)
	theta, buf := drawVec(t, "theta", n, special)
	alias := rapid.IntRange(0, 9).Draw(t, "alias") == 0
	if alias {
		theta, buf = g, gbuf
	}
	off := len(buf) - 8 - n
	g0 := clone(g)
	want := clone(theta)
	sk.want(v.k, a, g0, want)
	maxG, maxT := sk.get(v.k)(a, g, theta)
	checkGuards(t, v.name+" "+sk.name, buf, off, n)
	if !cmp.Equal(theta, want, same) {
		t.Fatalf("%s %s: n=%d a=%v alias=%v\n got %v\nwant %v\n   g %v", v.name, sk.name, n, a, alias, theta, want, g0)
	}
	if !alias && !cmp.Equal(g, g0, same) {
		t.Fatalf("%s %s changed g", v.name, sk.name)
	}
	if w := refMaxAbs(g0); !cmp.Equal(maxG, w, same) {
		t.Fatalf("%s %s: n=%d max|g| = %v, want %v", v.name, sk.name, n, maxG, w)
	}
	if w := refMaxAbs(want); !cmp.Equal(maxT, w, same) {
		t.Fatalf("%s %s: n=%d max|θ| = %v, want %v", v.name, sk.name, n, maxT, w)
	}
}

// A NaN or an Inf in any single position (every lane, the vector and
// scalar tails) must reach the maxima, whatever the other elements are.
func TestStepsNonFinite(t *testing.T) {
	bad := []float64{math.NaN(), math.Float64frombits(0xfff8000000000001), math.Inf(1), math.Inf(-1)}
	for _, v := range variants(t) {
		for _, sk := range stepKernels {
			for _, n := range []int{1, 3, 4, 7, 8, 9, 15, 16, 17, 33, 100} {
				for p := range n {
					for _, b := range bad {
						for _, where := range []string{"g", "theta"} {
							g, theta := make([]float64, n), make([]float64, n)
							for i := range g {
								g[i], theta[i] = float64(i%5)-2, float64(i%3)-1
							}
							if where == "g" {
								g[p] = b
							} else {
								theta[p] = b
							}
							maxG, maxT := sk.get(v.k)(0.5, g, theta)
							wantG, wantT := 2.0, math.Abs(b)
							if where == "g" {
								wantG = math.Abs(b)
								wantT = refMaxAbs(theta) // θ_p = θ_p ± 0.5 or NaN
							}
							if !cmp.Equal(maxG, wantG, same) || !cmp.Equal(maxT, wantT, same) {
								t.Fatalf("%s %s: n=%d %s[%d] = %v: maxima %v, %v, want %v, %v", v.name, sk.name, n, where, p, b, maxG, maxT, wantG, wantT)
							}
						}
					}
				}
			}
		}
	}
}

func TestAdamStep(t *testing.T) {
	for _, v := range variants(t) {
		rapid.Check(t, func(t *rapid.T) { checkAdamStep(t, v) })
	}
}

// checkAdamStep: AdamStep with rescaling factors r1, r2 equals Scal(r1, m),
// Scal(r2, v) and the plain Adam update (r = 1) on the same level bitwise
// (the same operations, each rounded on its own), for any input including
// special values; its maxima equal refMaxAbs of the m, v and θ it wrote.
// TestAdam checks the plain update against torch's formula.
func checkAdamStep(t *rapid.T, v variant) {
	n := drawLen(t)
	special := rapid.Bool().Draw(t, "special")
	theta, tbuf := drawVec(t, "theta", n, special)
	m, _ := drawVec(t, "m", n, special)
	vv, _ := drawVec(t, "v", n, special)
	for i := range vv {
		vv[i] = math.Abs(vv[i])
	}
	g, _ := drawVec(t, "g", n, special)
	for i := range g {
		if rapid.IntRange(0, 9).Draw(t, "zero") == 0 {
			g[i], m[i], vv[i] = 0, 0, 0
		}
	}
	r1 := rapid.SampledFrom([]float64{1, 0.5, 3, 1e-300, 1e300, rapid.Float64Range(0, 4).Draw(t, "r")}).Draw(t, "r1")
	r2 := rapid.SampledFrom([]float64{1, r1 * r1, rapid.Float64Range(0, 16).Draw(t, "rr")}).Draw(t, "r2")
	beta1 := rapid.SampledFrom([]float64{0, 0.9, rapid.Float64Range(0, 1).Draw(t, "b1")}).Draw(t, "beta1")
	beta2 := rapid.SampledFrom([]float64{0, 0.99, 0.999, rapid.Float64Range(0, 1).Draw(t, "b2")}).Draw(t, "beta2")
	epsA := rapid.SampledFrom([]float64{0, 1e-8, 1e-2, math.Inf(1)}).Draw(t, "eps")
	step := rapid.Float64Range(1e-6, 1).Draw(t, "step")
	bc2 := rapid.Float64Range(1e-3, 1).Draw(t, "sqrtBC2")

	off := len(tbuf) - 8 - n
	t2, m2, v2 := clone(theta), clone(m), clone(vv)
	v.k.scal(r1, m2)
	v.k.scal(r2, v2)
	v.k.adam(t2, m2, v2, g, 1, 1, beta1, beta2, step, bc2, epsA)
	g0 := clone(g)
	maxM, maxV, maxT := v.k.adam(theta, m, vv, g, r1, r2, beta1, beta2, step, bc2, epsA)
	checkGuards(t, v.name+" AdamStep", tbuf, off, n)
	if !cmp.Equal(g, g0, same) {
		t.Fatalf("%s AdamStep changed g", v.name)
	}
	for _, c := range []struct {
		name      string
		got, want []float64
		max       float64
	}{{"θ", theta, t2, maxT}, {"m", m, m2, maxM}, {"v", vv, v2, maxV}} {
		if !cmp.Equal(c.got, c.want, same) {
			t.Fatalf("%s AdamStep: n=%d r1=%v r2=%v %s\n got %v\nwant %v", v.name, n, r1, r2, c.name, c.got, c.want)
		}
		if w := refMaxAbs(c.want); !cmp.Equal(c.max, w, same) {
			t.Fatalf("%s AdamStep: n=%d max|%s| = %v, want %v", v.name, n, c.name, c.max, w)
		}
	}
}

// Empty slices: nothing is touched and the maxima are 0.
func TestStepsEmpty(t *testing.T) {
	for _, v := range variants(t) {
		for _, x := range [][]float64{nil, {}, make([]float64, 8)[8:]} {
			for _, sk := range stepKernels {
				if mg, mt := sk.get(v.k)(2, x, x); mg != 0 || mt != 0 || math.Signbit(mg) || math.Signbit(mt) {
					t.Errorf("%s %s of empty = %v, %v", v.name, sk.name, mg, mt)
				}
			}
			if a, b, c := v.k.adam(x, x, x, x, 2, 4, 0.9, 0.999, 1e-3, 1, 1e-8); a != 0 || b != 0 || c != 0 {
				t.Errorf("%s AdamStep of empty = %v, %v, %v", v.name, a, b, c)
			}
		}
	}
}

// The exported functions route through the active table and cut θ (and
// m, v, g for AdamStep) to the first slice's length.
func TestStepsExported(t *testing.T) {
	defer setLevel(Active())
	for _, l := range Available() {
		if err := SetLevel(l); err != nil {
			t.Fatal(err)
		}
		theta := []float64{1, 1, 1, 7}
		if mg, mt := SignStep(-0.5, []float64{3, -4, 0}, theta); mg != 4 || mt != 1.5 || theta[0] != 0.5 || theta[1] != 1.5 || theta[2] != 1 || theta[3] != 7 {
			t.Errorf("%s SignStep: θ = %v, maxima %v, %v", l, theta, mg, mt)
		}
		if mg, mt := AxpyStep(2, []float64{1, -0.25}, theta); mg != 1 || mt != 2.5 || theta[0] != 2.5 || theta[1] != 1 || theta[3] != 7 {
			t.Errorf("%s AxpyStep: θ = %v, maxima %v, %v", l, theta, mg, mt)
		}
		// From m = v = 0, β1 = 0.5, β2 = 0.75, g = −2: m' = −1, v' = 1,
		// d = √1/0.5 = 2, θ = 1 − 0.5·(−1/2) = 1.25 (all exact).
		th, m, v := []float64{1}, []float64{0, 9}, []float64{0, 9}
		if mm, mv, mt := AdamStep(th, m, v, []float64{-2, 5}, 1, 1, 0.5, 0.75, 0.5, 0.5, 0); th[0] != 1.25 || mm != 1 || mv != 1 || mt != 1.25 || m[1] != 9 || v[1] != 9 {
			t.Errorf("%s AdamStep: θ = %v, m = %v, v = %v, maxima %v %v %v", l, th, m, v, mm, mv, mt)
		}
	}
}

// The step properties can fail: each table breaks one rule the way a fused
// kernel plausibly would, and the same property must reject it.
func TestStepPropertiesCatchWrongKernels(t *testing.T) {
	sign, axpy := stepKernels[0], stepKernels[1]
	cases := []wrongKernel{
		{"signStep whose max|θ| is taken before the update", withGeneric(func(k *kernels) {
			k.signStep = func(a float64, g, theta []float64) (float64, float64) {
				mt := maxAbsGeneric(theta)
				mg, _ := signStepGeneric(a, g, theta)
				return mg, mt
			}
		}), func(t *rapid.T, v variant) { checkStep(t, v, sign) }},
		{"axpyStep whose maxima skip NaN", withGeneric(func(k *kernels) {
			k.axpyStep = func(a float64, g, theta []float64) (float64, float64) {
				axpyGeneric(a, g, theta)
				var mg, mt float64
				for i := range g {
					mg, mt = math.Max(mg, math.Abs(g[i])), math.Max(mt, math.Abs(theta[i]))
				}
				return mg, mt
			}
		}), func(t *rapid.T, v variant) { checkStep(t, v, axpy) }},
		{"axpyStep that drops the last element", withGeneric(func(k *kernels) {
			k.axpyStep = func(a float64, g, theta []float64) (float64, float64) {
				if len(g) > 0 {
					g = g[:len(g)-1]
				}
				return axpyStepGeneric(a, g, theta[:len(g)])
			}
		}), func(t *rapid.T, v variant) { checkStep(t, v, axpy) }},
		{"adamStep that rescales with c1 = β1·r1", withGeneric(func(k *kernels) {
			k.adam = func(theta, m, v, g []float64, r1, r2, beta1, beta2, step, bc2, eps float64) (float64, float64, float64) {
				return adamGeneric(theta, m, v, g, 1, 1, beta1*r1, beta2*r2, step, bc2, eps)
			}
		}), checkAdamStep},
	}
	requireRejected(t, cases)
}

// FuzzSteps runs the fused-step properties under the fuzzer
// (go test -fuzz FuzzSteps ./asm/).
func FuzzSteps(f *testing.F) {
	vs := variants(f)
	f.Add([]byte{})
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		v := vs[rapid.IntRange(0, len(vs)-1).Draw(t, "variant")]
		if rapid.Bool().Draw(t, "adam") {
			checkAdamStep(t, v)
			return
		}
		checkStep(t, v, rapid.SampledFrom(stepKernels).Draw(t, "kernel"))
	}))
}
