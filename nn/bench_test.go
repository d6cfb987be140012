package nn

import (
	"fmt"
	"testing"

	"github.com/margo-lab/margo/tensor"
)

// The shapes (n, d, K) of the paper's experiments (one hidden layer):
// teacher–student (250 × 2048, width 1024), full MNIST-sized batch
// (12000 × 784, width 512) and the MNIST pair (100 × 784, width 128).
// The 12000-row shape takes minutes on the naive reference GEMM: select the
// others with -bench 'Evaluate/(250|100)x'.
var benchShapes = []struct{ n, d, k int }{{250, 2048, 1024}, {12000, 784, 512}, {100, 784, 128}}

// benchSetup builds a one-hidden-layer model, θ and a dataset of shape s.
func benchSetup(b *testing.B, n, d, k int) (*MLP, []float64, *Dataset) {
	m := mustMLP(b, Config{In: d, Widths: []int{k}})
	theta := make([]float64, m.Layout().Size())
	rng := newRNG(1)
	m.Init(theta, InitUniform, 1, rng)
	x := tensor.NewDense(n, d)
	y := make([]float64, n)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = float64(2*rng.IntN(2) - 1)
	}
	ds, err := NewDataset(x, y)
	if err != nil {
		b.Fatal(err)
	}
	return m, theta, ds
}

// BenchmarkEvaluate times one forward + backward pass (Evaluate with the
// gradient, exponential loss) and, on the same shapes, the two GEMMs alone
// that dominate it, so that gemm/evaluate time (goal ≥ 0.85) reads off the
// same run. FLOP count, for both: 4·n·d·K — the forward GEMM H = X·W₁ᵀ
// (2nKd) and the weight-gradient GEMM dW₁ = Gᵀ·X (2nKd). Nothing else is
// O(nKd): the output layer, its gradient, the back-propagated G·W₂, the
// activation and the loss are O(nK) or O(n) and are not counted.
func BenchmarkEvaluate(b *testing.B) {
	for _, s := range benchShapes {
		name := fmt.Sprintf("%dx%dx%d", s.n, s.d, s.k)
		flops := 4 * float64(s.n) * float64(s.d) * float64(s.k)
		b.Run(name+"/evaluate", func(b *testing.B) {
			m, theta, ds := benchSetup(b, s.n, s.d, s.k)
			ws := m.NewWorkspace(s.n)
			ev := NewEval(s.n, len(theta))
			m.Evaluate(ws, theta, ds, Objective{Loss: Exp}, ev, true) // warm-up
			b.ResetTimer()
			for b.Loop() {
				m.Evaluate(ws, theta, ds, Objective{Loss: Exp}, ev, true)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name+"/gemm", func(b *testing.B) {
			m, theta, ds := benchSetup(b, s.n, s.d, s.k)
			w1 := m.Layout().View(theta, 0)
			h := tensor.NewDense(s.n, s.k)
			dw := tensor.NewDense(s.k, s.d)
			b.ResetTimer()
			for b.Loop() {
				tensor.Gemm(tensor.NoTrans, tensor.Trans, 1, ds.X, w1, 0, h)
				tensor.Gemm(tensor.Trans, tensor.NoTrans, 1, h, ds.X, 0, dw)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
