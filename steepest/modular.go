package steepest

import (
	"strings"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// Modular is the general max-over-layers norm of the paper (Sec. 3.2,
// App. C.2; paper.md §2.3):
//
//	‖θ‖ = max_l ‖W_l‖_(l),
//
// with one norm per layer of an nn.Layout, each acting on that layer's
// row-major slice of θ. Its dual is Σ_l ‖G_l‖_(l)⋆, its steepest direction
// is each layer's own steepest direction (the unit ball is a product of
// balls), and a subgradient is the subgradient of the first layer attaining
// the max, 0 elsewhere. Spectral is the case with the spectral norm in
// every layer; NewModular(layout, L2{}) gives max_l ‖W_l‖_F.
type Modular struct {
	layout nn.Layout
	per    []Norm
}

// NewModular returns the max-over-layers norm with per[l] on layer l, or
// one norm for every layer if a single one is given.
func NewModular(layout nn.Layout, per ...Norm) (*Modular, error) {
	if len(per) == 1 {
		for len(per) < layout.Layers() {
			per = append(per, per[0])
		}
	}
	if len(per) != layout.Layers() || layout.Layers() == 0 {
		return nil, errorf("modular norm: %d norms for %d layers", len(per), layout.Layers())
	}
	for l, n := range per {
		if n == nil {
			return nil, errorf("modular norm: nil norm for layer %d", l+1)
		}
	}
	return &Modular{layout: layout, per: per}, nil
}

// Name returns "max(n1,n2,…)".
func (m *Modular) Name() string {
	names := make([]string, len(m.per))
	for l, n := range m.per {
		names[l] = n.Name()
	}
	return "max(" + strings.Join(names, ",") + ")"
}

func (m *Modular) part(x []float64, l int) []float64 {
	return x[m.layout.Offset(l):m.layout.Offset(l+1)]
}

// Value returns max_l ‖W_l‖_(l).
func (m *Modular) Value(x []float64) float64 {
	var v float64
	for l, n := range m.per {
		v = max(v, n.Value(m.part(x, l)))
	}
	return v
}

// Dual returns Σ_l ‖G_l‖_(l)⋆.
func (m *Modular) Dual(g []float64) float64 {
	var d float64
	for l, n := range m.per {
		d += n.Dual(m.part(g, l))
	}
	return d
}

// Direction writes every layer's steepest unit direction.
func (m *Modular) Direction(dst, g []float64) {
	for l, n := range m.per {
		n.Direction(m.part(dst, l), m.part(g, l))
	}
}

// Subgradient writes the subgradient of the first layer attaining the max.
func (m *Modular) Subgradient(dst, x []float64) {
	best, bestL := -1.0, -1
	for l, n := range m.per {
		if v := n.Value(m.part(x, l)); v > best {
			best, bestL = v, l
		}
	}
	clear(dst[:m.layout.Size()])
	if best > 0 {
		m.per[bestL].Subgradient(m.part(dst, bestL), m.part(x, bestL))
	}
}

// SetPool hands p to the per-layer norms that run GEMMs (Spectral).
func (n *Modular) SetPool(p *tensor.Pool) {
	for _, m := range n.per {
		if s, ok := m.(interface{ SetPool(*tensor.Pool) }); ok {
			s.SetPool(p)
		}
	}
}
