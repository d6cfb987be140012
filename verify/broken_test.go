package verify

import (
	"errors"
	"math"
	"testing"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// The checks must be able to fail: each test below feeds a deliberately
// broken model, gradient or optimizer, or a non-stationary point, and
// expects the check to report it.

// biasModel adds a constant b to f: not homogeneous (A2 fails), and Euler's
// identity misses L·b. Its gradient in θ is the wrapped model's.
type biasModel struct {
	*MLPModel
	b float64
}

func (m biasModel) Forward(theta []float64, x *tensor.Dense, out []float64) {
	m.MLPModel.Forward(theta, x, out)
	for i := range x.Rows {
		out[i] += m.b
	}
}

func (m biasModel) Magnitude(theta []float64, x *tensor.Dense, out []float64) {
	m.MLPModel.Magnitude(theta, x, out)
	for i := range x.Rows {
		out[i] += math.Abs(m.b)
	}
}

// flippedModel returns the gradient with the sign of its first layer
// flipped (a classic backpropagation bug).
type flippedModel struct {
	*MLPModel
	firstLayer int
}

func (m flippedModel) Evaluate(theta []float64, d *nn.Dataset, obj nn.Objective, ev *nn.Eval) {
	m.MLPModel.Evaluate(theta, d, obj, ev)
	for i := range m.firstLayer {
		ev.Grad[i] = -ev.Grad[i]
	}
}

// degreeModel claims the wrong degree of homogeneity.
type degreeModel struct{ *MLPModel }

func (m degreeModel) Degree() int { return m.MLPModel.Degree() + 1 }

// drawSetup draws a model case with at least one hidden layer.
func drawSetup(t *rapid.T) (Case, *setup) {
	c, err := Generate("euler", rapidSource{t}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Widths) == 0 {
		c.Widths = []int{3}
	}
	s, err := build(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func TestHomogeneityCatchesBiasAndWrongDegree(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		c, s := drawSetup(rt)
		// A bias of 1% of the typical |f| breaks the identity by
		// |b|·|1 − c^L| ≫ the rounding bound.
		b := 0.01 * math.Max(1e-3, meanAbsOutput(s))
		for _, m := range []Model{biasModel{s.model, b}, degreeModel{s.model}} {
			res, err := Homogeneity(m, s.theta, s.x, 2.5)
			if err != nil {
				rt.Fatal(err)
			}
			if res.Pass() && meanAbsOutput(s) > 1e-12 {
				rt.Fatalf("%+v: broken model %T passed homogeneity: %+v", c, m, res)
			}
		}
	})
}

func meanAbsOutput(s *setup) float64 {
	out := make([]float64, s.x.Rows)
	s.model.Forward(s.theta, s.x, out)
	var m float64
	for _, v := range out {
		m += math.Abs(v) / float64(len(out))
	}
	return m
}

func TestEulerCatchesBiasAndFlippedGradient(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		c, s := drawSetup(rt)
		if meanAbsOutput(s) == 0 {
			rt.Skip("network vanishes on every input")
		}
		d, err := nn.NewDataset(s.x, s.randomLabels(c.N))
		if err != nil {
			rt.Fatal(err)
		}
		first := s.mlp.Layout().Shape(0)
		for _, m := range []Model{biasModel{s.model, meanAbsOutput(s)}, flippedModel{s.model, first.Out * first.In}} {
			res, err := Euler(m, s.theta, d)
			if err != nil {
				rt.Fatal(err)
			}
			if res.Pass() {
				rt.Fatalf("%+v: broken model %T passed Euler: %+v", c, m, res)
			}
		}
	})
}

