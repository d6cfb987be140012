package steepest

import (
	"math"
	"strings"
	"testing"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"pgregory.net/rapid"
)

// ulpClose reports |a − b| ≤ k ulps of max(|a|, |b|).
func ulpClose(a, b float64, k float64) bool {
	return math.Abs(a-b) <= k*0x1p-52*math.Max(math.Abs(a), math.Abs(b))
}

func drawLR(t *rapid.T) float64 {
	return rapid.SampledFrom([]float64{1, 0.5, 6e-3, 0.1, 3}).Draw(t, "lr")
}

// The exact special cases of steepest descent, against direct formulas.
// GD: θ − η·e^s·g, with η·e^s formed as exp(log η + s) (≤ 4 ulps from η·e^s
// when s = 0; the Axpy kernel may fuse the multiply-add, so each coordinate
// is compared to 2 ulps of the larger of |θ_i| and |c·g_i|).
func TestGDStep(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 30).Draw(t, "n")
		theta, g := drawVec(t, n, "theta"), drawVec(t, n, "g")
		s := rapid.Float64Range(-50, 5).Draw(t, "logScale")
		lr := drawLR(t)
		opt, err := NewGD(lr)
		if err != nil {
			t.Fatal(err)
		}
		got := append([]float64(nil), theta...)
		if err := opt.Update(got, g, s); err != nil {
			t.Fatal(err)
		}
		c := math.Exp(math.Log(lr) + s)
		for i := range theta {
			want := theta[i] - c*g[i]
			if math.Abs(got[i]-want) > 0x1p-51*math.Max(math.Abs(theta[i]), math.Abs(c*g[i])) {
				t.Fatalf("θ[%d] = %v, want %v", i, got[i], want)
			}
		}
	})
}

// SD and CD: normalized steps move by exactly ±η (η = exp(log lr), which is
// the rate the optimizer holds); zero gradients do not move; CD moves only
// the first index of max|g_i|. Unnormalized: by η·‖g‖₁ (SD) and η·g_k (CD),
// compared to 8 ulps (the rate is exp(log η + s) times a norm).
func TestSignAndCoordinateSteps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 30).Draw(t, "n")
		theta, g := drawVec(t, n, "theta"), drawVec(t, n, "g")
		lr := drawLR(t)
		normalized := rapid.Bool().Draw(t, "normalized")
		eta := math.Exp(math.Log(lr))
		sd, _ := NewSD(lr, normalized)
		cd, _ := NewCD(lr, normalized)
		gotSD := append([]float64(nil), theta...)
		gotCD := append([]float64(nil), theta...)
		if err := sd.Update(gotSD, g, 0); err != nil {
			t.Fatal(err)
		}
		if err := cd.Update(gotCD, g, 0); err != nil {
			t.Fatal(err)
		}
		var l1 float64
		k, best := -1, 0.0
		for i, v := range g {
			l1 += math.Abs(v)
			if math.Abs(v) > best {
				k, best = i, math.Abs(v)
			}
		}
		for i := range theta {
			sign := 0.0
			if g[i] > 0 {
				sign = 1
			} else if g[i] < 0 {
				sign = -1
			}
			if normalized {
				if want := theta[i] - eta*sign; gotSD[i] != want {
					t.Fatalf("SD θ[%d] = %v, want %v", i, gotSD[i], want)
				}
			} else if want := theta[i] - eta*l1*sign; !ulpClose(gotSD[i], want, 8) && math.Abs(gotSD[i]-want) > 8*0x1p-52*eta*l1 {
				t.Fatalf("SD θ[%d] = %v, want %v", i, gotSD[i], want)
			}
			want := theta[i]
			if i == k {
				if normalized {
					want -= eta * sign
				} else {
					want -= eta * g[i]
				}
			}
			if gotCD[i] != want && !(i == k && !normalized && math.Abs(gotCD[i]-want) <= 8*0x1p-52*math.Max(math.Abs(want), eta*best)) {
				t.Fatalf("CD θ[%d] = %v, want %v (k = %d)", i, gotCD[i], want, k)
			}
		}
	})
}

