package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
)

// trainOptions are the flags of `margo train` (docs/reproduce.md). The JSON
// names are the flag names; the run manifest and checkpoints record them.
type trainOptions struct {
	Data       string  `json:"data"`
	Test       string  `json:"test,omitempty"`
	Width      int     `json:"width"`
	Depth      int     `json:"depth"`
	FreezeLast bool    `json:"freeze-last"`
	Bias       bool    `json:"bias,omitempty"`
	Leaky      float64 `json:"leaky,omitempty"`
	Batch      int     `json:"batch,omitempty"`
	Init       string  `json:"init,omitempty"`
	InitScale  float64 `json:"init-scale"`
	InitScheme string  `json:"init-scheme"`
	Seed       uint64  `json:"seed"`
	Loss       string  `json:"loss"`
	Alg        string  `json:"alg"`
	P          float64 `json:"p,omitempty"`
	Normalize  bool    `json:"normalize"`
	LR         float64 `json:"lr"`
	Steps      int     `json:"steps"`
	Beta1      float64 `json:"beta1"`
	Beta2      float64 `json:"beta2"`
	Eps        float64 `json:"eps"`
	Schedule   string  `json:"schedule"`
	LogEvery   int     `json:"log-every"`
	StopLoss   float64 `json:"stop-loss,omitempty"`
	// StopLogLoss stops once log L is below it (0: never); no flag: set by
	// `margo study adam-late`, whose losses go below the smallest float64.
	StopLogLoss float64 `json:"stop-log-loss,omitempty"`
	Metrics     string  `json:"metrics,omitempty"`
	Save        string  `json:"save,omitempty"`

	// Run control: not part of the experiment (a resumed run may change them).
	Checkpoint      string `json:"-"`
	CheckpointEvery int    `json:"-"`
	Resume          bool   `json:"-"`
	Threads         int    `json:"-"`
	Quiet           bool   `json:"-"`
	CPUProfile      string `json:"-"`
}

// algorithms and their default normalization (paper.md 2.3: SD and CD are
// the normalized steps; GD is plain gradient descent).
var defaultNormalize = map[string]bool{
	"gd": false, "sd": true, "cd": true, "adam": false, "lp": true, "spectral": true, "shampoo": false,
	"cd-layer": true, "cd-kink": true, "cd-layer-kink": true, // package steepest's CD variants (cd.go)
}

func defaultTrainOptions() trainOptions {
	return trainOptions{
		Width: 128, Depth: 2, InitScale: 0.01, InitScheme: "uniform", Loss: "exp", Alg: "gd",
		LR: 0.01, Steps: 1000, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, Schedule: "constant",
		Threads: runtime.GOMAXPROCS(0),
	}
}

