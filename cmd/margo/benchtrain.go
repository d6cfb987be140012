package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest/train"
)

// streamBench is the RNG stream of the random inputs and labels of
// `margo bench train` (the initialisation uses streamInit, as margo train).
const streamBench = 5

// runBenchTrain runs `margo bench train`: it times margo's full-batch
// training step, the step of `margo train` (nn.Evaluate with the gradient,
// the record of margins and alignments, the optimizer step and the
// finiteness checks), for one network shape and algorithm, and prints the
// median time per step. bench/peers times PyTorch and NumPy on the same
// step; docs/benchmarks.md has the comparison.
func runBenchTrain(args []string) error {
	return benchTrain(args, os.Stdout, os.Stderr)
}

// benchTrainResult is the JSON object printed by `margo bench train --json`.
type benchTrainResult struct {
	StepsPerS      float64   `json:"steps_per_s"`                     // 1 / median seconds per step
	StepsPerSecond float64   `json:"steps_per_second"`                // the same (the name docs/reproduce.md uses)
	GFLOPs         float64   `json:"gflops"`                          // the step's GEMM and output-layer flops / median time
	SecPerStep     float64   `json:"sec_per_step"`                    // median over the repeats
	SecPerStepAll  []float64 `json:"sec_per_step_all"`                // every repeat, in run order
	MetricsFrac    float64   `json:"metrics_frac"`                    // median over paired repetitions of 1 − (time without the record)/(time with it)
	SecPerStepBare []float64 `json:"sec_per_step_bare_all,omitempty"` // with the record: each repeat's paired time without it
	Path           string    `json:"path"`                            // SIMD path (asm.Active)
	Threads        int       `json:"threads"`
	N              int       `json:"n"`
	D              int       `json:"d"`
	Width          int       `json:"width"`
	Depth          int       `json:"depth"`
	Params         int       `json:"params"` // trainable parameters
	Alg            string    `json:"alg"`
	Loss           string    `json:"loss"`
	LR             float64   `json:"lr"`
	Metrics        bool      `json:"metrics"`
	Repeats        int       `json:"repeats"`
	StepsPerRepeat int       `json:"steps_per_repeat"`
	Data           string    `json:"data"`
	GoVersion      string    `json:"go_version"`
	Version        string    `json:"version"`
}

