package verify

import (
	"fmt"

	"github.com/margo-lab/margo/nn"
)

// Biases and homogeneity (nn.Config.Bias). A bias in the first hidden
// layer is a weight on a constant input and keeps f homogeneous, so the
// homogeneity and Euler checks draw such models too (drawFirstLayerBias)
// and must pass on them. A bias in a later hidden layer breaks (A2): the
// checks homogeneity-bias and euler-bias draw models with at least two
// biased hidden layers, claim the degree of the bias-free architecture
// (MLPModel.Degree), and expect every case to fail. A case in which no
// bias above the first layer reaches f (every unit it feeds is dead on
// every sample, possible with ReLU) cannot show anything and is skipped;
// any other case that passes is an unexpected pass, reported as a failure
// of the run: it would mean the check cannot see a non-homogeneous model.

// drawFirstLayerBias gives a network with exactly one hidden layer biases
// in a quarter of the cases: it stays homogeneous (its degree unchanged).
func drawFirstLayerBias(src Source, c *Case) {
	if len(c.Widths) == 1 && src.Int("bias", 0, 3) == 0 {
		c.Bias = true
	}
}

// biased turns a generator into one of models with biases in at least two
// hidden layers (widths drawn as drawModel does, appended when short).
func biased(gen func(Source, bool) Case) func(Source, bool) Case {
	return func(src Source, short bool) Case {
		c := gen(src, short)
		for len(c.Widths) < 2 {
			c.Widths = append(c.Widths, src.Int(fmt.Sprintf("width%d", len(c.Widths)), 1, 8))
		}
		c.Bias = true
		return c
	}
}

func runHomogeneityBias(c Case) (Result, error) { return runNonHomogeneous(c, homogeneityOn) }

func runEulerBias(c Case) (Result, error) { return runNonHomogeneous(c, eulerOn) }

// runNonHomogeneous runs a homogeneity statement on the non-homogeneous
// model of c, expected to fail. A case without a bias above the first
// hidden layer (e.g. one shrunk to a single hidden layer), or in which
// those biases do not reach f on any sample, is skipped: it has nothing to
// show.
func runNonHomogeneous(c Case, run func(Case, *setup) (Result, error)) (Result, error) {
	if !c.Bias || len(c.Widths) < 2 {
		return Result{}, fmt.Errorf("no bias above the first hidden layer, f is homogeneous: %w", errSkip)
	}
	s, err := build(c)
	if err != nil {
		return Result{}, err
	}
	if s.mlp.Homogeneous() {
		return Result{}, fmt.Errorf("verify: %+v: nn reports a model with biases in %d hidden layers homogeneous", c, len(c.Widths))
	}
	inert, err := biasesInert(s)
	if err != nil {
		return Result{}, err
	}
	if inert {
		return Result{}, fmt.Errorf("no bias above the first hidden layer reaches f on any sample: %w", errSkip)
	}
	return run(c, s)
}

// biasesInert reports whether ∂f(x_i)/∂b_l = 0 for every sample i and
// every bias b_l above the first hidden layer (l ≥ 2), at the setup's θ.
func biasesInert(s *setup) (bool, error) {
	lay := s.mlp.Layout()
	ev := nn.NewEval(1, lay.Size())
	one := []float64{1}
	for i := range s.x.Rows {
		d, err := nn.NewDataset(s.x.Slice(i, i+1, 0, s.x.Cols), one)
		if err != nil {
			return false, fmt.Errorf("verify: bias: sample %d: %w", i, err)
		}
		s.model.Evaluate(s.theta, d, nn.Objective{Loss: nn.Exp}, ev) // Grad = −∇f(x_i)
		for l := 1; l < lay.Biases(); l++ {
			for _, g := range lay.Bias(ev.Grad, l) {
				if g != 0 {
					return false, nil
				}
			}
		}
	}
	return true, nil
}
