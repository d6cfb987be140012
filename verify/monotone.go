package verify

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/steepest/train"
)

// Point is one recorded iterate of a trajectory with what Evaluate said
// about it (copies, owned by the Point).
type Point struct {
	Theta    []float64
	Q        []float64 // q_i = y_i f(x_i; θ)
	Weights  []float64 // the loss's relative sample weights
	Grad     []float64 // Σ_i w_i·(−y_i ∇f_i) (the gradient direction)
	LogLoss  float64   // log of the SUM loss (log n added back under Mean)
	LogScale float64   // log of the SUM gradient's scale
	Soft     float64   // Φ⁻¹(log 1/L_sum): the soft margin's numerator
	// SoftErr bounds the rounding error of Soft to first order:
	// 2·Size·u·Σ w_i M_i (the margins' forward-pass errors, M_i =
	// Model.Magnitude, weighted as they enter log-sum-exp) plus
	// 4n·u·(|Soft| + Σ w_i|q_i|) for the log-sum-exp itself.
	SoftErr float64
}

// Trajectory is a recorded training run: θ_0, θ_1, … with their
// evaluations, the model's degree L and the loss.
type Trajectory struct {
	Degree int
	Loss   nn.Loss
	Points []Point
}

// ErrDiverged is returned by Train when an iterate's loss or gradient is
// not finite (a step size far beyond the stable range); the trajectory up
// to the last finite iterate is returned with it.
var ErrDiverged = errors.New("verify: training diverged")

