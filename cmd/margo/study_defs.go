package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"github.com/margo-lab/margo/cmd/margo/internal/plots"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/nn/mnist"
)

// studyAlg is one algorithm variant of a study.
type studyAlg struct {
	Label, Alg  string
	Eps, B1, B2 float64 // Adam only
}

var (
	algGD   = studyAlg{Label: "GD", Alg: "gd"}
	algSD   = studyAlg{Label: "SD", Alg: "sd"}
	algCD   = studyAlg{Label: "CD", Alg: "cd"}
	algAdam = studyAlg{Label: "Adam", Alg: "adam", Eps: 1e-8, B1: 0.9, B2: 0.99}
)

// studyCell is one setting of a study: what it changes in the options and
// its label.
type studyCell struct {
	Setting string
	X       float64
	Set     func(o *trainOptions)
}

// studySource is a data set of a study with its base options.
type studySource struct {
	Name string // in run names and figure files
	Tag  string // prefix of the settings, in studies with two sources
	Base func(seed uint64) trainOptions
	Data func(seed uint64) func() (*nn.Dataset, *nn.Dataset, error)
}

// buildStudy returns the study ro.Figure names.
func buildStudy(ro *reproduceOptions) (*study, error) {
	nSeeds := ro.Seeds
	if nSeeds == 0 {
		nSeeds = 2
		if ro.Quick {
			nSeeds = 1
		}
	}
	steps := func(full, quick int) int {
		if ro.Steps > 0 {
			return ro.Steps
		}
		if ro.Quick {
			return quick
		}
		return full
	}
	switch ro.Figure {
	case "stepsize":
		return stepsizeStudy(ro, nSeeds, steps(30000, 3000))
	case "batch":
		return batchStudy(ro, nSeeds, steps(5000, 1000), steps(20000, 2000))
	case "adam-late":
		return adamLateStudy(ro, nSeeds, steps(100000, 15000))
	case "depth":
		return depthStudy(ro, nSeeds, steps(5000, 1000))
	case "bias":
		return biasStudy(ro, nSeeds, steps(5000, 1000), steps(20000, 2000))
	}
	return nil, usagef("unknown study %q (want stepsize, batch, adam-late, depth or bias)", ro.Figure)
}

// mnistSource is 100 training points of digits a vs b (the paper's MNIST
// setting, paper.md 5.2): width 128, logistic loss, α = 1, lr 3e−3; the
// test set is dropped when withTest is false (every record would
// evaluate it).
func mnistSource(ro *reproduceOptions, a, b byte, width int, withTest bool) (studySource, map[string]any, error) {
	dir, err := mnist.FindData(ro.MNIST)
	if err != nil {
		return studySource{}, nil, err
	}
	cache := &mnist.Data{Dir: dir}
	if err := cache.Open(); err != nil {
		return studySource{}, nil, err
	}
	src := studySource{Name: fmt.Sprintf("mnist%d%d", a, b)}
	src.Base = func(seed uint64) trainOptions {
		o := defaultTrainOptions()
		o.Data = fmt.Sprintf("MNIST %d vs %d, 100 points, seed %d", a, b, seed)
		if withTest {
			o.Test = fmt.Sprintf("MNIST test %d vs %d", a, b)
		}
		o.Width, o.Depth, o.InitScale, o.Seed = width, 2, mnistAlpha, seed
		o.Loss, o.LR = "logistic", 3e-3
		return o
	}
	src.Data = func(seed uint64) func() (*nn.Dataset, *nn.Dataset, error) {
		return func() (*nn.Dataset, *nn.Dataset, error) {
			tr, te, err := cache.DigitPair(a, b, 100, rand.New(rand.NewPCG(seed, streamTrain)), 1)
			if !withTest {
				te = nil
			}
			return tr, te, err
		}
	}
	choices := map[string]any{
		src.Name:    fmt.Sprintf("MNIST %d (+1) vs %d (−1), 100 training points, pixels/255, width %d, logistic loss (sum), uniform init α = %g, lr 3e−3 unless the study varies it; test set: %v", a, b, width, mnistAlpha, withTest),
		"mnist_dir": dir,
	}
	return src, choices, nil
}

