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

// BenchmarkBatch times a mini-batch step's evaluation at the MNIST-pair
// shape (n = 12000, d = 784, K = 512) with B = n/10 and n/100: "batcher" is
// Batcher.Batch (gathering the B rows) then Evaluate with the gradient,
// "gathered" Evaluate alone on a batch gathered once (its rows stay in
// cache from step to step, which a training run's do not), and "draw"
// Batch alone: the gather's absolute cost. "bias" and "nobias" time the same
// Evaluate with and without hidden biases (the extra pass adding b before
// σ, and the column sums for db).
func BenchmarkBatch(b *testing.B) {
	const n, d, k = 12000, 784, 512
	for _, bs := range []int{n / 10, n / 100} {
		for _, mode := range []string{"batcher", "draw", "gathered"} {
			b.Run(fmt.Sprintf("%dx%dx%d/B=%d/%s", n, d, k, bs, mode), func(b *testing.B) {
				m, theta, ds := benchSetup(b, n, d, k)
				bt, err := NewBatcher(ds, bs, 1)
				if err != nil {
					b.Fatal(err)
				}
				ws := m.NewWorkspace(bs)
				ev := NewEval(bs, len(theta))
				fixed := bt.Batch(0)
				t := 0
				for b.Loop() {
					switch mode {
					case "batcher":
						m.Evaluate(ws, theta, bt.Batch(t), Objective{Loss: Exp}, ev, true)
					case "draw":
						bt.Batch(t)
					case "gathered":
						m.Evaluate(ws, theta, fixed, Objective{Loss: Exp}, ev, true)
					}
					t++
				}
			})
		}
	}
	for _, bias := range []bool{false, true} {
		name := fmt.Sprintf("%dx%dx%d/nobias", n/10, d, k)
		if bias {
			name = fmt.Sprintf("%dx%dx%d/bias", n/10, d, k)
		}
		b.Run(name, func(b *testing.B) {
			_, theta, ds := benchSetup(b, n/10, d, k)
			m := mustMLP(b, Config{In: d, Widths: []int{k}, Bias: bias})
			theta = append(theta, make([]float64, m.Layout().Size()-len(theta))...)
			ws := m.NewWorkspace(n / 10)
			ev := NewEval(n/10, len(theta))
			for b.Loop() {
				m.Evaluate(ws, theta, ds, Objective{Loss: Exp}, ev, true)
			}
		})
	}
}
