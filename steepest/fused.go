package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// A training step that is also recorded reads θ and the gradient twice:
// once for the record (Meter: ⟨θ, g⟩ and the norms of both) and once for
// the update. Where the update works range by range — GD, normalized sign
// descent and Adam elementwise, CD through each range's argmax —
// Meter.MeasureStep runs the two together (tensor.DotNormsThen): each
// range of the vectors is reduced and then stepped while it is still in
// cache, so that both read the vectors from memory once. The ranges are
// DotNorms's own (so the record is bitwise Measure's) and the step's
// result does not depend on them (so θ is bitwise Step's). Unrecorded
// steps run over the same ranges on the GEMM pool (Update,
// tensor.StepRanges).

// rangeStepper is an Optimizer whose step can run range by range.
type rangeStepper interface {
	// beginRanges validates the step's arguments and prepares it,
	// returning the per-range step, or nil when this step is not
	// elementwise (then the caller runs Update). When it returns a step,
	// the caller runs it over every range and then calls endRanges.
	beginRanges(theta, grad []float64, logScale float64) (tensor.ChunkStep, error)
	// endRanges completes the step from the ranges' results: the
	// gradient check and ‖θ‖∞ (ParamMaxAbs).
	endRanges() error
}

// MeasureStep returns the metrics of θ, as Measure(step, θ, ev), and then
// applies opt's step from ev, as opt.Step(θ, ev): the metrics describe θ
// before the step. Where the step runs range by range (GD, normalized sign
// descent, CD and Adam; see rangeStepper) and the Meter computes no spectral
// values, the record's pass and the step share one trip through θ and the
// gradient, range by range; the metrics and the new θ are bitwise those of
// Measure then Step. A step that fails leaves θ as Step's error would; the
// metrics are still those of θ before it.
func (mt *Meter) MeasureStep(step int, theta []float64, ev *nn.Eval, opt Optimizer) (Metrics, error) {
	var ranges tensor.ChunkStep
	rs, ok := opt.(rangeStepper)
	if ok && mt.spectral == nil && len(ev.Grad) == len(theta) {
		var err error
		if ranges, err = rs.beginRanges(theta, ev.Grad, ev.LogScale); err != nil {
			m, _ := mt.Measure(step, theta, ev) // lengths checked above
			return m, err
		}
	}
	if ranges == nil {
		m, err := mt.Measure(step, theta, ev)
		if err != nil {
			return m, err
		}
		return m, opt.Step(theta, ev)
	}
	in := measureInput{q: ev.Q, w: ev.Weights, grad: ev.Grad, logLoss: ev.LogLoss, soft: ev.SoftNumerator()}
	m := mt.measure(step, theta, &in, ranges)
	return m, rs.endRanges()
}

// updateInRanges is the Update of an optimizer whose step runs range by
// range: over the GEMM pool's threads (tensor.StepRanges). done is false,
// with nothing touched, when this step does not run in ranges.
func updateInRanges(pool *tensor.Pool, rs rangeStepper, theta, grad []float64, logScale float64) (done bool, err error) {
	r, err := rs.beginRanges(theta, grad, logScale)
	if err != nil {
		return true, err
	}
	if r == nil {
		return false, nil
	}
	pool.StepRanges(len(theta), r)
	return true, rs.endRanges()
}

// elementRanges is the range-by-range form of Steepest's elementwise
// steps: θ += a·g (GD) or θ += a·sign(g) (sign descent), each range's
// maxima kept for endRanges; or, for CD, each range's first index of
// max |g_i| (first NaN), the coordinate moved in endRanges.
type elementRanges struct {
	kind           rangeKind
	a, logScale    float64
	theta, grad    []float64
	maxG, maxTheta []float64 // per range (tensor.DotNormsRanges)
	argmax         []int     // per range, CD: the range's ArgMaxAbs as an index of g, or −1
}

type rangeKind int

const (
	axpyRanges rangeKind = iota
	signRanges
	coordinateRanges
)

// StepRange steps elements [lo, hi) (tensor.ChunkStep).
func (r *elementRanges) StepRange(c, lo, hi int) {
	switch r.kind {
	case axpyRanges:
		r.maxG[c], r.maxTheta[c] = asm.AxpyStep(r.a, r.grad[lo:hi], r.theta[lo:hi])
	case signRanges:
		r.maxG[c], r.maxTheta[c] = asm.SignStep(r.a, r.grad[lo:hi], r.theta[lo:hi])
	default:
		r.argmax[c] = -1
		if k := asm.ArgMaxAbs(r.grad[lo:hi]); k >= 0 {
			r.argmax[c] = lo + k
		}
	}
}