// teacherSource is the teacher–student setting of `reproduce --quick`
// (d = 256, width 256, 64 training points, exp loss, lr 6e−3, α = 0.01).
func teacherSource(ro *reproduceOptions) (studySource, map[string]any) {
	ts := quickTeacher(ro)
	data := teacherData(ts)
	src := studySource{Name: "teacher", Data: data}
	src.Base = func(seed uint64) trainOptions {
		o := defaultTrainOptions()
		o.Data = fmt.Sprintf("teacher-student d=%d k=%d active=%d n=%d test=%d seed=%d", ts.D, ts.K, ts.Active, ts.Train, ts.Test, seed)
		o.Test = "teacher-student test set"
		o.Width, o.Depth, o.InitScale, o.Seed = ts.Width, 2, 0.01, seed
		o.Loss, o.LR = "exp", ts.LR
		return o
	}
	return src, map[string]any{"teacher": fmt.Sprintf("teacher–student of reproduce --quick: %v, α = 0.01", ts)}
}

// cellRuns returns the runs of algs × cells × seeds on src.
func cellRuns(st *study, src studySource, algs []studyAlg, cells []studyCell, nSeeds, steps int) {
	for s := 0; s < nSeeds; s++ {
		seed := uint64(s + 1)
		for ci, c := range cells {
			for _, a := range algs {
				o := src.Base(seed)
				o.Alg, o.Steps = a.Alg, steps
				o.Normalize = defaultNormalize[a.Alg]
				if a.Alg == "cd" {
					// Unnormalized CD (Eq. 1), as reproduce's grid: normalized
					// CD 2-cycles and does not separate (docs/reproduce.md).
					o.Normalize, o.InitScheme = false, "uniform-cd"
				}
				if a.Alg == "adam" {
					o.Eps, o.Beta1, o.Beta2 = a.Eps, a.B1, a.B2
				}
				if c.Set != nil {
					c.Set(&o)
				}
				name := fmt.Sprintf("%s_c%d_%s_s%d", src.Name, ci, slug(a.Label), seed)
				setting := src.Tag + c.Setting
				st.exp.Runs = append(st.exp.Runs, runSpec{Name: name, Group: a.Label + " " + setting, Alg: a.Alg, Seed: seed, Opts: o, data: src.Data(seed)})
				st.meta[name] = studyMeta{Label: a.Label, Setting: setting, X: c.X}
			}
		}
	}
}

// slug turns a label into a file-name part.
func slug(s string) string {
	var b []byte
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b = append(b, byte(r))
		case r == 'ε':
			b = append(b, 'e')
		default:
			if len(b) > 0 && b[len(b)-1] != '_' {
				b = append(b, '_')
			}
		}
	}
	return string(b)
}

func newStudy(name string, choices map[string]any) *study {
	return &study{exp: &experiment{Name: "study-" + name, Choices: choices}, meta: map[string]studyMeta{}}
}

func mergeChoices(dst map[string]any, src map[string]any) {
	for k, v := range src {
		dst[k] = v
	}
}

