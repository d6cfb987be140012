package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// refValue evaluates f(x; θ) with plain loops, independently of GEMM and
// the workspace. It also returns the same network evaluated on absolute
// values, Σ over paths of |weights|·|x| (the scale against which rounding
// errors are measured), and the smallest |pre-activation| of a hidden unit
// (the distance to the nearest ReLU kink). A hidden bias enters as the first
// term of each pre-activation's sum.
func refValue(m *MLP, theta, x []float64) (f, fabs, minPre float64) {
	h := append([]float64(nil), x...)
	habs := make([]float64, len(x))
	for i, v := range x {
		habs[i] = math.Abs(v)
	}
	minPre = math.Inf(1)
	for l, s := range m.shapes {
		w := m.layer(theta, l)
		z := make([]float64, s.Out)
		zabs := make([]float64, s.Out)
		if m.bias && l < len(m.widths) {
			for j, b := range m.layout.Bias(theta, l) {
				z[j], zabs[j] = b, math.Abs(b)
			}
		}
		for j := 0; j < s.Out; j++ {
			for i := 0; i < s.In; i++ {
				z[j] += w[j*s.In+i] * h[i]
				zabs[j] += math.Abs(w[j*s.In+i]) * habs[i]
			}
		}
		if l == len(m.shapes)-1 {
			return z[0], zabs[0], minPre
		}
		for j, v := range z {
			minPre = math.Min(minPre, math.Abs(v))
			if v <= 0 {
				z[j] = m.slope * v
			}
		}
		h, habs = z, zabs
	}
	panic("unreachable")
}

// drawModel draws a small MLP (depth 1 to 3, optionally leaky, optionally
// with a frozen last layer, optionally with hidden biases) and Gaussian
// weights θ (and frozen layer).
func drawModel(t *rapid.T) (*MLP, []float64) {
	in := rapid.IntRange(1, 6).Draw(t, "in")
	widths := rapid.SliceOfN(rapid.IntRange(1, 6), 0, 2).Draw(t, "widths")
	freeze := len(widths) > 0 && rapid.Bool().Draw(t, "freeze")
	slope := rapid.SampledFrom([]float64{0, 0.01, 0.3}).Draw(t, "slope")
	bias := len(widths) > 0 && rapid.IntRange(0, 2).Draw(t, "bias") == 0
	m, err := NewMLP(Config{In: in, Widths: widths, FreezeLast: freeze, Act: Activation{Slope: slope}, Bias: bias})
	if err != nil {
		t.Fatalf("NewMLP: %v", err)
	}
	return m, drawTheta(t, m)
}

// drawTheta draws Gaussian weights θ (and the frozen layer) for m.
func drawTheta(t *rapid.T, m *MLP) []float64 {
	theta := make([]float64, m.Layout().Size())
	m.Init(theta, InitGaussian, 1, rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1)))
	return theta
}

// checkModels runs a property on random models and, so that each kind is
// covered for sure, on every fixed configuration of testConfigs (linear,
// leaky, depth 3, frozen last layer, biases) with random weights.
func checkModels(t *testing.T, prop func(t *rapid.T, m *MLP, theta []float64)) {
	checkModelsWhere(t, func(*MLP) bool { return true }, prop)
}

// checkHomogeneous is checkModels on the homogeneous models only (a
// property of (A2) means nothing for the others).
func checkHomogeneous(t *testing.T, prop func(t *rapid.T, m *MLP, theta []float64)) {
	checkModelsWhere(t, (*MLP).Homogeneous, prop)
}

// checkModelsWhere is checkModels on the models for which keep holds:
// random draws of others are rejected, fixed configurations skipped.
func checkModelsWhere(t *testing.T, keep func(*MLP) bool, prop func(t *rapid.T, m *MLP, theta []float64)) {
	t.Run("random", func(tt *testing.T) {
		rapid.Check(tt, func(t *rapid.T) {
			m, theta := drawModel(t)
			if !keep(m) {
				t.Skip("model excluded")
			}
			prop(t, m, theta)
		})
	})
	for _, c := range testConfigs {
		t.Run(c.name, func(tt *testing.T) {
			m := mustMLP(tt, c.cfg)
			if !keep(m) {
				tt.Skip("model excluded")
			}
			rapid.Check(tt, func(t *rapid.T) {
				prop(t, m, drawTheta(t, m))
			})
		})
	}
}

// drawData draws n×d inputs in [−2, 2] and labels ±1. Sometimes X is a
// strided view into a wider matrix whose other columns hold NaN: they must
// never be read.
func drawData(t *rapid.T, n, d int) *Dataset {
	pad := rapid.SampledFrom([]int{0, 0, 1, 3}).Draw(t, "pad")
	wide := tensor.NewDense(n, d+pad)
	for i := range wide.Data {
		wide.Data[i] = math.NaN()
	}
	x := wide.Slice(0, n, pad, d+pad)
	for i := 0; i < n; i++ {
		row := x.Row(i)
		for j := range row {
			row[j] = rapid.Float64Range(-2, 2).Draw(t, "x")
		}
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = rapid.SampledFrom([]float64{-1, 1}).Draw(t, "y")
	}
	ds, err := NewDataset(x, y)
	if err != nil {
		t.Fatalf("NewDataset: %v", err)
	}
	return ds
}

// drawEvaluation draws n samples and an objective (exp or logistic, sum or
// mean) and evaluates m at θ with the gradient, in a workspace for n rows.
func drawEvaluation(t *rapid.T, m *MLP, theta []float64, n int) (*Dataset, Objective, *Workspace, *Eval) {
	d := drawData(t, n, m.In())
	obj := Objective{Loss: rapid.SampledFrom([]Loss{Exp, Logistic}).Draw(t, "loss"), Mean: rapid.Bool().Draw(t, "mean")}
	ws := m.NewWorkspace(n)
	ev := NewEval(n, len(theta))
	m.Evaluate(ws, theta, d, obj, ev, true)
	return d, obj, ws, ev
}

// mustMLP builds a model for table tests.
func mustMLP(tb testing.TB, cfg Config) *MLP {
	tb.Helper()
	m, err := NewMLP(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// The configurations every fixed-shape test runs on.
var testConfigs = []struct {
	name string
	cfg  Config
}{
	{"linear", Config{In: 5}},
	{"relu-1hidden", Config{In: 5, Widths: []int{7}}},
	{"leaky-1hidden", Config{In: 5, Widths: []int{7}, Act: Activation{Slope: 0.1}}},
	{"relu-2hidden", Config{In: 5, Widths: []int{7, 4}}},
	{"frozen-1hidden", Config{In: 5, Widths: []int{7}, FreezeLast: true}},
	{"leaky-frozen-2hidden", Config{In: 5, Widths: []int{3, 4}, FreezeLast: true, Act: Activation{Slope: 0.2}}},
	{"leaky-3hidden", Config{In: 5, Widths: []int{4, 3, 2}, Act: Activation{Slope: 0.05}}}, // depth 4
	{"bias-1hidden", Config{In: 5, Widths: []int{7}, Bias: true}},                          // still homogeneous
	{"bias-leaky-2hidden", Config{In: 5, Widths: []int{7, 4}, Act: Activation{Slope: 0.1}, Bias: true}},
	{"bias-frozen-3hidden", Config{In: 5, Widths: []int{3, 4, 2}, FreezeLast: true, Bias: true}},
}
