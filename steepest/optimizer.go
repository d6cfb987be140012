package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// Optimizer is one full-batch update rule θ ← θ + Δθ driven by the gradient
// of package nn. The gradient arrives in "frame units" (nn.Eval): the true
// gradient is ∇L(θ) = exp(logScale)·grad. Every optimizer uses the true
// scale exactly where the algorithm depends on it (GD, unnormalized steps,
// Adam with ε > 0, Shampoo) and never forms exp(logScale) where it cancels
// (normalized steps, sign and coordinate descent, Adam with ε = 0), so
// those never underflow.
//
// The learning rate is held as its logarithm, so that a loss-adaptive
// schedule (η ∝ 1/L) can hand over η = exp(logLR) with logLR ≫ 709 and
// the product η·exp(logScale) is formed as one exponential.
//
// State returns the optimizer's mutable state (besides the learning rate) as
// slices that alias its internal buffers, for checkpointing; SetState copies
// such slices back in (the same count and lengths), so a run can be saved
// and resumed exactly and a rejected trial step rolled back.
type Optimizer interface {
	// Name identifies the rule and its settings, e.g. "sd(normalized)".
	Name() string
	// Update applies one step to theta given grad (len(theta)) and the
	// gradient's log-scale. It fails on mismatched lengths, a bad
	// log-scale or a non-finite gradient. Lengths and log-scale are checked
	// before θ is touched; the gradient is checked before θ is touched by
	// CD and the optimizers without a fused step, but in the same pass as
	// the update by GD (ℓ2, unnormalized), sign descent (ℓ∞) and Adam, and
	// after such an error θ and the optimizer's state are unspecified
	// (they may hold a partial step or NaN): a caller stops, or restores
	// both from copies (State).
	Update(theta, grad []float64, logScale float64) error
	// Step is Update(theta, ev.Grad, ev.LogScale): one step from an
	// nn.Eval that was evaluated at θ with the gradient.
	Step(theta []float64, ev *nn.Eval) error
	// LogLR returns log η; SetLogLR sets it.
	LogLR() float64
	SetLogLR(logLR float64)
	State() [][]float64
	SetState(state [][]float64) error
}

// ParamMaxAbser is implemented by optimizers whose Update can compute
// ‖θ‖∞ of the updated parameters in the same pass as the step (the fused
// steps of GD, sign descent and Adam), so that a caller checking θ for
// NaN or Inf after a step needs no pass of its own.
type ParamMaxAbser interface {
	// ParamMaxAbs returns max_i |θ_i| of θ as the last successful Update
	// left it (NaN if some θ_i is NaN) and true, or false when the last
	// Update did not compute it or failed: then the caller computes it.
	ParamMaxAbs() (float64, bool)
}

// paramMax holds the ‖θ‖∞ an Update computed (ParamMaxAbser).
type paramMax struct {
	max   float64
	known bool
}

// ParamMaxAbs returns the ‖θ‖∞ the last Update computed, if it did.
func (p *paramMax) ParamMaxAbs() (float64, bool) { return p.max, p.known }

func (p *paramMax) set(m float64) { p.max, p.known = m, true }
func (p *paramMax) forget()       { p.known = false }

// checkStep validates the arguments every Update shares (o names the
// optimizer in errors; Name is called only on error).
func checkStep(o interface{ Name() string }, theta, grad []float64, logScale float64) error {
	if err := checkArgs(o, theta, grad, logScale); err != nil {
		return err
	}
	return checkGradMax(o, asm.MaxAbs(grad))
}

// checkArgs validates the lengths and the log-scale.
func checkArgs(o interface{ Name() string }, theta, grad []float64, logScale float64) error {
	if len(theta) != len(grad) {
		return errorf("%s: len(theta) = %d, len(grad) = %d", o.Name(), len(theta), len(grad))
	}
	if math.IsNaN(logScale) || math.IsInf(logScale, 1) {
		return errorf("%s: gradient log-scale is %v", o.Name(), logScale)
	}
	return nil
}

// checkGradMax fails when m = max|g_i| shows a NaN or Inf in the gradient.
func checkGradMax(o interface{ Name() string }, m float64) error {
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return errorf("%s: gradient is not finite (max |g_i| = %v)", o.Name(), m)
	}
	return nil
}

// checkLR validates a learning rate and returns its logarithm.
func checkLR(lr float64) (float64, error) {
	if !(lr > 0) || math.IsInf(lr, 1) {
		return 0, errorf("learning rate %v, want a finite lr > 0", lr)
	}
	return math.Log(lr), nil
}

