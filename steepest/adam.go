package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// Adam is torch.optim.Adam without weight decay or amsgrad (paper.md §2.3,
// Eq. 80), for any β1, β2 ∈ [0, 1) and ε ≥ 0:
//
//	m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  t ← t+1
//	θ ← θ − (η/(1−β1^t)) · m / (√v/√(1−β2^t) + ε)
//
// with the true gradient g = ∇L (ε outside the square root; the update is
// the fused asm.AdamStep kernel, one pass over θ, M, V and g). Where
// √v̂ + ε is exactly 0 the coordinate does not move (torch would write
// NaN).
//
// Frame: m and v are stored relative to a scale, m_true = e^F·M and
// v_true = e^{2F}·V, with F the logScale of the latest gradient. A new
// gradient with log-scale s first rescales M by e^{F−s} and V by e^{2(F−s)},
// then enters in frame units; ε enters as ε·e^{−s}. This is the same
// arithmetic as on true values (up to rounding), but nothing underflows as
// the loss vanishes: with ε = 0 the update is exactly scale-invariant, and
// with ε > 0 the effective ε·e^{−s} grows, as the true algorithm's does.
// The rescaling runs inside the update's pass (each product rounded as a
// separate Scal would round it), and the pass returns ‖M‖∞, ‖V‖∞ and ‖θ‖∞:
// a non-finite gradient, or moments that overflow (in the new scale, or
// through g² beyond the float range), fail the step after the pass, with θ
// and the state unspecified (see Optimizer).
type Adam struct {
	Beta1, Beta2, Eps float64
	logLR             float64
	M, V              []float64 // first and second moments, in frame units
	T                 int       // steps taken
	Frame             float64   // F: the log-scale M and V are stored in
	paramMax
	ranges adamRanges // the step range by range (Meter.MeasureStep)
	pool   *tensor.Pool
}

// SetPool makes the step run on p's goroutines (nil: the calling
// goroutine). Results do not depend on it.
func (a *Adam) SetPool(p *tensor.Pool) { a.pool = p }

// NewAdam returns Adam for p parameters.
func NewAdam(p int, lr, beta1, beta2, eps float64) (*Adam, error) {
	l, err := checkLR(lr)
	if err != nil {
		return nil, errorf("adam: %w", err)
	}
	if p < 0 {
		return nil, errorf("adam: %d parameters", p)
	}
	for _, b := range []float64{beta1, beta2} {
		if !(b >= 0 && b < 1) {
			return nil, errorf("adam: beta %v outside [0, 1)", b)
		}
	}
	if !(eps >= 0) || math.IsInf(eps, 1) {
		return nil, errorf("adam: eps %v, want finite eps ≥ 0", eps)
	}
	return &Adam{Beta1: beta1, Beta2: beta2, Eps: eps, logLR: l,
		M: make([]float64, p), V: make([]float64, p)}, nil
}

// Name returns e.g. "adam(b1=0.9,b2=0.99,eps=1e-08)".
func (a *Adam) Name() string {
	return "adam(b1=" + formatFloat(a.Beta1) + ",b2=" + formatFloat(a.Beta2) + ",eps=" + formatFloat(a.Eps) + ")"
}

// LogLR returns log η.
func (a *Adam) LogLR() float64 { return a.logLR }

// SetLogLR sets log η.
func (a *Adam) SetLogLR(l float64) { a.logLR = l }

// State returns {M, V, {T, Frame}}; the last part is a fresh slice, the
// others alias the moments.
func (a *Adam) State() [][]float64 {
	return [][]float64{a.M, a.V, {float64(a.T), a.Frame}}
}

// SetState restores a State.
func (a *Adam) SetState(st [][]float64) error {
	tf := []float64{0, 0}
	if err := setState(a.Name(), [][]float64{a.M, a.V, tf}, st); err != nil {
		return err
	}
	if tf[0] < 0 || tf[0] != math.Trunc(tf[0]) || math.IsNaN(tf[1]) || math.IsInf(tf[1], 0) {
		return errorf("%s: bad step count or frame %v", a.Name(), tf)
	}
	a.T, a.Frame = int(tf[0]), tf[1]
	return nil
}

// Step applies one step from ev (see Optimizer).
func (a *Adam) Step(theta []float64, ev *nn.Eval) error { return a.Update(theta, ev.Grad, ev.LogScale) }

// Update applies one Adam step.
// It runs range by range on the GEMM pool's threads (tensor.StepRanges),
// elementwise, so the result is bitwise the same for every thread count.
func (a *Adam) Update(theta, grad []float64, logScale float64) error {
	if done, err := updateInRanges(a.pool, a, theta, grad, logScale); done {
		return err
	}
	a.forget()
	if err := a.checkUpdate(theta, grad, logScale); err != nil {
		return err
	}
	if math.IsInf(logScale, -1) { // the true gradient is exactly 0
		logScale = a.Frame
		if a.T == 0 {
			logScale = 0
		}
		grad = nil
	}
	sc := a.advance(logScale)
	if grad == nil {
		grad = make([]float64, len(theta))
	}
	maxM, maxV, maxTheta := asm.AdamStep(theta, a.M, a.V, grad, sc.r1, sc.r2, a.Beta1, a.Beta2, sc.stepSize, sc.sqrtBC2, sc.eps)
	return a.finish(grad, maxM, maxV, maxTheta)
}

// checkUpdate validates an Update's arguments.
func (a *Adam) checkUpdate(theta, grad []float64, logScale float64) error {
	if err := checkArgs(a, theta, grad, logScale); err != nil {
		return err
	}
	if len(a.M) != len(theta) {
		return errorf("%s: built for %d parameters, got %d", a.Name(), len(a.M), len(theta))
	}
	return nil
}

// adamScalars are the per-step constants of asm.AdamStep.
type adamScalars struct {
	r1, r2, stepSize, sqrtBC2, eps float64
}

// advance moves the frame to a gradient of log-scale logScale (finite),
// counts the step and returns its constants.
func (a *Adam) advance(logScale float64) adamScalars {
	sc := adamScalars{r1: 1, r2: 1} // M ← r1·M, V ← r2·V into the new frame
	if a.T > 0 && logScale != a.Frame {
		r := math.Exp(a.Frame - logScale)
		// With β = 0 the old moment is multiplied by 0: leave it unscaled
		// (0·Inf would be NaN).
		if a.Beta1 > 0 {
			sc.r1 = r
		}
		if a.Beta2 > 0 {
			sc.r2 = r * r
		}
	}
	a.Frame = logScale
	a.T++
	t := float64(a.T)
	sc.stepSize = math.Exp(a.logLR) / (1 - math.Pow(a.Beta1, t))
	sc.sqrtBC2 = math.Sqrt(1 - math.Pow(a.Beta2, t))
	if a.Eps > 0 {
		sc.eps = a.Eps * math.Exp(-logScale) // +Inf when the true gradient underflows: no move
	}
	return sc
}

// finish checks the maxima of a step's pass and records ‖θ‖∞.
func (a *Adam) finish(grad []float64, maxM, maxV, maxTheta float64) error {
	if bad(maxM) || bad(maxV) {
		// A NaN or Inf in g reaches m (1−β1 > 0); otherwise a moment overflowed.
		if err := checkGradMax(a, asm.MaxAbs(grad)); err != nil {
			return err
		}
		return errorf("%s: moments overflow in the new gradient scale (max |m_i| = %v, max v_i = %v)", a.Name(), maxM, maxV)
	}
	a.set(maxTheta)
	return nil
}

// bad reports a NaN or an infinity.
func bad(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
