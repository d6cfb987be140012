package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/nn/teacher"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/steepest/train"
)

// Sign descent on a two-layer ReLU network and teacher–student data:
// margins recorded every 100 steps, an early stop once the loss is below
// 1e−200, checkpoints every 500 steps, and a first run that is cancelled at
// step 1000 (as a signal would), then resumed from its checkpoint.
func Example() {
	dir, _ := os.MkdirTemp("", "margo-example")
	defer os.RemoveAll(dir)
	rng := rand.New(rand.NewPCG(1, 2))
	tc, _ := teacher.New(20, 4, 3, rng)
	x, y := tc.Sample(40, rng)
	data, _ := train.NewDataset("teacher", 40, 20, x, y)

	run := func(stopAt int) train.Result {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		model, _ := nn.NewMLP(nn.Config{In: 20, Widths: []int{32}}) // L = 2
		theta := make([]float64, model.Layout().Size())
		model.Init(theta, nn.InitUniform, 0.1, rand.New(rand.NewPCG(7, 1)))
		sd, _ := steepest.NewSD(3e-3, true)
		res, err := train.Run(ctx, train.Config{
			Model: model, Theta: theta, Train: data, Objective: nn.Objective{Loss: nn.Exp},
			Optimizer: sd, Steps: 50000, RecordEvery: 100, StopLoss: 1e-200,
			Metrics:    filepath.Join(dir, "sd.jsonl"),
			Checkpoint: train.Checkpoint{Path: filepath.Join(dir, "sd.ckpt.npz"), Every: 500, Resume: true},
			OnRecord: func(r *train.Record) error {
				if r.Step == stopAt {
					cancel()
				}
				return nil
			},
		})
		if err != nil {
			fmt.Println(err)
		}
		fmt.Println(res.Status, "at step", res.LastStep, "resumed:", res.Resumed)
		return res
	}
	run(1000)
	res := run(-1)
	fmt.Println("separated, γ1 > 0:", res.Final.Gamma1() > 0)
	// Output:
	// interrupted at step 1001 resumed: false
	// stopped-loss at step 1543 resumed: true
	// separated, γ1 > 0: true
}
