package main

import (
	"math"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// stepper is one training algorithm: it moves θ given the evaluation at θ
// (nn.Eval: ∇L(θ) = exp(LogScale)·Grad) and the log of this step's learning
// rate (a loss-adaptive η = η₀/L may exceed the float range). State returns
// its state vectors (for checkpoints and roll-backs; they may alias the
// stepper's buffers) and SetState restores such vectors.
type stepper interface {
	Step(theta []float64, ev *nn.Eval, logLR float64) error
	State() [][]float64
	SetState([][]float64) error
}

// schedule chooses each step's learning rate and may reject a trial step
// (the trainer then restores θ and the optimizer state and retries).
type schedule interface {
	LogLR(logLoss float64) float64
	Judge(logLoss, newLogLoss float64) (bool, error)
	CanReject() bool
	State() []float64 // for checkpoints
	SetState([]float64) error
}

// copyState deep-copies a state into dst (reusing its slices).
func copyState(src, dst [][]float64) [][]float64 {
	dst = dst[:0:cap(dst)]
	for i, v := range src {
		if i < cap(dst) {
			dst = dst[:i+1]
			dst[i] = append(dst[i][:0], v...)
		} else {
			dst = append(dst, append([]float64(nil), v...))
		}
	}
	return dst
}

// paramsFinite reports whether every θ_i is finite after a step: from the
// ‖θ‖∞ the stepper computed in its fused pass (a ParamMaxAbs method, as
// steepest.ParamMaxAbser) when it did, else from a pass of its own.
func paramsFinite(opt stepper, theta []float64) bool {
	m, ok := 0.0, false
	if p, isP := opt.(interface{ ParamMaxAbs() (float64, bool) }); isP {
		m, ok = p.ParamMaxAbs()
	}
	if !ok {
		m = tensor.MaxAbs(theta)
	}
	return !math.IsNaN(m) && !math.IsInf(m, 0)
}
