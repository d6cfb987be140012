package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"syscall"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/steepest/train"
	"github.com/margo-lab/margo/tensor"
)

// RNG streams: one PCG stream per purpose, all seeded by --seed.
const (
	streamInit    = 1
	streamTeacher = 2
	streamTrain   = 3
	streamTest    = 4
)

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	o, err := parseTrainFlags(args, stderr)
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	ctx, stop := signalContext()
	defer stop()
	cfg, err := newRunConfig(o, nil, nil, nil)
	if err != nil {
		return err
	}
	var prog *progress
	if !o.Quiet && isTerminal(stderr) {
		prog = newProgress(stderr, o.Steps)
		L := cfg.Model.Degree()
		cfg.OnStep = func(t int, ev *nn.Eval, theta []float64) { prog.update(t, ev, theta, L) }
	}
	tr, err := newTrainer(cfg, o)
	if err != nil {
		return err
	}
	res, err := tr.Run(ctx)
	if prog != nil {
		prog.done()
	}
	if err != nil {
		return runError(err, o)
	}
	switch res.Status {
	case train.Interrupted:
		if res.Checkpointed {
			return fmt.Errorf("interrupted at step %d; continue with --resume", res.LastStep)
		}
		return fmt.Errorf("interrupted at step %d (no checkpoint: use --checkpoint-every N to be able to resume)", res.LastStep)
	case train.StoppedLoss:
		if !o.Quiet && isTerminal(stderr) {
			fmt.Fprintf(stderr, "stopped at step %d: loss %.3g below --stop-loss %g\n", res.LastStep, math.Exp(res.LogLoss), o.StopLoss)
		}
	}
	return nil
}

// batchStream is xored into --seed to seed the mini-batch draws, so that
// they are not the initialisation's PCG stream (nn.Batcher seeds epoch e
// with PCG(seed, e); the initialisation uses PCG(seed, 1)).
const batchStream = 0xb47c5eed

// signalContext is cancelled by SIGINT, SIGTERM or SIGHUP: the run stops
// at its next step boundary with a checkpoint. After the first signal the
// default handling is back, so a second one kills at once.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// paramState is θ and the frozen last layer, to start a run from.
type paramState struct{ theta, frozen []float64 }

// newRunConfig turns the options into a training run: it loads the data
// (unless given), builds the model and the algorithm, initialises θ (from
// init, --init or the seeded scheme) and checks that the outputs can be
// written. It writes nothing.
func newRunConfig(o trainOptions, trainSet, test *nn.Dataset, init *paramState) (train.Config, error) {
	var cfg train.Config
	var err error
	trainSetGiven := trainSet != nil
	if err := checkAliases(o, trainSetGiven); err != nil {
		return cfg, err
	}
	if trainSet == nil {
		for _, in := range [][2]string{{"--data", o.Data}, {"--test", o.Test}, {"--init", o.Init}} {
			if in[1] != "" {
				if err := checkInput(in[0], in[1]); err != nil {
					return cfg, err
				}
			}
		}
		if trainSet, err = train.LoadDataset(o.Data); err != nil {
			return cfg, err
		}
		if o.Test != "" {
			if test, err = train.LoadDataset(o.Test); err != nil {
				return cfg, err
			}
		}
	}
	d := trainSet.X.Cols
	if test != nil && test.X.Cols != d {
		return cfg, fmt.Errorf("test set has %d features, training set %d", test.X.Cols, d)
	}
	widths := make([]int, o.Depth-1)
	for i := range widths {
		widths[i] = o.Width
	}
	nTest := 0
	if test != nil {
		nTest = test.Len()
	}
	if err := checkMemory(fmt.Sprintf("a depth-%d, width-%d network on %d points of %d features", o.Depth, o.Width, trainSet.Len(), d), runBytes(o, trainSet.Len(), d, nTest)); err != nil {
		return cfg, err
	}
	if o.Batch > trainSet.Len() {
		return cfg, usagef("--batch %d exceeds the %d training points", o.Batch, trainSet.Len())
	}
	model, err := nn.NewMLP(nn.Config{In: d, Widths: widths, FreezeLast: o.FreezeLast, Bias: o.Bias, Act: nn.Activation{Slope: o.Leaky}})
	if err != nil {
		return cfg, usagef("%v", err)
	}
	opt, err := newOptimizer(o, model)
	if err != nil {
		return cfg, err
	}
	sched, err := newSchedule(o)
	if err != nil {
		return cfg, err
	}
	theta := make([]float64, model.Layout().Size())
	switch {
	case init != nil:
		copy(theta, init.theta)
		copy(model.Frozen(), init.frozen)
	case o.Init != "":
		if err := train.LoadParams(o.Init, model, theta); err != nil {
			return cfg, err
		}
	default:
		scheme := map[string]nn.InitScheme{"uniform": nn.InitUniform, "uniform-cd": nn.InitUniformCD, "gaussian": nn.InitGaussian}[o.InitScheme]
		model.Init(theta, scheme, o.InitScale, rand.New(rand.NewPCG(o.Seed, streamInit)))
	}
	for _, out := range []string{o.Metrics, o.Save} {
		if out != "" {
			if err := train.CheckWritable(out); err != nil {
				return cfg, err
			}
		}
	}
	if o.CheckpointEvery > 0 {
		if err := train.CheckWritable(o.Checkpoint); err != nil {
			return cfg, err
		}
	}
	runJSON, err := json.Marshal(o)
	if err != nil {
		return cfg, err
	}
	// The content of every input file, so that a resume against changed
	// inputs is refused (data built in memory has no file to hash).
	inputs := map[string]string{}
	for name, path := range map[string]string{"data": o.Data, "test": o.Test, "init": o.Init} {
		if path == "" || (trainSetGiven && name != "init") {
			continue
		}
		h, err := train.HashFile(path)
		if err != nil {
			return cfg, err
		}
		inputs[name] = h
	}
	cfg = train.Config{
		Model: model, Theta: theta, Train: trainSet, Test: test,
		Objective: nn.Objective{Loss: map[string]nn.Loss{"exp": nn.Exp, "logistic": nn.Logistic}[o.Loss]},
		Optimizer: opt, Schedule: sched, Steps: o.Steps, RecordEvery: o.LogEvery, StopLoss: o.StopLoss, StopLogLoss: o.StopLogLoss,
		Batch: o.Batch, BatchSeed: o.Seed ^ batchStream,
		Spectral: o.Alg == "spectral" || o.Alg == "shampoo" || o.FreezeLast,
		Metrics:  o.Metrics, Save: o.Save,
		Checkpoint: train.Checkpoint{Path: o.Checkpoint, Every: o.CheckpointEvery, Resume: o.Resume, Run: runJSON, Inputs: inputs},
		Pool:       tensor.NewPool(o.Threads),
	}
	if o.CheckpointEvery == 0 && !o.Resume && o.Metrics == "" {
		cfg.Checkpoint.Path = "" // no checkpoint on a signal without a place for it
	}
	return cfg, nil
}

