package main

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/nn/mnist"
	"github.com/margo-lab/margo/nn/teacher"
	"github.com/margo-lab/margo/steepest/train"
)

// teacherSetup holds the teacher–student sizes (paper.md 5.1).
type teacherSetup struct {
	D, K, Active, Width, Train, Test int
	Steps                            int
	CDSteps                          int // the CD runs of the grid (slower to separate: one coordinate per step)
	LR                               float64
	Alphas                           []float64
	AlphaLeft                        float64 // the α of Fig. 1 left (not stated in the paper)
}

func buildExperiment(ro *reproduceOptions) (*experiment, error) {
	seeds := func(full, quick int) int {
		if ro.Seeds > 0 {
			return ro.Seeds
		}
		if ro.Quick {
			return quick
		}
		return full
	}
	switch ro.Figure {
	case "fig1", "fig4", "switch":
		ts := teacherSetup{D: ro.D, K: 64, Active: 3, Width: 1024, Train: 250, Test: 20000,
			Steps: 100000, CDSteps: 100000, LR: 6e-3, Alphas: []float64{0.1, 0.01, 0.001}, AlphaLeft: 0.01}
		if ro.Quick {
			ts = quickTeacher(ro)
			if ro.dSet {
				ts.D = ro.D
			}
		}
		if ro.Steps > 0 {
			ts.Steps, ts.CDSteps = ro.Steps, ro.Steps
		}
		if ro.Width > 0 {
			ts.Width = ro.Width
		}
		if ro.Train > 0 {
			ts.Train = ro.Train
		}
		cd, err := parseCDVariant(ro.CD)
		if err != nil {
			return nil, err
		}
		ro.D, ro.dSet = ts.D, true // the manifest records the d used
		return teacherExperiment(ro.Figure, ts, cd, seeds(20, 2)), nil
	case "fig2", "fig5":
		a, b := byte(3), byte(6)
		if ro.Figure == "fig5" {
			a, b = 2, 7
		}
		return mnistAdamExperiment(ro, a, b, seeds(3, 1))
	case "fig3":
		return shampooExperiment(ro, seeds(3, 1))
	}
	return nil, usagef("unknown experiment %q (want fig1, fig2, fig3, fig4, fig5 or switch)", ro.Figure)
}

// teacherData returns a cached per-seed data generator: the teacher, the
// training and the test set all depend on the seed only, so every algorithm
// and init scale of a seed sees the same data.
func teacherData(ts teacherSetup) func(seed uint64) func() (*nn.Dataset, *nn.Dataset, error) {
	var mu sync.Mutex
	cache := map[uint64]*[2]*nn.Dataset{}
	return func(seed uint64) func() (*nn.Dataset, *nn.Dataset, error) {
		return func() (*nn.Dataset, *nn.Dataset, error) {
			mu.Lock()
			defer mu.Unlock()
			if c, ok := cache[seed]; ok {
				return c[0], c[1], nil
			}
			tc, err := teacher.New(ts.D, ts.K, ts.Active, rand.New(rand.NewPCG(seed, streamTeacher)))
			if err != nil {
				return nil, nil, err
			}
			x, y := tc.Sample(ts.Train, rand.New(rand.NewPCG(seed, streamTrain)))
			tx, ty := tc.Sample(ts.Test, rand.New(rand.NewPCG(seed, streamTest)))
			trainSet, err := train.NewDataset("teacher train", ts.Train, ts.D, x, y)
			if err != nil {
				return nil, nil, err
			}
			test, err := train.NewDataset("teacher test", ts.Test, ts.D, tx, ty)
			if err != nil {
				return nil, nil, err
			}
			cache[seed] = &[2]*nn.Dataset{trainSet, test}
			return trainSet, test, nil
		}
	}
}