// parseTrainFlags parses and validates the flags of `margo train`. It
// touches no file.
func parseTrainFlags(args []string, help io.Writer) (trainOptions, error) {
	o := defaultTrainOptions()
	fs := newFlagSet("train")
	fs.StringVar(&o.Data, "data", "", "training set FILE.npz: X float64 [n,d], y [n] of ±1 (required)")
	fs.StringVar(&o.Test, "test", "", "optional test set FILE.npz, same layout")
	fs.IntVar(&o.Width, "width", o.Width, "hidden width K")
	fs.IntVar(&o.Depth, "depth", o.Depth, "weight layers D (2 = one hidden layer)")
	fs.BoolVar(&o.FreezeLast, "freeze-last", false, "keep the last layer W_D at its initial value")
	fs.BoolVar(&o.Bias, "bias", false, "biases in the hidden layers (with depth ≥ 3 the model is no longer homogeneous: margins are recorded, but the theory does not cover them)")
	fs.Float64Var(&o.Leaky, "leaky", 0, "leaky ReLU slope a in [0, 1): σ(z) = max(z, a·z) (0: ReLU)")
	fs.IntVar(&o.Batch, "batch", 0, "mini-batch size B: each step uses B training points drawn from --seed's batch stream, without replacement within an epoch (0: the full batch); records use the whole training set")
	fs.StringVar(&o.Init, "init", "", "initial parameters FILE.npz: W1 [K,d], …, WD [1,K]; overrides --init-scale and --init-scheme")
	fs.Float64Var(&o.InitScale, "init-scale", o.InitScale, "α of the paper's uniform init: W1 ~ U[−α/d, α/d], later layers U[−α/K, α/K]")
	fs.StringVar(&o.InitScheme, "init-scheme", o.InitScheme, "uniform | uniform-cd (first layer U[−α/K, α/K], the paper's CD runs) | gaussian (N(0, α²))")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of the initialisation")
	fs.StringVar(&o.Loss, "loss", o.Loss, "exp | logistic (summed over samples)")
	fs.StringVar(&o.Alg, "alg", o.Alg, "gd | sd | cd | cd-layer | cd-kink | cd-layer-kink | adam | lp | spectral | shampoo (cd-layer: one coordinate per layer; cd-kink: CD held at kinks)")
	fs.Float64Var(&o.P, "p", 0, "p of the ℓp norm, 1 < P < ∞ (with --alg lp; cd is p = 1, sd p = ∞)")
	norm := fs.Bool("normalize", false, "normalized steepest step θ −= lr·u, ‖u‖ = 1")
	noNorm := fs.Bool("no-normalize", false, "unnormalized step θ −= lr·‖g‖⋆·u")
	fs.Float64Var(&o.LR, "lr", o.LR, "learning rate η")
	fs.IntVar(&o.Steps, "steps", o.Steps, "number of updates")
	fs.Float64Var(&o.Beta1, "beta1", o.Beta1, "Adam β1")
	fs.Float64Var(&o.Beta2, "beta2", o.Beta2, "Adam β2")
	fs.Float64Var(&o.Eps, "eps", o.Eps, "Adam ε (outside the square root, as torch.optim.Adam)")
	fs.StringVar(&o.Schedule, "schedule", o.Schedule, "constant | loss-adaptive (η_t = η/L(θ_t))")
	fs.IntVar(&o.LogEvery, "log-every", 0, "a record every K steps (default: log-spaced); step 0 and the last are always recorded")
	fs.Float64Var(&o.StopLoss, "stop-loss", 0, "stop early once the training loss is below this value (0: never)")
	fs.StringVar(&o.Metrics, "metrics", "", "metrics FILE.jsonl, one JSON object per record")
	fs.StringVar(&o.Save, "save", "", "final parameters FILE.npz, layout as --init")
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "checkpoint FILE.npz (default: METRICS.ckpt.npz)")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", 0, "write a checkpoint every N steps (0: never)")
	fs.BoolVar(&o.Resume, "resume", false, "continue from the checkpoint (from scratch if there is none yet)")
	fs.IntVar(&o.Threads, "threads", o.Threads, "GEMM threads (results do not depend on it)")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress line")
	profile := cpuProfileFlag(fs)
	pos, err := parseFlags(fs, args, help)
	o.CPUProfile = *profile
	if err != nil {
		return o, err
	}
	if len(pos) > 0 {
		return o, usagef("unexpected argument %q", pos[0])
	}
	set := setFlags(fs)
	if o.Init != "" && (set["init-scale"] || set["init-scheme"]) {
		return o, usagef("--init gives the initial parameters: it excludes --init-scale and --init-scheme")
	}
	if *norm && *noNorm {
		return o, usagef("--normalize and --no-normalize contradict each other")
	}
	o.Alg = strings.ToLower(o.Alg)
	o.Normalize = defaultNormalize[o.Alg]
	if set["normalize"] {
		o.Normalize = *norm
	}
	if set["no-normalize"] {
		o.Normalize = !*noNorm
	}
	return o, o.validate()
}