func benchTrain(args []string, stdout, stderr io.Writer) error {
	o := defaultTrainOptions()
	o.Alg, o.LR, o.InitScale = "sd", 1e-4, 0.01
	fs := newFlagSet("bench train")
	n := fs.Int("n", 250, "training points")
	d := fs.Int("d", 2048, "input dimension")
	fs.IntVar(&o.Width, "width", 1024, "hidden width K")
	fs.IntVar(&o.Depth, "depth", 2, "weight layers (2 = one hidden layer)")
	fs.StringVar(&o.Alg, "alg", o.Alg, "gd | sd | cd | adam (and the other algorithms of margo train)")
	fs.Float64Var(&o.P, "p", 0, "p of the ℓp norm (with --alg lp)")
	fs.StringVar(&o.Loss, "loss", o.Loss, "exp | logistic (summed over samples)")
	fs.Float64Var(&o.LR, "lr", o.LR, "learning rate (small, so that the timed steps stay far from overflow)")
	fs.Float64Var(&o.Beta1, "beta1", o.Beta1, "Adam β1")
	fs.Float64Var(&o.Beta2, "beta2", o.Beta2, "Adam β2")
	fs.Float64Var(&o.Eps, "eps", o.Eps, "Adam ε")
	fs.IntVar(&o.Threads, "threads", o.Threads, "GEMM threads")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the random data and initialisation")
	data := fs.String("data", "", "time on this FILE.npz (X, y) instead of random data")
	initFile := fs.String("init", "", "initial parameters FILE.npz (W1, W2) instead of the seeded uniform init")
	repeats := fs.Int("repeats", 5, "timed repetitions (the median is reported)")
	steps := fs.Int("steps", 0, "steps per repetition (0: enough for --min-time)")
	minTime := fs.Duration("min-time", 300*time.Millisecond, "least duration of one repetition when --steps is 0")
	metrics := fs.Bool("metrics", true, "compute the record (margins, norms, alignments) every step, as the peers do")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed repetitions to FILE (go tool pprof)")
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *data != "" {
		o.Data = *data
	} else {
		o.Data = "random"
	}
	o.Init = *initFile
	if err := validateBenchTrain(&o, *n, *d, *repeats, *steps, *minTime, *data != ""); err != nil {
		return err
	}
	if *data == "" {
		if err := checkMemory(fmt.Sprintf("--n %d × --d %d with --width %d", *n, *d, o.Width), runBytes(o, *n, *d, 0)); err != nil {
			return err
		}
	}
	var trainSet *nn.Dataset
	if *data != "" {
		if err := checkInput("--data", *data); err != nil {
			return err
		}
		if trainSet, err = train.LoadDataset(*data); err != nil {
			return err
		}
		*n, *d = trainSet.X.Rows, trainSet.X.Cols
	} else if trainSet, err = benchData(*n, *d, o.Seed); err != nil {
		return err
	}
	cfg, err := newRunConfig(o, trainSet, nil, nil)
	if err != nil {
		return err
	}
	tr, err := newTrainer(cfg, o)
	if err != nil {
		return err
	}
	var prof io.Writer
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		prof = f
	}
	res, err := timeSteps(tr, cfg.Theta, *repeats, *steps, *minTime, *metrics, prof)
	if err != nil {
		return err
	}
	res.Path, res.Threads, res.N, res.D, res.Width = asm.Active().String(), o.Threads, *n, *d, o.Width
	res.Depth, res.Params, res.StepsPerSecond = o.Depth, len(cfg.Theta), res.StepsPerS
	res.GFLOPs = stepFlops(*n, *d, o.Width, o.Depth) / res.SecPerStep / 1e9
	res.Alg, res.Loss, res.LR, res.Metrics, res.Data = o.Alg, o.Loss, o.LR, *metrics, o.Data
	res.GoVersion, res.Version = runtime.Version(), version
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "train step n=%d d=%d width=%d depth=%d (%d parameters) alg=%s loss=%s  path=%s threads=%d  %.4g steps/s (%.4g ms/step, median of %d×%d, ≈ %.1f GFLOP/s; margins and alignments %.1f%% of the step)\n",
		res.N, res.D, res.Width, res.Depth, res.Params, res.Alg, res.Loss, res.Path, res.Threads, res.StepsPerS, 1e3*res.SecPerStep,
		res.Repeats, res.StepsPerRepeat, res.GFLOPs, 100*res.MetricsFrac)
	return nil
}

// stepFlops counts the floating-point operations of one step's products:
// for each layer (in → out) 2·n·in·out for the forward and as much for the
// weight gradient, and for every layer but the first 2·n·in·out more for the
// gradient with respect to its input (the inputs X need none).
func stepFlops(n, d, width, depth int) float64 {
	f, in := 0.0, float64(d)
	for l := range depth {
		out := float64(width)
		if l == depth-1 {
			out = 1
		}
		f += 4 * float64(n) * in * out
		if l > 0 {
			f += 2 * float64(n) * in * out
		}
		in = out
	}
	return f
}

// validateBenchTrain checks the flags of bench train (the shape is checked
// only when the data are random: a data file brings its own).
func validateBenchTrain(o *trainOptions, n, d, repeats, steps int, minTime time.Duration, haveData bool) error {
	if !haveData {
		if n < 1 || d < 1 {
			return usagef("--n and --d must be positive, got %d and %d", n, d)
		}
	}
	switch {
	case repeats < 1:
		return usagef("--repeats must be at least 1, got %d", repeats)
	case steps < 0:
		return usagef("--steps must be ≥ 0, got %d", steps)
	case steps == 0 && minTime <= 0:
		return usagef("--min-time must be positive when --steps is 0, got %v", minTime)
	}
	// The remaining flags are those of margo train: the same checks apply.
	o.Alg = strings.ToLower(o.Alg)
	o.Normalize = defaultNormalize[o.Alg]
	return o.validate()
}

// benchData returns n random inputs x ~ N(0, I_d/d) (so that ‖x‖ ≈ 1 and
// the margins stay moderate over many steps) with random labels ±1, from a
// fixed seed.
func benchData(n, d int, seed uint64) (*nn.Dataset, error) {
	rng := rand.New(rand.NewPCG(seed, streamBench))
	x := make([]float64, n*d)
	s := 1 / math.Sqrt(float64(d))
	for i := range x {
		x[i] = s * rng.NormFloat64()
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = 1
		if rng.IntN(2) == 0 {
			y[i] = -1
		}
	}
	return train.NewDataset("random data", n, d, x, y)
}