// teacherExperiment builds the runs of Fig. 1, Fig. 4 and the switching
// experiment: they share the grid GD/SD/CD × α × seeds (so one output
// directory can serve all three); switch adds GD→SD and GD→CD.
func teacherExperiment(fig string, ts teacherSetup, cd cdVariant, nSeeds int) *experiment {
	data := teacherData(ts)
	exp := &experiment{Name: fig, N: ts.Train, NTest: ts.Test, D: ts.D, Choices: map[string]any{
		"d": ts.D, "teacher_width": ts.K, "teacher_active_inputs": ts.Active, "student_width": ts.Width,
		"train_points": ts.Train, "test_points": ts.Test, "steps": ts.Steps, "lr": ts.LR, "alphas": ts.Alphas,
		"fig1_left_alpha": ts.AlphaLeft, "loss": "exp (sum)", "seeds": nSeeds,
		"teacher_weights":    "each neuron reads 3 distinct inputs drawn uniformly, weights N(0,1); output weights +1 (even j) / −1 (odd j); label sign(f*) with sign(0)=+1",
		"inputs":             "x ~ N(0, I_d)",
		"init":               "GD, SD: W1 ~ U[−α/d, α/d], w2 ~ U[−α/K, α/K]; CD: W1 ~ U[−α/K, α/K] too (paper)",
		"steps_normalized":   "SD θ −= η sign(g); GD θ −= η ∇L; CD as cd_variant (cd: the first argmax |g_i| over θ; cd-layer: one per layer; cd-kink: held at kinks; :unnormalized moves it by −η g_i, :normalized by −η sign(g_i))",
		"cd_normalized":      "the paper does not say; flat normalized CD 2-cycles and never separates here; η as GD and SD; the GD→CD switch runs use the same variant",
		"cd_steps":           ts.CDSteps,
		"cd_variant":         cd.String(),
		"cd_variant_why":     cdVariantWhy,
		"cd_stalls":          "flat CD (cd) does not separate most runs here: greedy CD grows one neuron, then 2-cycles by ±η across a ReLU kink of that neuron (also at full size); cd-kink holds such a coordinate and separated every quick run (docs/reproduce.md, \"CD gets stuck\" and \"Which CD\")",
		"seed_streams":       "teacher, training set, test set and initialisation use PCG(seed, 2), (seed, 3), (seed, 4), (seed, 1)",
		"switch_point":       "the first step with 100% train accuracy under GD",
		"quick_scaled_down":  fmt.Sprint(ts),
		"full_run_estimates": "the full experiment (d=2048, width 1024, 1e5 steps, 20 seeds × 3 α × 3 algorithms = 180 runs) runs at ≈ 60 steps/s on 2 cores (margo bench train, 2026-11-27): ≈ 28 min per run, ≈ 83 h in all",
	}}
	algs := []struct{ group, alg, scheme string }{{"GD", "gd", "uniform"}, {"SD", "sd", "uniform"}, {"CD", cd.Alg, "uniform-cd"}}
	for s := 0; s < nSeeds; s++ {
		seed := uint64(s + 1)
		for _, alpha := range ts.Alphas {
			for _, a := range algs {
				o := defaultTrainOptions()
				o.Data = fmt.Sprintf("teacher-student d=%d k=%d active=%d n=%d test=%d seed=%d", ts.D, ts.K, ts.Active, ts.Train, ts.Test, seed)
				o.Test = "teacher-student test set"
				o.Width, o.Depth, o.Alg, o.InitScheme, o.InitScale = ts.Width, 2, a.alg, a.scheme, alpha
				o.Seed, o.Loss, o.LR, o.Steps = seed, "exp", ts.LR, ts.Steps
				o.Normalize = defaultNormalize[a.alg]
				if a.group == "CD" {
					o.Normalize, o.Steps = cd.Normalized, ts.CDSteps
				}
				exp.Runs = append(exp.Runs, runSpec{Name: fmt.Sprintf("%s_a%g_s%d", a.alg, alpha, seed), Group: a.group,
					Alg: a.alg, Alpha: alpha, Seed: seed, Opts: o, data: data(seed)})
			}
			if fig != "switch" {
				continue
			}
			for _, sw := range []string{"sd", cd.Alg} {
				o := defaultTrainOptions()
				o.Data = fmt.Sprintf("teacher-student d=%d k=%d active=%d n=%d test=%d seed=%d", ts.D, ts.K, ts.Active, ts.Train, ts.Test, seed)
				o.Test = "teacher-student test set"
				o.Width, o.Depth, o.Alg, o.InitScheme, o.InitScale = ts.Width, 2, sw, "uniform", alpha
				o.Seed, o.Loss, o.LR, o.Steps = seed, "exp", ts.LR, ts.Steps
				group := "GD→SD"
				o.Normalize = defaultNormalize[sw]
				if sw == cd.Alg {
					o.Normalize, group = cd.Normalized, "GD→CD"
				}
				exp.Runs = append(exp.Runs, runSpec{Name: fmt.Sprintf("gd2%s_a%g_s%d", sw, alpha, seed), Group: group,
					Alg: sw, Alpha: alpha, Seed: seed, Switch: sw, Opts: o, data: data(seed)})
			}
		}
	}
	exp.Plot = func(out, runsDir string, runs []runSpec, res map[string]*runResult) error {
		return plotTeacher(fig, out, runsDir, ts, runs, res)
	}
	return exp
}

