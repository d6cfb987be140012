package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// roundBound is the relative rounding bound used against fabs (the network
// on absolute values): each layer's dot products of length ≤ 8 err by at
// most 8·2⁻⁵³·fabs, three layers compound to < 3·8·1.2e−16 ≈ 3e−15; 1e−13
// leaves a margin for the differently ordered sums of GEMM.
const roundBound = 1e-13

// tiny bounds rounding where results are subnormal (inputs down to 1e−308
// are drawn): there every operation errs by up to 2⁻¹⁰⁷⁴ absolute, and
// 1e3 of them cover the sums of these small networks.
const tiny = 1e3 * math.SmallestNonzeroFloat64

func TestNewMLPErrors(t *testing.T) {
	bad := []struct {
		cfg  Config
		want string
	}{
		{Config{In: 0}, "input dimension"},
		{Config{In: 3, Widths: []int{4, 0}}, "hidden width"},
		{Config{In: 3, FreezeLast: true}, "FreezeLast"},
		{Config{In: 3, Widths: []int{2}, Act: Activation{Slope: -0.1}}, "slope"},
		{Config{In: 3, Widths: []int{2}, Act: Activation{Slope: 1}}, "slope"},
		{Config{In: 3, Widths: []int{2}, Act: Activation{Slope: math.NaN()}}, "slope"},
	}
	for _, c := range bad {
		if _, err := NewMLP(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewMLP(%+v) error %v, want one mentioning %q", c.cfg, err, c.want)
		}
	}
}

func TestMLPShapes(t *testing.T) {
	for _, c := range []struct {
		cfg           Config
		depth, degree int
		size, frozen  int
	}{
		{Config{In: 4}, 1, 1, 4, 0},
		{Config{In: 4, Widths: []int{3}}, 2, 2, 4*3 + 3, 0},
		{Config{In: 4, Widths: []int{3}, FreezeLast: true}, 2, 1, 4 * 3, 3},
		{Config{In: 4, Widths: []int{3, 5}}, 3, 3, 12 + 15 + 5, 0},
		{Config{In: 4, Widths: []int{3, 5}, FreezeLast: true}, 3, 2, 12 + 15, 5},
	} {
		m := mustMLP(t, c.cfg)
		if m.Depth() != c.depth || m.Degree() != c.degree || m.Layout().Size() != c.size || len(m.Frozen()) != c.frozen {
			t.Errorf("%+v: depth %d degree %d size %d frozen %d, want %d %d %d %d", c.cfg,
				m.Depth(), m.Degree(), m.Layout().Size(), len(m.Frozen()), c.depth, c.degree, c.size, c.frozen)
		}
		all := m.Shapes()
		if len(all) != c.depth || all[0].In != 4 || all[c.depth-1].Out != 1 {
			t.Errorf("%+v: layer shapes %v, want %d layers from 4 inputs to 1 output", c.cfg, all, c.depth)
		}
		for l := 1; l < len(all); l++ {
			if all[l].In != all[l-1].Out {
				t.Errorf("%+v: layer shapes %v do not chain", c.cfg, all)
			}
		}
		for l := 0; l < m.Layout().Layers(); l++ {
			if m.Layout().Shape(l) != all[l] {
				t.Errorf("%+v: Layout shape %d is %v, Shapes says %v", c.cfg, l, m.Layout().Shape(l), all[l])
			}
		}
	}
}

// Forward (GEMM path) agrees with the plain-loop reference, within
// roundBound·fabs per sample.
func TestForwardMatchesReference(t *testing.T) {
	checkModels(t, func(t *rapid.T, m *MLP, theta []float64) {
		n := rapid.IntRange(1, 9).Draw(t, "n")
		d := drawData(t, n, m.In())
		ws := m.NewWorkspace(rapid.IntRange(1, n).Draw(t, "wsRows")) // may have to grow
		out := make([]float64, n)
		m.Forward(ws, theta, d.X, out)
		for i := 0; i < n; i++ {
			want, fabs, _ := refValue(m, theta, d.X.Row(i))
			if math.Abs(out[i]-want) > roundBound*fabs+tiny {
				t.Fatalf("sample %d: Forward %v, reference %v (|diff| > %g·%v)", i, out[i], want, roundBound, fabs)
			}
		}
	})
}