// timeSteps times the training loop's body (train.Trainer.Advance) with
// every step recorded: check the evaluation at θ_t, take the step's rate
// from the schedule, compute the record and step (in one pass where the
// step allows), check θ, evaluate θ_{t+1} with the gradient and let the
// schedule judge it. With metrics, every timed repetition is paired with
// one of the same steps without the record, and MetricsFrac is the median
// over the pairs of 1 − t_without/t_with (the record's cost cannot be
// timed on its own once it shares the step's pass; the difference of two
// timings can come out slightly negative on a noisy machine). Each
// repetition starts again from the initial θ with the optimizer and the
// schedule as they were (Trainer.Restart: one optimizer for all
// repetitions, reset with SetState, since a fresh one per repetition would
// fault in its new buffers, e.g. Adam's 2·8·p bytes of moments, inside the
// timed steps) and an evaluation of θ_0 that is not timed (the loop
// evaluates once per step), so that every repetition times the same steps
// and none drifts towards overflow. Warm-up repetitions run first and are
// not counted; with steps = 0 they also size the repetitions to last
// minTime. With prof set, the timed repetitions are CPU-profiled into it.
func timeSteps(tr *train.Trainer, theta []float64, repeats, steps int, minTime time.Duration, metrics bool, prof io.Writer) (benchTrainResult, error) {
	theta0 := slices.Clone(theta)
	// repeat runs k steps from θ_0, recorded or not, and returns the
	// seconds per step.
	repeat := func(k int, recorded bool) (float64, error) {
		if err := tr.Restart(theta0); err != nil {
			return 0, err
		}
		start := time.Now()
		for t := 0; t < k; t++ {
			if _, err := tr.Advance(recorded); err != nil {
				return 0, fmt.Errorf("%w; use a smaller --lr", err)
			}
		}
		return time.Since(start).Seconds() / float64(k), nil
	}
	// Warm-up: the first steps fault in the buffers. Without --steps, double
	// the step count until a repetition lasts a quarter of minTime, then size
	// the repetitions from that rate.
	k := max(steps, 1)
	for {
		sec, err := repeat(k, metrics)
		if err != nil {
			return benchTrainResult{}, err
		}
		if steps > 0 {
			break
		}
		if sec*float64(k) >= minTime.Seconds()/4 {
			steps = max(1, int(math.Ceil(minTime.Seconds()/sec)))
			break
		}
		k *= 2
	}
	res := benchTrainResult{Repeats: repeats, StepsPerRepeat: steps}
	if prof != nil {
		if err := pprof.StartCPUProfile(prof); err != nil {
			return res, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	// With the record, each repetition is paired with one without it (in
	// alternating order), and the record's share of the step is 1 − t_without
	// / t_with of the pair: the time the record adds to the loop, whether
	// as its own pass or inside the step's (steepest.Meter.MeasureStep).
	// In the CPU profile the repetitions carry the label record=on or
	// record=off (go tool pprof -tagfocus record=on shows the recorded
	// steps alone, as bench/peers/profile.py does).
	timed := func(recorded bool) (sec float64, err error) {
		label := map[bool]string{true: "on", false: "off"}[recorded]
		pprof.Do(context.Background(), pprof.Labels("record", label), func(context.Context) {
			sec, err = repeat(steps, recorded)
		})
		return sec, err
	}
	var fracs []float64
	for r := range repeats {
		var sec, bare float64
		var err error
		switch {
		case !metrics:
			sec, err = timed(false)
		case r%2 == 0: // the pair's order alternates
			if sec, err = timed(true); err == nil {
				bare, err = timed(false)
			}
		default:
			if bare, err = timed(false); err == nil {
				sec, err = timed(true)
			}
		}
		if err != nil {
			return res, err
		}
		res.SecPerStepAll = append(res.SecPerStepAll, sec)
		if metrics {
			res.SecPerStepBare = append(res.SecPerStepBare, bare)
			fracs = append(fracs, 1-bare/sec)
		}
	}
	sorted := slices.Sorted(slices.Values(res.SecPerStepAll))
	res.SecPerStep = sorted[len(sorted)/2]
	res.StepsPerS = 1 / res.SecPerStep
	if len(fracs) > 0 {
		slices.Sort(fracs)
		res.MetricsFrac = fracs[len(fracs)/2]
	}
	return res, nil
}
