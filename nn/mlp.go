package nn

import (
	"fmt"
	"math"
)

// Activation is the hidden-layer nonlinearity σ(z) = max(z, Slope·z):
// Slope 0 is ReLU, 0 < Slope < 1 is leaky ReLU. Both are positively
// 1-homogeneous, so the network stays homogeneous in its weights.
type Activation struct{ Slope float64 }

// Config describes a bias-free MLP with scalar output
// f(x) = W_D σ(W_{D−1} … σ(W_1 x)).
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
}

// MLP is a bias-free multilayer perceptron with scalar output. It holds the
// architecture and, when the last layer is frozen, that layer's weights; the
// trainable weights live outside it, in a flat θ laid out by Layout.
type MLP struct {
	in     int
	widths []int
	shapes []Shape // all D layers, trainable or not
	layout Layout  // trainable layers only
	freeze bool
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
	if s := cfg.Act.Slope; !(s >= 0 && s < 1) { // also rejects NaN
		return nil, fmt.Errorf("nn: activation slope %v, want 0 ≤ slope < 1", s)
	}
	m := &MLP{in: cfg.In, widths: append([]int(nil), cfg.Widths...), freeze: cfg.FreezeLast, slope: cfg.Act.Slope}
	fanIn := cfg.In
	for _, k := range cfg.Widths {
		m.shapes = append(m.shapes, Shape{Out: k, In: fanIn})
		fanIn = k
	}
	m.shapes = append(m.shapes, Shape{Out: 1, In: fanIn})
	size := 0
	for _, s := range m.shapes {
		if s.In > math.MaxInt32 || s.Out > math.MaxInt32 || size > math.MaxInt/2-s.Out*s.In {
			return nil, fmt.Errorf("nn: model with layers %v is too large", m.shapes)
		}
		size += s.Out * s.In
	}
	trainable := m.shapes
	if m.freeze {
		trainable = m.shapes[:len(m.shapes)-1]
		m.frozen = make([]float64, fanIn)
	}
	m.layout = NewLayout(trainable...)
	return m, nil
}

// Layout returns the layout of θ: W_1, …, W_D, or W_1, …, W_{D−1} when the
// last layer is frozen.
func (m *MLP) Layout() Layout { return m.layout }

// Degree returns the degree L of homogeneity of f in θ:
// f(x; cθ) = c^L f(x; θ) for c > 0. It is D, or D−1 with a frozen last layer.
func (m *MLP) Degree() int { return m.layout.Layers() }

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