// Homogeneity (A2): f(x; cθ) = c^L f(x; θ) for c > 0, with L = Degree().
// Scaling θ by c rounds every weight by ≤ 2⁻⁵³ relative, and c^L·fabs bounds
// every term, so |f(cθ) − c^L f(θ)| ≤ 1e−13·c^L·fabs (as roundBound, plus
// L ≤ 3 extra roundings of the weights).
func TestHomogeneity(t *testing.T) {
	checkHomogeneous(t, func(t *rapid.T, m *MLP, theta []float64) {
		c := math.Pow(10, rapid.Float64Range(-3, 3).Draw(t, "log10c"))
		n := rapid.IntRange(1, 5).Draw(t, "n")
		d := drawData(t, n, m.In())
		scaled := make([]float64, len(theta))
		for i, v := range theta {
			scaled[i] = c * v
		}
		ws := m.NewWorkspace(n)
		f0, f1 := make([]float64, n), make([]float64, n)
		m.Forward(ws, theta, d.X, f0)
		m.Forward(ws, scaled, d.X, f1)
		cL := math.Pow(c, float64(m.Degree()))
		for i := range f0 {
			_, fabs, _ := refValue(m, theta, d.X.Row(i))
			if math.Abs(f1[i]-cL*f0[i]) > 2*roundBound*cL*fabs+tiny*(1+cL) {
				t.Fatalf("L=%d c=%g sample %d: f(cθ) = %v, c^L f(θ) = %v", m.Degree(), c, i, f1[i], cL*f0[i])
			}
		}
	})
}

// Euler's identity for L-homogeneous f: ⟨∇_θ f, θ⟩ = L f. Summed with the
// coefficients of Evaluate's Grad (c_i = −w_i y_i) it reads
// ⟨Grad, θ⟩ = −L Σ_i w_i q_i. It holds at ReLU kinks too with σ'(0) = 0,
// since z σ'(z) = σ(z) everywhere. Bound: roundBound·L·Σ w_i fabs_i.
func TestEuler(t *testing.T) {
	checkHomogeneous(t, func(t *rapid.T, m *MLP, theta []float64) {
		n := rapid.IntRange(1, 6).Draw(t, "n")
		d := drawData(t, n, m.In())
		obj := Objective{Loss: rapid.SampledFrom([]Loss{Exp, Logistic}).Draw(t, "loss")}
		ws := m.NewWorkspace(n)
		ev := NewEval(n, len(theta))
		m.Evaluate(ws, theta, d, obj, ev, true)
		L := float64(m.Degree())
		var want, scale float64
		for i, q := range ev.Q {
			_, fabs, _ := refValue(m, theta, d.X.Row(i))
			want -= L * ev.Weights[i] * q
			scale += L * ev.Weights[i] * fabs
		}
		got := asm.Dot(ev.Grad, theta)
		if math.Abs(got-want) > 10*roundBound*scale+tiny*(1+L) {
			t.Fatalf("⟨Grad, θ⟩ = %v, −L Σ w q = %v (scale %v)", got, want, scale)
		}
	})
}

