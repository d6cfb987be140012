package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
)

// The coordinate-descent family. Flat CD (NewCD) is steepest descent w.r.t.
// ‖θ‖₁ on the flattened θ (paper.md §2.3): one coordinate, the first k of
// max |g_i|, moves per step. The variants below are what the paper's CD
// may have been and what its flow does at a kink:
//
//	name            norm              step (η = lr, g = ∇L)
//	cd              ‖θ‖₁              θ_k −= η·sign(g_k) | η·g_k, k = first argmax |g_i| over θ
//	cd-layer        max_l ‖W_l‖₁      the same in every layer l at once (k_l per layer)
//	cd-kink         ‖θ‖₁              cd on g with its held coordinates set to 0 (KinkCD)
//	cd-layer-kink   max_l ‖W_l‖₁      cd-layer on the same masked gradient, layer by layer
//
// The left alternative is the normalized step, the right one the
// unnormalized (see LayerCD for what "unnormalized" means per layer).

// LayerCD is per-layer coordinate descent: in every layer l of an
// nn.Layout the first coordinate k_l of max_i |(G_l)_i| moves, one
// coordinate per layer per step, as a CD written as a PyTorch optimizer
// does when it loops over its parameter tensors.
//
// Normalized, it is steepest descent w.r.t. the max-over-layers ℓ1 norm
// ‖θ‖ = max_l ‖W_l‖₁ (paper.md §2.3 "modular norm", covered by Theorem 4):
// θ_{k_l} −= η·sign(g_{k_l}), so ‖Δθ‖ = η and ⟨Δθ, −g⟩ = η·Σ_l ‖G_l‖∞ =
// η‖g‖⋆ (the dual norm of max_l ‖·‖₁ is Σ_l ‖·‖∞). It is bit for bit
// NewSteepest(NewModular(layout, L1{}), lr, true).
//
// Unnormalized, it is the per-tensor loop: θ_{k_l} −= η·g_{k_l}, i.e. Eq. 1
// applied to each layer on its own (‖Δ_l‖₁ = η‖G_l‖∞, ⟨Δ_l, −G_l⟩ =
// η‖G_l‖∞²). This is NOT the unnormalized Eq. 1 of the modular norm, which
// NewSteepest(NewModular(layout, L1{}), lr, false) computes and which moves
// every k_l by η·(Σ_l' ‖G_l'‖∞)·sign(g_{k_l}) — the same direction, but
// each layer's step scaled by the whole dual norm rather than by its own
// gradient entry. The two agree for one layer.
type LayerCD struct {
	// Normalized selects θ_{k_l} −= η·sign(g_{k_l}) (true) or −= η·g_{k_l}.
	Normalized bool
	layout     nn.Layout
	logLR      float64
}

// NewLayerCD returns per-layer coordinate descent on the layers of layout.
func NewLayerCD(layout nn.Layout, lr float64, normalized bool) (*LayerCD, error) {
	if layout.Layers() == 0 {
		return nil, errorf("per-layer coordinate descent: empty layout")
	}
	l, err := checkLR(lr)
	if err != nil {
		return nil, errorf("per-layer coordinate descent: %w", err)
	}
	return &LayerCD{Normalized: normalized, layout: layout, logLR: l}, nil
}

// Name returns "cd-layer(normalized)" or "cd-layer(unnormalized)".
func (c *LayerCD) Name() string { return "cd-layer" + normalizedSuffix(c.Normalized) }

// LogLR returns log η.
func (c *LayerCD) LogLR() float64 { return c.logLR }

// SetLogLR sets log η.
func (c *LayerCD) SetLogLR(l float64) { c.logLR = l }

// State returns nil: per-layer CD keeps no state.
func (c *LayerCD) State() [][]float64 { return nil }

// SetState accepts only an empty state.
func (c *LayerCD) SetState(st [][]float64) error { return setState(c.Name(), nil, st) }

