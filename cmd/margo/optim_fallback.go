//go:build !margo_steepest

package main

import (
	"fmt"
	"math"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// This file holds the algorithms margo trains with while package steepest
// is not merged: gd, sd, cd and adam on the tensor kernels. Built with
// -tags margo_steepest, optim_steepest.go replaces it.

// newStepper returns the algorithm named by o.Alg for p parameters.
func newStepper(o trainOptions, m *nn.MLP) (stepper, error) {
	p := m.Layout().Size()
	switch o.Alg {
	case "gd":
		return &gdStep{normalize: o.Normalize}, nil
	case "sd":
		return &signStep{normalize: o.Normalize, dir: make([]float64, p)}, nil
	case "cd":
		return &coordStep{normalize: o.Normalize}, nil
	case "adam":
		if o.Normalize {
			return nil, usagef("--alg adam has no normalized form")
		}
		return &adamStep{beta1: o.Beta1, beta2: o.Beta2, eps: o.Eps,
			m: make([]float64, p), v: make([]float64, p), g: make([]float64, p), t: []float64{0}}, nil
	}
	return nil, usagef("--alg %s is not available in this build (package steepest is not merged yet)", o.Alg)
}

// scaleOf returns exp(loga + logb) without overflow in the intermediate.
func scaleOf(loga, logb float64) float64 { return math.Exp(loga + logb) }

// gdStep is gradient descent: θ −= η∇L, or θ −= η∇L/‖∇L‖₂ normalized.
type gdStep struct{ normalize bool }

func (s *gdStep) Step(theta []float64, ev *nn.Eval, logLR float64) error {
	lr := math.Exp(logLR)
	if s.normalize {
		n := tensor.Nrm2(ev.Grad)
		if n == 0 {
			return nil
		}
		tensor.Axpy(-lr/n, ev.Grad, theta)
		return nil
	}
	tensor.Axpy(-scaleOf(logLR, ev.LogScale), ev.Grad, theta)
	return nil
}

func (s *gdStep) State() [][]float64            { return nil }
func (s *gdStep) SetState(st [][]float64) error { return checkEmpty(st) }

// signStep is sign descent (steepest w.r.t. ℓ∞): θ −= η·sign(g), or
// θ −= η‖∇L‖₁·sign(g) unnormalized.
type signStep struct {
	normalize bool
	dir       []float64
}

func (s *signStep) Step(theta []float64, ev *nn.Eval, logLR float64) error {
	tensor.Sign(s.dir, ev.Grad)
	a := math.Exp(logLR)
	if !s.normalize {
		a = scaleOf(logLR, ev.LogScale) * tensor.AbsSum(ev.Grad)
	}
	tensor.Axpy(-a, s.dir, theta)
	return nil
}

func (s *signStep) State() [][]float64            { return nil }
func (s *signStep) SetState(st [][]float64) error { return checkEmpty(st) }

// coordStep is greedy coordinate descent (steepest w.r.t. ℓ1): only the first
// coordinate of largest |g_i| moves, by −η·sign(g_i), or −η·∂L/∂θ_i
// unnormalized.
type coordStep struct{ normalize bool }

func (s *coordStep) Step(theta []float64, ev *nn.Eval, logLR float64) error {
	i := tensor.ArgMaxAbs(ev.Grad)
	if i < 0 || ev.Grad[i] == 0 {
		return nil
	}
	if s.normalize {
		theta[i] -= math.Exp(logLR) * math.Copysign(1, ev.Grad[i])
	} else {
		theta[i] -= scaleOf(logLR, ev.LogScale) * ev.Grad[i]
	}
	return nil
}

func (s *coordStep) State() [][]float64            { return nil }
func (s *coordStep) SetState(st [][]float64) error { return checkEmpty(st) }

func checkEmpty(st [][]float64) error {
	if len(st) != 0 {
		return fmt.Errorf("optimizer state has %d vectors, want none", len(st))
	}
	return nil
}

// adamStep is torch.optim.Adam (ε outside the square root, bias-corrected),
// on the true gradient exp(LogScale)·Grad.
type adamStep struct {
	beta1, beta2, eps float64
	m, v, g           []float64
	t                 []float64 // the step count, as a vector for checkpoints
}

func (s *adamStep) Step(theta []float64, ev *nn.Eval, logLR float64) error {
	lr := math.Exp(logLR)
	c := math.Exp(ev.LogScale)
	for i, v := range ev.Grad {
		s.g[i] = c * v
	}
	s.t[0]++
	t := s.t[0]
	stepSize := lr / (1 - math.Pow(s.beta1, t))
	sqrtBC2 := math.Sqrt(1 - math.Pow(s.beta2, t))
	tensor.Adam(theta, s.m, s.v, s.g, s.beta1, s.beta2, stepSize, sqrtBC2, s.eps)
	return nil
}

func (s *adamStep) State() [][]float64 { return [][]float64{s.m, s.v, s.t} }

func (s *adamStep) SetState(st [][]float64) error {
	if len(st) != 3 || len(st[0]) != len(s.m) || len(st[1]) != len(s.v) || len(st[2]) != 1 {
		return fmt.Errorf("adam state has the wrong shape")
	}
	copy(s.m, st[0])
	copy(s.v, st[1])
	copy(s.t, st[2])
	return nil
}

// constantSchedule is the paper's constant learning rate.
type constantSchedule struct{ logLR float64 }

func (c constantSchedule) LogLR(float64) float64 { return c.logLR }
func (c constantSchedule) Judge(_, newLogLoss float64) (bool, error) {
	if math.IsNaN(newLogLoss) || math.IsInf(newLogLoss, 1) {
		return false, fmt.Errorf("loss is %v", math.Exp(newLogLoss))
	}
	return true, nil
}
func (constantSchedule) CanReject() bool          { return false }
func (constantSchedule) State() []float64         { return nil }
func (constantSchedule) SetState([]float64) error { return nil }

// inverseLossSchedule is η_t = η/L(θ_t) without roll-backs (used until
// package steepest provides Lyu & Li's schedule).
type inverseLossSchedule struct{ logBase float64 }

func (c inverseLossSchedule) LogLR(logLoss float64) float64 { return c.logBase - logLoss }
func (c inverseLossSchedule) Judge(a, b float64) (bool, error) {
	return constantSchedule{}.Judge(a, b)
}
func (inverseLossSchedule) CanReject() bool          { return false }
func (inverseLossSchedule) State() []float64         { return nil }
func (inverseLossSchedule) SetState([]float64) error { return nil }

// newSchedule returns the --schedule of o.
func newSchedule(o trainOptions) (schedule, error) {
	if o.Schedule == "loss-adaptive" {
		return inverseLossSchedule{math.Log(o.LR)}, nil
	}
	return constantSchedule{math.Log(o.LR)}, nil
}

// newMargins returns the computation of the ℓ1/ℓ2/ℓ∞ norms, hard and soft
// margins and alignments of a record (paper.md 1.3–1.4, 3.7).
func newMargins(m *nn.MLP) (func(r *record, th []float64, ev *nn.Eval) error, error) {
	L := float64(m.Degree())
	return func(r *record, th []float64, ev *nn.Eval) error {
		g := ev.Grad
		r.NormL1, r.NormL2, r.NormLinf = tensor.AbsSum(th), tensor.Nrm2(th), tensor.MaxAbs(th)
		p1, p2, pInf := math.Pow(r.NormLinf, L), math.Pow(r.NormL2, L), math.Pow(r.NormL1, L)
		r.Gamma1, r.Gamma2, r.GammaInf = r.QMin/p1, r.QMin/p2, r.QMin/pInf
		s := ev.SoftNumerator()
		r.Soft1, r.Soft2, r.SoftInf = s/p1, s/p2, s/pInf
		// ⟨θ, −g⟩ with g the gradient direction (a positive multiple of ∇L).
		inner := -tensor.Dot(th, g)
		r.Align1 = inner / (r.NormLinf * tensor.AbsSum(g))
		r.Align2 = inner / (r.NormL2 * tensor.Nrm2(g))
		r.AlignInf = inner / (r.NormL1 * tensor.MaxAbs(g))
		return nil
	}, nil
}
