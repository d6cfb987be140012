package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// The layout of a biased model: the weights at the offsets of the
// bias-free model, then b_1, …, b_{D−1}; Degree, NominalDegree and
// Homogeneous as documented on MLP.Homogeneous.
func TestBiasLayoutAndDegree(t *testing.T) {
	for _, c := range []struct {
		cfg         Config
		size        int
		homogeneous bool
		degree      int
	}{
		{Config{In: 4, Widths: []int{3}, Bias: true}, 4*3 + 3 + 3, true, 2},
		{Config{In: 4, Widths: []int{3}, FreezeLast: true, Bias: true}, 4*3 + 3, true, 1},
		{Config{In: 4, Widths: []int{3, 5}, Bias: true}, 12 + 15 + 5 + 3 + 5, false, 0},
		{Config{In: 4, Widths: []int{3, 5}, FreezeLast: true, Bias: true}, 12 + 15 + 3 + 5, false, 0},
		{Config{In: 4, Widths: []int{3, 5}}, 12 + 15 + 5, true, 3},
	} {
		m := mustMLP(t, c.cfg)
		free := c.cfg
		free.Bias = false
		mf := mustMLP(t, free)
		lay, layF := m.Layout(), mf.Layout()
		if lay.Size() != c.size || m.Homogeneous() != c.homogeneous || m.Degree() != c.degree || m.NominalDegree() != mf.Degree() || m.HasBias() != c.cfg.Bias {
			t.Errorf("%+v: size %d homogeneous %v degree %d nominal %d bias %v, want %d %v %d %d %v", c.cfg, lay.Size(),
				m.Homogeneous(), m.Degree(), m.NominalDegree(), m.HasBias(), c.size, c.homogeneous, c.degree, mf.Degree(), c.cfg.Bias)
		}
		if lay.Layers() != layF.Layers() || lay.WeightSize() != layF.Size() {
			t.Errorf("%+v: %d layers, %d weights; bias-free %d, %d", c.cfg, lay.Layers(), lay.WeightSize(), layF.Layers(), layF.Size())
		}
		for l := 0; l <= lay.Layers(); l++ {
			if lay.Offset(l) != layF.Offset(l) {
				t.Errorf("%+v: layer %d at %d, bias-free at %d", c.cfg, l, lay.Offset(l), layF.Offset(l))
			}
		}
		if !c.cfg.Bias {
			if lay.Biases() != 0 {
				t.Errorf("%+v: %d bias vectors", c.cfg, lay.Biases())
			}
			continue
		}
		if lay.Biases() != len(c.cfg.Widths) || lay.BiasOffset(0) != lay.WeightSize() || lay.BiasOffset(lay.Biases()) != lay.Size() {
			t.Errorf("%+v: %d biases from %d to %d, want %d from %d to %d", c.cfg, lay.Biases(), lay.BiasOffset(0),
				lay.BiasOffset(lay.Biases()), len(c.cfg.Widths), lay.WeightSize(), lay.Size())
		}
		theta := make([]float64, lay.Size())
		for i := range theta {
			theta[i] = float64(i)
		}
		for l, k := range c.cfg.Widths {
			b := lay.Bias(theta, l)
			if len(b) != k || b[0] != float64(lay.BiasOffset(l)) {
				t.Errorf("%+v: bias %d = %v, want %d entries from θ[%d]", c.cfg, l, b, k, lay.BiasOffset(l))
			}
		}
	}
	if _, err := NewMLP(Config{In: 3, Bias: true}); err == nil || !strings.Contains(err.Error(), "Bias") {
		t.Errorf("bias on the linear model: error %v, want one mentioning Bias", err)
	}
	for name, f := range map[string]func(){
		"zero length": func() { NewLayout(Shape{1, 2}).WithBiases(0) },
		"twice":       func() { NewLayout(Shape{1, 2}).WithBiases(1).WithBiases(1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithBiases %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

// Init draws the weights of a biased model exactly as for the same model
// without biases (the biases are drawn after them), and the biases from
// their layer's distribution: for the uniform scheme within ±α/fan-in.
func TestInitBiases(t *testing.T) {
	for _, cfg := range []Config{
		{In: 6, Widths: []int{50, 40}, Bias: true},
		{In: 6, Widths: []int{50, 40}, FreezeLast: true, Bias: true, Act: Activation{Slope: 0.1}},
	} {
		m := mustMLP(t, cfg)
		free := cfg
		free.Bias = false
		mf := mustMLP(t, free)
		for _, s := range []InitScheme{InitUniform, InitUniformCD, InitGaussian} {
			theta, thetaF := make([]float64, m.Layout().Size()), make([]float64, mf.Layout().Size())
			m.Init(theta, s, 0.5, newRNG(4))
			mf.Init(thetaF, s, 0.5, newRNG(4))
			w := m.Layout().WeightSize()
			if diff := cmp.Diff(thetaF, theta[:w]); diff != "" {
				t.Errorf("%+v %v: weights differ from the bias-free model's:\n%s", cfg, s, diff)
			}
			if diff := cmp.Diff(mf.Frozen(), m.Frozen()); diff != "" {
				t.Errorf("%+v %v: frozen layer differs:\n%s", cfg, s, diff)
			}
			for l := range cfg.Widths {
				b := m.Layout().Bias(theta, l)
				bound := 0.5 / float64(m.Shapes()[l].In)
				if s == InitUniformCD && l == 0 {
					bound = 0.5 / float64(cfg.Widths[0])
				}
				var maxAbs float64
				for _, v := range b {
					maxAbs = math.Max(maxAbs, math.Abs(v))
				}
				// 40+ draws from U[−b, b]: max|v| < b/2 with probability 2^−40.
				if s != InitGaussian && (maxAbs > bound || maxAbs < bound/2) {
					t.Errorf("%+v %v: bias %d has max |b| = %v, want within (%v/2, %v]", cfg, s, l, maxAbs, bound, bound)
				}
				if s == InitGaussian && maxAbs == 0 {
					t.Errorf("%+v: Gaussian bias %d is zero", cfg, l)
				}
			}
		}
	}
}

// With every bias zero, a biased model computes what the bias-free model
// computes, bit for bit (z + 0 = z; only the sign of a zero may differ, so
// values are compared with ==): margins, loss, weights and the weight part
// of the gradient; the bias part of the gradient is the column sums of the
// back-propagated gradient, not zero.
func TestZeroBiasIsBiasFree(t *testing.T) {
	same := cmp.Comparer(func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) })
	rapid.Check(t, func(t *rapid.T) {
		mf, thetaF := drawModel(t)
		if mf.HasBias() || mf.Depth() == 1 {
			t.Skip("want a bias-free model with a hidden layer")
		}
		cfg := Config{In: mf.In(), Widths: mf.widths, FreezeLast: mf.freeze, Act: mf.Act(), Bias: true}
		m, err := NewMLP(cfg)
		if err != nil {
			t.Fatal(err)
		}
		copy(m.Frozen(), mf.Frozen())
		theta := make([]float64, m.Layout().Size())
		copy(theta, thetaF)
		n := rapid.IntRange(1, 6).Draw(t, "n")
		d := drawData(t, n, m.In())
		obj := Objective{Loss: rapid.SampledFrom([]Loss{Exp, Logistic}).Draw(t, "loss")}
		want, got := NewEval(n, len(thetaF)), NewEval(n, len(theta))
		mf.Evaluate(mf.NewWorkspace(n), thetaF, d, obj, want, true)
		m.Evaluate(m.NewWorkspace(n), theta, d, obj, got, true)
		got.Grad = got.Grad[:len(thetaF)]
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Eval{}), same); diff != "" {
			t.Fatalf("%+v: zero biases differ from no biases (-free +biased):\n%s", cfg, diff)
		}
	})
}

