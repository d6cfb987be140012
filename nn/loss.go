package nn

import (
	"fmt"
	"math"
)

// Loss names the per-sample loss ℓ(q) of the margin q = y f(x).
type Loss int

// The losses of the paper (shared/paper.md §1.1).
const (
	// Exp is the exponential loss ℓ(q) = e^{−q}.
	Exp Loss = iota
	// Logistic is the logistic loss ℓ(q) = log(1 + e^{−q}).
	Logistic
)

// String returns the loss's name.
func (l Loss) String() string {
	switch l {
	case Exp:
		return "exp"
	case Logistic:
		return "logistic"
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

// Objective is the training objective L(θ) = Σ_i ℓ(q_i(θ)), or its mean
// over the n samples when Mean is set. The paper uses the sum.
type Objective struct {
	Loss Loss
	Mean bool
}

// Eval holds the result of Evaluate. Every quantity that could underflow or
// overflow is kept in log space: the loss by its logarithm, the gradient as
// a log-scale times a direction built from relative sample weights, so that
// scale-invariant steps (sign, coordinate, normalised, Adam with ε = 0) stay
// exact even when L(θ) is far below 1e−308.
type Eval struct {
	// Q holds the margins q_i = y_i f(x_i; θ).
	Q []float64
	// LogLoss is log L(θ), finite whenever the loss is positive, however
	// small or large.
	LogLoss float64
	// LogScale is the log of the gradient's scale: ∇L(θ) = exp(LogScale)·Grad.
	LogScale float64
	// Weights are relative sample weights w_i ≥ 0 with Σ w_i = 1 and
	// ∂L/∂q_i = −exp(LogScale)·w_i.
	Weights []float64
	// Grad is Σ_i w_i·(−y_i ∇_θ f(x_i; θ)) in θ's layout; Evaluate fills it
	// only when asked for the gradient.
	Grad []float64

	obj Objective // the objective these numbers belong to
}

// NewEval returns an Eval for n samples and p parameters.
func NewEval(n, p int) *Eval {
	return &Eval{Q: make([]float64, n), Weights: make([]float64, n), Grad: make([]float64, p)}
}

// QMin returns min_i q_i, the numerator of the hard margin (+Inf when Q is
// empty, NaN if some q_i is NaN).
func (e *Eval) QMin() float64 {
	m := math.Inf(1)
	for _, q := range e.Q {
		if q < m || math.IsNaN(q) {
			m = q
		}
		if math.IsNaN(m) {
			break
		}
	}
	return m
}

// SoftNumerator returns Φ^{-1}(log(1/L_sum)), the numerator of the soft
// margin, from the log of the SUM loss (shared/paper.md §1.3): −log L for
// the exponential loss, −log(expm1(L)) for the logistic loss, both computed
// without forming a loss that underflows. The soft margin is
// SoftNumerator/‖θ‖^L. With Mean set, log n is added back to LogLoss first.
func (e *Eval) SoftNumerator() float64 {
	logSum := e.LogLoss
	if e.obj.Mean {
		logSum += math.Log(float64(len(e.Q)))
	}
	if e.obj.Loss == Exp {
		return -logSum
	}
	return -logExpm1Exp(logSum)
}

// logExpm1Exp returns log(expm1(e^s)) for the log s of a positive number.
func logExpm1Exp(s float64) float64 {
	switch {
	case s < -20:
		// L = e^s < 2e−9: expm1(L) = L(1 + L/2 + L²/6 + …), and the
		// dropped terms are below L³/24 < 1e−27 relative.
		l := math.Exp(s)
		return s + math.Log1p(l/2+l*l/6)
	case s > 3.5:
		// L > 33: log(e^L − 1) = L + log1p(−e^{−L}); exp(s) may be +Inf.
		l := math.Exp(s)
		return l + math.Log1p(-math.Exp(-l))
	}
	return math.Log(math.Expm1(math.Exp(s)))
}

// softplus returns log(1 + e^x) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// logSoftplus returns log(log(1 + e^z)), finite for every finite z: for
// z ≪ 0 it is z + log1p(−e^z/2) (the dropped terms are below e^{2z}/3,
// under 1e−26 relative for z < −30) instead of the log of an underflowed
// softplus.
func logSoftplus(z float64) float64 {
	switch {
	case z > 0:
		return math.Log(z + math.Log1p(math.Exp(-z)))
	case z >= -30:
		return math.Log(math.Log1p(math.Exp(z)))
	}
	return z + math.Log1p(-math.Exp(z)/2)
}

// softmaxInPlace replaces a with softmax(a) and returns logsumexp(a). If
// every a_i is −Inf it returns −Inf and uniform weights; a NaN makes both
// NaN.
func softmaxInPlace(a []float64) float64 {
	m := math.Inf(-1)
	for _, v := range a {
		if v > m || math.IsNaN(v) {
			m = v
		}
		if math.IsNaN(m) {
			break
		}
	}
	if math.IsNaN(m) {
		for i := range a {
			a[i] = math.NaN()
		}
		return math.NaN()
	}
	if math.IsInf(m, -1) {
		for i := range a {
			a[i] = 1 / float64(len(a))
		}
		return m
	}
	if math.IsInf(m, 1) {
		// Infinite loss: the weight goes to the infinite terms.
		k := 0
		for _, v := range a {
			if v == m {
				k++
			}
		}
		for i, v := range a {
			a[i] = 0
			if v == m {
				a[i] = 1 / float64(k)
			}
		}
		return m
	}
	var s float64
	for i, v := range a {
		a[i] = math.Exp(v - m)
		s += a[i]
	}
	inv := 1 / s
	for i := range a {
		a[i] *= inv
	}
	return m + math.Log(s)
}

// lossWeights fills ev.LogLoss, ev.LogScale and ev.Weights from ev.Q.
func lossWeights(ev *Eval, obj Objective) {
	w := ev.Weights
	switch obj.Loss {
	case Exp:
		// L = Σ e^{−q_i}: log L = logsumexp(−q), ∂L/∂q_i = −e^{−q_i}
		// = −L·softmax(−q)_i.
		for i, q := range ev.Q {
			w[i] = -q
		}
		ev.LogLoss = softmaxInPlace(w)
		ev.LogScale = ev.LogLoss
	case Logistic:
		// L = Σ softplus(−q_i): log L = logsumexp(log softplus(−q));
		// ∂L/∂q_i = −σ(−q_i) = −e^{−softplus(q_i)}.
		for i, q := range ev.Q {
			w[i] = logSoftplus(-q)
		}
		ev.LogLoss = logSumExpInPlace(w)
		for i, q := range ev.Q {
			w[i] = -softplus(q)
		}
		ev.LogScale = softmaxInPlace(w)
	default:
		panic(fmt.Sprintf("nn: unknown loss %d", int(obj.Loss)))
	}
	if obj.Mean {
		logN := math.Log(float64(len(ev.Q)))
		ev.LogLoss -= logN
		ev.LogScale -= logN
	}
	ev.obj = obj
}

// logSumExpInPlace returns logsumexp(a), using a as scratch.
func logSumExpInPlace(a []float64) float64 { return softmaxInPlace(a) }