// settingPanels plots, for every setting of the runs whose name starts
// with prefix, the three hard margins and the training accuracy of each
// algorithm label (log–log, as Fig. 1 left), one row per setting, into
// base.png/.svg.
func settingPanels(base, prefix, runsDir string, st *study, res map[string]*runResult, fields [][2]string) error {
	var settings []string
	var runs []runSpec
	for _, r := range st.exp.Runs {
		if len(r.Name) < len(prefix) || r.Name[:len(prefix)] != prefix {
			continue
		}
		runs = append(runs, r)
		if s := st.meta[r.Name].Setting; !slices.Contains(settings, s) {
			settings = append(settings, s)
		}
	}
	data := loadRuns(runsDir, runs, res)
	groups := groupOrder(runs)
	var panels []plots.Panel
	for _, s := range settings {
		var gs []string
		for _, g := range groups {
			for _, r := range runs {
				if r.Group == g && st.meta[r.Name].Setting == s {
					gs = append(gs, g)
					break
				}
			}
		}
		for _, f := range fields {
			scale := 1.0
			if f[0] == "log_loss" {
				scale = -1 // −log L, on a log axis
			}
			p := curvePanel(f[1]+" — "+s, f[1], f[0], gs, data, f[0] != "train_acc", scale)
			for i := range p.Series { // the same colour per algorithm in every row
				p.Series[i].Style = labelStyle(st, runs, p.Series[i].Label)
			}
			panels = append(panels, p)
		}
	}
	return plots.Save(base, panels, len(fields))
}

// labelStyle gives every algorithm label of a study one style index.
func labelStyle(st *study, runs []runSpec, group string) int {
	var labels []string
	for _, r := range st.exp.Runs {
		if l := st.meta[r.Name].Label; !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	for _, r := range runs {
		if r.Group == group {
			return slices.Index(labels, st.meta[r.Name].Label)
		}
	}
	return 0
}

// twoSourcePlot draws the hard margins of an MNIST and a teacher–student
// source into NAME-mnist and NAME-teacher.
func twoSourcePlot(st *study, name string, src, tsrc studySource) func(out, runsDir string, runs []runSpec, res map[string]*runResult) error {
	return func(out, runsDir string, runs []runSpec, res map[string]*runResult) error {
		if err := settingPanels(filepath.Join(out, name+"-mnist"), src.Name, runsDir, st, res, hardMargins); err != nil {
			return err
		}
		return settingPanels(filepath.Join(out, name+"-teacher"), tsrc.Name, runsDir, st, res, hardMargins)
	}
}

var hardMargins = [][2]string{{"gamma1", "γ1"}, {"gamma2", "γ2"}, {"gammaInf", "γ∞"}, {"train_acc", "train accuracy"}}

// stepsizeStudy: discrete steps vs the flow (Theorem 1 is about the
// flow). MNIST 2 vs 7, GD, SD, CD and Adam at η over two decades (one with
// --quick), every step recorded, no test set; runs stop at L < 1e−25.
func stepsizeStudy(ro *reproduceOptions, nSeeds, steps int) (*study, error) {
	src, ch, err := mnistSource(ro, 2, 7, 128, false)
	if err != nil {
		return nil, err
	}
	lrs := []float64{3e-4, 1e-3, 3e-3, 1e-2, 3e-2}
	if ro.Quick {
		lrs = []float64{1e-3, 3e-3, 1e-2}
	}
	const stop = 1e-25
	st := newStudy("stepsize", map[string]any{
		"question": "is each algorithm's own soft margin monotone after separation, step by step, as Theorem 1 says of the flow?",
		"lrs":      lrs, "steps": steps, "record_every": 1, "stop_loss": stop, "seeds": nSeeds,
		"algorithms":  "GD (θ −= η∇L), SD (normalized sign step), CD (unnormalized, Eq. 1), Adam ε = 1e−8 β = (0.9, 0.99)",
		"own_margin":  "GD soft2, SD and Adam soft1, CD softInf (soft margin = −log L / ‖θ‖^L in the algorithm's norm)",
		"stop_reason": "the records end at L < 1e−25 (the issue's monotonicity claim reaches L ≈ 1e−23)",
	})
	mergeChoices(st.exp.Choices, ch)
	var cells []studyCell
	for _, lr := range lrs {
		cells = append(cells, studyCell{Setting: fmt.Sprintf("η=%g", lr), X: lr, Set: func(o *trainOptions) {
			o.LR, o.LogEvery, o.StopLoss = lr, 1, stop
		}})
	}
	cellRuns(st, src, []studyAlg{algGD, algSD, algCD, algAdam}, cells, nSeeds, steps)
	st.exp.Plot = func(out, runsDir string, runs []runSpec, res map[string]*runResult) error {
		return settingPanels(filepath.Join(out, "stepsize"), src.Name, runsDir, st,
			res, [][2]string{{"soft1", "soft γ1"}, {"soft2", "soft γ2"}, {"softInf", "soft γ∞"}, {"loss", "L"}})
	}
	st.chart = stepsizeChart
	return st, nil
}

// stepsizeChart draws the statistics of the stepsize study against η.
func stepsizeChart(out string, stats []runStats) error {
	panels := []plots.Panel{
		{Title: "fraction of steps after t0 with a decrease", XLabel: "η", YLabel: "fraction", LogX: true},
		{Title: "largest relative drop", XLabel: "η", YLabel: "drop / margin", LogX: true, LogY: true},
		{Title: "final own soft margin", XLabel: "η", YLabel: "margin", LogX: true, LogY: true},
		{Title: "log10 L at the first decrease", XLabel: "η", YLabel: "log10 L", LogX: true},
	}
	var labels []string
	for _, s := range stats {
		if !slices.Contains(labels, s.Label) {
			labels = append(labels, s.Label)
		}
	}
	for i, l := range labels {
		var x []float64
		y := make([][]float64, len(panels))
		for _, s := range stats {
			if s.Label != l {
				continue
			}
			x = append(x, s.X)
			for j, v := range []jfloat{s.FracDecrease, s.RelDrop, s.Final, s.FirstFailLog10Loss} {
				y[j] = append(y[j], float64(v))
			}
		}
		order := make([]int, len(x))
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(x[a], x[b]) })
		for j := range panels {
			xs, ys := make([]float64, len(x)), make([]float64, len(x))
			for k, o := range order {
				xs[k], ys[k] = x[o], y[j][o]
			}
			panels[j].Series = append(panels[j].Series, plots.Series{Label: l, X: xs, Y: ys, Style: i})
		}
	}
	return plots.Save(filepath.Join(out, "stepsize-stats"), panels, 2)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// batchStudy: mini-batches B ∈ {n, n/2, n/10, 1} on the fig2 MNIST