// mnistAdamExperiment builds Fig. 2 (digits 3 vs 6) or Fig. 5 (2 vs 7):
// GD, SD and Adam with ε ∈ {1e−8, 1e−2} × (β1, β2) ∈ {(0, 0), (0.9, 0.99)}.
func mnistAdamExperiment(ro *reproduceOptions, a, b byte, nSeeds int) (*experiment, error) {
	dir, err := mnist.FindData(ro.MNIST)
	if err != nil {
		return nil, err
	}
	cache := &mnist.Data{Dir: dir}
	if err := cache.Open(); err != nil { // bad MNIST files: fail before any output
		return nil, err
	}
	steps, lr, alpha, stop := 5000, 3e-3, mnistAlpha, 1e-7
	if ro.Quick {
		steps = 1500
	}
	if ro.Steps > 0 {
		steps = ro.Steps
	}
	fig := ro.Figure
	exp := &experiment{Name: fig, N: 100, NTest: mnistTestBound, D: 784, Choices: map[string]any{
		"digits": fmt.Sprintf("%d (+1) vs %d (−1)", a, b), "train_points": 100, "test": "all MNIST test images of the two digits",
		"preprocessing": "pixels / 255 in [0, 1], no centering", "width": 128, "loss": "logistic (sum)",
		"lr": lr, "steps": steps, "init": fmt.Sprintf("uniform, α = %g (W1 ~ U[−α/784, α/784], w2 ~ U[−α/128, α/128])", alpha),
		"sd_stop_loss": stop, "sd_note": "SD stops once L < 1e−7 and its last value is held in the plots (paper App. D)",
		"adam_steps": "torch.optim.Adam on the true gradient", "seeds": nSeeds, "mnist_dir": dir,
		"seed_streams": "training subset PCG(seed, 3), initialisation PCG(seed, 1)",
	}}
	type variant struct {
		group, alg   string
		eps, b1, b2  float64
		stopLossUsed bool
	}
	vs := []variant{{group: "GD", alg: "gd"}, {group: "SD", alg: "sd", stopLossUsed: true}}
	for _, eps := range []float64{1e-8, 1e-2} {
		for _, bb := range [][2]float64{{0, 0}, {0.9, 0.99}} {
			vs = append(vs, variant{group: fmt.Sprintf("Adam ε=%g β=(%g,%g)", eps, bb[0], bb[1]), alg: "adam", eps: eps, b1: bb[0], b2: bb[1]})
		}
	}
	for s := 0; s < nSeeds; s++ {
		seed := uint64(s + 1)
		data := func() (*nn.Dataset, *nn.Dataset, error) {
			return cache.DigitPair(a, b, 100, rand.New(rand.NewPCG(seed, streamTrain)), 1)
		}
		for i, v := range vs {
			o := defaultTrainOptions()
			o.Data = fmt.Sprintf("MNIST %d vs %d, 100 points, seed %d", a, b, seed)
			o.Test = fmt.Sprintf("MNIST test %d vs %d", a, b)
			o.Width, o.Depth, o.Alg, o.InitScale, o.Seed = 128, 2, v.alg, alpha, seed
			o.Loss, o.LR, o.Steps = "logistic", lr, steps
			o.Normalize = defaultNormalize[v.alg]
			if v.alg == "adam" {
				o.Eps, o.Beta1, o.Beta2 = v.eps, v.b1, v.b2
			}
			if v.stopLossUsed {
				o.StopLoss = stop
			}
			exp.Runs = append(exp.Runs, runSpec{Name: fmt.Sprintf("v%d_%s_s%d", i, v.alg, seed), Group: v.group,
				Alg: v.alg, Seed: seed, Opts: o, data: data})
		}
	}
	exp.Plot = func(out, runsDir string, runs []runSpec, res map[string]*runResult) error {
		return plotMNIST(fig, out, runsDir, runs, res)
	}
	return exp, nil
}

// mnistTestBound bounds the test images of two MNIST digits (2,135 for 0
// and 1, the largest pair), for the memory estimate.
const mnistTestBound = 2200

// mnistAlpha is the init scale of the MNIST experiments ("small
// initialization"; the paper gives no value for Fig. 2/5).
const mnistAlpha = 1.0

// spectralLR is the rate of normalized spectral steepest descent
// (W −= η·U·Vᵀ), added to Fig. 3 as the algorithm the theory is about.
var spectralLR = 0.1