func TestGradientCheckCatchesFlippedGradient(t *testing.T) {
	caught, cases := 0, 0
	rapid.Check(t, func(rt *rapid.T) {
		c, s := drawSetup(rt)
		d, err := nn.NewDataset(s.x, s.randomLabels(c.N))
		if err != nil {
			rt.Fatal(err)
		}
		v := make([]float64, len(s.theta))
		first := s.mlp.Layout().Shape(0)
		for i := range first.Out * first.In { // probe the flipped layer
			v[i] = s.rng.NormFloat64()
		}
		res, err := GradientCheck(flippedModel{s.model, first.Out * first.In}, s.theta, d, nn.Objective{Loss: nn.Exp}, v)
		if err != nil {
			rt.Fatal(err)
		}
		// A layer whose gradient vanishes (dead ReLUs) cannot show a flip.
		ev := nn.NewEval(d.Len(), len(s.theta))
		s.model.Evaluate(s.theta, d, nn.Objective{Loss: nn.Exp}, ev)
		if math.Abs(asm.Dot(ev.Grad, v)) > 1e-8*asm.Nrm2(ev.Grad)*asm.Nrm2(v) {
			cases++
			if !res.Pass() {
				caught++
			}
		}
	})
	// Finite differences across a ReLU kink inflate the bound (see
	// GradientCheck); all but a few percent of the informative cases must
	// be caught.
	if cases == 0 || float64(caught) < 0.95*float64(cases) {
		t.Fatalf("flipped gradient caught in %d of %d informative cases", caught, cases)
	}
	t.Logf("flipped gradient caught in %d of %d informative cases", caught, cases)
}

// ascentOptimizer is steepest ascent: the steepest step for −∇L. It
// shrinks the soft margin at first order (by about (‖g‖⋆h + L·a·h/N)/N^L).
// (Weight decay is no test: shrinking θ changes γ̃ only through the
// entropy of the sample weights, which vanishes once one sample dominates.)
type ascentOptimizer struct {
	steepest.Optimizer
	neg []float64
}

func (o ascentOptimizer) Update(theta, grad []float64, logScale float64) error {
	for i, g := range grad {
		o.neg[i] = -g
	}
	return o.Optimizer.Update(theta, o.neg, logScale)
}

func (o ascentOptimizer) Step(theta []float64, ev *nn.Eval) error {
	return o.Update(theta, ev.Grad, ev.LogScale)
}

