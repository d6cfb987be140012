package steepest

import "math"

// Schedule decides the learning rate of each step. The trainer (the CLI)
// runs, per step:
//
//	opt.SetLogLR(sched.LogLR(logLoss))       // logLoss = log L(θ) before the step
//	save θ (and opt.State() if rejections are possible)
//	opt.Update(θ, grad, logScale); evaluate newLogLoss = log L(θ_new)
//	if ok, err := sched.Judge(logLoss, newLogLoss); !ok { restore θ and state }
//
// Learning rates travel as logarithms so that η ∝ 1/L can exceed the float
// range while η·∇L stays finite.
type Schedule interface {
	// LogLR returns log η for the next trial step from a point with log-loss
	// logLoss.
	LogLR(logLoss float64) float64
	// Judge reports whether the trial step that took the log-loss from
	// logLoss to newLogLoss is accepted, and adapts the schedule. An error
	// means training cannot go on (e.g. the rate fell below its floor).
	Judge(logLoss, newLogLoss float64) (accept bool, err error)
}

// Constant is a constant learning rate, every step accepted (the paper's
// setting, paper.md §2.4).
type Constant struct{ LR float64 }

// LogLR returns log LR.
func (c Constant) LogLR(float64) float64 { return math.Log(c.LR) }

// Judge accepts every step; it fails only on a non-finite new loss.
func (c Constant) Judge(_, newLogLoss float64) (bool, error) {
	if math.IsNaN(newLogLoss) || math.IsInf(newLogLoss, 1) {
		return false, errorf("constant lr %v: loss diverged (log-loss %v)", c.LR, newLogLoss)
	}
	return true, nil
}

// LossAdaptive is the loss-based schedule of Lyu & Li (2020,
// LossBasedLRv1; paper.md §8.2), which reaches very small losses in few
// steps. The effective learning rate is
//
//	η = Base / L(θ)   (InverseLoss = true; log η = log Base − log L)
//	η = Base          (InverseLoss = false)
//
// After each trial step: if the loss did not increase (newLogLoss ≤
// logLoss) the step is accepted and Base *= Grow (α1, default 2^{1/5});
// otherwise it is rejected — the trainer restores θ and the optimizer state —
// and Base /= Shrink (α2, default 2^{1/10}). Judge fails when Base drops
// below MinBase (Lyu & Li's floor 1e−50).
//
// InverseLoss suits steps that shrink with the loss (GD and unnormalized
// steepest descent: for the exponential sum loss GD then moves by
// Base·∇L/L, the "frame" update of Lyu & Li); normalized steps, sign and
// coordinate descent do not shrink and want InverseLoss = false.
type LossAdaptive struct {
	Base        float64
	Grow        float64
	Shrink      float64
	MinBase     float64
	InverseLoss bool
}

// NewLossAdaptive returns Lyu & Li's schedule with initial base rate base
// and their constants α1 = 2^{1/5}, α2 = 2^{1/10}, floor 1e−50.
func NewLossAdaptive(base float64, inverseLoss bool) (*LossAdaptive, error) {
	if _, err := checkLR(base); err != nil {
		return nil, errorf("loss-adaptive schedule: %w", err)
	}
	return &LossAdaptive{Base: base, Grow: math.Pow(2, 0.2), Shrink: math.Pow(2, 0.1),
		MinBase: 1e-50, InverseLoss: inverseLoss}, nil
}

// LogLR returns log Base − logLoss (InverseLoss) or log Base.
func (s *LossAdaptive) LogLR(logLoss float64) float64 {
	if s.InverseLoss {
		return math.Log(s.Base) - logLoss
	}
	return math.Log(s.Base)
}

// Judge accepts a non-increasing loss and grows the rate, else shrinks it.
func (s *LossAdaptive) Judge(logLoss, newLogLoss float64) (bool, error) {
	if newLogLoss <= logLoss {
		s.Base *= s.Grow
		return true, nil
	}
	// Rejected (this includes a NaN or +Inf new loss).
	s.Base /= s.Shrink
	if !(s.Base >= s.MinBase) {
		return false, errorf("loss-adaptive schedule: base rate %v below floor %v", s.Base, s.MinBase)
	}
	return false, nil
}

// A StatefulSchedule keeps state that a checkpoint must hold to continue
// a run exactly (LossAdaptive's Base), and may reject trial steps (the
// trainer then saves θ and the optimizer state before each step).
type StatefulSchedule interface {
	Schedule
	State() []float64
	SetState(state []float64) error
}

// State returns {Base}.
func (s *LossAdaptive) State() []float64 { return []float64{s.Base} }

// SetState restores a State: one positive, finite base rate.
func (s *LossAdaptive) SetState(st []float64) error {
	if len(st) != 1 || !(st[0] > 0) || math.IsInf(st[0], 0) {
		return errorf("loss-adaptive schedule state %v is invalid", st)
	}
	s.Base = st[0]
	return nil
}