// beginRanges prepares GD (ℓ2, unnormalized), normalized sign descent and
// CD as Update computes them; nil for the other steps.
func (s *Steepest) beginRanges(theta, grad []float64, logScale float64) (tensor.ChunkStep, error) {
	r := &s.ranges
	switch s.Norm.(type) {
	case L2:
		if s.Normalized {
			return nil, nil
		}
		r.kind, r.a = axpyRanges, -math.Exp(s.logLR+logScale)
	case LInf:
		if !s.Normalized {
			return nil, nil
		}
		r.kind, r.a = signRanges, -math.Exp(s.logLR)
	case L1:
		r.kind = coordinateRanges
	default:
		return nil, nil
	}
	s.forget()
	if err := checkArgs(s, theta, grad, logScale); err != nil {
		return nil, err
	}
	r.theta, r.grad, r.logScale = theta, grad, logScale
	k := tensor.DotNormsRanges(len(theta))
	r.maxG, r.maxTheta = rangeMaxima(r.maxG, k), rangeMaxima(r.maxTheta, k)
	if cap(r.argmax) < k {
		r.argmax = make([]int, k)
	}
	r.argmax = r.argmax[:k]
	return r, nil
}

// endRanges checks the gradient from the ranges' maxima (θ is unspecified
// after that error, as after Update's) and records ‖θ‖∞; for CD it picks
// the coordinate from the ranges' (the first NaN of the first range that
// has one, else the first index of the largest |g_i|, as ArgMaxAbs over
// the whole of g) and moves it.
func (s *Steepest) endRanges() error {
	r := &s.ranges
	theta, grad := r.theta, r.grad
	r.theta, r.grad = nil, nil
	if r.kind == coordinateRanges {
		best := -1
		for _, k := range r.argmax {
			if k < 0 {
				continue
			}
			if v := grad[k]; v != v {
				best = k
				break
			}
			if best < 0 || math.Abs(grad[k]) > math.Abs(grad[best]) {
				best = k
			}
		}
		return s.moveCoordinate(theta, grad, best, r.logScale)
	}
	// The maxima are ≥ 0 or NaN: MaxAbs of them is the maximum over the
	// whole vector with MaxAbs's NaN rule.
	if err := checkGradMax(s, asm.MaxAbs(r.maxG)); err != nil {
		return err
	}
	s.set(asm.MaxAbs(r.maxTheta))
	return nil
}

// adamRanges is the range-by-range form of Adam's step.
type adamRanges struct {
	a                    *Adam
	theta, grad          []float64
	sc                   adamScalars
	maxM, maxV, maxTheta []float64 // per range (tensor.DotNormsRanges)
}

// StepRange steps elements [lo, hi) (tensor.ChunkStep).
func (r *adamRanges) StepRange(c, lo, hi int) {
	a, sc := r.a, &r.sc
	r.maxM[c], r.maxV[c], r.maxTheta[c] = asm.AdamStep(r.theta[lo:hi], a.M[lo:hi], a.V[lo:hi], r.grad[lo:hi],
		sc.r1, sc.r2, a.Beta1, a.Beta2, sc.stepSize, sc.sqrtBC2, sc.eps)
}

// beginRanges prepares Adam's step as Update does; nil when the true
// gradient is exactly 0 (log-scale −Inf: Update steps with a zero vector).
func (a *Adam) beginRanges(theta, grad []float64, logScale float64) (tensor.ChunkStep, error) {
	if math.IsInf(logScale, -1) {
		return nil, nil
	}
	a.forget()
	if err := a.checkUpdate(theta, grad, logScale); err != nil {
		return nil, err
	}
	r := &a.ranges
	r.a, r.theta, r.grad, r.sc = a, theta, grad, a.advance(logScale)
	k := tensor.DotNormsRanges(len(theta))
	r.maxM, r.maxV, r.maxTheta = rangeMaxima(r.maxM, k), rangeMaxima(r.maxV, k), rangeMaxima(r.maxTheta, k)
	return r, nil
}

// endRanges finishes Adam's step from the ranges' maxima.
func (a *Adam) endRanges() error {
	r := &a.ranges
	grad := r.grad
	r.theta, r.grad = nil, nil
	return a.finish(grad, asm.MaxAbs(r.maxM), asm.MaxAbs(r.maxV), asm.MaxAbs(r.maxTheta))
}

// rangeMaxima returns buf resized to k per-range maxima, reusing its
// storage (every range writes its own before they are read).
func rangeMaxima(buf []float64, k int) []float64 {
	if cap(buf) < k {
		return make([]float64, k)
	}
	return buf[:k]
}
