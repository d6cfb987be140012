package steepest

import (
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// Spectral is the paper's modular (max-over-layers) spectral norm of θ
// (paper.md §2.3, Sec. 3.2, App. C.2):
//
//	‖θ‖_S = max_l σ_max(W_l),
//
// with θ split into weight matrices by an nn.Layout. For a layout with one
// layer it is the plain spectral norm of that matrix (the γ_σ of Eq. 15,
// frozen last layer). Its dual is the sum of the layers' nuclear norms, and
// the steepest direction is −U_l·V_lᵀ in every layer (G_l = U_lΣ_lV_lᵀ), so
// normalized steepest descent w.r.t. it is Eq. 82, "Shampoo without
// accumulation or momentum".
//
// σ_max is computed by power iteration (warm-started from the previous call,
// to relative accuracy SigmaTol; after MaxIter iterations it falls back to a
// Jacobi eigendecomposition of the layer's smaller Gram matrix), U·Vᵀ and the nuclear norm by the
// Newton–Schulz polar iteration of polar.go; neither needs an SVD. A
// Spectral holds workspaces and is not safe for concurrent use.
type Spectral struct {
	layout   nn.Layout
	polar    []*polarWork
	power    []*powerWork
	dir      []float64 // scratch for Dual
	SigmaTol float64   // relative accuracy of σ_max (default 1e−13)
	MaxIter  int       // power iterations per call before the exact fallback (default 100)
	pool     *tensor.Pool
}

// NewSpectral returns the max-over-layers spectral norm for layout.
func NewSpectral(layout nn.Layout) *Spectral {
	s := &Spectral{layout: layout, SigmaTol: 1e-13, MaxIter: 100}
	for l := range layout.Layers() {
		sh := layout.Shape(l)
		s.polar = append(s.polar, newPolarWork(sh.Out, sh.In))
		s.power = append(s.power, newPowerWork(sh.Out, sh.In))
	}
	return s
}

// Name returns "spectral".
func (s *Spectral) Name() string { return "spectral" }

// Layout returns the layout the norm splits θ with.
func (s *Spectral) Layout() nn.Layout { return s.layout }

// LayerNorms writes σ_max(W_l) for every layer into dst (len Layers()).
func (s *Spectral) LayerNorms(dst, x []float64) {
	for l := range s.layout.Layers() {
		dst[l] = s.power[l].sigmaMax(s.layout.View(x, l), s.SigmaTol, s.MaxIter)
	}
}

// Value returns max_l σ_max(W_l).
func (s *Spectral) Value(x []float64) float64 {
	var m float64
	for l := range s.layout.Layers() {
		m = max(m, s.power[l].sigmaMax(s.layout.View(x, l), s.SigmaTol, s.MaxIter))
	}
	return m
}

// Dual returns Σ_l ‖G_l‖_nuclear.
func (s *Spectral) Dual(g []float64) float64 {
	if len(s.dir) != len(g) {
		s.dir = make([]float64, len(g))
	}
	return s.direction(s.dir, g)
}

// Direction writes −U_l·V_lᵀ for every layer.
func (s *Spectral) Direction(dst, g []float64) { s.direction(dst, g) }

// directionDual writes −polar(G_l) per layer and returns Σ_l ‖G_l‖_nuclear.
func (s *Spectral) directionDual(dst, g []float64) float64 { return s.direction(dst, g) }

// direction writes −polar(G_l) per layer and returns Σ_l ‖G_l‖_nuclear.
func (s *Spectral) direction(dst, g []float64) float64 {
	var dual float64
	for l := range s.layout.Layers() {
		lo, hi := s.layout.Offset(l), s.layout.Offset(l+1)
		dual += s.polar[l].polar(dst[lo:hi], g[lo:hi])
	}
	neg(dst[:s.layout.Size()])
	return dual
}

// Subgradient writes u·vᵀ (the top singular pair) in the first layer whose
// σ_max is largest, and 0 elsewhere.
func (s *Spectral) Subgradient(dst, x []float64) {
	best, bestL := -1.0, -1
	for l := range s.layout.Layers() {
		if v := s.power[l].sigmaMax(s.layout.View(x, l), s.SigmaTol, s.MaxIter); v > best {
			best, bestL = v, l
		}
	}
	clear(dst[:s.layout.Size()])
	if best <= 0 {
		return
	}
	p := s.power[bestL]
	w := s.layout.View(dst, bestL)
	for i, ui := range p.u {
		row := w.Row(i)
		for j, vj := range p.v {
			row[j] = ui * vj
		}
	}
}

// neg negates x in place.
func neg(x []float64) {
	for i := range x {
		x[i] = -x[i]
	}
}

// SetPool makes the norm's GEMMs (polar iterations, Gram matrices) run on
// p (nil: the calling goroutine). Results do not depend on it.
func (s *Spectral) SetPool(p *tensor.Pool) {
	s.pool = p
	for _, w := range s.polar {
		w.pool = p
	}
	for _, w := range s.power {
		w.pool = p
	}
}