// Train runs steps full-batch updates of opt from θ (which it updates in
// place) on d under obj, through the library's training loop
// (steepest/train, at opt's own rate), and records every iterate, the
// final one included (steps+1 points).
func Train(m *MLPModel, d *nn.Dataset, obj nn.Objective, opt steepest.Optimizer, theta []float64, steps int) (Trajectory, error) {
	if len(theta) != m.Size() {
		return Trajectory{}, fmt.Errorf("verify: train: len(θ) = %d, model has %d", len(theta), m.Size())
	}
	tr := Trajectory{Degree: m.Degree(), Loss: obj.Loss}
	mag := make([]float64, d.Len())
	logN := 0.0
	if obj.Mean {
		logN = math.Log(float64(d.Len()))
	}
	diverged := -1
	record := func(t int, ev *nn.Eval, theta []float64) {
		if diverged >= 0 || t < len(tr.Points) {
			return // after a non-finite iterate, or a retried step
		}
		if !finite(ev.LogLoss) || !finite(asm.Nrm2(ev.Grad)) {
			diverged = t
			return
		}
		m.Magnitude(theta, d.X, mag)
		var wm, wq float64
		for i, w := range ev.Weights {
			wm += w * mag[i]
			wq += w * math.Abs(ev.Q[i])
		}
		soft := ev.SoftNumerator()
		n, p := float64(d.Len()), float64(len(theta))
		tr.Points = append(tr.Points, Point{
			SoftErr:  2*p*unit*wm + 4*n*unit*(math.Abs(soft)+wq),
			Theta:    append([]float64(nil), theta...),
			Q:        append([]float64(nil), ev.Q...),
			Weights:  append([]float64(nil), ev.Weights...),
			Grad:     append([]float64(nil), ev.Grad...),
			LogLoss:  ev.LogLoss + logN,
			LogScale: ev.LogScale + logN,
			Soft:     soft,
		})
	}
	_, err := train.Run(context.Background(), train.Config{Model: m.m, Theta: theta, Train: d, Objective: obj,
		Optimizer: opt, Steps: steps, RecordEvery: steps, OnStep: record})
	var de *train.DivergedError
	switch {
	case diverged >= 0:
		return tr, fmt.Errorf("step %d: not finite: %w", diverged, ErrDiverged)
	case errors.As(err, &de):
		return tr, fmt.Errorf("step %d: %v: %w", de.Step, de.What, ErrDiverged)
	case err != nil:
		return tr, fmt.Errorf("verify: train: %w", err)
	}
	return tr, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// separated reports whether the sum loss is below the threshold of
// assumption (A3): 1 for the exponential loss, e^{−Φ(0)} = log 2 for the
// logistic loss, by at least 1e−9 in log L, so that a loss equal to the
// threshold up to rounding does not count (at the threshold the soft margin
// is 0 and the theorems say nothing).
func separated(loss nn.Loss, logLoss float64) bool {
	const by = 1e-9
	if loss == nn.Logistic {
		return logLoss < math.Log(math.Ln2)-by
	}
	return logLoss < -by
}

// MarginMonotone checks the discrete form of Theorem 1/9 (exponential loss)
// and Theorem 22 (logistic loss) on a trajectory of steepest descent w.r.t.
// norm: after the first separated iterate t0 (L(θ_{t0}) < 1, resp. < log 2),
// the soft margin γ̃_t = Φ⁻¹(log 1/L(θ_t))/‖θ_t‖^L does not decrease by more
// than the second-order terms of one step. With a = Φ⁻¹(log 1/L), N = ‖θ_t‖,
// Δ = θ_{t+1} − θ_t, h = ‖Δ‖, N' = ‖θ_{t+1}‖, Δq = q(θ_{t+1}) − q(θ_t), w the
// sample weights, g the gradient direction, r = ⟨w, Δq⟩ − ⟨−g, Δ⟩ (the
// curvature remainder of f, 0 for a linear model):
//
//	a' ≥ a + κ(⟨w, Δq⟩ − quad),  quad = ½ Σ_i w_i Δq_i² e^{max(0, −Δq_i)}
//
// exp: a' − a = −log Σ w_i e^{−Δq_i} exactly, e^{−x} ≤ 1 − x + ½x²e^{max(0,−x)}
// and −log(1 − y) ≥ y; κ = 1. logistic: a = −log(e^L − 1) is convex and
// decreasing in L with a'(L) = −1/(1 − e^{−L}), and ℓ”(ξ) ≤ σ(−ξ) ≤
// σ(−q)e^{max(0, q−ξ)}, so L' − L ≤ S(−⟨w, Δq⟩ + quad) with S = Σ σ(−q_i)
// and κ = S/(1 − e^{−L}).
//
// A steepest step has ⟨−g, Δ⟩ = ‖g‖⋆·h exactly; with Euler, ‖g‖⋆·N ≥
// ⟨θ, −g⟩ = L Σ w_i q_i ≥ L·a/κ (the key inequality of Theorems 1 and 22,
// checked at every step as well), so
//
//	γ̃_t − γ̃_{t+1} ≤ a·R/(N^L (N+h)^L) + κ(|r| + quad)/N'^L,  R = (N+h)^L − N^L − L·h·N^{L−1},
//
// all second order in the step. Residual: the drop γ̃_t − γ̃_{t+1}
// relative to γ̃_t; Bound: that allowance relative to γ̃_t, plus rounding:
// the two numerators' Point.SoftErr over the norms, and 4·L·p·u for the
// norms (sums of p terms) raised to the power L. An
// optimizer whose step is not steepest for norm (e.g. with weight decay
// shrinking θ) loses a first-order amount and fails.
//
// Steps are checked from t0 until the first iterate that is no longer
// separated (a discrete step across a ReLU kink can leave the region; the
// flow cannot), which the Detail mentions. It is an error if no iterate is
// separated or fewer than two are.
func MarginMonotone(tr Trajectory, norm steepest.Norm) (Result, error) {
	t0 := -1
	for t, pt := range tr.Points {
		if separated(tr.Loss, pt.LogLoss) {
			t0 = t
			break
		}
	}
	if t0 < 0 || t0 == len(tr.Points)-1 {
		return Result{}, fmt.Errorf("verify: margin-monotone: %d iterates, separated from %d: nothing to check", len(tr.Points), t0)
	}
	L := float64(tr.Degree)
	res := Result{Bound: math.Inf(-1)}
	first := true
	delta := make([]float64, len(tr.Points[0].Theta))
	for t := t0; t+1 < len(tr.Points); t++ {
		p0, p1 := &tr.Points[t], &tr.Points[t+1]
		if !separated(tr.Loss, p0.LogLoss) {
			// The flow never leaves the separated region; a discrete step
			// across a ReLU kink can, and the step that did so was judged
			// above (its remainder r covers the kink). Past it the theorem's
			// assumption (A3) no longer holds at θ_t.
			res.Detail += fmt.Sprintf("; left the separated region at step %d", t)
			break
		}
		a, N := p0.Soft, norm.Value(p0.Theta)
		for i := range delta {
			delta[i] = p1.Theta[i] - p0.Theta[i]
		}
		h, N1 := norm.Value(delta), norm.Value(p1.Theta)
		var wdq, quad float64
		for i := range p0.Q {
			dq := p1.Q[i] - p0.Q[i]
			wdq += p0.Weights[i] * dq
			if dq != 0 {
				// ½ w Δq² e^{max(0,−Δq)} in log space, with log w_i from q_i
				// (log w_i = −φ(q_i) − LogScale, φ(q) = q or softplus(q)):
				// a weight that underflowed to 0, e^{−1229} say, times
				// e^{1553} is a term of e^{324}, not 0.
				quad += math.Exp(logWeight(tr.Loss, p0.Q[i], p0.LogScale) - math.Ln2 + 2*math.Log(math.Abs(dq)) + math.Max(0, -dq))
			}
		}
		r := wdq + asm.Dot(p0.Grad, delta)
		kappa := 1.0
		if tr.Loss == nn.Logistic {
			kappa = math.Exp(p0.LogScale - logOneMinusExpNeg(p0.LogLoss))
		}
		gamma := a / math.Pow(N, L)
		gamma1 := p1.Soft / math.Pow(N1, L)
		R := math.Pow(N+h, L) - math.Pow(N, L) - L*h*math.Pow(N, L-1)
		allowed := a*R/(math.Pow(N, L)*math.Pow(N+h, L)) + kappa*(math.Abs(r)+quad)/math.Pow(N1, L)
		round := (p0.SoftErr+p1.SoftErr)/math.Pow(math.Min(N, N1), L) + 4*L*float64(len(delta))*unit*gamma
		cur := Result{Residual: (gamma - gamma1) / gamma, Bound: (allowed + round) / gamma,
			Detail: fmt.Sprintf("step %d (t0 = %d): γ̃ %.12g → %.12g", t, t0, gamma, gamma1)}
		// The key inequality κ·⟨θ, −g⟩ ≥ L·a (Theorems 1 and 22).
		key := kappa * (-asm.Dot(p0.Theta, p0.Grad))
		if !(key >= L*a*(1-1e-12)) {
			cur = Result{Residual: L * a / key, Bound: 1 + 1e-12,
				Detail: fmt.Sprintf("step %d: κ⟨θ, −g⟩ = %.12g < L·a = %.12g", t, key, L*a)}
		}
		if first {
			res, first = cur, false
		} else {
			res = worse(res, cur)
		}
	}
	return res, nil
}

// logWeight returns log w_i of a sample with margin q: the loss's relative
// weight e^{−φ(q)}/Σ_j e^{−φ(q_j)} with φ(q) = q (exp) or softplus(q)
// (logistic), from the log of the sum, logScale (the SUM objective's).
func logWeight(loss nn.Loss, q, logScale float64) float64 {
	if loss == nn.Logistic {
		sp := math.Max(q, 0) + math.Log1p(math.Exp(-math.Abs(q))) // softplus(q)
		return -sp - logScale
	}
	return -q - logScale
}

// logOneMinusExpNeg returns log(1 − e^{−L}) from log L, accurately for tiny
// and for underflowing L.
func logOneMinusExpNeg(logL float64) float64 {
	if logL < -30 {
		return logL - 0.5*math.Exp(logL) // log(L − L²/2 + …)
	}
	return math.Log(-math.Expm1(-math.Exp(logL)))
}
