package verify

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/tensor"
)

// Case is one randomly drawn instance of a check: every parameter that
// decides it, so that the small JSON file holding a Case re-runs it exactly
// (Replay). Data, weights and directions are drawn from Seed by a PCG
// generator in a fixed order.
type Case struct {
	Check   string  `json:"check"`
	Seed    uint64  `json:"seed"`
	In      int     `json:"in"`                    // input dimension d
	Widths  []int   `json:"widths,omitempty"`      // hidden widths (none: linear model)
	Freeze  bool    `json:"freeze_last,omitempty"` // frozen last layer
	Slope   float64 `json:"slope,omitempty"`       // leaky-ReLU slope
	N       int     `json:"n"`                     // samples
	Loss    string  `json:"loss,omitempty"`        // exp or logistic
	Mean    bool    `json:"mean,omitempty"`        // mean instead of sum objective
	Norm    string  `json:"norm,omitempty"`        // l2, linf, l1
	Normal  bool    `json:"normalized,omitempty"`  // normalized steps
	Steps   int     `json:"steps,omitempty"`       // training steps
	RelStep float64 `json:"rel_step,omitempty"`    // step length relative to ‖θ‖
	Factor  float64 `json:"factor,omitempty"`      // homogeneity factor c
	Bias    bool    `json:"bias,omitempty"`        // hidden-layer biases (nn.Config.Bias)
}

// Source draws the parameters of a Case. The engine uses a seeded PCG
// source (NewRandSource); the tests use rapid's generators, which shrink.
type Source interface {
	// Int returns an integer in [lo, hi].
	Int(name string, lo, hi int) int
	// Float returns a float in [lo, hi].
	Float(name string, lo, hi float64) float64
	// Uint64 returns a seed.
	Uint64(name string) uint64
}

// randSource is a Source over math/rand/v2's PCG.
type randSource struct{ r *rand.Rand }

// NewRandSource returns the Source of case index of a run with the given
// seed: a PCG generator seeded with (seed, index), so that every case can be
// drawn on its own.
func NewRandSource(seed uint64, index int) Source {
	return randSource{rand.New(rand.NewPCG(seed, uint64(index)))}
}

func (s randSource) Int(_ string, lo, hi int) int { return lo + s.r.IntN(hi-lo+1) }
func (s randSource) Float(_ string, lo, hi float64) float64 {
	return lo + (hi-lo)*s.r.Float64()
}
func (s randSource) Uint64(string) uint64 { return s.r.Uint64() }

// errSkip marks a case that cannot be run (e.g. a network that is identically
// zero on the data); the engine counts it as skipped, not failed.
var errSkip = errors.New("case skipped")

// check is one named check: how to draw a case and how to run it. A check
// with expectFail tests a statement that does not hold for its cases (the
// homogeneity of a biased model): each case is expected to fail, and one
// that passes is an unexpected pass, counted as a failure.
type check struct {
	name, doc  string
	gen        func(src Source, short bool) Case
	run        func(c Case) (Result, error)
	expectFail bool
}

// registry lists the checks in report order.
var registry = []check{
	{"homogeneity", "f(x; cθ) = c^L f(x; θ) (A2)", genHomogeneity, runHomogeneity, false},
	{"euler", "⟨∇f, θ⟩ = L f (Lemma 15, Thm 1 proof)", genEuler, runEuler, false},
	{"homogeneity-bias", "biases above the first hidden layer break (A2): expected to fail", biased(genHomogeneity), runHomogeneityBias, true},
	{"euler-bias", "biases above the first hidden layer break Euler's identity: expected to fail", biased(genEuler), runEulerBias, true},
	{"gradient", "∇log L vs finite differences", genGradient, runGradient, false},
	{"margin-monotone", "soft margin non-decreasing after separation (Thm 1/9, Thm 22)", genMonotone, runMonotone, false},
	{"kkt", "Prop. 28 identity and bounds, Cor. 30 (ℓ2) along training", genKKT, runKKT, false},
	{"oracle", "linear model: each steepest descent nears its own max-margin direction (§3.7 item 7)", genOracle, runOracle, false},
}

// ExpectedToFail reports whether the named check is one whose cases are
// expected to fail (the bias checks); false for an unknown name.
func ExpectedToFail(name string) bool {
	c, err := lookup(name)
	return err == nil && c.expectFail
}

// Checks returns the names of the checks, in report order.
func Checks() []string {
	names := make([]string, len(registry))
	for i, c := range registry {
		names[i] = c.name
	}
	return names
}

func lookup(name string) (check, error) {
	for _, c := range registry {
		if c.name == name {
			return c, nil
		}
	}
	return check{}, fmt.Errorf("verify: unknown check %q (have %v)", name, Checks())
}

// Generate draws a case of the named check from src; short trims the
// training trajectories (for slow machines and emulators).
func Generate(name string, src Source, short bool) (Case, error) {
	c, err := lookup(name)
	if err != nil {
		return Case{}, err
	}
	cs := c.gen(src, short)
	cs.Check = name
	return cs, nil
}

// RunCase runs one case. An error wrapping errSkip means the case was
// degenerate and did not test anything.
func RunCase(c Case) (Result, error) {
	ch, err := lookup(c.Check)
	if err != nil {
		return Result{}, err
	}
	if err := c.validate(); err != nil {
		return Result{}, err
	}
	return ch.run(c)
}