// Adam with β1 = β2 = 0 and ε = 0 is normalized sign descent, step for step
// and bit for bit (paper.md App. C.1): m = g, v = g², √v = |g| exactly when
// g² is a normal float, so m/√v = ±1. Gradients are drawn with |g_i| in
// [1e−150, 1e150] or 0, and with a different log-scale each step.
func TestAdamZeroBetasIsSignDescent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 20).Draw(t, "n")
		theta := drawVec(t, n, "theta")
		lr := drawLR(t)
		adam, err := NewAdam(n, lr, 0, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		sd, _ := NewSD(lr, true)
		a := append([]float64(nil), theta...)
		b := append([]float64(nil), theta...)
		mag := rapid.OneOf(rapid.Float64Range(1e-150, 1e-100), rapid.Float64Range(1e-3, 1e3),
			rapid.Float64Range(1e100, 1e150), rapid.Just(0.0))
		for step := range rapid.IntRange(1, 6).Draw(t, "steps") {
			g := make([]float64, n)
			for i := range g {
				g[i] = mag.Draw(t, "g")
				if rapid.Bool().Draw(t, "neg") {
					g[i] = -g[i]
				}
			}
			s := rapid.Float64Range(-800, 10).Draw(t, "logScale")
			if err := adam.Update(a, g, s); err != nil {
				t.Fatal(err)
			}
			if err := sd.Update(b, g, s); err != nil {
				t.Fatal(err)
			}
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("step %d: adam θ[%d] = %v, sign descent %v", step, i, a[i], b[i])
				}
			}
		}
	})
}

// Adam against a direct transcription of torch.optim.Adam on the TRUE
// gradient e^s·g (no frame), over several steps with changing scales. The
// frame rescales m by e^{F−s} (one rounding per step), so agreement is to a
// relative 1e−12 of the step size per coordinate (a few ulps per step,
// amplified by at most 1/(1−β) in the moments).
func TestAdamMatchesTorchFormula(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "n")
		lr := drawLR(t)
		b1 := rapid.SampledFrom([]float64{0, 0.9, 0.5}).Draw(t, "beta1")
		b2 := rapid.SampledFrom([]float64{0, 0.99, 0.999}).Draw(t, "beta2")
		eps := rapid.SampledFrom([]float64{0, 1e-8, 1e-2}).Draw(t, "eps")
		theta := drawModerate(t, n, "theta")
		adam, err := NewAdam(n, lr, b1, b2, eps)
		if err != nil {
			t.Fatal(err)
		}
		got := append([]float64(nil), theta...)
		want := append([]float64(nil), theta...)
		m, v := make([]float64, n), make([]float64, n)
		eta := math.Exp(math.Log(lr))
		for step := 1; step <= rapid.IntRange(1, 6).Draw(t, "steps"); step++ {
			g := drawModerate(t, n, "g")
			s := rapid.Float64Range(-6, 3).Draw(t, "logScale")
			if err := adam.Update(got, g, s); err != nil {
				t.Fatal(err)
			}
			bc1 := 1 - math.Pow(b1, float64(step))
			bc2 := 1 - math.Pow(b2, float64(step))
			for i := range want {
				gt := math.Exp(s) * g[i]
				m[i] = b1*m[i] + (1-b1)*gt
				v[i] = b2*v[i] + (1-b2)*gt*gt
				den := math.Sqrt(v[i])/math.Sqrt(bc2) + eps
				if den != 0 {
					want[i] -= eta / bc1 * m[i] / den
				}
			}
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-12*(math.Abs(want[i])+eta*float64(step)/bc1) {
					t.Fatalf("step %d θ[%d]: %v, torch formula %v", step, i, got[i], want[i])
				}
			}
		}
	})
}

// drawModerate draws n floats that are 0 or of magnitude in [1e−60, 10], so
// that squares (and Adam's second moments) are normal floats.
func drawModerate(t *rapid.T, n int, label string) []float64 {
	gen := rapid.OneOf(rapid.Float64Range(-10, 10).Filter(func(x float64) bool { return x == 0 || math.Abs(x) >= 1e-60 }),
		rapid.Just(0.0))
	return rapid.SliceOfN(gen, n, n).Draw(t, label)
}

// Adam with ε > 0 must feel the true gradient scale: at logScale −700 the
// true gradient (~1e−304) is far below ε = 1e−8, so θ barely moves, whereas
// with ε = 0 the step is scale-invariant (a full η per coordinate).
func TestAdamScale(t *testing.T) {
	g := []float64{1, -2, 0.5}
	for _, eps := range []float64{0, 1e-8} {
		a, _ := NewAdam(3, 0.1, 0.9, 0.99, eps)
		th := make([]float64, 3)
		if err := a.Update(th, g, -700); err != nil {
			t.Fatal(err)
		}
		move := asm.MaxAbs(th)
		if eps == 0 && math.Abs(move-0.1) > 1e-15 {
			t.Errorf("ε = 0: moved %v, want 0.1", move)
		}
		if eps > 0 && move > 1e-290 {
			t.Errorf("ε = 1e−8: moved %v, want ≈ 0.1·1e−304/1e−8", move)
		}
	}
}

