package steepest

import (
	"math"

	"pgregory.net/rapid"
)

// A private reference model for the tests that need margins before package
// nn's models are available: f(x; θ) = ⟨θ, x⟩ (L = 1) or the bias-free
// one-hidden-layer ReLU net f = Σ_j u_j·relu(⟨w_j, x⟩) (L = 2), θ = [W (k×d)
// row-major, u (k)], with the exponential SUM loss. Everything is computed
// directly (log-sum-exp for the loss).
type refModel struct {
	x      [][]float64
	y      []float64
	hidden int // 0: linear
}

func (m *refModel) degree() int {
	if m.hidden == 0 {
		return 1
	}
	return 2
}

func (m *refModel) size() int {
	d := len(m.x[0])
	if m.hidden == 0 {
		return d
	}
	return m.hidden*d + m.hidden
}

// margins returns q_i = y_i f(x_i; θ).
func (m *refModel) margins(theta []float64) []float64 {
	q := make([]float64, len(m.x))
	d := len(m.x[0])
	for i, x := range m.x {
		var f float64
		if m.hidden == 0 {
			for j := range x {
				f += theta[j] * x[j]
			}
		} else {
			for j := range m.hidden {
				var z float64
				for k := range d {
					z += theta[j*d+k] * x[k]
				}
				if z > 0 {
					f += theta[m.hidden*d+j] * z
				}
			}
		}
		q[i] = m.y[i] * f
	}
	return q
}

// eval returns q, the softmax weights w, log L = logsumexp(−q) and the
// frame gradient Σ_i w_i·(−y_i ∇f(x_i)) = ∇L/L.
func (m *refModel) eval(theta []float64) (q, w []float64, logLoss float64, grad []float64) {
	q = m.margins(theta)
	w = make([]float64, len(q))
	mx := math.Inf(-1)
	for _, v := range q {
		mx = math.Max(mx, -v)
	}
	var z float64
	for i, v := range q {
		w[i] = math.Exp(-v - mx)
		z += w[i]
	}
	for i := range w {
		w[i] /= z
	}
	logLoss = mx + math.Log(z)
	grad = make([]float64, len(theta))
	d := len(m.x[0])
	for i, x := range m.x {
		c := -w[i] * m.y[i]
		if m.hidden == 0 {
			for j := range x {
				grad[j] += c * x[j]
			}
			continue
		}
		for j := range m.hidden {
			var zj float64
			for k := range d {
				zj += theta[j*d+k] * x[k]
			}
			if zj > 0 {
				u := theta[m.hidden*d+j]
				grad[m.hidden*d+j] += c * zj
				for k := range d {
					grad[j*d+k] += c * u * x[k]
				}
			}
		}
	}
	return q, w, logLoss, grad
}

// drawSeparable draws a separable dataset (labels from a linear teacher with
// margin ≥ 0.1 per unit-norm teacher) and a starting θ with L(θ) < 1: the
// teacher scaled up (linear), or the net that computes it via
// relu(z) − relu(−z) plus small random extra units.
func drawSeparable(t *rapid.T, hidden int) (*refModel, []float64) {
	d := rapid.IntRange(2, 5).Draw(t, "d")
	n := rapid.IntRange(2, 12).Draw(t, "n")
	coord := rapid.Float64Range(-1, 1)
	teacher := rapid.SliceOfN(coord, d, d).Draw(t, "teacher")
	tn := 0.0
	for _, v := range teacher {
		tn += v * v
	}
	tn = math.Sqrt(tn)
	if tn < 0.1 {
		t.Skip("degenerate teacher")
	}
	m := &refModel{hidden: hidden}
	for range n {
		x := rapid.SliceOfN(coord, d, d).Draw(t, "x")
		var s float64
		for j := range x {
			s += teacher[j] * x[j]
		}
		if math.Abs(s) < 0.1*tn {
			continue
		}
		m.x = append(m.x, x)
		m.y = append(m.y, math.Copysign(1, s))
	}
	if len(m.x) == 0 {
		t.Skip("no point with a clear margin")
	}
	theta := make([]float64, m.size())
	if hidden == 0 {
		for j := range teacher {
			theta[j] = teacher[j] / tn
		}
	} else {
		small := rapid.Float64Range(-0.05, 0.05)
		for j := range theta {
			theta[j] = small.Draw(t, "init")
		}
		for k := range d {
			theta[k] = teacher[k] / tn
			theta[d+k] = -teacher[k] / tn
		}
		theta[hidden*d], theta[hidden*d+1] = 1, -1
	}
	// Scale until L < 1/2 (for L-homogeneous f, q scales by c^L).
	for range 60 {
		if _, _, ll, _ := m.eval(theta); ll < math.Log(0.5) {
			return m, theta
		}
		for j := range theta {
			theta[j] *= 2
		}
	}
	t.Skip("could not separate")
	return nil, nil
}
