package steepest

import (
	"math"
	"testing"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// normCase draws a norm and the length of the vectors it acts on.
type normCase struct {
	name string
	draw func(t *rapid.T) (Norm, int)
	tol  float64 // relative accuracy of Value/Dual/Direction (see below)
}

func elementNorm(n Norm) func(t *rapid.T) (Norm, int) {
	return func(t *rapid.T) (Norm, int) { return n, rapid.IntRange(0, 40).Draw(t, "n") }
}

func mustLp(p float64) Lp {
	n, err := NewLp(p)
	if err != nil {
		panic(err)
	}
	return n
}

// drawLayout draws 1–3 layers of shapes up to 6×6.
func drawLayout(t *rapid.T) nn.Layout {
	k := rapid.IntRange(1, 3).Draw(t, "layers")
	var sh []nn.Shape
	for range k {
		sh = append(sh, nn.Shape{Out: rapid.IntRange(1, 6).Draw(t, "out"), In: rapid.IntRange(1, 6).Draw(t, "in")})
	}
	return nn.NewLayout(sh...)
}

// Tolerances: the element norms sum at most 40 terms of one sign
// (⟨u, g⟩ = −Σ|u_i g_i|, ‖·‖ sums), so their relative error is below
// 40·2⁻⁵³ ≈ 4.4e−15, and the ℓp ones add a few ulps per pow: 1e−12 leaves
// room. The spectral norm's σ_max comes from power iteration to relative
// 1e−13 and the polar factor from Newton–Schulz, exact to ≈ 1e−14 relative
// except for singular values below 1e−10·‖G‖_F (polar.go); 1e−9 covers both.
var normCases = []normCase{
	{"l2", elementNorm(L2{}), 1e-12},
	{"linf", elementNorm(LInf{}), 1e-12},
	{"l1", elementNorm(L1{}), 1e-12},
	{"lp1.5", elementNorm(mustLp(1.5)), 1e-12},
	{"lp3", elementNorm(mustLp(3)), 1e-12},
	{"lp7.25", elementNorm(mustLp(7.25)), 1e-12},
	{"spectral", func(t *rapid.T) (Norm, int) {
		l := drawLayout(t)
		return NewSpectral(l), l.Size()
	}, 1e-9},
	{"modular", func(t *rapid.T) (Norm, int) {
		l := drawLayout(t)
		var per []Norm
		for i := range l.Layers() {
			per = append(per, rapid.SampledFrom([]Norm{L2{}, LInf{}, L1{}, mustLp(3),
				NewSpectral(nn.NewLayout(l.Shape(i)))}).Draw(t, "layer norm"))
		}
		m, err := NewModular(l, per...)
		if err != nil {
			t.Fatal(err)
		}
		return m, l.Size()
	}, 1e-9},
}

// forEachNorm runs a property for every norm case.
func forEachNorm(t *testing.T, prop func(t *rapid.T, nrm Norm, n int, tol float64)) {
	for _, c := range normCases {
		t.Run(c.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				nrm, n := c.draw(t)
				prop(t, nrm, n, c.tol)
			})
		})
	}
}

// Steepest direction: ⟨u, g⟩ = −‖g‖_⋆ with ‖u‖ = 1 (u = 0 iff g = 0).
func TestNormDirection(t *testing.T) {
	forEachNorm(t, func(t *rapid.T, nrm Norm, n int, tol float64) {
		g := drawVec(t, n, "g")
		u := make([]float64, n)
		nrm.Direction(u, g)
		d := nrm.Dual(g)
		if asm.MaxAbs(g) == 0 {
			if asm.MaxAbs(u) != 0 || d != 0 {
				t.Fatalf("g = 0: direction %v, dual %v", u, d)
			}
			return
		}
		if ip := asm.Dot(u, g); math.Abs(ip+d) > tol*d {
			t.Fatalf("⟨u,g⟩ = %v, −‖g‖_⋆ = %v", ip, -d)
		}
		if v := nrm.Value(u); math.Abs(v-1) > tol {
			t.Fatalf("‖u‖ = %v, want 1", v)
		}
	})
}

// Hölder: ⟨x, y⟩ ≤ ‖x‖·‖y‖_⋆ (plus the dot product's rounding,
// ≤ n·2⁻⁵³·Σ|x_i y_i|, and the norms' relative tolerance).
func TestNormHolder(t *testing.T) {
	forEachNorm(t, func(t *rapid.T, nrm Norm, n int, tol float64) {
		x, y := drawVec(t, n, "x"), drawVec(t, n, "y")
		var abs float64
		for i := range x {
			abs += math.Abs(x[i] * y[i])
		}
		lhs, rhs := asm.Dot(x, y), nrm.Value(x)*nrm.Dual(y)
		if lhs > rhs*(1+2*tol)+1e-13*abs {
			t.Fatalf("⟨x,y⟩ = %v > ‖x‖‖y‖_⋆ = %v", lhs, rhs)
		}
	})
}