// setState copies src into the buffers dst, checking count and lengths.
func setState(name string, dst, src [][]float64) error {
	if len(src) != len(dst) {
		return errorf("%s: state has %d parts, want %d", name, len(src), len(dst))
	}
	for i := range dst {
		if len(src[i]) != len(dst[i]) {
			return errorf("%s: state part %d has length %d, want %d", name, i, len(src[i]), len(dst[i]))
		}
	}
	for i := range dst {
		copy(dst[i], src[i])
	}
	return nil
}

// Steepest is steepest descent w.r.t. a Norm (paper.md §2.1, Eq. 1):
//
//	normalized:   Δθ = η·u              (‖Δθ‖ = η)
//	unnormalized: Δθ = η·‖∇L‖_⋆·u      (‖Δθ‖ = η‖∇L‖_⋆, ⟨Δθ, −∇L⟩ = η‖∇L‖_⋆²)
//
// with u = Norm.Direction(∇L), the steepest unit direction. The exact
// special cases of the brief hold bit for bit:
//
//	GD  (L2, unnormalized)   θ −= η·∇L
//	L2, normalized           θ −= η·∇L/‖∇L‖₂
//	SD  (LInf)               θ −= η·sign(∇L), or η‖∇L‖₁·sign(∇L)
//	CD  (L1)                 θ_k −= η·sign(g_k), or η·g_k, at the first k of max|g_i|
//
// The normalized step depends on the direction of the gradient only, so it
// uses grad as given; the unnormalized one multiplies by
// exp(log η + logScale + log‖grad‖_⋆), and slows down as the loss vanishes,
// as the algorithm does.
//
// GD and sign descent run as one fused pass over g and θ (asm.AxpyStep,
// asm.SignStep) that checks the gradient on the way (see Optimizer)
// and reports ‖θ‖∞ (ParamMaxAbs); their θ is bitwise the θ of the
// separate Direction and Axpy. CD finds its coordinate and checks the
// gradient in one pass (ArgMaxAbs) before θ is touched.
type Steepest struct {
	Norm       Norm
	Normalized bool
	logLR      float64
	dir        []float64
	paramMax
	ranges elementRanges // the fused step range by range (Meter.MeasureStep)
	pool   *tensor.Pool
}

// SetPool makes the step run on p's goroutines (nil: the calling
// goroutine), and the norm's GEMMs too where it has any (Spectral,
// Modular). Results do not depend on it.
func (s *Steepest) SetPool(p *tensor.Pool) {
	s.pool = p
	if n, ok := s.Norm.(interface{ SetPool(*tensor.Pool) }); ok {
		n.SetPool(p)
	}
}

// NewSteepest returns steepest descent w.r.t. norm with learning rate lr.
func NewSteepest(norm Norm, lr float64, normalized bool) (*Steepest, error) {
	if norm == nil {
		return nil, errorf("steepest descent: nil norm")
	}
	l, err := checkLR(lr)
	if err != nil {
		return nil, errorf("steepest descent (%s): %w", norm.Name(), err)
	}
	return &Steepest{Norm: norm, Normalized: normalized, logLR: l}, nil
}

// NewGD returns gradient descent θ −= η·∇L (unnormalized ℓ2 steepest descent).
func NewGD(lr float64) (*Steepest, error) { return NewSteepest(L2{}, lr, false) }

// NewSD returns sign descent (ℓ∞ steepest descent); the paper's SD is the
// normalized form θ −= η·sign(∇L).
func NewSD(lr float64, normalized bool) (*Steepest, error) {
	return NewSteepest(LInf{}, lr, normalized)
}

// NewCD returns greedy coordinate descent (ℓ1 steepest descent).
func NewCD(lr float64, normalized bool) (*Steepest, error) {
	return NewSteepest(L1{}, lr, normalized)
}

// NewLpDescent returns ℓp steepest descent, 1 < p < ∞.
func NewLpDescent(p, lr float64, normalized bool) (*Steepest, error) {
	n, err := NewLp(p)
	if err != nil {
		return nil, err
	}
	return NewSteepest(n, lr, normalized)
}

// Name returns e.g. "sd(normalized)" or "gd".
func (s *Steepest) Name() string {
	base := s.Norm.Name()
	switch s.Norm.(type) {
	case L2:
		if !s.Normalized {
			return "gd"
		}
		base = "gd"
	case LInf:
		base = "sd"
	case L1:
		base = "cd"
	}
	if s.Normalized {
		return base + "(normalized)"
	}
	return base + "(unnormalized)"
}

// LogLR returns log η.
func (s *Steepest) LogLR() float64 { return s.logLR }

// SetLogLR sets log η.
func (s *Steepest) SetLogLR(l float64) { s.logLR = l }

// State returns nil: steepest descent keeps no state.
func (s *Steepest) State() [][]float64 { return nil }