// Step applies one step from ev (see Optimizer).
func (c *LayerCD) Step(theta []float64, ev *nn.Eval) error {
	return c.Update(theta, ev.Grad, ev.LogScale)
}

// Update moves the first argmax |g_i| of every layer. The gradient is
// checked before θ is touched.
func (c *LayerCD) Update(theta, grad []float64, logScale float64) error {
	if err := checkCDArgs(c, theta, grad, logScale, c.layout.Size()); err != nil {
		return err
	}
	for l := range c.layout.Layers() {
		lo, hi := c.layout.Offset(l), c.layout.Offset(l+1)
		if k := asm.ArgMaxAbs(grad[lo:hi]); k >= 0 {
			moveOne(theta, grad, lo+k, c.logLR, logScale, c.Normalized)
		}
	}
	return nil
}

// KinkCD is kink-aware coordinate descent, margo's extension (not the
// paper's): greedy CD that follows the flow of paper.md §2.2 where flat CD
// 2-cycles across a ReLU kink.
//
// Why. The theory's flow moves along the steepest direction of the
// minimum-dual-norm Clarke subgradient g⋆ (Proposition 7). Where a
// coordinate k sits on a kink whose one-sided derivatives along e_k have
// opposite signs (a V-shaped valley along k), the subdifferential's k-th
// components span an interval containing 0, so g⋆_k = 0: the flow holds θ_k
// on the kink and moves the coordinate of next-largest |g⋆_i|. Discrete
// CD instead sees the gradient of one side, moves θ_k across the kink,
// sees the other side's derivative (again the largest, of opposite sign)
// and moves back: the 2-cycle of docs/reproduce.md ("CD gets stuck").
//
// The rule. KinkCD keeps, per coordinate, whether it is held, and per
// block (the whole θ, or each layer for the per-layer form) the coordinate
// it moved last with the sign s of its derivative then. At each step:
//
//  1. Kink test: if the last-moved coordinate k now has a derivative of
//     sign −s (it flipped across k's own step), k is held, with s.
//  2. Release: a held coordinate stays held while its derivative keeps the
//     sign −s it was held with (the side we are on still points back
//     across the kink); otherwise (sign s or 0) it is released.
//  3. Step: g⋆ is g with the held coordinates set to 0, and the step is the
//     CD step on g⋆: the first j of max |g⋆_i| moves by −η·sign(g_j)
//     (normalized) or −η·g_j (unnormalized), and becomes the last-moved
//     coordinate. If g⋆ = 0 in a block but g is not (every coordinate with
//     a nonzero derivative is held), the block's holds are released and
//     the plain CD step is taken, so that KinkCD never stops where CD
//     would move.
//
// So Δθ is exactly ℓ1 steepest descent on g⋆ (paper.md §2.1 with g⋆ for
// g): ‖Δθ‖₁ = η and ⟨Δθ, −g⟩ = η‖g⋆‖∞ (normalized), or ‖Δθ‖₁ = η‖g⋆‖∞ and
// ⟨Δθ, −g⟩ = η‖g⋆‖∞² (unnormalized), per block. Without a flip it is flat
// (or per-layer) CD step for step. The held coordinate stays on the far
// side of its kink, at most one step (η, or η|g_k|) from it. The rule sees
// the derivative of one side only: a valley that vanishes on the far side
// (so that the flow would move θ_k back across) keeps θ_k held until the
// near side's derivative changes sign. A smooth minimum along k that the
// step overshoots is held in the same way, which is also what the flow
// does there (g_k = 0).
//
// The state (State) is the per-coordinate holds (0 free, ±1 held with s)
// and two numbers per block (the last-moved index, −1 for none, and s).
type KinkCD struct {
	// Normalized selects θ_j −= η·sign(g_j) (true) or −= η·g_j.
	Normalized bool
	layered    bool
	bounds     []int // block b is θ[bounds[b]:bounds[b+1]]
	hold       []float64
	last       []float64 // per block: index of the last-moved coordinate (−1: none), sign of its derivative then
	logLR      float64
	// held lists, per block, the indices i with hold[i] ≠ 0 (in no
	// particular order): holds are few, so the step scans them instead of
	// testing every coordinate, and finds j with the SIMD ArgMaxAbs.
	held  [][]int
	saved []float64 // the held entries of g during the search
}

