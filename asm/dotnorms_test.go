package asm

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// fatalf is what the DotNorms checks need from *testing.T and *rapid.T.
type fatalf interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkDotNormsOn compares one level's DotNorms on x, y with the separate
// kernels' meanings: the references restate them independently (refMaxAbs,
// refNrm2) or are the generic twins that TestDot, TestAbsSum check.
//   - ℓ∞: exact (a maximum has no rounding), against refMaxAbs and against
//     the same level's MaxAbs;
//   - ℓ1 and the dot product: sums in another order, closeSum's bound
//     2(n+1)ε·Σ|terms| (plus n·2^-1074 for products in the subnormals); NaN exactly where a term is NaN (x_i NaN, or for
//     the dot product x_i·y_i NaN: NaN or 0·Inf); where Σ|terms| overflows
//     the order decides between ±Inf, NaN and a finite value: not checked;
//   - ℓ2: TestNrm2's bound against refNrm2, (n+4)ε relative plus 2^-1070
//     (sum of n non-negative terms, the square root, the scaling of the
//     safe pass, subnormal elements' lost low bits); NaN and ±Inf exactly.
func checkDotNormsOn(t fatalf, v variant, x, y []float64) {
	t.Helper()
	n := len(x)
	x0, y0 := clone(x), clone(y)
	dot, nx, ny := v.k.dotNorms(x, y)
	if !sameFloats(x, x0) || !sameFloats(y, y0) {
		t.Fatalf("%s changed its inputs", v.name)
	}
	var mag float64
	nanProduct := false
	for i := range x {
		p := x[i] * y[i]
		mag += math.Abs(p)
		nanProduct = nanProduct || p != p
	}
	// Products of tiny slices fall into the subnormals, where each rounds by
	// up to 2^-1075 absolute (not relative) in the reference, and not at all
	// in a fused multiply-add either: 2n·2^-1075 = n·2^-1074 for both.
	want := dotGeneric(x, y)
	underflow := !nanProduct && math.Abs(dot-want) <= 2*float64(n+1)*eps*mag+float64(n)*0x1p-1074
	if !underflow && !closeSum(dot, want, mag, n, nanProduct) {
		t.Fatalf("%s dot: n=%d got %v want %v (Σ|xy| = %v)", v.name, n, dot, want, mag)
	}
	for _, c := range []struct {
		name string
		x    []float64
		got  Norms
	}{{"x", x, nx}, {"y", y, ny}} {
		if want := absSumGeneric(c.x); !closeSum(c.got.L1, want, want, n, hasNaN(c.x)) {
			t.Fatalf("%s ℓ1(%s): n=%d got %v want %v", v.name, c.name, n, c.got.L1, want)
		}
		if want := refMaxAbs(c.x); !sameFloat(c.got.Linf, want) {
			t.Fatalf("%s ℓ∞(%s): n=%d got %v want %v", v.name, c.name, n, c.got.Linf, want)
		}
		if want := v.k.maxAbs(c.x); !sameFloat(c.got.Linf, want) {
			t.Fatalf("%s ℓ∞(%s): n=%d got %v, the level's MaxAbs %v", v.name, c.name, n, c.got.Linf, want)
		}
		want := refNrm2(c.x)
		if math.IsNaN(want) || math.IsInf(want, 0) {
			if !sameFloat(c.got.L2, want) {
				t.Fatalf("%s ℓ2(%s): n=%d got %v want %v", v.name, c.name, n, c.got.L2, want)
			}
		} else if !nrm2Agrees(c.got.L2, want, n) {
			t.Fatalf("%s ℓ2(%s): n=%d got %v want %v (rel %g)", v.name, c.name, n, c.got.L2, want, math.Abs(c.got.L2-want)/want)
		}
	}
}

// sameFloat is the rule of the comparer same (bitwise up to NaN payloads)
// without cmp's reflection, which dominated TestDotNormsEveryPosition.
func sameFloat(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || a != a && b != b
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameFloat(a[i], b[i]) {
			return false
		}
	}
	return true
}

// checkDotNorms draws lengths (every length near the unroll boundaries
// often: 16, 8 and 4 pairs per iteration), offsets, special values, and
// scales each slice to the edges of the range sometimes, so that ℓ2 takes
// its safe pass.
func checkDotNorms(t *rapid.T, v variant) {
	special := rapid.Bool().Draw(t, "special")
	n := drawLen(t)
	x, _ := drawVec(t, "x", n, special)
	y, _ := drawVec(t, "y", n, special)
	scales := []float64{1, 1, 1e-300, 1e300, 0x1p-1060, 0x1p+1000}
	sx, sy := rapid.SampledFrom(scales).Draw(t, "scale.x"), rapid.SampledFrom(scales).Draw(t, "scale.y")
	for i := range x {
		x[i] *= sx
		y[i] *= sy
	}
	checkDotNormsOn(t, v, x, y)
}

func TestDotNorms(t *testing.T) {
	for _, v := range variants(t) {
		rapid.Check(t, func(t *rapid.T) { checkDotNorms(t, v) })
	}
}

