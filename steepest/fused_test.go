package steepest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// sameValue is bitwise equality up to NaN payloads (−0 ≠ +0).
func sameValue(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b
}

// TestMeasureStep: Meter.MeasureStep gives bitwise the metrics of Measure
// and the θ, state and ParamMaxAbs of Step after it, with the same error or
// none, for every optimizer (the fused ones GD, normalized SD and Adam,
// and the others it hands to Step), on models below and above the length
// from which the record's pass runs in ranges on several threads (2^16
// parameters), with and without a planted NaN in the gradient.
func TestMeasureStep(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		big := rapid.Bool().Draw(t, "big")
		d, width, n := 7, 5, 6
		if big {
			d, width = 300, 256 // p = 77056 ≥ 2^16: the ranged pass
		}
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 7))
		x := tensor.NewDense(n, d)
		y := make([]float64, n)
		for i := range n {
			for j := range d {
				x.Set(i, j, rng.NormFloat64())
			}
			y[i] = float64(1 - 2*rng.IntN(2))
		}
		ds, err := nn.NewDataset(x, y)
		if err != nil {
			t.Fatal(err)
		}
		m, err := nn.NewMLP(nn.Config{In: d, Widths: []int{width}})
		if err != nil {
			t.Fatal(err)
		}
		theta := make([]float64, m.Layout().Size())
		m.Init(theta, nn.InitUniform, rapid.SampledFrom([]float64{1e-3, 1, 50}).Draw(t, "alpha"), rng)
		obj := nn.Objective{Loss: rapid.SampledFrom([]nn.Loss{nn.Exp, nn.Logistic}).Draw(t, "loss")}
		ws, ev := m.NewWorkspace(n), nn.NewEval(n, len(theta))
		names := []string{"gd", "sd", "sd-unnormalized", "cd", "adam", "adam-nomomentum", "lp"}
		if !big {
			names = append(names, "spectral", "shampoo")
		}
		name := rapid.SampledFrom(names).Draw(t, "optimizer")
		newOpt := func() Optimizer {
			cfg := Config{Name: name, LR: 0.01, Normalized: true, Layout: m.Layout(), P: 1.5}
			switch name {
			case "sd-unnormalized":
				cfg.Name, cfg.Normalized = "sd", false
			case "adam":
				cfg.Beta1, cfg.Beta2, cfg.Eps = 0.9, 0.99, 1e-8
			case "adam-nomomentum":
				cfg.Name, cfg.Beta2, cfg.Eps = "adam", 0.99, 1e-2
			}
			o, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		a, b := newOpt(), newOpt()
		// Earlier plain steps give Adam a frame and moments.
		for range rapid.IntRange(0, 2).Draw(t, "warm") {
			m.Evaluate(ws, theta, ds, obj, ev, true)
			th := slices.Clone(theta)
			errA, errB := a.Step(theta, ev), b.Step(th, ev)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("%s: twin optimizers' steps gave %v and %v", name, errA, errB)
			}
			if errA != nil {
				// e.g. Shampoo's inverse root on a preconditioner too
				// ill-conditioned at α = 50: nothing left to compare.
				return
			}
		}
		m.Evaluate(ws, theta, ds, obj, ev, true)
		if rapid.IntRange(0, 5).Draw(t, "poison") == 0 {
			ev.Grad[rapid.IntRange(0, len(theta)-1).Draw(t, "at")] = math.NaN()
		}
		spectral := !big && rapid.Bool().Draw(t, "spectral")
		mtA, err := NewMeter(m.Degree(), m.Layout(), spectral, false)
		if err != nil {
			t.Fatal(err)
		}
		mtB, _ := NewMeter(m.Degree(), m.Layout(), spectral, false)
		pool := tensor.NewPool(rapid.IntRange(1, 3).Draw(t, "threads"))
		mtB.Pool = pool
		if ps, ok := b.(interface{ SetPool(*tensor.Pool) }); ok {
			ps.SetPool(pool)
		}

		thA, thB := slices.Clone(theta), slices.Clone(theta)
		want, err := mtA.Measure(4, thA, ev)
		if err != nil {
			t.Fatal(err)
		}
		errA := a.Step(thA, ev)
		got, errB := mtB.MeasureStep(4, thB, ev, b)
		if (errA == nil) != (errB == nil) || errA != nil && errA.Error() != errB.Error() {
			t.Fatalf("%s: Step's error %v, MeasureStep's %v", name, errA, errB)
		}
		wf, gf := want.Fields(), got.Fields()
		if len(wf) != len(gf) {
			t.Fatalf("%s: %d fields, Measure's %d", name, len(gf), len(wf))
		}
		for i := range wf {
			if wf[i].Name != gf[i].Name || !sameValue(wf[i].Value, gf[i].Value) {
				t.Fatalf("%s: %s = %v, Measure gives %s = %v", name, gf[i].Name, gf[i].Value, wf[i].Name, wf[i].Value)
			}
		}
		if errA != nil {
			return // θ and the state are unspecified after a failed step
		}
		for i := range thA {
			if !sameValue(thA[i], thB[i]) {
				t.Fatalf("%s: θ_%d = %v after MeasureStep, %v after Step", name, i, thB[i], thA[i])
			}
		}
		sa, sb := a.State(), b.State()
		for k := range sa {
			for i := range sa[k] {
				if !sameValue(sa[k][i], sb[k][i]) {
					t.Fatalf("%s: state %d[%d] = %v after MeasureStep, %v after Step", name, k, i, sb[k][i], sa[k][i])
				}
			}
		}
		if pa, ok := a.(ParamMaxAbser); ok {
			ma, ka := pa.ParamMaxAbs()
			mb, kb := b.(ParamMaxAbser).ParamMaxAbs()
			if ka != kb || ka && !sameValue(ma, mb) {
				t.Fatalf("%s: ParamMaxAbs %v, %v after MeasureStep; %v, %v after Step", name, mb, kb, ma, ka)
			}
			if ka && !sameValue(ma, asm.MaxAbs(thA)) {
				t.Fatalf("%s: ParamMaxAbs %v, ‖θ‖∞ %v", name, ma, asm.MaxAbs(thA))
			}
		}
	})
}