// setting (GD, SD, Adam) and the quick teacher–student one (GD, SD, CD).
func batchStudy(ro *reproduceOptions, nSeeds, mnistSteps, teacherSteps int) (*study, error) {
	src, ch, err := mnistSource(ro, 3, 6, 128, true)
	if err != nil {
		return nil, err
	}
	tsrc, tch := teacherSource(ro)
	src.Tag, tsrc.Tag = "MNIST ", "teacher "
	st := newStudy("batch", map[string]any{
		"question":      "with B of the n training points per step, does each algorithm still grow its own margin, and does the ordering of claim 2 survive?",
		"batch_sizes":   "n, n/2, n/10, 1 (MNIST n = 100: 100, 50, 10, 1; teacher n = 64: 64, 32, 6, 1)",
		"batch_draws":   "nn.Batcher from seed ^ 0xb47c5eed, without replacement within an epoch; records on the whole training set",
		"mnist_steps":   mnistSteps,
		"teacher_steps": teacherSteps, "seeds": nSeeds,
	})
	mergeChoices(st.exp.Choices, ch)
	mergeChoices(st.exp.Choices, tch)
	batchCells := func(n int) []studyCell {
		var c []studyCell
		for _, b := range []int{n, n / 2, n / 10, 1} {
			c = append(c, studyCell{Setting: fmt.Sprintf("B=%d", b), X: float64(b), Set: func(o *trainOptions) { o.Batch = b }})
		}
		return c
	}
	cellRuns(st, src, []studyAlg{algGD, algSD, algAdam}, batchCells(100), nSeeds, mnistSteps)
	cellRuns(st, tsrc, []studyAlg{algGD, algSD, algCD}, batchCells(64), nSeeds, teacherSteps)
	st.exp.Plot = twoSourcePlot(st, "batch", src, tsrc)
	return st, nil
}