// fdMismatch compares grad with central differences of
// F(θ) = Σ_i c_i f(x_i; θ) and returns the first coordinate that disagrees
// (−1 if none). Within one activation pattern f is affine in each single
// coordinate θ_j (every path through the network uses one weight per
// layer), so the central difference has no truncation error and only
// rounding: |F(θ±h e_j)| rounding ≤ roundBound·S with S = Σ|c_i| fabs_i,
// so the difference errs by ≤ roundBound·S/h. The bound used is 10× that.
func fdMismatch(m *MLP, theta []float64, x *tensor.Dense, c, grad []float64, h float64) (int, float64, float64) {
	n := x.Rows
	ws := m.NewWorkspace(n)
	out := make([]float64, n)
	F := func(th []float64) float64 {
		m.Forward(ws, th, x, out)
		return asm.Dot(c, out)
	}
	var S float64
	for i := 0; i < n; i++ {
		_, fabs, _ := refValue(m, theta, x.Row(i))
		S += math.Abs(c[i]) * fabs
	}
	th := append([]float64(nil), theta...)
	for j := range th {
		th[j] = theta[j] + h
		fp := F(th)
		th[j] = theta[j] - h
		fm := F(th)
		th[j] = theta[j]
		fd := (fp - fm) / (2 * h)
		// Subnormal values of F round by an absolute amount instead (tiny,
		// divided by h).
		if math.Abs(fd-grad[j]) > 10*roundBound*S/h+tiny/h {
			return j, grad[j], fd
		}
	}
	return -1, 0, 0
}

// The backward pass matches central finite differences. Draws with a hidden
// pre-activation within 1e−2 of a kink are rejected: a step h = 1e−6 moves
// a pre-activation by ≤ h·(|x|+|h|)·width < 1e−4, so the pattern is fixed.
func TestGradientFiniteDifferences(t *testing.T) { checkModels(t, propGradient) }

// FuzzGradient is the same property under go test -fuzz.
func FuzzGradient(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		m, theta := drawModel(t)
		propGradient(t, m, theta)
	}))
}

func propGradient(t *rapid.T, m *MLP, theta []float64) {
	n := rapid.IntRange(1, 4).Draw(t, "n")
	d := drawData(t, n, m.In())
	for i := 0; i < n; i++ {
		if _, _, minPre := refValue(m, theta, d.X.Row(i)); minPre < 1e-2 {
			t.Skip("pre-activation near a kink")
		}
	}
	c := make([]float64, n)
	for i := range c {
		c[i] = rapid.Float64Range(-1, 1).Draw(t, "c")
	}
	ws := m.NewWorkspace(n)
	m.forward(ws, theta, d.X, make([]float64, n))
	grad := make([]float64, len(theta))
	m.backward(ws, d.X, c, grad)
	if j, g, fd := fdMismatch(m, theta, d.X, c, grad, 1e-6); j >= 0 {
		t.Fatalf("coordinate %d: backward %v, finite difference %v", j, g, fd)
	}
}

// The finite-difference check can fail: a gradient with one coordinate
// changed is caught.
func TestFDMismatchDetectsWrongGradient(t *testing.T) {
	m := mustMLP(t, Config{In: 3, Widths: []int{4}})
	theta := []float64{0.5, -0.3, 0.8, 0.2, 0.9, -0.4, 0.7, 0.1, -0.6, 0.3, 0.5, 0.8, 1.1, -0.7, 0.6, 0.9}
	x := tensor.DenseOf(2, 3, []float64{1, 0.5, -0.2, -0.3, 1.2, 0.4})
	checkFDCatches(t, m, theta, x, []float64{1, -0.5}, 5)
}

// checkFDCatches checks that fdMismatch accepts backward's gradient of
// Σ c_i f(x_i; θ) and catches it with coordinate j changed by 1e−3.
func checkFDCatches(t *testing.T, m *MLP, theta []float64, x *tensor.Dense, c []float64, j int) {
	t.Helper()
	ws := m.NewWorkspace(x.Rows)
	m.forward(ws, theta, x, make([]float64, x.Rows))
	grad := make([]float64, len(theta))
	m.backward(ws, x, c, grad)
	if k, g, fd := fdMismatch(m, theta, x, c, grad, 1e-6); k >= 0 {
		t.Fatalf("correct gradient rejected at %d: %v vs %v", k, g, fd)
	}
	grad[j] += 1e-3
	if k, _, _ := fdMismatch(m, theta, x, c, grad, 1e-6); k != j {
		t.Fatalf("wrong gradient coordinate %d not caught (got %d)", j, k)
	}
}