// TestUpdateRanges: the range-by-range updates (tensor.StepRanges on the
// GEMM pool) of a vector of p ≥ 2^16 parameters equal bitwise the same
// optimizer's updates of three pieces of it (the elementwise steps: GD,
// normalized sign descent, Adam with its moments; a piece below 2^16 is one
// range), and CD moves exactly the coordinate ArgMaxAbs finds in the whole
// gradient, for 1, 2 and 3 threads, with zeros, ±Inf and NaN planted in the
// gradient (then every form fails).
func TestUpdateRanges(t *testing.T) {
	const p = 77056
	rapid.Check(t, func(t *rapid.T) {
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 9))
		theta, grad := make([]float64, p), make([]float64, p)
		m0, v0 := make([]float64, p), make([]float64, p)
		for i := range theta {
			theta[i], grad[i] = rng.NormFloat64(), rng.NormFloat64()*1e-3
			m0[i], v0[i] = rng.NormFloat64()*1e-3, rng.Float64()*1e-6
		}
		for range rapid.IntRange(0, 3).Draw(t, "specials") {
			grad[rapid.IntRange(0, p-1).Draw(t, "at")] = rapid.SampledFrom([]float64{0, 0.5, -0.7, math.Inf(1), math.NaN()}).Draw(t, "special")
		}
		logScale := rapid.SampledFrom([]float64{0, -3, 2}).Draw(t, "logScale")
		name := rapid.SampledFrom([]string{"gd", "sd", "cd", "cd-unnormalized", "adam", "adam-nomomentum"}).Draw(t, "optimizer")
		// newOpt returns the optimizer for parameters [lo, hi).
		newOpt := func(lo, hi int) Optimizer {
			var o Optimizer
			var err error
			switch name {
			case "gd":
				o, err = NewGD(0.01)
			case "sd":
				o, err = NewSD(0.01, true)
			case "cd", "cd-unnormalized":
				o, err = NewCD(0.01, name == "cd")
			case "adam", "adam-nomomentum":
				b1, eps := 0.9, 1e-8
				if name == "adam-nomomentum" {
					b1, eps = 0, 1e-2
				}
				var a *Adam
				if a, err = NewAdam(hi-lo, 0.01, b1, 0.99, eps); err == nil {
					copy(a.M, m0[lo:hi])
					copy(a.V, v0[lo:hi])
					a.T, a.Frame = 3, -1 // an earlier step's count and frame
				}
				o = a
			}
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		pool := tensor.NewPool(rapid.IntRange(1, 3).Draw(t, "threads"))
		whole := newOpt(0, p)
		whole.(interface{ SetPool(*tensor.Pool) }).SetPool(pool)
		got := slices.Clone(theta)
		errWhole := whole.Update(got, grad, logScale)

		want := slices.Clone(theta)
		var wantErr bool
		var pieces []Optimizer
		if name == "cd" || name == "cd-unnormalized" {
			k := asm.ArgMaxAbs(grad)
			switch g := grad[k]; {
			case g != g || math.IsInf(g, 0):
				wantErr = true
			case g == 0:
			case name == "cd":
				want[k] -= math.Exp(math.Log(0.01)) * math.Copysign(1, g) // η as Steepest holds it, through its logarithm
			default:
				want[k] -= math.Exp(math.Log(0.01)+logScale) * g
			}
		} else {
			cuts := []int{0, rapid.IntRange(1, 1000).Draw(t, "cut1"), rapid.IntRange(70000, p-1).Draw(t, "cut2"), p}
			for i := range 3 {
				lo, hi := cuts[i], cuts[i+1]
				o := newOpt(lo, hi)
				pieces = append(pieces, o)
				if o.Update(want[lo:hi], grad[lo:hi], logScale) != nil {
					wantErr = true
				}
			}
		}
		if (errWhole != nil) != wantErr {
			t.Fatalf("%s: error %v, want an error: %v", name, errWhole, wantErr)
		}
		if wantErr {
			return // θ and the state are unspecified after a failed step
		}
		for i := range got {
			if !sameValue(got[i], want[i]) {
				t.Fatalf("%s: θ_%d = %v in ranges, %v in pieces (CD: ArgMaxAbs %d)", name, i, got[i], want[i], asm.ArgMaxAbs(grad))
			}
		}
		if a, ok := whole.(*Adam); ok {
			var m, v []float64
			for _, o := range pieces {
				m, v = append(m, o.(*Adam).M...), append(v, o.(*Adam).V...)
			}
			for i := range m {
				if !sameValue(a.M[i], m[i]) || !sameValue(a.V[i], v[i]) {
					t.Fatalf("%s: moments at %d: %v, %v in ranges; %v, %v in pieces", name, i, a.M[i], a.V[i], m[i], v[i])
				}
			}
		}
		if pm, ok := whole.(ParamMaxAbser); ok {
			if m, known := pm.ParamMaxAbs(); known && !sameValue(m, asm.MaxAbs(got)) {
				t.Fatalf("%s: ParamMaxAbs %v, ‖θ‖∞ %v", name, m, asm.MaxAbs(got))
			}
		}
	})
}