// Euler's identity for a biased MLP. Scaling W_l by c and b_l by c^l makes
// f L-homogeneous (L = NominalDegree: each layer's pre-activation scales by
// c^l), so Σ_W ⟨∂f/∂W, W⟩ + Σ_l l·⟨∂f/∂b_l, b_l⟩ = L f, that is
// ⟨∇_θ f, θ⟩ + Σ_l (l−1)·⟨∂f/∂b_l, b_l⟩ = L f; without biases it is
// TestEuler's identity. With Evaluate's coefficients it reads
// ⟨Grad, θ⟩ + Σ_l (l−1)⟨Grad_{b_l}, b_l⟩ = −L Σ_i w_i q_i. Bound as in
// TestEuler, with L + D for the bias terms' factors.
func TestEulerWithBiases(t *testing.T) {
	checkModels(t, func(t *rapid.T, m *MLP, theta []float64) {
		n := rapid.IntRange(1, 6).Draw(t, "n")
		d := drawData(t, n, m.In())
		obj := Objective{Loss: rapid.SampledFrom([]Loss{Exp, Logistic}).Draw(t, "loss")}
		ev := NewEval(n, len(theta))
		m.Evaluate(m.NewWorkspace(n), theta, d, obj, ev, true)
		L := float64(m.NominalDegree())
		var want, scale float64
		for i, q := range ev.Q {
			_, fabs, _ := refValue(m, theta, d.X.Row(i))
			want -= L * ev.Weights[i] * q
			scale += (L + float64(m.Depth())) * ev.Weights[i] * fabs
		}
		got := eulerWithBiases(m, theta, ev.Grad)
		if math.Abs(got-want) > 10*roundBound*scale+tiny*(1+L) {
			t.Fatalf("⟨Grad, θ⟩ + Σ(l−1)⟨Grad_b, b⟩ = %v, −L Σ w q = %v (scale %v)", got, want, scale)
		}
	})
}

