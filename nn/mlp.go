package nn

import (
	"fmt"
	"math"
)

// Activation is the hidden-layer nonlinearity σ(z) = max(z, Slope·z):
// Slope 0 is ReLU, 0 < Slope < 1 is leaky ReLU. Both are positively
// 1-homogeneous, so the network stays homogeneous in its weights.
type Activation struct{ Slope float64 }

// Config describes an MLP with scalar output
// f(x) = W_D σ(W_{D−1} … σ(W_1 x)), bias-free unless Bias is set.
type Config struct {
	// In is the input dimension d.
	In int
	// Widths are the hidden widths K_1, …, K_{D−1}; the network has
	// D = len(Widths)+1 weight layers. Empty means the linear model
	// f(x) = W_1 x with W_1 of shape 1×d.
	Widths []int
	// FreezeLast keeps W_D out of θ; its values live in the model (Frozen)
	// and the degree of homogeneity in θ drops to D−1. It needs at least
	// one hidden layer.
	FreezeLast bool
	// Act is the hidden-layer activation.
	Act Activation
	// Bias adds a trainable bias to every hidden layer,
	// h_l = σ(W_l h_{l−1} + b_l), with b_l of length K_l; the output layer
	// stays bias-free. The biases live in θ after all weights (Layout). A
	// bias in the first hidden layer is a weight on a constant input and
	// keeps f homogeneous; a bias in any later hidden layer breaks
	// homogeneity (see MLP.Homogeneous). It needs at least one hidden
	// layer.
	Bias bool
}

// MLP is a multilayer perceptron with scalar output, bias-free unless
// Config.Bias is set. It holds the architecture and, when the last layer is
// frozen, that layer's weights; the trainable parameters live outside it,
// in a flat θ laid out by Layout.
type MLP struct {
	in     int
	widths []int
	shapes []Shape // all D layers, trainable or not
	layout Layout  // trainable layers only
	freeze bool
	bias   bool // hidden-layer biases, in θ after the weights
	slope  float64
	frozen []float64 // W_D (1×K_{D−1}) when freeze, else nil
}

// NewMLP checks cfg and returns the model it describes.
func NewMLP(cfg Config) (*MLP, error) {
	if cfg.In < 1 {
		return nil, fmt.Errorf("nn: input dimension %d, want ≥ 1", cfg.In)
	}
	for i, k := range cfg.Widths {
		if k < 1 {
			return nil, fmt.Errorf("nn: hidden width %d (layer %d) is %d, want ≥ 1", i+1, i+1, k)
		}
	}
	if cfg.FreezeLast && len(cfg.Widths) == 0 {
		return nil, fmt.Errorf("nn: FreezeLast needs at least one hidden layer (a frozen linear model has no trainable weights)")
	}
	if cfg.Bias && len(cfg.Widths) == 0 {
		return nil, fmt.Errorf("nn: Bias needs at least one hidden layer (the output layer has no bias)")
	}
	if s := cfg.Act.Slope; !(s >= 0 && s < 1) { // also rejects NaN
		return nil, fmt.Errorf("nn: activation slope %v, want 0 ≤ slope < 1", s)
	}
	m := &MLP{in: cfg.In, widths: append([]int(nil), cfg.Widths...), freeze: cfg.FreezeLast, bias: cfg.Bias, slope: cfg.Act.Slope}
	fanIn := cfg.In
	for _, k := range cfg.Widths {
		m.shapes = append(m.shapes, Shape{Out: k, In: fanIn})
		fanIn = k
	}
	m.shapes = append(m.shapes, Shape{Out: 1, In: fanIn})
	size := 0
	for l, s := range m.shapes {
		if s.In > math.MaxInt32 || s.Out > math.MaxInt32 {
			return nil, fmt.Errorf("nn: model with layers %v is too large", m.shapes)
		}
		params := s.Out * s.In
		if cfg.Bias && l < len(cfg.Widths) { // a hidden layer's bias
			params += s.Out
		}
		if size > math.MaxInt/2-params {
			return nil, fmt.Errorf("nn: model with layers %v is too large", m.shapes)
		}
		size += params
	}
	trainable := m.shapes
	if m.freeze {
		trainable = m.shapes[:len(m.shapes)-1]
		m.frozen = make([]float64, fanIn)
	}
	m.layout = NewLayout(trainable...)
	if m.bias {
		m.layout = m.layout.WithBiases(m.widths...)
	}
	return m, nil
}

// Layout returns the layout of θ: W_1, …, W_D, or W_1, …, W_{D−1} when the
// last layer is frozen; then, with Config.Bias, the hidden biases b_1, …,
// b_{D−1} (Layout.Bias(θ, l−1) is b_l).
func (m *MLP) Layout() Layout { return m.layout }

// Homogeneous reports whether f is positively homogeneous in θ, the
// paper's assumption (A2). A bias-free MLP is; so is one whose only hidden
// layer has a bias (D = 2: b_1 is a weight on a constant input 1, and
// f(x; cW_1, cb_1, cW_2) = c² f). With a bias in a hidden layer l ≥ 2 it
// is not: scaling θ by c scales W_l h_{l−1} by c^l but b_l by c. Then
// Euler's identity becomes ⟨∇f, θ⟩ = L f − Σ_l (l−1)⟨∂f/∂b_l, b_l⟩ with
// L = NominalDegree.
func (m *MLP) Homogeneous() bool { return !m.bias || len(m.widths) < 2 }

// Degree returns the degree L of homogeneity of f in θ,
// f(x; cθ) = c^L f(x; θ) for c > 0: D, or D−1 with a frozen last layer.
// It returns 0, meaning undefined, when f is not homogeneous (see
// Homogeneous); NominalDegree is the exponent the margin formulas use then.
func (m *MLP) Degree() int {
	if !m.Homogeneous() {
		return 0
	}
	return m.layout.Layers()
}

// NominalDegree returns the number of trainable weight layers, D or D−1
// with a frozen last layer: the degree of homogeneity the model has
// without biases, and the L of the margin formulas q/‖θ‖^L whether or not
// the model is homogeneous (for a non-homogeneous model those margins are
// outside the paper's theory). It equals Degree for a homogeneous model.
func (m *MLP) NominalDegree() int { return m.layout.Layers() }

// HasBias reports whether the hidden layers have biases (Config.Bias).
func (m *MLP) HasBias() bool { return m.bias }

// Depth returns D, the number of weight layers including a frozen one.
func (m *MLP) Depth() int { return len(m.shapes) }

// Shapes returns the shapes of all D weight layers, W_1 … W_D, including a
// frozen last layer (which Layout leaves out), e.g. to check explicit
// weights read from a file before copying them into Layout.View(θ, l) or
// Frozen.
func (m *MLP) Shapes() []Shape { return append([]Shape(nil), m.shapes...) }

// In returns the input dimension d.
func (m *MLP) In() int { return m.in }

// Frozen returns the frozen last layer W_D (length K_{D−1}), or nil when
// every layer is trainable. The slice is the model's own storage: copy into
// it to set the frozen weights.
func (m *MLP) Frozen() []float64 { return m.frozen }

// Act returns the hidden-layer activation.
func (m *MLP) Act() Activation { return Activation{Slope: m.slope} }

// layer returns the weights of layer l (0-based, row-major): a slice of θ,
// or the frozen last layer.
func (m *MLP) layer(theta []float64, l int) []float64 {
	if l < m.layout.Layers() {
		return theta[m.layout.Offset(l):m.layout.Offset(l+1)]
	}
	return m.frozen
}