// adamLateStudy: Adam with ε ∈ {1e−8, 1e−2, 0} × β ∈ {(0,0), (0.9,0.99)}
// and SD, depth 2 and 3, far past the paper's stop at L = 1e−7: until
// the step budget or log L < −10^4.
func adamLateStudy(ro *reproduceOptions, nSeeds, steps int) (*study, error) {
	width := 128
	if ro.Quick {
		width = 32
	}
	src, ch, err := mnistSource(ro, 3, 6, width, false)
	if err != nil {
		return nil, err
	}
	const stopLog = -1e4
	st := newStudy("adam-late", map[string]any{
		"question": "where does γ1 peak, and at what loss does Adam turn towards γ2 (its update m̂/(√v̂+ε) becomes GD-like once |g| ≪ ε); how does ε move that loss (paper.md 6, claim 6; open question 2)?",
		"steps":    steps, "stop_log_loss": stopLog, "seeds": nSeeds, "depths": []int{2, 3}, "lr": 3e-3,
		"adam": "ε ∈ {1e−8, 1e−2, 0} × (β1, β2) ∈ {(0, 0), (0.9, 0.99)}; SD normalized sign descent without the paper's stop at 1e−7",
	})
	mergeChoices(st.exp.Choices, ch)
	algs := []studyAlg{algSD}
	for _, eps := range []float64{1e-8, 1e-2, 0} {
		for _, bb := range [][2]float64{{0, 0}, {0.9, 0.99}} {
			algs = append(algs, studyAlg{Label: fmt.Sprintf("Adam ε=%g β=(%g,%g)", eps, bb[0], bb[1]), Alg: "adam", Eps: eps, B1: bb[0], B2: bb[1]})
		}
	}
	var cells []studyCell
	for _, d := range []int{2, 3} {
		cells = append(cells, studyCell{Setting: fmt.Sprintf("depth %d", d), X: float64(d), Set: func(o *trainOptions) {
			o.Depth, o.StopLogLoss = d, stopLog
		}})
	}
	cellRuns(st, src, algs, cells, nSeeds, steps)
	st.exp.Plot = func(out, runsDir string, runs []runSpec, res map[string]*runResult) error {
		return settingPanels(filepath.Join(out, "adam-late"), src.Name, runsDir, st, res,
			[][2]string{{"gamma1", "γ1"}, {"gamma2", "γ2"}, {"log_loss", "−log L"}})
	}
	st.chart = adamLateChart
	return st, nil
}

// adamLateChart plots, per setting, each run's γ1 peak against log10 L
// at the peak.
func adamLateChart(out string, stats []runStats) error {
	p := plots.Panel{Title: "γ1 peak: log10 L at the peak (x) and the peak γ1 (y)", XLabel: "−log10 L at γ1's peak", YLabel: "peak γ1", LogX: true, LogY: true, Scatter: true}
	q := plots.Panel{Title: "γ2 at γ1's peak (x) and at the end (y)", XLabel: "γ2 at the peak", YLabel: "final γ2", LogX: true, LogY: true, Scatter: true}
	var labels []string
	for _, s := range stats {
		l := s.Label + " " + s.Setting
		i := slices.Index(labels, l)
		if i < 0 {
			labels = append(labels, l)
			i = len(labels) - 1
			p.Series = append(p.Series, plots.Series{Label: l, Style: i})
			q.Series = append(q.Series, plots.Series{Label: l, Style: i})
		}
		p.Series[i].X = append(p.Series[i].X, -float64(s.PeakLog10Loss))
		p.Series[i].Y = append(p.Series[i].Y, float64(s.PeakGamma1))
		q.Series[i].X = append(q.Series[i].X, float64(s.Gamma2AtPeak))
		q.Series[i].Y = append(q.Series[i].Y, float64(s.Gamma2))
	}
	return plots.Save(filepath.Join(out, "adam-late-stats"), []plots.Panel{p, q}, 2)
}

