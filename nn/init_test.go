package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }

// The same seed gives the same θ and frozen layer; another seed does not.
func TestInitReproducible(t *testing.T) {
	m := mustMLP(t, Config{In: 6, Widths: []int{5}, FreezeLast: true})
	for _, s := range []InitScheme{InitUniform, InitUniformCD, InitGaussian} {
		a, b, c := make([]float64, m.Layout().Size()), make([]float64, m.Layout().Size()), make([]float64, m.Layout().Size())
		m.Init(a, s, 0.1, newRNG(7))
		fa := append([]float64(nil), m.Frozen()...)
		m.Init(b, s, 0.1, newRNG(7))
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%v: θ differs for the same seed (-first +second):\n%s", s, diff)
		}
		if diff := cmp.Diff(fa, m.Frozen()); diff != "" {
			t.Errorf("%v: frozen layer differs for the same seed:\n%s", s, diff)
		}
		m.Init(c, s, 0.1, newRNG(8))
		if cmp.Equal(a, c) {
			t.Errorf("%v: seeds 7 and 8 give the same θ", s)
		}
	}
}

// Uniform schemes stay inside their bounds and fill them: with ≥ 400
// draws from U[−b, b], the largest |w| is below 0.95·b with probability
// 0.95^400 < 1e−8, and the mean of w² is b²/3 within 20% (its standard
// error is b²·0.3/√400 = 0.015·b²; 20% of b²/3 is over 4 standard errors).
// Gaussian: the mean of w² is α² within 20% (standard error √2/√n·α² ≤ 0.07·α²).
func TestInitDistributions(t *testing.T) {
	const d, k, alpha = 40, 30, 0.5
	m := mustMLP(t, Config{In: d, Widths: []int{k, k}, FreezeLast: true})
	theta := make([]float64, m.Layout().Size())
	check := func(s InitScheme, name string, w []float64, bound float64) {
		var maxAbs, sq float64
		for _, v := range w {
			maxAbs = math.Max(maxAbs, math.Abs(v))
			sq += v * v
		}
		sq /= float64(len(w))
		if s == InitGaussian {
			if math.Abs(sq-alpha*alpha) > 0.2*alpha*alpha {
				t.Errorf("%v %s: mean square %v, want ≈ α² = %v", s, name, sq, alpha*alpha)
			}
			return
		}
		if maxAbs > bound || maxAbs < 0.95*bound {
			t.Errorf("%v %s: max |w| = %v, want just below %v", s, name, maxAbs, bound)
		}
		if math.Abs(sq-bound*bound/3) > 0.2*bound*bound/3 {
			t.Errorf("%v %s: mean square %v, want ≈ b²/3 = %v", s, name, sq, bound*bound/3)
		}
	}
	for _, s := range []InitScheme{InitUniform, InitUniformCD, InitGaussian} {
		m.Init(theta, s, alpha, newRNG(1))
		l := m.Layout()
		first := alpha / d
		if s == InitUniformCD {
			first = alpha / k
		}
		check(s, "W1", theta[l.Offset(0):l.Offset(1)], first)
		check(s, "W2", theta[l.Offset(1):l.Offset(2)], alpha/k)
		// The frozen layer has only k = 30 weights: check its bound alone.
		for _, v := range m.Frozen() {
			if s != InitGaussian && math.Abs(v) > alpha/k {
				t.Errorf("%v: frozen weight %v outside ±α/K = %v", s, v, alpha/k)
			}
		}
	}
	// The linear model's only layer is a first layer: U[−α/d, α/d], also
	// for the CD variant (there is no hidden width).
	lin := mustMLP(t, Config{In: 500})
	w := make([]float64, 500)
	lin.Init(w, InitUniformCD, alpha, newRNG(3))
	check(InitUniformCD, "linear W1", w, alpha/500)
}
