package nn

import (
	"fmt"

	"github.com/margo-lab/margo/tensor"
)

// Shape is the shape of one weight matrix W_l: Out×In, so that layer l maps
// a row vector of In features to Out features (h_l = σ(W_l h_{l−1})).
type Shape struct{ Out, In int }

// Layout says where each trainable weight matrix lives in the flat parameter
// vector θ: the layers in order W_1, W_2, …, each row-major, concatenated.
// Every norm of the paper is a norm of that one flat vector.
type Layout struct {
	shapes  []Shape
	offsets []int // offsets[l] = start of W_{l+1}; offsets[len] = Size
}

// NewLayout returns the layout of the given layers, in order.
func NewLayout(shapes ...Shape) Layout {
	l := Layout{shapes: append([]Shape(nil), shapes...), offsets: make([]int, len(shapes)+1)}
	for i, s := range shapes {
		if s.Out <= 0 || s.In <= 0 {
			panic(fmt.Sprintf("nn: layer %d has shape %d×%d", i+1, s.Out, s.In))
		}
		l.offsets[i+1] = l.offsets[i] + s.Out*s.In
	}
	return l
}

// Layers returns the number of weight matrices.
func (l Layout) Layers() int { return len(l.shapes) }

// Shape returns the shape of layer i (0-based: W_{i+1}).
func (l Layout) Shape(i int) Shape { return l.shapes[i] }

// Offset returns where layer i starts in θ.
func (l Layout) Offset(i int) int { return l.offsets[i] }

// Size returns the number of parameters, len(θ).
func (l Layout) Size() int { return l.offsets[len(l.shapes)] }

// View returns layer i of θ as an Out×In matrix sharing θ's storage.
func (l Layout) View(theta []float64, i int) *tensor.Dense {
	s := l.shapes[i]
	return tensor.DenseOf(s.Out, s.In, theta[l.offsets[i]:l.offsets[i+1]])
}