// Checkpointing: State/SetState resume Adam exactly.
func TestAdamStateRoundTrip(t *testing.T) {
	a, _ := NewAdam(4, 0.01, 0.9, 0.99, 1e-8)
	th := []float64{1, 2, 3, 4}
	g1, g2 := []float64{0.1, -0.2, 0.3, 0}, []float64{-1, 2, 0.5, 0.25}
	if err := a.Update(th, g1, -3); err != nil {
		t.Fatal(err)
	}
	var saved [][]float64
	for _, part := range a.State() {
		saved = append(saved, append([]float64(nil), part...))
	}
	th2 := append([]float64(nil), th...)
	if err := a.Update(th, g2, -4); err != nil {
		t.Fatal(err)
	}
	b, _ := NewAdam(4, 0.01, 0.9, 0.99, 1e-8)
	if err := b.SetState(saved); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(th2, g2, -4); err != nil {
		t.Fatal(err)
	}
	for i := range th {
		if th[i] != th2[i] {
			t.Fatalf("resumed θ[%d] = %v, uninterrupted %v", i, th2[i], th[i])
		}
	}
	if err := b.SetState(saved[:2]); err == nil {
		t.Error("SetState accepted a truncated state")
	}
}

// Bad input is an error, not a panic. Mismatched lengths leave θ
// unchanged everywhere; a non-finite gradient leaves it unchanged where
// the gradient is checked before the step, and makes θ unspecified (the
// documented contract of Optimizer.Update) where it is checked in the
// fused pass: GD, normalized sign descent, Adam.
func TestUpdateRejectsBadGradients(t *testing.T) {
	lay := nn.NewLayout(nn.Shape{Out: 2, In: 2})
	gd, _ := NewGD(0.1)
	sd, _ := NewSD(0.1, true)
	sdu, _ := NewSD(0.1, false)
	cd, _ := NewCD(0.1, true)
	ad, _ := NewAdam(4, 0.1, 0.9, 0.99, 1e-8)
	sh, _ := NewShampoo(lay, 0.1, 1e-4)
	sp, _ := NewSpectralDescent(lay, 0.1, true)
	inPass := map[Optimizer]bool{gd: true, sd: true, ad: true}
	for _, o := range []Optimizer{gd, sd, sdu, cd, ad, sh, sp} {
		for _, g := range [][]float64{{1, math.NaN(), 0, 0}, {math.Inf(1), 0, 0, 0}, {1, 2, 3}} {
			th := []float64{1, 2, 3, 4}
			err := o.Update(th, g, 0)
			if err == nil {
				t.Errorf("%s accepted gradient %v", o.Name(), g)
			}
			if (len(g) != len(th) || !inPass[o]) && (th[0] != 1 || th[3] != 4) {
				t.Errorf("%s changed θ on error", o.Name())
			}
			if p, ok := o.(ParamMaxAbser); ok {
				if _, known := p.ParamMaxAbs(); known {
					t.Errorf("%s reports ‖θ‖∞ after a failed step", o.Name())
				}
			}
		}
	}
	if _, err := NewGD(0); err == nil {
		t.Error("NewGD(0) accepted")
	}
	if _, err := NewAdam(3, 0.1, 1, 0.9, 0); err == nil {
		t.Error("β1 = 1 accepted")
	}
}

// Spectral descent, normalized: W −= η·U·Vᵀ per layer, against the SVD
// (same bound as TestPolarMatchesSVD: 1e−13·κ·(m+n) relative).
func TestSpectralStepMatchesSVD(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := drawLayout(t)
		g := drawVec(t, l.Size(), "g")
		opt, _ := NewSpectralDescent(l, 1, true)
		delta := make([]float64, l.Size())
		if err := opt.Update(delta, g, 0); err != nil {
			t.Fatal(err)
		}
		for i := range l.Layers() {
			gl := l.View(g, i)
			_, sv, _ := jacobiSVD(gl)
			f := asm.Nrm2(gl.Data)
			if f == 0 || sv[len(sv)-1] < 1e-6*f {
				continue
			}
			ref, _ := refPolar(gl, 0)
			asm.Scal(-1, ref.Data)
			diff, size := frobDiff(l.View(delta, i).Data, ref.Data)
			sh := l.Shape(i)
			if diff > 1e-13*(f/sv[len(sv)-1])*size*float64(sh.Out+sh.In) {
				t.Fatalf("layer %d: ‖Δ + UVᵀ‖ = %v", i, diff)
			}
		}
	})
}

func TestNewByName(t *testing.T) {
	lay := nn.NewLayout(nn.Shape{Out: 3, In: 2}, nn.Shape{Out: 1, In: 3})
	for name, want := range map[string]string{
		"gd": "gd", "sd": "sd(normalized)", "cd": "cd(normalized)", "lp": "lp(3)(normalized)",
		"spectral": "spectral(normalized)", "adam": "adam(b1=0.9,b2=0.99,eps=1e-08)", "shampoo": "shampoo(eps=0.0001)",
	} {
		o, err := New(Config{Name: name, LR: 0.1, Normalized: true, P: 3, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, Layout: lay})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.Name() != want {
			t.Errorf("New(%s).Name() = %q, want %q", name, o.Name(), want)
		}
		if math.Abs(o.LogLR()-math.Log(0.1)) > 0 {
			t.Errorf("%s: log lr %v", name, o.LogLR())
		}
	}
	for _, cfg := range []Config{{Name: "sgd", LR: 1}, {Name: "gd", LR: -1}, {Name: "adam", LR: 1}, {Name: "lp", LR: 1, P: 1}} {
		if o, err := New(cfg); err == nil || o != nil {
			t.Errorf("New(%+v) = %v, %v; want nil, error", cfg, o, err)
		}
	}
}

