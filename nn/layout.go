package nn

import (
	"fmt"

	"github.com/margo-lab/margo/tensor"
)

// Shape is the shape of one weight matrix W_l: Out×In, so that layer l maps
// a row vector of In features to Out features (h_l = σ(W_l h_{l−1})).
type Shape struct{ Out, In int }

// Layout says where each trainable parameter lives in the flat parameter
// vector θ: the weight matrices in order W_1, W_2, …, each row-major,
// concatenated, and after all of them the bias vectors, if any (b_1, b_2,
// …, see WithBiases). Every norm of the paper is a norm of that one flat
// vector. Placing the biases last keeps every weight matrix at the offset
// it has without biases: a Layout with biases describes the same weights
// as the bias-free one, plus a tail [WeightSize, Size) of biases. Layers,
// Shape, Offset and View describe the weight matrices only: code that walks
// the layers (a per-layer norm, a per-layer preconditioner) covers the
// biases only if it also walks Biases.
type Layout struct {
	shapes   []Shape
	offsets  []int // offsets[l] = start of W_{l+1}; offsets[len] = WeightSize
	boffsets []int // boffsets[i] = start of bias i; boffsets[len] = Size (nil: no biases)
}

// NewLayout returns the layout of the given layers, in order, without
// biases.
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

// WithBiases returns a copy of l with bias vectors of the given lengths
// appended after the weights, in order: bias i occupies
// θ[BiasOffset(i) : BiasOffset(i)+lengths[i]]. It panics on a length < 1
// or on a layout that already has biases (programming errors, as for
// NewLayout).
func (l Layout) WithBiases(lengths ...int) Layout {
	if l.boffsets != nil {
		panic("nn: WithBiases on a layout that has biases")
	}
	out := Layout{shapes: l.shapes, offsets: l.offsets, boffsets: make([]int, len(lengths)+1)}
	out.boffsets[0] = l.WeightSize()
	for i, k := range lengths {
		if k <= 0 {
			panic(fmt.Sprintf("nn: bias %d has length %d", i+1, k))
		}
		out.boffsets[i+1] = out.boffsets[i] + k
	}
	return out
}

// Layers returns the number of weight matrices.
func (l Layout) Layers() int { return len(l.shapes) }

// Shape returns the shape of layer i (0-based: W_{i+1}).
func (l Layout) Shape(i int) Shape { return l.shapes[i] }

// Offset returns where layer i starts in θ; Offset(Layers()) is
// WeightSize, the end of the weights.
func (l Layout) Offset(i int) int { return l.offsets[i] }

// WeightSize returns the number of weights, the length of the prefix of θ
// that holds the weight matrices (Size when there are no biases).
func (l Layout) WeightSize() int { return l.offsets[len(l.shapes)] }

// Biases returns the number of bias vectors (0 without biases).
func (l Layout) Biases() int { return max(len(l.boffsets)-1, 0) }

// BiasOffset returns where bias vector i starts in θ; BiasOffset(Biases())
// is Size.
func (l Layout) BiasOffset(i int) int { return l.boffsets[i] }

// Bias returns bias vector i of θ, sharing θ's storage.
func (l Layout) Bias(theta []float64, i int) []float64 {
	return theta[l.boffsets[i]:l.boffsets[i+1]]
}

// Size returns the number of parameters, len(θ): weights and biases.
func (l Layout) Size() int {
	if l.boffsets != nil {
		return l.boffsets[len(l.boffsets)-1]
	}
	return l.WeightSize()
}

// View returns layer i of θ as an Out×In matrix sharing θ's storage.
func (l Layout) View(theta []float64, i int) *tensor.Dense {
	s := l.shapes[i]
	return tensor.DenseOf(s.Out, s.In, theta[l.offsets[i]:l.offsets[i+1]])
}