// shampooAlpha is the init scale α of Fig. 3 (the paper: "10^−2", in a
// parametrisation it does not give). Measured with --quick, 3 seeds, 3000
// steps (2026-11-27): at α = 0.1 Shampoo ends with the largest spectral
// margin on every seed (2.1–2.2e−3, against Adam 1.1–1.6e−3 and GD
// 0.2–1.6e−3), as in the paper; at α = 0.3, 1 and 3 GD's is larger than
// Shampoo's; at α = 0.01 GD and Adam do not separate within 1000 steps.
var shampooAlpha = 0.1

// shampooExperiment builds Fig. 3: frozen second layer, init scale
// shampooAlpha, Adam (no momentum) lr 1e−2, GD lr 10, Shampoo lr 20.
func shampooExperiment(ro *reproduceOptions, nSeeds int) (*experiment, error) {
	dir, err := mnist.FindData(ro.MNIST)
	if err != nil {
		return nil, err
	}
	cache := &mnist.Data{Dir: dir}
	if err := cache.Open(); err != nil {
		return nil, err
	}
	steps, pool := 5000, 1
	if ro.Quick {
		// Shampoo recomputes inverse roots of a d×d preconditioner at every
		// step (torch-optimizer's update_freq = 1): with d = 784 that is
		// about 0.5 s a step here. The quick version pools 2×2 pixel blocks
		// (d = 196) and runs 3000 steps (at α = 0.1 GD separates one seed
		// only after ≈ 2500 steps).
		steps, pool = 3000, 2
	}
	if ro.Steps > 0 {
		steps = ro.Steps
	}
	exp := &experiment{Name: "fig3", N: 100, NTest: mnistTestBound, D: (28 / pool) * (28 / pool), Choices: map[string]any{
		"digits": "3 (+1) vs 6 (−1)", "train_points": 100, "width": 128, "frozen_last_layer": true,
		"loss": "logistic (sum)", "init": fmt.Sprintf("uniform, α = %g", shampooAlpha), "steps": steps, "seeds": nSeeds,
		"adam": "β1 = 0, β2 = 0.99, ε = 1e−8, lr 1e−2", "gd_lr": 10, "shampoo_lr": 20,
		"spectral_descent": fmt.Sprintf("added: normalized spectral steepest descent (Eq. 82), lr %g", spectralLR),
		"shampoo":          "package steepest's Shampoo (torch-optimizer variant) when available",
		"spectral_margin":  "qmin / σ_max(W1) (degree 1 in W1)", "mnist_dir": dir,
		"pixel_pooling": map[bool]string{true: "2×2 average pooling (14×14 = 196 inputs), quick mode only", false: "none (784 inputs)"}[pool > 1],
	}}
	algs := []struct {
		group, alg string
		lr         float64
	}{{"GD", "gd", 10}, {"Adam (β1=0)", "adam", 1e-2}, {"Shampoo", "shampoo", 20}, {"spectral SD (Eq. 82)", "spectral", spectralLR}}
	for s := 0; s < nSeeds; s++ {
		seed := uint64(s + 1)
		data := func() (*nn.Dataset, *nn.Dataset, error) {
			return cache.DigitPair(3, 6, 100, rand.New(rand.NewPCG(seed, streamTrain)), pool)
		}
		for _, a := range algs {
			o := defaultTrainOptions()
			o.Data = fmt.Sprintf("MNIST 3 vs 6, 100 points, seed %d", seed)
			o.Test = "MNIST test 3 vs 6"
			o.Width, o.Depth, o.FreezeLast, o.Alg, o.InitScale, o.Seed = 128, 2, true, a.alg, shampooAlpha, seed
			o.Loss, o.LR, o.Steps = "logistic", a.lr, steps
			o.Normalize = defaultNormalize[a.alg]
			if a.alg == "adam" {
				o.Beta1, o.Beta2, o.Eps = 0, 0.99, 1e-8
			}
			exp.Runs = append(exp.Runs, runSpec{Name: fmt.Sprintf("%s_s%d", a.alg, seed), Group: a.group,
				Alg: a.alg, Seed: seed, Opts: o, data: data})
		}
	}
	exp.Plot = func(out, runsDir string, runs []runSpec, res map[string]*runResult) error {
		return plotShampoo(out, runsDir, runs, res)
	}
	return exp, nil
}

// quickTeacher is the scaled-down teacher–student setup of --quick.
func quickTeacher(ro *reproduceOptions) teacherSetup {
	return teacherSetup{D: 256, K: 64, Active: 3, Width: 256, Train: 64, Test: 2000,
		Steps: 10000, CDSteps: 100000, LR: 6e-3, Alphas: []float64{0.1, 0.01, 0.001}, AlphaLeft: 0.1}
}
