package steepest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// The paper's one-hidden-layer shapes (n, d, K), as in nn's benchmarks.
var benchShapes = []struct{ n, d, k int }{{100, 784, 128}, {250, 2048, 1024}}

func benchModel(b *testing.B, n, d, k int) (*nn.MLP, []float64, *nn.Dataset) {
	m, err := nn.NewMLP(nn.Config{In: d, Widths: []int{k}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	theta := make([]float64, m.Layout().Size())
	m.Init(theta, nn.InitUniform, 1, rng)
	x := tensor.NewDense(n, d)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(2*rng.IntN(2) - 1)
	}
	ds, err := nn.NewDataset(x, y)
	if err != nil {
		b.Fatal(err)
	}
	return m, theta, ds
}

// BenchmarkMetrics compares, on the same shapes and in the same run, one
// training step's evaluation (nn Evaluate with the gradient: forward +
// backward) and an SD update with the cost of the metrics: the ℓ1/ℓ2/ℓ∞
// set, plus warm-started spectral norms (power iteration), plus the
// spectral alignment/KKT values (Newton–Schulz per layer). The goal is
// meter ≤ 5 % of evaluate; read the ratio of the ns/op columns.
func BenchmarkMetrics(b *testing.B) {
	for _, s := range benchShapes {
		name := fmt.Sprintf("%dx%dx%d", s.n, s.d, s.k)
		m, theta, ds := benchModel(b, s.n, s.d, s.k)
		ws := m.NewWorkspace(s.n)
		ev := nn.NewEval(s.n, len(theta))
		obj := nn.Objective{Loss: nn.Exp}
		m.Evaluate(ws, theta, ds, obj, ev, true)
		b.Run(name+"/evaluate", func(b *testing.B) {
			for b.Loop() {
				m.Evaluate(ws, theta, ds, obj, ev, true)
			}
		})
		b.Run(name+"/sd-update", func(b *testing.B) {
			sd, _ := NewSD(1e-12, true)
			for b.Loop() {
				_ = sd.Step(theta, ev)
			}
		})
		for _, c := range []struct {
			label          string
			spectral, dual bool
		}{{"meter", false, false}, {"meter+spectral", true, false}, {"meter+spectral-dual", true, true}} {
			b.Run(name+"/"+c.label, func(b *testing.B) {
				mt, _ := NewMeter(m.Degree(), m.Layout(), c.spectral, c.dual)
				mt.Spectral = SpectralCapped    // the per-step estimate
				_, _ = mt.Measure(0, theta, ev) // warm start, as after the first step of a run
				for b.Loop() {
					_, _ = mt.Measure(0, theta, ev)
				}
			})
		}
	}
}

// BenchmarkPolar times the Newton–Schulz polar factor of a random K×d
// gradient-sized matrix and reports the iterations it took.
func BenchmarkPolar(b *testing.B) {
	for _, sh := range [][2]int{{128, 784}, {1, 784}} {
		b.Run(fmt.Sprintf("%dx%d", sh[0], sh[1]), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			g := make([]float64, sh[0]*sh[1])
			for i := range g {
				g[i] = rng.NormFloat64()
			}
			w := newPolarWork(sh[0], sh[1])
			dst := make([]float64, len(g))
			for b.Loop() {
				w.polar(dst, g)
			}
			b.ReportMetric(float64(w.iters), "iters")
		})
	}
}

// BenchmarkInvRoot times A^{−1/2} of A = ε·I + G·Gᵀ (Shampoo's left
// preconditioner after one step, κ ≈ ‖G‖²/ε) by the coupled Newton
// iteration. The n = 784 case (Shampoo's right preconditioner of an MNIST
// layer) is slow on purpose: select it with -bench 'InvRoot/784'.
func BenchmarkInvRoot(b *testing.B) {
	for _, n := range []int{128, 784} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, 6))
			g := tensor.NewDense(n, 64)
			for i := range g.Data {
				g.Data[i] = rng.NormFloat64() * 0.1
			}
			a := scaledIdentity(n, 1e-4)
			tensor.Gemm(tensor.NoTrans, tensor.Trans, 1, g, g, 1, a)
			w := newInvRootWork(n)
			dst := tensor.NewDense(n, n)
			for b.Loop() {
				if err := w.invRoot(dst, a, 2); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.iters), "iters")
		})
	}
}
