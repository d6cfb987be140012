package steepest_test

import (
	"fmt"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/tensor"
)

// The training loop a program such as cmd/margo runs: evaluate with the
// gradient, record metrics from the same Eval, ask the schedule for the
// rate, step, re-evaluate, and let the schedule accept or roll back.
func Example() {
	x := tensor.DenseOf(4, 2, []float64{1, 0.5, 0.5, 1, -1, -0.2, -0.3, -1})
	data, _ := nn.NewDataset(x, []float64{1, 1, -1, -1})
	model, _ := nn.NewMLP(nn.Config{In: 2}) // linear model, L = 1
	theta := []float64{0.3, 0.1}
	obj := nn.Objective{Loss: nn.Exp}
	ws := model.NewWorkspace(data.Len())
	ev := nn.NewEval(data.Len(), len(theta))

	opt, _ := steepest.New(steepest.Config{Name: "gd", LR: 0.1, Layout: model.Layout()})
	sched, _ := steepest.NewLossAdaptive(0.1, true)
	meter, _ := steepest.NewMeter(model.Degree(), model.Layout(), false, false)

	model.Evaluate(ws, theta, data, obj, ev, true)
	first, _ := meter.Measure(0, theta, ev)
	saved := make([]float64, len(theta))
	for step := 1; step <= 100; step++ {
		logLoss := ev.LogLoss
		opt.SetLogLR(sched.LogLR(logLoss))
		copy(saved, theta)
		if err := opt.Step(theta, ev); err != nil {
			fmt.Println(err)
			return
		}
		model.Evaluate(ws, theta, data, obj, ev, true)
		if ok, err := sched.Judge(logLoss, ev.LogLoss); err != nil {
			fmt.Println(err)
			return
		} else if !ok {
			copy(theta, saved) // roll back (GD keeps no state)
			model.Evaluate(ws, theta, data, obj, ev, true)
		}
	}
	last, _ := meter.Measure(100, theta, ev)
	fmt.Println("loss below 1e-10:", last.LogLoss < -23)
	fmt.Println("ℓ2 margin grew:", last.MarginL2 > first.MarginL2)
	// Output:
	// loss below 1e-10: true
	// ℓ2 margin grew: true
}