// SetState accepts only an empty state.
func (s *Steepest) SetState(st [][]float64) error { return setState(s.Name(), nil, st) }

// Step applies one step from ev (see Optimizer).
func (s *Steepest) Step(theta []float64, ev *nn.Eval) error {
	return s.Update(theta, ev.Grad, ev.LogScale)
}

// Update applies one step. GD, normalized sign descent and CD run range by
// range on the GEMM pool's threads (tensor.StepRanges: the same ranges as
// Meter.MeasureStep's), elementwise, so θ is bitwise the same for every
// thread count.
func (s *Steepest) Update(theta, grad []float64, logScale float64) error {
	if done, err := updateInRanges(s.pool, s, theta, grad, logScale); done {
		return err
	}
	s.forget()
	if err := checkArgs(s, theta, grad, logScale); err != nil {
		return err
	}
	lr := math.Exp(s.logLR)
	if _, ok := s.Norm.(LInf); ok && !s.Normalized {
		// θ −= η·e^{logScale}·‖g‖₁·sign(g). ‖g‖₁ is finite only for a finite
		// g, so here the gradient is checked before θ is touched.
		d := asm.AbsSum(grad)
		if math.IsNaN(d) || math.IsInf(d, 0) {
			if err := checkGradMax(s, asm.MaxAbs(grad)); err != nil {
				return err
			}
		}
		if d == 0 {
			return nil
		}
		return s.fused(asm.SignStep, -scaledRate(s.logLR, logScale, d), grad, theta)
	}
	if err := checkGradMax(s, asm.MaxAbs(grad)); err != nil {
		return err
	}
	if len(s.dir) != len(grad) {
		s.dir = make([]float64, len(grad))
	}
	var d float64
	if dd, ok := s.Norm.(directionDualer); ok {
		d = dd.directionDual(s.dir, grad)
	} else {
		s.Norm.Direction(s.dir, grad)
		if !s.Normalized {
			d = s.Norm.Dual(grad)
		}
	}
	if s.Normalized {
		asm.Axpy(lr, s.dir, theta)
		return nil
	}
	if d == 0 {
		return nil
	}
	asm.Axpy(scaledRate(s.logLR, logScale, d), s.dir, theta)
	return nil
}

// moveCoordinate is CD's step once k, the first index of max |g_i| (or of
// the first NaN; −1 for an empty g), is known: the gradient check, then
// θ_k −= η·sign(g_k) (normalized) or η·e^{logScale}·g_k.
func (s *Steepest) moveCoordinate(theta, grad []float64, k int, logScale float64) error {
	if k < 0 {
		return nil
	}
	if err := checkGradMax(s, math.Abs(grad[k])); err != nil {
		return err
	}
	if grad[k] == 0 {
		return nil
	}
	if s.Normalized {
		theta[k] -= math.Exp(s.logLR) * math.Copysign(1, grad[k])
	} else {
		theta[k] -= math.Exp(s.logLR+logScale) * grad[k]
	}
	return nil
}

// fused runs one fused step θ += a·(g or sign(g)) and checks the gradient
// from the maximum it returns; θ is unspecified after that error.
func (s *Steepest) fused(step func(a float64, g, theta []float64) (maxG, maxTheta float64), a float64, grad, theta []float64) error {
	maxG, maxTheta := step(a, grad, theta)
	if err := checkGradMax(s, maxG); err != nil {
		return err
	}
	s.set(maxTheta)
	return nil
}

// scaledRate returns η·e^{logScale}·d, formed as a plain product when that
// is finite and nonzero (so that logScale = 0 gives η·d to an ulp) and as
// one exponential otherwise.
func scaledRate(logLR, logScale, d float64) float64 {
	c := math.Exp(logLR+logScale) * d
	if c == 0 || math.IsInf(c, 0) || math.IsNaN(c) {
		c = math.Exp(logLR + logScale + math.Log(d))
	}
	return c
}

// directionDualer is implemented by norms whose direction yields the dual
// norm for free (Spectral: ⟨polar(G), G⟩ = ‖G‖_nuclear).
type directionDualer interface {
	directionDual(dst, g []float64) float64
}

// NewSpectralDescent returns steepest descent w.r.t. the max-over-layers
// spectral norm of layout (Spectral): normalized, W_l −= η·U_l·V_lᵀ in
// every layer (paper.md Eq. 82, Shampoo without accumulation or momentum);
// unnormalized, the same times Σ_l ‖∇_{W_l}L‖_nuclear.
func NewSpectralDescent(layout nn.Layout, lr float64, normalized bool) (*Steepest, error) {
	return NewSteepest(NewSpectral(layout), lr, normalized)
}