// NewKinkCD returns kink-aware flat CD (one coordinate of θ per step) for
// p parameters.
func NewKinkCD(p int, lr float64, normalized bool) (*KinkCD, error) {
	if p < 0 {
		return nil, errorf("kink-aware coordinate descent: %d parameters", p)
	}
	return newKinkCD([]int{0, p}, false, lr, normalized)
}

// NewLayerKinkCD returns kink-aware per-layer CD: LayerCD's one coordinate
// per layer, each layer with KinkCD's rule on its own.
func NewLayerKinkCD(layout nn.Layout, lr float64, normalized bool) (*KinkCD, error) {
	if layout.Layers() == 0 {
		return nil, errorf("kink-aware per-layer coordinate descent: empty layout")
	}
	b := make([]int, layout.Layers()+1)
	for l := range b {
		b[l] = layout.Offset(l)
	}
	return newKinkCD(b, true, lr, normalized)
}

func newKinkCD(bounds []int, layered bool, lr float64, normalized bool) (*KinkCD, error) {
	l, err := checkLR(lr)
	if err != nil {
		return nil, errorf("kink-aware coordinate descent: %w", err)
	}
	nb := len(bounds) - 1
	c := &KinkCD{Normalized: normalized, layered: layered, bounds: bounds, logLR: l,
		hold: make([]float64, bounds[nb]), last: make([]float64, 2*nb), held: make([][]int, nb)}
	for b := range nb {
		c.last[2*b] = -1
	}
	return c, nil
}

// Name returns e.g. "cd-kink(normalized)" or "cd-layer-kink(unnormalized)".
func (c *KinkCD) Name() string {
	base := "cd-kink"
	if c.layered {
		base = "cd-layer-kink"
	}
	return base + normalizedSuffix(c.Normalized)
}

// LogLR returns log η.
func (c *KinkCD) LogLR() float64 { return c.logLR }

// SetLogLR sets log η.
func (c *KinkCD) SetLogLR(l float64) { c.logLR = l }

// State returns the holds (one value per parameter: 0, or ±1 = the sign
// of the derivative a held coordinate was moved with) and the per-block
// last move (index or −1, sign); the slices alias the optimizer's buffers.
func (c *KinkCD) State() [][]float64 { return [][]float64{c.hold, c.last} }

// SetState copies a state from State back in. It refuses a state of the
// wrong shape or with values State cannot produce (a hold not in
// {−1, 0, 1}, a last index outside its block), leaving the state unchanged.
func (c *KinkCD) SetState(st [][]float64) error {
	if len(st) != 2 || len(st[0]) != len(c.hold) || len(st[1]) != len(c.last) {
		return setState(c.Name(), c.State(), st) // the shape error
	}
	for i, h := range st[0] {
		if h != 0 && h != 1 && h != -1 {
			return errorf("%s: state hold[%d] = %v, want −1, 0 or 1", c.Name(), i, h)
		}
	}
	for b := range len(c.bounds) - 1 {
		k, s := st[1][2*b], st[1][2*b+1]
		inBlock := k >= float64(c.bounds[b]) && k < float64(c.bounds[b+1]) && k == math.Trunc(k)
		if !(k == -1 && s == 0) && !(inBlock && (s == 1 || s == -1)) {
			return errorf("%s: state of block %d is (last %v, sign %v), want (−1, 0) or an index of the block and ±1", c.Name(), b, k, s)
		}
	}
	if err := setState(c.Name(), c.State(), st); err != nil {
		return err
	}
	for b := range c.held {
		c.held[b] = c.held[b][:0]
		for i := c.bounds[b]; i < c.bounds[b+1]; i++ {
			if c.hold[i] != 0 {
				c.held[b] = append(c.held[b], i)
			}
		}
	}
	return nil
}