// Scale-invariant steps never look at the gradient's scale: the same Grad
// at log-scale 0 and at −1e5 (a loss far below 1e−308) gives bit-identical
// θ for normalized steepest descent in every norm, sign and coordinate
// descent, and Adam with ε = 0 (any β).
func TestScaleInvariantSteps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := drawLayout(t)
		p := l.Size()
		theta, g := drawVec(t, p, "theta"), drawVec(t, p, "g")
		mk := []func() Optimizer{
			func() Optimizer { return mustOpt(NewSteepest(L2{}, 0.1, true)) },
			func() Optimizer { return mustOpt(NewSD(0.1, true)) },
			func() Optimizer { return mustOpt(NewCD(0.1, true)) },
			func() Optimizer { return mustOpt(NewLpDescent(3, 0.1, true)) },
			func() Optimizer { return mustOpt(NewSpectralDescent(l, 0.1, true)) },
			func() Optimizer { a, _ := NewAdam(p, 0.1, 0.9, 0.99, 0); return a },
		}
		for _, f := range mk {
			a, b := f(), f()
			x, y := append([]float64(nil), theta...), append([]float64(nil), theta...)
			if err := a.Update(x, g, 0); err != nil {
				t.Fatal(err)
			}
			if err := b.Update(y, g, -1e5); err != nil {
				t.Fatal(err)
			}
			for i := range x {
				if x[i] != y[i] {
					t.Fatalf("%s: θ[%d] = %v at scale 1, %v at scale e^−100000", a.Name(), i, x[i], y[i])
				}
			}
		}
	})
}

// The fused steps report ‖θ‖∞ of the θ they leave, exactly (a maximum has
// no rounding); CD and the unfused steps report nothing, and a caller
// computes it.
func TestParamMaxAbs(t *testing.T) {
	lay := nn.NewLayout(nn.Shape{Out: 3, In: 5})
	gd, _ := NewGD(0.3)
	sd, _ := NewSD(0.3, true)
	sdu, _ := NewSD(0.3, false)
	cd, _ := NewCD(0.3, true)
	l2, _ := NewSteepest(L2{}, 0.3, true)
	ad, _ := NewAdam(lay.Size(), 0.3, 0.9, 0.99, 1e-8)
	sp, _ := NewSpectralDescent(lay, 0.3, true)
	want := map[Optimizer]bool{gd: true, sd: true, sdu: true, ad: true}
	rapid.Check(t, func(rt *rapid.T) {
		th := drawVec(rt, lay.Size(), "theta")
		for _, o := range []Optimizer{gd, sd, sdu, cd, l2, ad, sp} {
			for step := range 3 {
				g := drawVec(rt, lay.Size(), "g")
				if err := o.Update(th, g, rapid.Float64Range(-3, 3).Draw(rt, "logScale")); err != nil {
					rt.Fatalf("%s: %v", o.Name(), err)
				}
				p, ok := o.(ParamMaxAbser)
				m, known := 0.0, false
				if ok {
					m, known = p.ParamMaxAbs()
				}
				if known != want[o] {
					rt.Fatalf("%s step %d: ‖θ‖∞ known = %v, want %v", o.Name(), step, known, want[o])
				}
				if known && m != asm.MaxAbs(th) {
					rt.Fatalf("%s step %d: ParamMaxAbs = %v, MaxAbs(θ) = %v", o.Name(), step, m, asm.MaxAbs(th))
				}
			}
		}
	})
}

// Moments that overflow when rescaled into a much smaller gradient frame
// (r = e^{700}, r² = Inf) fail the step as an overflow, not as a bad
// gradient; a finite rescaling passes.
func TestAdamRescaleOverflow(t *testing.T) {
	a, _ := NewAdam(3, 0.1, 0.9, 0.99, 0)
	th := []float64{1, 2, 3}
	g := []float64{1, -1, 0.5}
	if err := a.Update(th, g, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Update(th, g, -10); err != nil {
		t.Fatalf("rescaling by e^10: %v", err)
	}
	err := a.Update(th, g, -710)
	if err == nil || !strings.Contains(err.Error(), "overflow") {
		t.Fatalf("rescaling by e^700: err = %v, want a moment overflow", err)
	}
}