// After a warm-up call, Evaluate (with gradient) and Forward allocate
// nothing. GEMM runs on one thread here (the workspace has no pool):
// starting goroutines would count as allocations that are tensor's, not nn's.
func TestEvaluateAllocs(t *testing.T) {
	for _, c := range testConfigs {
		m := mustMLP(t, c.cfg)
		n := 6
		x := tensor.NewDense(n, c.cfg.In)
		for i := range x.Data {
			x.Data[i] = math.Sin(float64(i))
		}
		d, err := NewDataset(x, []float64{1, -1, 1, 1, -1, -1})
		if err != nil {
			t.Fatal(err)
		}
		theta := make([]float64, m.Layout().Size())
		for i := range theta {
			theta[i] = math.Cos(float64(3 * i))
		}
		ws := m.NewWorkspace(n)
		ev := NewEval(n, len(theta))
		out := make([]float64, n)
		for _, obj := range []Objective{{Loss: Exp}, {Loss: Logistic, Mean: true}} {
			if a := testing.AllocsPerRun(5, func() { m.Evaluate(ws, theta, d, obj, ev, true) }); a != 0 {
				t.Errorf("%s %v: Evaluate allocates %v times per call", c.name, obj, a)
			}
		}
		if a := testing.AllocsPerRun(5, func() { m.Forward(ws, theta, x, out) }); a != 0 {
			t.Errorf("%s: Forward allocates %v times per call", c.name, a)
		}
	}
}

// An Eval or Workspace sized for another batch is resized, and gives the
// same numbers bit for bit as correctly sized ones (same operations in the
// same order).
func TestEvaluateResizes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, theta := drawModel(t)
		n := rapid.IntRange(2, 7).Draw(t, "n")
		d := drawData(t, n, m.In())
		obj := Objective{Loss: rapid.SampledFrom([]Loss{Exp, Logistic}).Draw(t, "loss")}
		want := NewEval(n, len(theta))
		m.Evaluate(m.NewWorkspace(n), theta, d, obj, want, true)
		got := NewEval(rapid.IntRange(0, 2*n).Draw(t, "evalN"), rapid.IntRange(0, 3).Draw(t, "evalP"))
		m.Evaluate(m.NewWorkspace(1), theta, d, obj, got, true)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Eval{})); diff != "" {
			t.Fatalf("resized Eval differs (-want +got):\n%s", diff)
		}
	})
}

// Arguments that do not fit the model panic with a message naming the
// problem (they are programming errors, as for tensor.Gemm).
func TestEvaluatePanicsOnMisfit(t *testing.T) {
	m := mustMLP(t, Config{In: 3, Widths: []int{2}})
	other := mustMLP(t, Config{In: 3, Widths: []int{2}})
	d, err := NewDataset(tensor.NewDense(2, 3), []float64{1, -1})
	if err != nil {
		t.Fatal(err)
	}
	wrongD, err := NewDataset(tensor.NewDense(2, 4), []float64{1, -1})
	if err != nil {
		t.Fatal(err)
	}
	theta := make([]float64, m.Layout().Size())
	for _, c := range []struct {
		name, want string
		call       func()
	}{
		{"short θ", "len(θ)", func() { m.Evaluate(m.NewWorkspace(2), theta[1:], d, Objective{}, NewEval(2, 8), true) }},
		{"other model's workspace", "workspace", func() { m.Evaluate(other.NewWorkspace(2), theta, d, Objective{}, NewEval(2, 8), true) }},
		{"wrong input dimension", "features", func() { m.Evaluate(m.NewWorkspace(2), theta, wrongD, Objective{}, NewEval(2, 8), true) }},
		{"short output", "output", func() { m.Forward(m.NewWorkspace(2), theta, d.X, make([]float64, 1)) }},
		{"unknown loss", "loss", func() { m.Evaluate(m.NewWorkspace(2), theta, d, Objective{Loss: 7}, NewEval(2, 8), true) }},
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.Contains(s, c.want) {
					t.Errorf("%s: panic %v, want a message mentioning %q", c.name, r, c.want)
				}
			}()
			c.call()
		}()
	}
}