// eulerWithBiases returns ⟨g, θ⟩ + Σ_l (l−1)⟨g_{b_l}, b_l⟩.
func eulerWithBiases(m *MLP, theta, g []float64) float64 {
	s := asm.Dot(g, theta)
	lay := m.Layout()
	for l := 0; l < lay.Biases(); l++ {
		s += float64(l) * asm.Dot(lay.Bias(g, l), lay.Bias(theta, l))
	}
	return s
}

// A bias above the first hidden layer breaks homogeneity, and the plain
// Euler identity misses exactly the bias term of TestEulerWithBiases: on a
// leaky network (every unit passes gradient, so the biases matter) the
// gaps are far above rounding. This is what verify's expected failures
// show on random models.
func TestBiasBreaksHomogeneity(t *testing.T) {
	m := mustMLP(t, Config{In: 3, Widths: []int{4, 3}, Act: Activation{Slope: 0.2}, Bias: true})
	theta := make([]float64, m.Layout().Size())
	m.Init(theta, InitGaussian, 1, rand.New(rand.NewPCG(1, 2)))
	x := tensor.DenseOf(2, 3, []float64{0.3, -1.2, 0.8, 1.1, 0.4, -0.5})
	d, err := NewDataset(x, []float64{1, -1})
	if err != nil {
		t.Fatal(err)
	}
	const c = 2.0
	L := float64(m.NominalDegree())
	scaled := make([]float64, len(theta))
	for i, v := range theta {
		scaled[i] = c * v
	}
	ws := m.NewWorkspace(2)
	f0, f1 := make([]float64, 2), make([]float64, 2)
	m.Forward(ws, theta, x, f0)
	m.Forward(ws, scaled, x, f1)
	for i := range f0 {
		_, fabs, _ := refValue(m, theta, x.Row(i))
		if gap := math.Abs(f1[i] - math.Pow(c, L)*f0[i]); gap < 1e-3*fabs {
			t.Errorf("sample %d: |f(cθ) − c^L f(θ)| = %v, not above 1e−3·%v: the biased model looks homogeneous", i, gap, fabs)
		}
	}
	ev := NewEval(2, len(theta))
	m.Evaluate(ws, theta, d, Objective{Loss: Exp}, ev, true)
	var want float64
	for i, q := range ev.Q {
		want -= L * ev.Weights[i] * q
	}
	plain, full := asm.Dot(ev.Grad, theta), eulerWithBiases(m, theta, ev.Grad)
	if math.Abs(full-want) > 1e-12*math.Abs(want) || math.Abs(plain-want) < 1e-3*math.Abs(want) {
		t.Errorf("⟨Grad, θ⟩ = %v, with the bias term %v; −L Σ w q = %v: want the first far off, the second equal", plain, full, want)
	}
}

// The finite-difference check catches a wrong bias gradient too.
func TestFDMismatchDetectsWrongBiasGradient(t *testing.T) {
	m := mustMLP(t, Config{In: 3, Widths: []int{4, 2}, Act: Activation{Slope: 0.1}, Bias: true})
	theta := make([]float64, m.Layout().Size())
	m.Init(theta, InitGaussian, 1, rand.New(rand.NewPCG(5, 6)))
	x := tensor.DenseOf(2, 3, []float64{1, 0.5, -0.2, -0.3, 1.2, 0.4})
	for i := 0; i < 2; i++ {
		if _, _, minPre := refValue(m, theta, x.Row(i)); minPre < 1e-2 {
			t.Fatalf("sample %d has a pre-activation %v near a kink; pick other weights", i, minPre)
		}
	}
	checkFDCatches(t, m, theta, x, []float64{1, -0.5}, m.Layout().BiasOffset(1))
}