func TestMarginMonotoneCatchesShrinkingOptimizer(t *testing.T) {
	// A case is informative when the soft margin, computed here from the
	// recorded iterates (Soft/‖θ‖^L, not by the check), falls over some
	// step by more than twice the check's allowance: then the check must
	// fail. Ascent moves γ̃ at first order, but the first-order terms of
	// the loss and of ‖θ‖ can nearly cancel (ℓ∞: the step may pull the
	// largest coordinate inwards); such a case cannot tell a sound check
	// from a broken one. Most cases must be informative, so that an
	// allowance inflated to swallow every decrease would fail too.
	var informative, cases int
	rapid.Check(t, func(rt *rapid.T) {
		c, err := Generate("margin-monotone", rapidSource{rt}, true)
		if err != nil {
			rt.Fatal(err)
		}
		s, err := build(c)
		if err != nil {
			rt.Fatal(err)
		}
		if c.In < 2 {
			// d = 1: every such network computes α·max(x, 0) + β·min(x, 0),
			// the labels fix the signs, and a step is mostly a rescaling,
			// which moves γ̃ only through the entropy of the weights.
			rt.Skip("one input dimension")
		}
		d, err := s.teacherData()
		if errors.Is(err, errSkip) {
			rt.Skip(err)
		}
		if err != nil {
			rt.Fatal(err)
		}
		norm, _ := normOf(c.Norm)
		loss, _ := lossOf(c.Loss)
		// Step length: small against the smallest margin, so that the
		// first-order loss dominates: |Δq_i| ≲ L·M_i·h/‖θ‖ with M_i the
		// magnitude of f(x_i), so h = 1e−4·‖θ‖·q_min/max M keeps every
		// |Δq_i| ≲ 1e−4·L·q_min·(norm equivalence constant).
		mag := make([]float64, d.Len())
		s.model.Magnitude(s.theta, d.X, mag)
		ev := nn.NewEval(d.Len(), len(s.theta))
		s.model.Evaluate(s.theta, d, nn.Objective{Loss: nn.Exp}, ev)
		opt, err := steepest.NewSteepest(norm, 1e-4*norm.Value(s.theta)*ev.QMin()/asm.MaxAbs(mag), true)
		if err != nil {
			rt.Fatal(err)
		}
		// Uphill: γ̃ falls at first order in the step, the allowance is
		// second order.
		tr, err := Train(s.model, d, nn.Objective{Loss: loss, Mean: c.Mean}, ascentOptimizer{opt, make([]float64, len(s.theta))}, s.theta, 3)
		if err != nil {
			rt.Fatal(err)
		}
		res, err := MarginMonotone(tr, norm)
		if err != nil {
			rt.Fatal(err)
		}
		cases++
		L := float64(tr.Degree)
		drop := math.Inf(-1)
		for t := 0; t+1 < len(tr.Points); t++ {
			p0, p1 := &tr.Points[t], &tr.Points[t+1]
			if !separated(tr.Loss, p0.LogLoss) {
				continue
			}
			g0 := p0.Soft / math.Pow(norm.Value(p0.Theta), L)
			g1 := p1.Soft / math.Pow(norm.Value(p1.Theta), L)
			drop = max(drop, (g0-g1)/g0)
		}
		if !(drop > 2*res.Bound) {
			return
		}
		informative++
		if res.Pass() {
			rt.Fatalf("%+v: steepest ascent passed margin-monotone: %+v", c, res)
		}
	})
	if cases == 0 || float64(informative) < 0.8*float64(cases) {
		t.Fatalf("only %d of %d cases informative: the allowance swallows first-order decreases", informative, cases)
	}
	t.Logf("%d of %d cases informative", informative, cases)
}

func TestKKTCatchesNonStationaryPoint(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		c, err := Generate("oracle", rapidSource{rt}, true)
		if err != nil {
			rt.Fatal(err)
		}
		s, err := build(Case{Seed: c.Seed, In: c.In, N: c.N})
		if err != nil {
			rt.Fatal(err)
		}
		d, err := linearData(s, c.N, c.In)
		if err != nil {
			rt.Fatal(err)
		}
		ns := []steepest.Norm{steepest.L2{}, steepest.LInf{}, steepest.L1{}}
		for k, nrm := range ns {
			for b, other := range ns {
				th, _, err := MaxMargin(d, other)
				if err != nil {
					rt.Fatal(err)
				}
				kr, err := KKT(s.model, th, d, nrm, KKTOptions{TieTol: 1e-9, Refit: true})
				if err != nil {
					rt.Fatal(err)
				}
				resid := math.Max(kr.EpsFitRel, kr.DeltaFitRel)
				// The oracle of norm k is a KKT point of its own problem; the
				// oracle of another norm is not (unless it is also optimal
				// for norm k: the margins tell).
				gap := 1 - Margin(d, th, nrm)/Margin(d, mustMax(rt, d, nrm), nrm)
				switch {
				case b == k && resid > oracleKKTTol:
					rt.Fatalf("%s oracle not KKT for its own problem: %+v", nrm.Name(), kr)
				case b != k && gap > 1e-3 && resid <= oracleKKTTol:
					rt.Fatalf("%s oracle (gap %.3g) passed as KKT point of the %s problem: ε %.3g δ %.3g", other.Name(), gap, nrm.Name(), kr.EpsFitRel, kr.DeltaFitRel)
				}
			}
		}
	})
}

func mustMax(t *rapid.T, d *nn.Dataset, nrm steepest.Norm) []float64 {
	th, _, err := MaxMargin(d, nrm)
	if err != nil {
		t.Fatal(err)
	}
	return th
}