// Step applies one step from ev (see Optimizer).
func (c *KinkCD) Step(theta []float64, ev *nn.Eval) error {
	return c.Update(theta, ev.Grad, ev.LogScale)
}

// Update applies one step (see KinkCD). The gradient is checked before θ
// or the state is touched.
func (c *KinkCD) Update(theta, grad []float64, logScale float64) error {
	if err := checkCDArgs(c, theta, grad, logScale, len(c.hold)); err != nil {
		return err
	}
	for b := range len(c.bounds) - 1 {
		c.blockStep(theta, grad, b, logScale)
	}
	return nil
}

// blockStep is KinkCD's rule on block b: kink test, release, step. The
// gradient is finite (checked by Update).
func (c *KinkCD) blockStep(theta, grad []float64, b int, logScale float64) {
	lo, hi := c.bounds[b], c.bounds[b+1]
	held := c.held[b]
	if k := int(c.last[2*b]); k >= 0 {
		if s := c.last[2*b+1]; sgn(grad[k]) == -s {
			if c.hold[k] == 0 {
				held = append(held, k)
			}
			c.hold[k] = s
		}
	}
	// Release, keeping the holds whose derivative still points back.
	n := 0
	for _, i := range held {
		if sgn(grad[i]) == -c.hold[i] {
			held[n] = i
			n++
		} else {
			c.hold[i] = 0
		}
	}
	held = held[:n]
	// The first j of max |g⋆_i|: g with the held entries set to 0 for the
	// search (and restored), so that the choice is the scan's over the
	// coordinates not held, ties to the first.
	saved := c.saved[:0]
	for _, i := range held {
		saved = append(saved, grad[i])
		grad[i] = 0
	}
	c.saved = saved
	j := -1
	if hi > lo {
		j = lo + asm.ArgMaxAbs(grad[lo:hi])
		if grad[j] == 0 {
			j = -1
		}
	}
	for q, i := range held {
		grad[i] = saved[q]
	}
	if j < 0 && n > 0 {
		// Every coordinate with a nonzero derivative is held.
		for _, i := range held {
			c.hold[i] = 0
		}
		held = held[:0]
		j = lo + asm.ArgMaxAbs(grad[lo:hi])
	}
	c.held[b] = held
	if j < 0 {
		c.last[2*b], c.last[2*b+1] = -1, 0
		return
	}
	c.last[2*b], c.last[2*b+1] = float64(j), sgn(grad[j])
	moveOne(theta, grad, j, c.logLR, logScale, c.Normalized)
}

// sgn returns −1, 0 or 1 (0 for ±0).
func sgn(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// moveOne is the CD move of coordinate k (as Steepest's moveCoordinate):
// θ_k −= η·sign(g_k) (normalized) or η·e^{logScale}·g_k; nothing when g_k = 0.
func moveOne(theta, grad []float64, k int, logLR, logScale float64, normalized bool) {
	switch {
	case grad[k] == 0:
	case normalized:
		theta[k] -= math.Exp(logLR) * math.Copysign(1, grad[k])
	default:
		theta[k] -= math.Exp(logLR+logScale) * grad[k]
	}
}

// checkCDArgs validates lengths (θ must have p entries), the log-scale and
// the gradient, before anything is touched.
func checkCDArgs(o interface{ Name() string }, theta, grad []float64, logScale float64, p int) error {
	if len(theta) != p {
		return errorf("%s: len(theta) = %d, want %d parameters", o.Name(), len(theta), p)
	}
	return checkStep(o, theta, grad, logScale)
}

// normalizedSuffix returns "(normalized)" or "(unnormalized)".
func normalizedSuffix(normalized bool) string {
	if normalized {
		return "(normalized)"
	}
	return "(unnormalized)"
}