// validate rejects cases that no generator makes (e.g. a hand-edited file).
func (c Case) validate() error {
	if c.In < 1 || c.In > 1000 || c.N < 1 || c.N > 10000 || len(c.Widths) > 8 || c.Steps < 0 || c.Steps > 1e6 {
		return fmt.Errorf("verify: case out of range: %+v", c)
	}
	for _, w := range c.Widths {
		if w < 1 || w > 1000 {
			return fmt.Errorf("verify: case width %d out of range", w)
		}
	}
	return nil
}

// drawModel draws an architecture: d ∈ [1, 6], up to three hidden layers of
// width 1–8, sometimes a frozen last layer, sometimes leaky ReLU.
func drawModel(src Source, c *Case) {
	c.In = src.Int("in", 1, 6)
	depth := src.Int("hidden", 0, 3)
	c.Widths = nil
	for l := range depth {
		c.Widths = append(c.Widths, src.Int(fmt.Sprintf("width%d", l), 1, 8))
	}
	if depth > 0 && src.Int("freeze", 0, 3) == 0 {
		c.Freeze = true
	}
	if src.Int("leaky", 0, 2) == 0 {
		c.Slope = src.Float("slope", 0.01, 0.5)
	}
}

func drawLoss(src Source, c *Case) {
	if src.Int("logistic", 0, 1) == 1 {
		c.Loss = "logistic"
	} else {
		c.Loss = "exp"
	}
}

var norms = []string{"l2", "linf", "l1"}

func drawNorm(src Source, c *Case) {
	c.Norm = norms[src.Int("norm", 0, len(norms)-1)]
}

// normOf returns the steepest.Norm of a case's name.
func normOf(name string) (steepest.Norm, error) {
	switch name {
	case "l2":
		return steepest.L2{}, nil
	case "linf":
		return steepest.LInf{}, nil
	case "l1":
		return steepest.L1{}, nil
	}
	return nil, fmt.Errorf("verify: unknown norm %q (l2, linf, l1)", name)
}

func lossOf(name string) (nn.Loss, error) {
	switch name {
	case "", "exp":
		return nn.Exp, nil
	case "logistic":
		return nn.Logistic, nil
	}
	return 0, fmt.Errorf("verify: unknown loss %q (exp, logistic)", name)
}

// setup is the model, weights and data of a case, drawn from its seed.
type setup struct {
	mlp   *nn.MLP
	model *MLPModel
	theta []float64
	x     *tensor.Dense
	rng   *rand.Rand
}

// build draws θ ~ N(0, 1) (and the frozen layer; biases are part of θ) and
// X ~ N(0, 1)^{n×d} from c.Seed.
func build(c Case) (*setup, error) {
	mlp, err := nn.NewMLP(nn.Config{In: c.In, Widths: c.Widths, FreezeLast: c.Freeze, Act: nn.Activation{Slope: c.Slope}, Bias: c.Bias})
	if err != nil {
		return nil, fmt.Errorf("verify: case model: %w", err)
	}
	model, err := NewMLPModel(mlp)
	if err != nil {
		return nil, err
	}
	s := &setup{mlp: mlp, model: model, rng: rand.New(rand.NewPCG(c.Seed, 0x5eed))}
	s.theta = make([]float64, mlp.Layout().Size())
	mlp.Init(s.theta, nn.InitGaussian, 1, s.rng)
	s.x = tensor.NewDense(c.N, c.In)
	for i := range s.x.Data {
		s.x.Data[i] = s.rng.NormFloat64()
	}
	return s, nil
}

// randomLabels draws y uniformly from {−1, +1}.
func (s *setup) randomLabels(n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(2*s.rng.IntN(2) - 1)
	}
	return y
}

// teacherData labels X by the sign of f(x; θ) itself (so θ separates the
// data) and scales θ so that the sum loss is below the separation threshold
// of (A3): q_min·c^L = log n + 2 gives L_exp ≤ e^{−2} < 1 and L_logistic ≤
// n·e^{−q_min} < log 2. Inputs on which the network vanishes are redrawn.
func (s *setup) teacherData() (*nn.Dataset, error) {
	n := s.x.Rows
	f := make([]float64, n)
	y := make([]float64, n)
	qmin := math.Inf(1)
	for try := 0; ; try++ {
		s.model.Forward(s.theta, s.x, f)
		qmin = math.Inf(1)
		for _, v := range f {
			qmin = math.Min(qmin, math.Abs(v))
		}
		if qmin > 0 {
			break
		}
		if try == 50 { // a ReLU net that vanishes on some input for 50 draws
			return nil, fmt.Errorf("f(x_i; θ) = 0 after 50 redraws: %w", errSkip)
		}
		// Redraw the inputs the network vanishes on (e.g. x < 0 for a
		// one-unit ReLU net on d = 1), and θ every tenth try.
		for i, v := range f {
			if v == 0 {
				for j, row := 0, s.x.Row(i); j < len(row); j++ {
					row[j] = s.rng.NormFloat64()
				}
			}
		}
		if try%10 == 9 {
			s.mlp.Init(s.theta, nn.InitGaussian, 1, s.rng)
		}
	}
	for i, v := range f {
		y[i] = math.Copysign(1, v)
	}
	L := float64(s.model.Degree())
	c := math.Pow((math.Log(float64(n))+2)/qmin, 1/L)
	if math.IsInf(c, 0) || c == 0 {
		return nil, fmt.Errorf("scale %v: %w", c, errSkip)
	}
	for i := range s.theta {
		s.theta[i] *= c
	}
	return nn.NewDataset(s.x, y)
}