// The dual of the dual is the norm: the subgradient v of ‖·‖ at x lies in
// the dual unit ball (‖v‖_⋆ ≤ 1) and attains ⟨v, x⟩ = ‖x‖, so
// ‖x‖ = max{⟨v, x⟩ : ‖v‖_⋆ ≤ 1} (Hölder gives ≤).
func TestNormSubgradientDualOfDual(t *testing.T) {
	forEachNorm(t, func(t *rapid.T, nrm Norm, n int, tol float64) {
		x := drawVec(t, n, "x")
		v := make([]float64, n)
		nrm.Subgradient(v, x)
		val := nrm.Value(x)
		if val == 0 {
			return
		}
		if d := nrm.Dual(v); d > 1+tol {
			t.Fatalf("‖v‖_⋆ = %v > 1", d)
		}
		if ip := asm.Dot(v, x); math.Abs(ip-val) > tol*val {
			t.Fatalf("⟨v,x⟩ = %v, ‖x‖ = %v", ip, val)
		}
	})
}

// Unnormalized steepest step (Eq. 7): ⟨g, Δ⟩ = −‖g‖_⋆² and ‖Δ‖ = ‖g‖_⋆,
// with lr = 1, logScale = 0, from θ = 0 so that Δ = θ_new exactly. The rate
// exp(log 1) = 1 is exact.
func TestUnnormalizedStep(t *testing.T) {
	forEachNorm(t, func(t *rapid.T, nrm Norm, n int, tol float64) {
		g := drawVec(t, n, "g")
		opt, err := NewSteepest(nrm, 1, false)
		if err != nil {
			t.Fatal(err)
		}
		delta := make([]float64, n)
		if err := opt.Update(delta, g, 0); err != nil {
			t.Fatal(err)
		}
		d := nrm.Dual(g)
		if ip := asm.Dot(g, delta); math.Abs(ip+d*d) > 2*tol*d*d {
			t.Fatalf("⟨g,Δ⟩ = %v, −‖g‖_⋆² = %v", ip, -d*d)
		}
		if v := nrm.Value(delta); math.Abs(v-d) > 2*tol*d {
			t.Fatalf("‖Δ‖ = %v, ‖g‖_⋆ = %v", v, d)
		}
	})
}

// Spectral norm values against a Jacobi SVD: σ_max per layer, and the
// nuclear norm as the dual.
func TestSpectralMatchesSVD(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := drawLayout(t)
		x := drawVec(t, l.Size(), "x")
		s := NewSpectral(l)
		got := make([]float64, l.Layers())
		s.LayerNorms(got, x)
		var nucRef, maxRef float64
		for i := range l.Layers() {
			_, sv, _ := jacobiSVD(l.View(x, i))
			maxRef = max(maxRef, sv[0])
			for _, v := range sv {
				nucRef += v
			}
			// Power iteration to an extrapolated relative 1e−13, or the exact
			// Jacobi fallback; the extrapolation is an estimate, so 1e−9.
			if math.Abs(got[i]-sv[0]) > 1e-9*sv[0] {
				t.Fatalf("layer %d: σ_max = %v, SVD %v", i, got[i], sv[0])
			}
		}
		if v := s.Value(x); math.Abs(v-maxRef) > 1e-9*maxRef {
			t.Fatalf("value %v, SVD %v", v, maxRef)
		}
		// The nuclear norm from the polar factor: exact except for singular
		// values under 1e−10‖G‖_F, each contributing < 1e−10‖G‖_F.
		if d := s.Dual(x); math.Abs(d-nucRef) > 1e-12*nucRef+float64(l.Size())*1e-10*asm.Nrm2(x) {
			t.Fatalf("dual %v, SVD nuclear norm %v", d, nucRef)
		}
	})
}

// The polar factor U·Vᵀ against the SVD. Its sensitivity to rounding is
// about 1/σ_min relative to ‖G‖ (for rectangular G, 2/σ_min): the bound is
// 1e−13·‖G‖_F/σ_min per unit of ‖UVᵀ‖_F. Matrices with σ_min < 1e−6‖G‖_F are
// skipped here (the cut-off is tested below).
func TestPolarMatchesSVD(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, n := rapid.IntRange(1, 9).Draw(t, "m"), rapid.IntRange(1, 9).Draw(t, "n")
		g := tensor.DenseOf(m, n, drawVec(t, m*n, "g"))
		_, sv, _ := jacobiSVD(g)
		f := asm.Nrm2(g.Data)
		if f == 0 || sv[len(sv)-1] < 1e-6*f {
			return
		}
		ref, _ := refPolar(g, 0)
		w := newPolarWork(m, n)
		got := make([]float64, m*n)
		w.polar(got, g.Data)
		diff, size := frobDiff(got, ref.Data)
		if diff > 1e-13*(f/sv[len(sv)-1])*size*float64(m+n) {
			t.Fatalf("%d×%d: ‖polar − UVᵀ‖ = %v (‖UVᵀ‖ = %v, κ = %v, %d iterations)", m, n, diff, size, f/sv[len(sv)-1], w.iters)
		}
	})
}

