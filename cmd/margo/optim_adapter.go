package main

import (
	"math"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
)

// newStepper returns the algorithm of o from package steepest.
func newStepper(o trainOptions, m *nn.MLP) (stepper, error) {
	if o.Alg == "gd" && o.Normalize {
		opt, err := steepest.NewSteepest(steepest.L2{}, o.LR, true)
		if err != nil {
			return nil, usagef("%v", err)
		}
		return steepestStepper{opt}, nil
	}
	if (o.Alg == "adam" || o.Alg == "shampoo") && o.Normalize {
		return nil, usagef("--alg %s has no normalized form", o.Alg)
	}
	opt, err := steepest.New(steepest.Config{Name: o.Alg, LR: o.LR, Normalized: o.Normalize, P: o.P,
		Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, Layout: m.Layout()})
	if err != nil {
		return nil, usagef("%v", err)
	}
	return steepestStepper{opt}, nil
}

// steepestStepper adapts a steepest.Optimizer to the trainer.
type steepestStepper struct{ opt steepest.Optimizer }

func (s steepestStepper) Step(theta []float64, ev *nn.Eval, logLR float64) error {
	s.opt.SetLogLR(logLR)
	return s.opt.Step(theta, ev)
}
func (s steepestStepper) State() [][]float64 { return s.opt.State() }

// ParamMaxAbs forwards the ‖θ‖∞ the optimizer computed in its step, if it
// did (steepest.ParamMaxAbser).
func (s steepestStepper) ParamMaxAbs() (float64, bool) {
	if p, ok := s.opt.(steepest.ParamMaxAbser); ok {
		return p.ParamMaxAbs()
	}
	return 0, false
}
func (s steepestStepper) SetState(st [][]float64) error { return s.opt.SetState(st) }

// newSchedule returns the paper's constant rate, or Lyu & Li's loss-based
// schedule (η = Base/L for GD and unnormalized steps, Base otherwise; a step
// that raises the loss is rolled back and Base shrinks).
func newSchedule(o trainOptions) (schedule, error) {
	if o.Schedule != "loss-adaptive" {
		return steepestSchedule{s: steepest.Constant{LR: o.LR}}, nil
	}
	inverse := !o.Normalize && o.Alg != "adam" && o.Alg != "shampoo"
	la, err := steepest.NewLossAdaptive(o.LR, inverse)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return steepestSchedule{s: la, la: la}, nil
}

// steepestSchedule adapts a steepest.Schedule; the loss-adaptive one keeps
// its base rate as checkpoint state.
type steepestSchedule struct {
	s  steepest.Schedule
	la *steepest.LossAdaptive
}

func (s steepestSchedule) LogLR(logLoss float64) float64 { return s.s.LogLR(logLoss) }
func (s steepestSchedule) Judge(a, b float64) (bool, error) {
	return s.s.Judge(a, b)
}
func (s steepestSchedule) CanReject() bool { return s.la != nil }
func (s steepestSchedule) State() []float64 {
	if s.la == nil {
		return nil
	}
	return []float64{s.la.Base}
}
func (s steepestSchedule) SetState(st []float64) error {
	if s.la == nil {
		return nil
	}
	if len(st) != 1 || !(st[0] > 0) || math.IsInf(st[0], 0) {
		return usagef("checkpoint schedule state %v is invalid", st)
	}
	s.la.Base = st[0]
	return nil
}

// recordMeter fills a record's norms, margins, soft margins and alignments
// from steepest.Meter, plus its KKT measures (Bregman value and slackness
// per norm) as extra fields. The spectral norm is computed apart (an exact
// SVD), so a record never depends on earlier calls.
type recordMeter struct{ mt *steepest.Meter }

func newRecordMeter(m *nn.MLP) (*recordMeter, error) {
	mt, err := steepest.NewMeter(m.Degree(), m.Layout(), false, false)
	if err != nil {
		return nil, err
	}
	return &recordMeter{mt}, nil
}

// measure fills r from θ and ev (the evaluation at θ with the gradient).
func (rm *recordMeter) measure(r *record, th []float64, ev *nn.Eval) {
	x, err := rm.mt.Measure(r.Step, th, ev)
	if err != nil {
		r.QMin = math.NaN() // cannot happen: ev holds this θ's gradient
		return
	}
	rm.fill(r, x)
}

// measureStep is measure, then opt's step from ev at rate logLR, sharing
// the pass over θ and the gradient where the step allows
// (steepest.Meter.MeasureStep). It returns the step's error; r describes θ
// before the step either way.
func (rm *recordMeter) measureStep(r *record, th []float64, ev *nn.Eval, opt stepper, logLR float64) error {
	s, ok := opt.(steepestStepper)
	if !ok || len(ev.Grad) != len(th) {
		rm.measure(r, th, ev)
		return opt.Step(th, ev, logLR)
	}
	s.opt.SetLogLR(logLR)
	x, err := rm.mt.MeasureStep(r.Step, th, ev, s.opt)
	rm.fill(r, x)
	return err
}

func (rm *recordMeter) fill(r *record, x steepest.Metrics) {
	r.NormL1, r.NormL2, r.NormLinf = x.NormL1, x.NormL2, x.NormLinf
	r.Gamma1, r.Gamma2, r.GammaInf = x.MarginLinf, x.MarginL2, x.MarginL1
	r.Soft1, r.Soft2, r.SoftInf = x.SoftLinf, x.SoftL2, x.SoftL1
	r.Align1, r.Align2, r.AlignInf = x.AlignLinf, x.AlignL2, x.AlignL1
	r.Extra = append(r.Extra[:0],
		namedValue{"bregman1", x.BregmanLinf}, namedValue{"bregman2", x.BregmanL2}, namedValue{"bregmanInf", x.BregmanL1},
		namedValue{"slack1", x.SlackLinf}, namedValue{"slack2", x.SlackL2}, namedValue{"slackInf", x.SlackL1})
}