// validate checks every option that needs no file.
func (o *trainOptions) validate() error {
	if o.Data == "" {
		return usagef("--data FILE.npz is required")
	}
	if _, ok := defaultNormalize[o.Alg]; !ok {
		return usagef("unknown algorithm %q (want gd, sd, cd, cd-layer, cd-kink, cd-layer-kink, adam, lp, spectral or shampoo)", o.Alg)
	}
	if o.Alg == "lp" && !(o.P > 1 && !math.IsInf(o.P, 0)) {
		return usagef("--alg lp needs --p P with 1 < P < ∞ (cd is p = 1, sd is p = ∞), got %v", o.P)
	}
	if o.Alg != "lp" && o.P != 0 {
		return usagef("--p is only used with --alg lp")
	}
	switch {
	case o.Width < 1:
		return usagef("--width must be positive, got %d", o.Width)
	case o.Depth < 1:
		return usagef("--depth must be at least 1, got %d", o.Depth)
	case o.FreezeLast && o.Depth < 2:
		return usagef("--freeze-last needs --depth ≥ 2")
	case o.Bias && o.Depth < 2:
		return usagef("--bias needs --depth ≥ 2 (biases live in the hidden layers)")
	case !(o.Leaky >= 0 && o.Leaky < 1):
		return usagef("--leaky must be in [0, 1), got %v", o.Leaky)
	case o.Batch < 0:
		return usagef("--batch must be ≥ 0, got %d", o.Batch)
	case o.Batch > 0 && o.Schedule == "loss-adaptive":
		return usagef("--batch needs --schedule constant (the loss-adaptive schedule judges full-batch losses)")
	case o.Bias && (o.Alg == "spectral" || o.Alg == "shampoo"):
		return usagef("--bias with --alg %s: its per-layer step does not cover biases", o.Alg)
	case !(o.InitScale > 0) || math.IsInf(o.InitScale, 0):
		return usagef("--init-scale must be positive and finite, got %v", o.InitScale)
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return usagef("--lr must be positive and finite, got %v", o.LR)
	case o.Steps < 1:
		return usagef("--steps must be positive, got %d", o.Steps)
	case !(o.Beta1 >= 0 && o.Beta1 < 1):
		return usagef("--beta1 must be in [0, 1), got %v", o.Beta1)
	case !(o.Beta2 >= 0 && o.Beta2 < 1):
		return usagef("--beta2 must be in [0, 1), got %v", o.Beta2)
	case !(o.Eps >= 0) || math.IsInf(o.Eps, 0):
		return usagef("--eps must be ≥ 0 and finite, got %v", o.Eps)
	case o.LogEvery < 0:
		return usagef("--log-every must be ≥ 0, got %d", o.LogEvery)
	case o.CheckpointEvery < 0:
		return usagef("--checkpoint-every must be ≥ 0, got %d", o.CheckpointEvery)
	case !(o.StopLoss >= 0) || math.IsInf(o.StopLoss, 0):
		return usagef("--stop-loss must be ≥ 0 and finite, got %v", o.StopLoss)
	case o.Threads < 1:
		return usagef("--threads must be at least 1, got %d", o.Threads)
	}
	switch o.Loss {
	case "exp", "logistic":
	default:
		return usagef("unknown loss %q (want exp or logistic)", o.Loss)
	}
	switch o.Schedule {
	case "constant", "loss-adaptive":
	default:
		return usagef("unknown schedule %q (want constant or loss-adaptive)", o.Schedule)
	}
	switch o.InitScheme {
	case "uniform", "uniform-cd", "gaussian":
	default:
		return usagef("unknown init scheme %q (want uniform, uniform-cd or gaussian)", o.InitScheme)
	}
	if (o.CheckpointEvery > 0 || o.Resume) && o.Metrics == "" && o.Checkpoint == "" {
		return usagef("--checkpoint-every and --resume need --metrics or --checkpoint")
	}
	if o.Checkpoint == "" && o.Metrics != "" {
		o.Checkpoint = o.Metrics + ".ckpt.npz"
	}
	return nil
}

// String describes the options as flags (for messages).
func (o trainOptions) String() string {
	return fmt.Sprintf("alg=%s lr=%v steps=%d seed=%d", o.Alg, o.LR, o.Steps, o.Seed)
}

var _ = flag.ErrHelp
