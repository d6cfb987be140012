package nn

import (
	"fmt"
	"math/rand/v2"
)

// InitScheme chooses how Init draws the weights.
type InitScheme int

// The initialisation schemes. K_l is the fan-in of layer l (the width of the
// layer below it); d is the input dimension.
const (
	// InitUniform is the paper's default (shared/paper.md §5.1): the first
	// layer W_1 ~ U[−α/d, α/d], every later layer (middle layers and the
	// last one, frozen or not) W_l ~ U[−α/K_l, α/K_l].
	InitUniform InitScheme = iota
	// InitUniformCD is the paper's variant for coordinate descent: the
	// first layer too is drawn from U[−α/K, α/K] with K the first hidden
	// width, "to keep all the individual parameters to the same scale". For
	// the linear model (no hidden layer) it equals InitUniform.
	InitUniformCD
	// InitGaussian draws every weight from N(0, α²).
	InitGaussian
)

// String returns the scheme's name.
func (s InitScheme) String() string {
	switch s {
	case InitUniform:
		return "uniform"
	case InitUniformCD:
		return "uniform-cd"
	case InitGaussian:
		return "gaussian"
	}
	return fmt.Sprintf("InitScheme(%d)", int(s))
}

// Init fills θ (len = Layout().Size()) and, when the last layer is frozen,
// Frozen(), drawing from rng in a fixed order: the layers W_1, …, W_D in
// turn, each row-major, the frozen layer last, then the hidden biases b_1,
// …, b_{D−1} (Config.Bias). The same rng state gives the same weights, and
// the weights of a model with biases are those of the same model without.
// A bias b_l is drawn as a weight of its layer on a constant input: from
// the distribution of W_l's entries (the convention of PyTorch's Linear,
// whose bias shares its weights' uniform bound). Init panics if len(θ) is wrong, rng is nil or the scheme is
// unknown: these are programming errors. alpha is used as given (α ≤ 0 or
// NaN gives the corresponding degenerate weights).
func (m *MLP) Init(theta []float64, scheme InitScheme, alpha float64, rng *rand.Rand) {
	if len(theta) != m.layout.Size() {
		panic(fmt.Sprintf("nn: Init: len(θ) = %d, layout needs %d", len(theta), m.layout.Size()))
	}
	if scheme < InitUniform || scheme > InitGaussian {
		panic(fmt.Sprintf("nn: Init: unknown scheme %d", int(scheme)))
	}
	for l := range m.shapes {
		m.draw(m.layer(theta, l), l, scheme, alpha, rng)
	}
	for l := 0; l < m.layout.Biases(); l++ {
		m.draw(m.layout.Bias(theta, l), l, scheme, alpha, rng)
	}
}

// draw fills w with entries of layer l's distribution under scheme.
func (m *MLP) draw(w []float64, l int, scheme InitScheme, alpha float64, rng *rand.Rand) {
	if scheme == InitGaussian {
		for i := range w {
			w[i] = alpha * rng.NormFloat64()
		}
		return
	}
	s := m.shapes[l]
	bound := alpha / float64(s.In)
	if l == 0 && scheme == InitUniformCD && len(m.shapes) > 1 {
		bound = alpha / float64(s.Out)
	}
	for i := range w {
		w[i] = bound * (2*rng.Float64() - 1)
	}
}
