package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// A one-hidden-layer network on two points: evaluate the exponential sum
// loss and its gradient direction, take one sign-descent step, and read the
// margin numerators.
func Example() {
	m, err := nn.NewMLP(nn.Config{In: 2, Widths: []int{3}})
	if err != nil {
		fmt.Println(err)
		return
	}
	theta := make([]float64, m.Layout().Size())
	m.Init(theta, nn.InitUniform, 1, rand.New(rand.NewPCG(1, 2)))

	x := tensor.DenseOf(2, 2, []float64{1, 0.5, -1, -0.5})
	data, err := nn.NewDataset(x, []float64{1, -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	ws := m.NewWorkspace(data.Len())
	ev := nn.NewEval(data.Len(), len(theta))
	m.Evaluate(ws, theta, data, nn.Objective{Loss: nn.Exp}, ev, true)

	// Sign descent needs only the direction: its step is the same however
	// small exp(ev.LogScale) is.
	step := make([]float64, len(theta))
	asm.Sign(step, ev.Grad)
	asm.Axpy(-0.01, step, theta)

	before := ev.LogLoss
	m.Evaluate(ws, theta, data, nn.Objective{Loss: nn.Exp}, ev, false)

	fmt.Println("degree:", m.Degree(), "parameters:", len(theta))
	fmt.Println("loss decreased:", ev.LogLoss < before)
	// Lemma 11: q_min − log n ≤ −log L ≤ q_min.
	fmt.Println("soft numerator within log n of q_min:",
		ev.SoftNumerator() <= ev.QMin() && ev.SoftNumerator() >= ev.QMin()-math.Log(float64(data.Len())))
	// Output:
	// degree: 2 parameters: 9
	// loss decreased: true
	// soft numerator within log n of q_min: true
}

// Stochastic sign descent with mini-batches of 2 of 6 points: three
// batches per epoch, each point once per epoch, the same batches for the
// same seed; the records are taken on the full set.
func ExampleBatcher() {
	m, err := nn.NewMLP(nn.Config{In: 2, Widths: []int{4}})
	if err != nil {
		fmt.Println(err)
		return
	}
	theta := make([]float64, m.Layout().Size())
	m.Init(theta, nn.InitUniform, 1, rand.New(rand.NewPCG(1, 2)))
	x := tensor.DenseOf(6, 2, []float64{1, 0.5, 0.8, 1, 0.3, 1.2, -1, -0.5, -0.7, -1, -0.2, -1.1})
	data, err := nn.NewDataset(x, []float64{1, 1, 1, -1, -1, -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	bt, err := nn.NewBatcher(data, 2, 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	ws := m.NewWorkspace(data.Len())
	ev := nn.NewEval(data.Len(), len(theta))
	step := make([]float64, len(theta))
	seen := make(map[int]int)
	for t := range bt.PerEpoch() {
		m.Evaluate(ws, theta, bt.Batch(t), nn.Objective{Loss: nn.Exp}, ev, true)
		for _, i := range bt.Indices() {
			seen[i]++
		}
		asm.Sign(step, ev.Grad)
		asm.Axpy(-0.01, step, theta)
	}
	m.Evaluate(ws, theta, data, nn.Objective{Loss: nn.Exp}, ev, false) // the record
	fmt.Println("batches per epoch:", bt.PerEpoch(), "points seen once each:", len(seen) == 6 && seen[0] == 1 && seen[5] == 1)
	// Output:
	// batches per epoch: 3 points seen once each: true
}