// Rank-deficient G: the result is the partial isometry U_r·V_rᵀ on G's
// range. G = A·B with small-integer A (m×r), B (r×n) is exact in floating
// point, so its null space is exact; the iteration's own rounding there
// grows by 1.5 per step (polar.go), and cases with σ_r ≥ 1e−3‖G‖_F need
// ≤ 25 steps: the bound is 1e−16·1.5²⁵·(m+n) ≈ 4e−12·(m+n) plus the range
// part's 1e−13·κ·(m+n) of TestPolarMatchesSVD.
func TestPolarRankDeficient(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, n := rapid.IntRange(2, 8).Draw(t, "m"), rapid.IntRange(2, 8).Draw(t, "n")
		r := rapid.IntRange(1, min(m, n)-1).Draw(t, "rank")
		ints := func(k int, label string) []float64 {
			v := rapid.SliceOfN(rapid.IntRange(-3, 3), k, k).Draw(t, label)
			f := make([]float64, k)
			for i, x := range v {
				f[i] = float64(x)
			}
			return f
		}
		a := tensor.DenseOf(m, r, ints(m*r, "a"))
		b := tensor.DenseOf(r, n, ints(r*n, "b"))
		g := naiveMul(a, b) // exact: small integers
		f := asm.Nrm2(g.Data)
		_, sv, _ := jacobiSVD(g)
		k := 0
		for k < len(sv) && sv[k] > 1e-9*f {
			k++
		}
		if f == 0 || k == 0 || sv[k-1] < 1e-3*f {
			return // keep the cases with a clear gap between range and null space
		}
		ref, _ := refPolar(g, 1e-9)
		got := make([]float64, m*n)
		w := newPolarWork(m, n)
		w.polar(got, g.Data)
		diff, size := frobDiff(got, ref.Data)
		if diff > (1e-13*(f/sv[k-1])*size+4e-12)*float64(m+n) {
			t.Fatalf("rank %d of %d×%d: ‖polar − U_rV_rᵀ‖ = %v (%d iterations)", k, m, n, diff, w.iters)
		}
	})
}

func TestNewLpRejects(t *testing.T) {
	for _, p := range []float64{1, 0.5, -1, math.Inf(1), math.NaN()} {
		if _, err := NewLp(p); err == nil {
			t.Errorf("NewLp(%v) accepted", p)
		}
	}
}

// FuzzNormDirection runs the direction property of every norm under go
// test -fuzz (rapid.MakeFuzz turns the fuzzer's bytes into draws).
func FuzzNormDirection(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		c := rapid.SampledFrom(normCases).Draw(t, "norm")
		nrm, n := c.draw(t)
		g := drawVec(t, n, "g")
		u := make([]float64, n)
		nrm.Direction(u, g)
		if d := nrm.Dual(g); math.Abs(asm.Dot(u, g)+d) > c.tol*d {
			t.Fatalf("%s: ⟨u,g⟩ = %v, −‖g‖⋆ = %v", c.name, asm.Dot(u, g), -d)
		}
	}))
}

// The modular norm with the spectral norm in every layer is Spectral.
func TestModularSpectralIsSpectral(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := drawLayout(t)
		var per []Norm
		for i := range l.Layers() {
			per = append(per, NewSpectral(nn.NewLayout(l.Shape(i))))
		}
		m, err := NewModular(l, per...)
		if err != nil {
			t.Fatal(err)
		}
		s := NewSpectral(l)
		x := drawVec(t, l.Size(), "x")
		// Both run the same kernels on the same slices: equal to rounding of
		// the sums over layers (1e−14 relative).
		if a, b := m.Value(x), s.Value(x); !relClose(a, b, 1e-14) {
			t.Fatalf("value %v vs %v", a, b)
		}
		if a, b := m.Dual(x), s.Dual(x); !relClose(a, b, 1e-14) {
			t.Fatalf("dual %v vs %v", a, b)
		}
	})
	if _, err := NewModular(nn.NewLayout(nn.Shape{Out: 1, In: 2}, nn.Shape{Out: 1, In: 1}), L2{}, L1{}, LInf{}); err == nil {
		t.Error("NewModular accepted 3 norms for 2 layers")
	}
}
