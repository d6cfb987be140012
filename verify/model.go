package verify

import (
	"fmt"
	"math"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// Model is what the checks need from a network f(x; θ) with a flat
// parameter vector θ. *MLPModel adapts an nn.MLP; a user can check a model
// of their own by implementing it.
type Model interface {
	// Degree is the claimed degree L of homogeneity in θ (assumption A2).
	// The checks test the claim; they do not assume it.
	Degree() int
	// Size is len(θ).
	Size() int
	// Forward writes out_i = f(x_i; θ) for every row of x.
	Forward(theta []float64, x *tensor.Dense, out []float64)
	// Magnitude writes an upper bound on the magnitude of the terms that
	// make up f(x_i; θ), the scale that rounding errors are measured
	// against. For an MLP it is the same network evaluated on |θ| and |x|
	// (and |frozen layer|; biases are part of θ), which bounds every
	// partial sum of f.
	Magnitude(theta []float64, x *tensor.Dense, out []float64)
	// Evaluate fills ev (margins, log-loss, sample weights and, always,
	// the gradient direction) as nn.MLP.Evaluate does with grad = true.
	Evaluate(theta []float64, d *nn.Dataset, obj nn.Objective, ev *nn.Eval)
}

// MLPModel is the Model of an nn.MLP. It holds workspaces and is not safe
// for concurrent use.
type MLPModel struct {
	m, abs     *nn.MLP
	ws, absWS  *nn.Workspace
	absTheta   []float64
	absX       *tensor.Dense
	absXBuffer []float64
}

// NewMLPModel wraps m. The magnitude network is a copy of m's architecture
// whose frozen layer (if any) holds |frozen|; it is refreshed on every call
// to Magnitude, so later changes to m.Frozen() are seen.
func NewMLPModel(m *nn.MLP) (*MLPModel, error) {
	if m == nil {
		return nil, fmt.Errorf("verify: nil model")
	}
	shapes := m.Shapes()
	cfg := nn.Config{In: m.In(), FreezeLast: m.Frozen() != nil, Act: m.Act(), Bias: m.HasBias()}
	for _, s := range shapes[:len(shapes)-1] {
		cfg.Widths = append(cfg.Widths, s.Out)
	}
	abs, err := nn.NewMLP(cfg)
	if err != nil {
		return nil, fmt.Errorf("verify: magnitude network: %w", err)
	}
	return &MLPModel{m: m, abs: abs, ws: m.NewWorkspace(1), absWS: abs.NewWorkspace(1)}, nil
}

// MLP returns the wrapped network.
func (a *MLPModel) MLP() *nn.MLP { return a.m }

// Degree returns nn.MLP.NominalDegree, the number of trainable weight
// layers: the degree of a homogeneous MLP (nn.MLP.Degree), and for one with
// biases above its first hidden layer the degree it would have without
// them, a claim that the homogeneity and Euler checks refute (their
// expected failures, see the bias checks).
func (a *MLPModel) Degree() int { return a.m.NominalDegree() }

// Size returns the number of trainable parameters.
func (a *MLPModel) Size() int { return a.m.Layout().Size() }

// Forward runs nn.MLP.Forward.
func (a *MLPModel) Forward(theta []float64, x *tensor.Dense, out []float64) {
	a.m.Forward(a.ws, theta, x, out)
}

// Evaluate runs nn.MLP.Evaluate with the gradient.
func (a *MLPModel) Evaluate(theta []float64, d *nn.Dataset, obj nn.Objective, ev *nn.Eval) {
	a.m.Evaluate(a.ws, theta, d, obj, ev, true)
}

// Magnitude evaluates the network on |θ| and |x|: with non-negative inputs
// and weights every pre-activation is non-negative, the (leaky) ReLU is the
// identity on it, and the result bounds Σ|terms| of every sum in f.
func (a *MLPModel) Magnitude(theta []float64, x *tensor.Dense, out []float64) {
	if fz := a.m.Frozen(); fz != nil {
		for i, v := range fz {
			a.abs.Frozen()[i] = math.Abs(v)
		}
	}
	if cap(a.absTheta) < len(theta) {
		a.absTheta = make([]float64, len(theta))
	}
	a.absTheta = a.absTheta[:len(theta)]
	for i, v := range theta {
		a.absTheta[i] = math.Abs(v)
	}
	if cap(a.absXBuffer) < x.Rows*x.Cols {
		a.absXBuffer = make([]float64, x.Rows*x.Cols)
	}
	buf := a.absXBuffer[:x.Rows*x.Cols]
	for i := 0; i < x.Rows; i++ {
		row := x.Row(i)
		for j := 0; j < x.Cols; j++ {
			buf[i*x.Cols+j] = math.Abs(row[j])
		}
	}
	a.absX = &tensor.Dense{Rows: x.Rows, Cols: x.Cols, Stride: x.Cols, Data: buf}
	a.abs.Forward(a.absWS, a.absTheta, a.absX, out)
}
