package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// The passes outside the GEMMs, cut into ranges on 1–3 threads, give
// bitwise the Eval of the same passes in one piece on one thread, on
// batches large enough to be cut (n·K ≥ 2^16, and K ≥ 512 for the weight
// gradient's column blocks, in many cases),
// with widths that split rows and columns across ranges, every depth,
// frozen last layer, leaky slope and hidden biases.
func TestPassesRanges(t *testing.T) {
	defer func() { passRanges = true }()
	bits := cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })
	rapid.Check(t, func(t *rapid.T) {
		// Sizes that cut the passes into ranges while keeping the GEMMs
		// small (the test also runs under qemu): the top layer's input up to
		// 700 wide, the layers below narrow.
		var in int
		var widths []int
		switch rapid.IntRange(0, 2).Draw(t, "depth") {
		case 0:
			in = rapid.IntRange(1, 700).Draw(t, "in")
		case 1:
			in = rapid.IntRange(1, 40).Draw(t, "in")
			widths = []int{rapid.IntRange(100, 700).Draw(t, "k1")}
		default:
			in = rapid.IntRange(1, 40).Draw(t, "in")
			widths = []int{rapid.IntRange(50, 150).Draw(t, "k1"), rapid.IntRange(100, 700).Draw(t, "k2")}
		}
		freeze := len(widths) > 0 && rapid.Bool().Draw(t, "freeze")
		slope := rapid.SampledFrom([]float64{0, 0.3}).Draw(t, "slope")
		bias := len(widths) > 0 && rapid.Bool().Draw(t, "bias")
		m, err := NewMLP(Config{In: in, Widths: widths, FreezeLast: freeze, Act: Activation{Slope: slope}, Bias: bias})
		if err != nil {
			t.Fatal(err)
		}
		theta := drawTheta(t, m)
		n := rapid.IntRange(100, 300).Draw(t, "n")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "data"), 2))
		x := tensor.NewDense(n, in)
		for i := range x.Data {
			x.Data[i] = 4*rng.Float64() - 2
		}
		y := make([]float64, n)
		for i := range y {
			y[i] = float64(2*rng.IntN(2) - 1)
		}
		d, err := NewDataset(x, y)
		if err != nil {
			t.Fatal(err)
		}
		obj := Objective{Loss: rapid.SampledFrom([]Loss{Exp, Logistic}).Draw(t, "loss")}
		threads := rapid.IntRange(1, 3).Draw(t, "threads")

		passRanges = false
		want := NewEval(n, len(theta))
		m.Evaluate(m.NewWorkspace(n), theta, d, obj, want, true)
		passRanges = true
		got := NewEval(n, len(theta))
		ws := m.NewWorkspace(n)
		ws.Pool = tensor.NewPool(threads)
		m.Evaluate(ws, theta, d, obj, got, true)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Eval{}), bits); diff != "" {
			t.Fatalf("widths %v, n = %d, %d threads: ranges differ from one piece (-want +got):\n%s", widths, n, threads, diff)
		}
	})
}