// Every length up to 4 iterations of the widest loop + 3 (16 pairs, AVX-512)
// at two alignments, with a special element at every position in turn: a
// position the loops or tails skip or read twice shows up in ℓ∞ (a unique
// maximum there), in a NaN (x's or y's norms, the dot product), in an Inf,
// or in ℓ2's safe pass (3e200 squared overflows; all-tiny slices).
func TestDotNormsEveryPosition(t *testing.T) {
	for _, v := range variants(t) {
		for n := 0; n <= 4*16+3; n++ {
			for off := range 2 {
				for p := range n {
					for _, s := range [][2]float64{{-1e6, math.NaN()}, {math.NaN(), math.Inf(-1)}, {math.Inf(1), 3e200}, {5e-324, -0x1p-600}} {
						bx, by := make([]float64, off+n), make([]float64, off+n)
						x, y := bx[off:], by[off:]
						for i := range x {
							x[i] = float64(i%7-3) * 0.25
							y[i] = float64(i%5-2) * 0.5
						}
						x[p], y[p] = s[0], s[1]
						if s[0] == 5e-324 { // all tiny: the safe ℓ2 pass of both
							for i := range x {
								x[i] *= 0x1p-1070
								y[i] *= 0x1p-600
							}
						}
						checkDotNormsOn(t, v, x, y)
					}
				}
			}
		}
	}
}

// The empty slices give 0 everywhere, +0 for the dot product.
func TestDotNormsEmpty(t *testing.T) {
	for _, v := range variants(t) {
		for _, x := range [][]float64{nil, {}, make([]float64, 8)[8:]} {
			dot, nx, ny := v.k.dotNorms(x, x)
			if dot != 0 || math.Signbit(dot) || nx != (Norms{}) || ny != (Norms{}) {
				t.Errorf("%s: DotNorms of empty = %v %v %v", v.name, dot, nx, ny)
			}
		}
	}
}

// The exported function routes through the active table and cuts y to
// len(x).
func TestDotNormsExported(t *testing.T) {
	defer setLevel(Active())
	x := []float64{3, -4, 0, 1}
	y := []float64{1, 1, -1, 1, 99}
	for _, l := range Available() {
		if err := SetLevel(l); err != nil {
			t.Fatal(err)
		}
		dot, nx, ny := DotNorms(x, y)
		if dot != 0 || nx != (Norms{8, math.Sqrt(26), 4}) || ny != (Norms{4, 2, 1}) {
			t.Errorf("%s DotNorms = %v %v %v", l, dot, nx, ny)
		}
	}
}

// The properties can fail: each kernel below breaks one rule the way a
// fused kernel plausibly would, and checkDotNorms must reject it.
func TestDotNormsCatchesWrongKernels(t *testing.T) {
	withDotNorms := func(f func(x, y []float64) (float64, Norms, Norms)) *kernels {
		return withGeneric(func(k *kernels) { k.dotNorms = f })
	}
	cases := []wrongKernel{
		{"dotNorms that drops the scalar tail", withDotNorms(func(x, y []float64) (float64, Norms, Norms) {
			m := len(x) &^ 3
			return dotNormsGeneric(x[:m], y[:m])
		}), checkDotNorms},
		{"ℓ2 as the plain √Σx² (no safe pass)", withDotNorms(func(x, y []float64) (float64, Norms, Norms) {
			dot, nx, ny := dotNormsGeneric(x, y)
			_, _, ssqx, _, _, ssqy, _ := dotNormsSumsGeneric(x, y)
			nx.L2, ny.L2 = math.Sqrt(ssqx), math.Sqrt(ssqy)
			return dot, nx, ny
		}), checkDotNorms},
		{"ℓ∞ that skips NaN (no NaN rule)", withDotNorms(func(x, y []float64) (float64, Norms, Norms) {
			dot, nx, ny := dotNormsGeneric(x, y)
			_, _, _, maxx, _, _, maxy := dotNormsSumsGeneric(x, y)
			nx.Linf, ny.Linf = maxx, maxy
			return dot, nx, ny
		}), checkDotNorms},
		{"dot product of x with itself", withDotNorms(func(x, y []float64) (float64, Norms, Norms) {
			_, nx, ny := dotNormsGeneric(x, y)
			return dotGeneric(x, x), nx, ny
		}), checkDotNorms},
	}
	requireRejected(t, cases)
}

// FuzzDotNorms runs the DotNorms property under the fuzzer
// (go test -fuzz FuzzDotNorms ./asm/); without -fuzz it runs the seed once.
func FuzzDotNorms(f *testing.F) {
	vs := variants(f)
	f.Add([]byte{})
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		checkDotNorms(t, vs[rapid.IntRange(0, len(vs)-1).Draw(t, "variant")])
	}))
}

// BenchmarkDotNorms times the fused pass on every path; b.SetBytes counts
// the 16 bytes per element it must read. BenchmarkDotNormsSeparate runs the
// seven separate kernels it replaces (Dot, then AbsSum, Nrm2, MaxAbs of x
// and of y) under the same names and byte count, so MB/s compare directly
// and the ns/op ratio is the speed-up (same run, same machine load).
func BenchmarkDotNorms(b *testing.B) {
	benchKernel(b, 16, func(k *kernels, n int) {
		sinkF, _, _ = k.dotNorms(benchBuf.x[:n], benchBuf.y[:n])
	})
}

func BenchmarkDotNormsSeparate(b *testing.B) {
	benchKernel(b, 16, func(k *kernels, n int) {
		x, y := benchBuf.x[:n], benchBuf.y[:n]
		sinkF = k.dot(x, y) + k.absSum(x) + k.nrm2(x) + k.maxAbs(x) + k.absSum(y) + k.nrm2(y) + k.maxAbs(y)
	})
}