// depthStudy: depth 2, 3, 4 with ReLU and leaky ReLU (slope 0.1) on MNIST
// 3 vs 6, GD, SD and Adam (claims 1, 2 and 6 at each depth).
func depthStudy(ro *reproduceOptions, nSeeds, steps int) (*study, error) {
	src, ch, err := mnistSource(ro, 3, 6, 128, true)
	if err != nil {
		return nil, err
	}
	const slope = 0.1
	st := newStudy("depth", map[string]any{
		"question": "do claims 1 (own margin grows after separation), 2 (ordering) and 6 (Adam first like SD) hold at depth 2, 3, 4 and with leaky ReLU?",
		"depths":   []int{2, 3, 4}, "leaky_slope": slope, "steps": steps, "seeds": nSeeds,
		"homogeneity": "a bias-free depth-D net with ReLU or leaky ReLU is D-homogeneous: margins divide q_min by ‖θ‖^D",
		"init":        "α = 1 at every depth (W1 ~ U[−1/784, 1/784], later layers U[−1/128, 1/128])",
	})
	mergeChoices(st.exp.Choices, ch)
	var cells []studyCell
	for _, d := range []int{2, 3, 4} {
		for _, a := range []float64{0, slope} {
			name := fmt.Sprintf("depth %d ReLU", d)
			if a != 0 {
				name = fmt.Sprintf("depth %d leaky %g", d, a)
			}
			cells = append(cells, studyCell{Setting: name, X: float64(d), Set: func(o *trainOptions) { o.Depth, o.Leaky = d, a }})
		}
	}
	cellRuns(st, src, []studyAlg{algGD, algSD, algAdam}, cells, nSeeds, steps)
	st.exp.Plot = func(out, runsDir string, runs []runSpec, res map[string]*runResult) error {
		return settingPanels(filepath.Join(out, "depth"), src.Name, runsDir, st, res, hardMargins)
	}
	return st, nil
}

// biasStudy: hidden biases at depth 2 (still 2-homogeneous: only biases
// in hidden layer ≥ 2 break homogeneity) and depth 3 (not homogeneous),
// beside the bias-free runs, on MNIST 3 vs 6 and the teacher–student
// setting.
func biasStudy(ro *reproduceOptions, nSeeds, mnistSteps, teacherSteps int) (*study, error) {
	src, ch, err := mnistSource(ro, 3, 6, 128, true)
	if err != nil {
		return nil, err
	}
	tsrc, tch := teacherSource(ro)
	src.Tag, tsrc.Tag = "MNIST ", "teacher "
	st := newStudy("bias", map[string]any{
		"question":      "with hidden biases, which margin (if any) does each algorithm grow, beside the bias-free runs?",
		"homogeneity":   "depth 2 with first-layer biases is still 2-homogeneous (the bias acts as a weight on a constant input); at depth 3 the second hidden layer's biases break homogeneity, and the margins (same formulas, L = depth) are not covered by the theory",
		"depths":        []int{2, 3},
		"mnist_steps":   mnistSteps,
		"teacher_steps": teacherSteps, "seeds": nSeeds,
	})
	mergeChoices(st.exp.Choices, ch)
	mergeChoices(st.exp.Choices, tch)
	var cells []studyCell
	for _, d := range []int{2, 3} {
		for _, b := range []bool{false, true} {
			name := fmt.Sprintf("depth %d", d)
			if b {
				name += " bias"
			}
			cells = append(cells, studyCell{Setting: name, X: float64(d), Set: func(o *trainOptions) { o.Depth, o.Bias = d, b }})
		}
	}
	cellRuns(st, src, []studyAlg{algGD, algSD, algAdam}, cells, nSeeds, mnistSteps)
	cellRuns(st, tsrc, []studyAlg{algGD, algSD, algCD}, cells, nSeeds, teacherSteps)
	st.exp.Plot = twoSourcePlot(st, "bias", src, tsrc)
	return st, nil
}