// checkAliases refuses outputs that are the same file as an input or as
// each other (train.SamePath: after cleaning and resolving links, or the
// same device and inode), before anything is read or written.
func checkAliases(o trainOptions, dataInMemory bool) error {
	outs := [][2]string{{"--metrics", o.Metrics}, {"--save", o.Save}, {"--checkpoint", o.Checkpoint}}
	ins := [][2]string{{"--init", o.Init}}
	if !dataInMemory {
		ins = append(ins, [2]string{"--data", o.Data}, [2]string{"--test", o.Test})
	}
	for i, out := range outs {
		for _, in := range ins {
			if train.SamePath(out[1], in[1]) {
				return usagef("%s %s is the input %s: it would be overwritten", out[0], out[1], in[0])
			}
		}
		for _, other := range outs[i+1:] {
			if train.SamePath(out[1], other[1]) {
				return usagef("%s and %s are the same file (%s)", out[0], other[0], out[1])
			}
		}
	}
	return nil
}

// newTrainer is train.New with the command's wording for a refused
// checkpoint.
func newTrainer(cfg train.Config, o trainOptions) (*train.Trainer, error) {
	tr, err := train.New(cfg)
	if errors.Is(err, train.ErrOtherRun) || errors.Is(err, train.ErrFormat) {
		return nil, usagef("%v; remove it or use the same flags", err)
	}
	return tr, err
}

// runError words a failed run for the command line: divergence names what
// to change.
func runError(err error, o trainOptions) error {
	var de *train.DivergedError
	if !errors.As(err, &de) {
		return err
	}
	if de.Step == 0 {
		what := "--init-scale"
		if o.Init != "" {
			what = "--init parameters"
		}
		return fmt.Errorf("%v: the initial parameters already diverge; try a smaller %s", err, what)
	}
	return fmt.Errorf("%v; try a smaller --lr", err)
}

// newOptimizer returns the algorithm of o from package steepest.
func newOptimizer(o trainOptions, m *nn.MLP) (steepest.Optimizer, error) {
	if o.Alg == "gd" && o.Normalize {
		opt, err := steepest.NewSteepest(steepest.L2{}, o.LR, true)
		if err != nil {
			return nil, usagef("%v", err)
		}
		return opt, nil
	}
	if (o.Alg == "adam" || o.Alg == "shampoo") && o.Normalize {
		return nil, usagef("--alg %s has no normalized form", o.Alg)
	}
	opt, err := steepest.New(steepest.Config{Name: o.Alg, LR: o.LR, Normalized: o.Normalize, P: o.P,
		Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, Layout: m.Layout()})
	if err != nil {
		return nil, usagef("%v", err)
	}
	return opt, nil
}

// newSchedule returns the paper's constant rate, or Lyu & Li's loss-based
// schedule (η = Base/L for GD and unnormalized steps, Base otherwise; a step
// that raises the loss is rolled back and Base shrinks).
func newSchedule(o trainOptions) (steepest.Schedule, error) {
	if o.Schedule != "loss-adaptive" {
		return steepest.Constant{LR: o.LR}, nil
	}
	inverse := !o.Normalize && o.Alg != "adam" && o.Alg != "shampoo"
	la, err := steepest.NewLossAdaptive(o.LR, inverse)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return la, nil
}
