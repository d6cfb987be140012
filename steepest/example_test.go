package steepest_test

import (
	"context"
	"fmt"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/steepest/train"
	"github.com/margo-lab/margo/tensor"
)

// Gradient descent with Lyu & Li's loss-adaptive schedule on a linear
// model, trained by the library's loop (package steepest/train: evaluate,
// record, step, let the schedule accept or roll back), and the ℓ2 margin
// that GD grows.
func Example() {
	x := tensor.DenseOf(4, 2, []float64{1, 0.5, 0.5, 1, -1, -0.2, -0.3, -1})
	data, _ := nn.NewDataset(x, []float64{1, 1, -1, -1})
	model, _ := nn.NewMLP(nn.Config{In: 2}) // linear model, L = 1
	opt, _ := steepest.New(steepest.Config{Name: "gd", LR: 0.1, Layout: model.Layout()})
	sched, _ := steepest.NewLossAdaptive(0.1, true)
	var first, last train.Record
	_, err := train.Run(context.Background(), train.Config{
		Model: model, Theta: []float64{0.3, 0.1}, Train: data, Objective: nn.Objective{Loss: nn.Exp},
		Optimizer: opt, Schedule: sched, Steps: 100,
		OnRecord: func(r *train.Record) error {
			if r.Step == 0 {
				first = *r
			}
			last = *r
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("loss below 1e-10:", last.LogLoss < -23)
	fmt.Println("ℓ2 margin grew:", last.Gamma2() > first.Gamma2())
	// Output:
	// loss below 1e-10: true
	// ℓ2 margin grew: true
}
