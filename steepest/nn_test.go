package steepest

import (
	"math"
	"testing"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// nnModel runs package nn's MLP with the exponential SUM loss behind the
// stepModel interface of the monotonicity check.
type nnModel struct {
	m  *nn.MLP
	ws *nn.Workspace
	ds *nn.Dataset
	ev *nn.Eval
}

// newNNModel builds the nn model with the same data and parameter layout as
// a reference model (W_1 then W_2, row-major).
func newNNModel(t interface{ Fatal(...any) }, r *refModel) *nnModel {
	d := len(r.x[0])
	cfg := nn.Config{In: d}
	if r.hidden > 0 {
		cfg.Widths = []int{r.hidden}
	}
	m, err := nn.NewMLP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &nnModel{m: m, ws: m.NewWorkspace(len(r.y)), ds: refDataset(t, r), ev: nn.NewEval(len(r.y), m.Layout().Size())}
}

// refDataset returns the reference model's data as an nn.Dataset.
func refDataset(t interface{ Fatal(...any) }, r *refModel) *nn.Dataset {
	x := tensor.NewDense(len(r.x), len(r.x[0]))
	for i, row := range r.x {
		copy(x.Row(i), row)
	}
	ds, err := nn.NewDataset(x, r.y)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func (n *nnModel) degree() int { return n.m.Degree() }

func (n *nnModel) eval(theta []float64) (q, w []float64, logLoss float64, grad []float64) {
	n.m.Evaluate(n.ws, theta, n.ds, nn.Objective{Loss: nn.Exp}, n.ev, true)
	return append([]float64(nil), n.ev.Q...), append([]float64(nil), n.ev.Weights...), n.ev.LogLoss,
		append([]float64(nil), n.ev.Grad...)
}

// The monotonicity property of TestSoftMarginMonotoneReference on package
// nn's linear models and one-hidden-layer ReLU nets, with the optimizers
// driven through the same frame gradient nn produces (LogScale = LogLoss for
// the exponential sum loss).
func TestSoftMarginMonotoneNN(t *testing.T) {
	checkMonotone(t, 4, func(t *rapid.T, r *refModel) stepModel { return newNNModel(t, r) })
}

// Meter.Measure on an nn.Eval agrees with the metrics of the reference
// model (same data, same θ; the two models' q agree to rounding, ≤ 1e−13
// relative here), and Optimizer.Step equals Update with the Eval's fields.
func TestMeasureAndStepFromEval(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		hidden := rapid.SampledFrom([]int{0, 3}).Draw(t, "hidden")
		r, theta := drawSeparable(t, hidden)
		m := newNNModel(t, r)
		m.m.Evaluate(m.ws, theta, m.ds, nn.Objective{Loss: nn.Exp}, m.ev, true)
		mt, err := NewMeter(m.m.Degree(), m.m.Layout(), true, true)
		if err != nil {
			t.Fatal(err)
		}
		mt.Spectral = SpectralPower // σ_max to ≈ 1e−13 (power iteration or its exact fallback)
		got, err := mt.Measure(3, theta, m.ev)
		if err != nil {
			t.Fatal(err)
		}
		want := refMeasure(t, r, theta, true)
		gf, wf := got.Fields(), want.Fields()
		if len(gf) != len(wf) {
			t.Fatalf("%d fields, reference %d", len(gf), len(wf))
		}
		for i := range gf {
			if gf[i].Name == "step" || gf[i].Name == "loss" {
				continue
			}
			// D and δ are differences of nearly equal terms: absolute 1e−9
			// on top of the relative 1e−9 (σ_max converges to 1e−12).
			if math.Abs(gf[i].Value-wf[i].Value) > 1e-9*math.Abs(wf[i].Value)+1e-9 {
				t.Fatalf("%s: nn %v, reference %v", gf[i].Name, gf[i].Value, wf[i].Value)
			}
		}
		sd, _ := NewSD(0.1, true)
		a, b := append([]float64(nil), theta...), append([]float64(nil), theta...)
		if err := sd.Step(a, m.ev); err != nil {
			t.Fatal(err)
		}
		if err := sd.Update(b, m.ev.Grad, m.ev.LogScale); err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("Step and Update differ at %d", i)
			}
		}
	})
}

// Frozen last layer (the paper's Fig. 3): f is 1-homogeneous in W_1 and the
// spectral margin is q_min/σ_max(W_1), power 1 (paper.md §1.4, Eq. 15).
func TestSpectralMarginFrozenLastLayer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, _ := drawSeparable(t, 0)
		d := len(r.x[0])
		k := rapid.IntRange(1, 4).Draw(t, "k")
		m, err := nn.NewMLP(nn.Config{In: d, Widths: []int{k}, FreezeLast: true})
		if err != nil {
			t.Fatal(err)
		}
		if m.Degree() != 1 || m.Layout().Layers() != 1 {
			t.Fatalf("frozen model: degree %d, %d layers", m.Degree(), m.Layout().Layers())
		}
		theta := drawVec(t, m.Layout().Size(), "theta")
		copy(m.Frozen(), drawVec(t, k, "u"))
		ds := refDataset(t, r)
		ev := nn.NewEval(len(r.y), len(theta))
		m.Evaluate(m.NewWorkspace(len(r.y)), theta, ds, nn.Objective{Loss: nn.Logistic}, ev, true)
		mt, _ := NewMeter(m.Degree(), m.Layout(), true, false)
		mt.Spectral = SpectralPower // σ_max to ≈ 1e−13 (power iteration or its exact fallback)
		got, err := mt.Measure(0, theta, ev)
		if err != nil {
			t.Fatal(err)
		}
		_, sv, _ := jacobiSVD(m.Layout().View(theta, 0))
		if sv[0] == 0 {
			return
		}
		want := ev.QMin() / sv[0]
		if !relClose(got.MarginSpectral, want, 1e-9) {
			t.Fatalf("γ_σ = %v, q_min/σ_max(W) = %v", got.MarginSpectral, want)
		}
	})
}
