package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest/train"
	"github.com/margo-lab/margo/tensor"
)

// reproduceOptions are the flags of `margo reproduce`.
type reproduceOptions struct {
	Figure  string `json:"figure"`
	Quick   bool   `json:"quick"`
	Seeds   int    `json:"seeds"`
	Out     string `json:"out"`
	Jobs    int    `json:"jobs"`
	Threads int    `json:"threads"`
	MNIST   string `json:"mnist,omitempty"`
	D       int    `json:"d"`
	Steps   int    `json:"steps,omitempty"`
	CD      string `json:"cd,omitempty"`     // the CD variant of fig1/fig4/switch (cdVariant)
	Width   int    `json:"width,omitempty"`  // teacher–student student width override
	Train   int    `json:"train,omitempty"`  // teacher–student training points override
	Groups  string `json:"groups,omitempty"` // comma-separated groups to run (all if empty)
	Quiet   bool   `json:"quiet"`
	dSet    bool   // --d given (also applies to --quick)
}

// runSpec is one training run of an experiment.
type runSpec struct {
	Name   string       `json:"name"`  // file stem under runs/
	Group  string       `json:"group"` // legend label (algorithm variant)
	Alg    string       `json:"alg"`
	Alpha  float64      `json:"alpha"`
	Seed   uint64       `json:"seed"`
	Switch string       `json:"switch,omitempty"` // GD until separation, then this algorithm
	Opts   trainOptions `json:"options"`
	data   func() (train, test *nn.Dataset, err error)
}

// runResult is what a finished run left (also its .done.json file).
type runResult struct {
	Name       string       `json:"name"`
	Status     string       `json:"status"` // "done", "diverged", "failed"
	Error      string       `json:"error,omitempty"`
	LastStep   int          `json:"last_step"`
	Stopped    bool         `json:"stopped_early,omitempty"`
	SwitchStep int          `json:"switch_step,omitempty"`
	Options    trainOptions `json:"options"`
	Seconds    float64      `json:"seconds"`
	Final      train.Row    `json:"final,omitempty"`
	internal   bool         // a recovered panic: the command exits 3
}

// experiment is a set of runs and how to draw them.
type experiment struct {
	Name    string
	Choices map[string]any // values the paper does not give, recorded in the manifest
	Runs    []runSpec
	Plot    func(out, runsDir string, runs []runSpec, res map[string]*runResult) error
	// The data's shape (every run of one seed shares its data): training
	// and test points and features, for the memory estimate.
	N, NTest, D int
}

// maxSeeds bounds --seeds: the paper uses at most 20.
const maxSeeds = 10000

// checkExperimentMemory refuses an experiment whose concurrent runs and
// cached data (one training and test set per seed) need more memory than
// the machine has.
func checkExperimentMemory(exp *experiment, jobs int) error {
	var run size
	seeds := map[uint64]bool{}
	for _, r := range exp.Runs {
		run = max(run, runBytes(r.Opts, exp.N, exp.D, exp.NTest))
		seeds[r.Seed] = true
	}
	need := run.times(min(jobs, len(exp.Runs))).add(mul(len(seeds), exp.N+exp.NTest, exp.D, 8))
	return checkMemory(fmt.Sprintf("%s with d = %d, %d concurrent runs and %d seeds", exp.Name, exp.D, min(jobs, len(exp.Runs)), len(seeds)), need)
}

func cmdReproduce(args []string, stdout, stderr io.Writer) error {
	ro := reproduceOptions{Seeds: 0, Jobs: runtime.GOMAXPROCS(0), D: 2048}
	fs := newFlagSet("reproduce")
	fs.BoolVar(&ro.Quick, "quick", false, "scaled-down version (about two minutes on 2 cores) that still shows the claims")
	fs.IntVar(&ro.Seeds, "seeds", 0, "number of seeds (default: the paper's, or fewer with --quick)")
	fs.StringVar(&ro.Out, "out", "", "output directory (default results/FIG)")
	fs.IntVar(&ro.Jobs, "jobs", ro.Jobs, "runs trained concurrently")
	fs.IntVar(&ro.Threads, "threads", 0, "GEMM threads per run (default: cores/jobs)")
	fs.StringVar(&ro.MNIST, "mnist", "", "directory with the MNIST IDX .gz files (default: the GoMNIST module)")
	fs.IntVar(&ro.D, "d", ro.D, "teacher–student input dimension (the paper's 2^32 is a typo; see docs/reproduce.md)")
	fs.IntVar(&ro.Steps, "steps", 0, "override the number of steps of every run")
	fs.StringVar(&ro.CD, "cd", defaultCD, "CD variant of fig1/fig4/switch: ALG[:normalized|:unnormalized], ALG = cd | cd-layer | cd-kink | cd-layer-kink")
	fs.IntVar(&ro.Width, "width", 0, "override the student width of fig1/fig4/switch")
	fs.IntVar(&ro.Train, "train", 0, "override the number of training points of fig1/fig4/switch")
	fs.StringVar(&ro.Groups, "groups", "", "run only these comma-separated groups (legend labels, e.g. CD,GD); runs left out keep their files")
	fs.BoolVar(&ro.Quiet, "quiet", false, "no progress output")
	profile := cpuProfileFlag(fs)
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	ro.dSet = setFlags(fs)["d"]
	if len(pos) != 1 {
		return usagef("want exactly one experiment: fig1, fig2, fig3, fig4, fig5 or switch")
	}
	ro.Figure = pos[0]
	if err := ro.validate(); err != nil {
		return err
	}
	if _, err := parseCDVariant(ro.CD); err != nil {
		return err
	}
	exp, err := buildExperiment(&ro)
	if err != nil {
		return err
	}
	if err := keepGroups(exp, ro.Groups); err != nil {
		return err
	}
	ro.Jobs = min(ro.Jobs, len(exp.Runs)) // no idle workers
	if err := checkExperimentMemory(exp, ro.Jobs); err != nil {
		return err
	}
	if ro.Out == "" {
		ro.Out = filepath.Join("results", ro.Figure)
	}
	runsDir := filepath.Join(ro.Out, "runs")
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	for _, p := range []string{filepath.Join(ro.Out, "manifest.json"), filepath.Join(runsDir, "run.jsonl")} {
		if err := train.CheckWritable(p); err != nil {
			return err
		}
	}
	// One reproduce per output directory: a second one is refused, naming
	// the first (their runs would also refuse each other, one by one).
	unlock, err := train.Lock(filepath.Join(ro.Out, "manifest.json"), false)
	if err != nil {
		return err
	}
	defer unlock()
	stopProfile, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	start := time.Now()
	ctx, stop := signalContext()
	defer stop()
	res := runAll(ctx, exp, runsDir, ro, stderr)
	if err := writeManifest(ro, exp, res, time.Since(start)); err != nil {
		return err
	}
	bad := 0
	for _, r := range exp.Runs {
		if res[r.Name].Status != "done" {
			bad++
			fmt.Fprintf(stderr, "run %s %s: %s\n", r.Name, res[r.Name].Status, res[r.Name].Error)
		}
	}
	if err := exp.Plot(ro.Out, runsDir, exp.Runs, res); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := writeReport(ro.Out, runsDir, exp, res); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	printSummary(stdout, exp, res, runsDir)
	fmt.Fprintf(stdout, "%s: %d runs (%d not finished) in %s; outputs in %s\n", exp.Name, len(exp.Runs), bad, time.Since(start).Round(time.Second), ro.Out)
	for _, r := range exp.Runs {
		if rr := res[r.Name]; rr != nil && rr.internal {
			return internalError{fmt.Errorf("run %s: %s", r.Name, rr.Error)}
		}
	}
	if interrupted := ctx.Err() != nil; interrupted {
		return fmt.Errorf("interrupted: %d runs not finished; run the same command again to continue them", bad)
	}
	if bad == len(exp.Runs) {
		return errors.New("every run failed")
	}
	return nil
}

// validate checks the options of an experiment (the flags of reproduce,
// or a manifest's), before anything is built, and sets the default
// --threads.
func (ro *reproduceOptions) validate() error {
	if ro.D < 4 {
		return usagef("--d must be at least 4, got %d", ro.D)
	}
	return checkRunOptions(ro)
}

// checkRunOptions validates the flags that reproduce and study share and
// sets the default --threads (cores/jobs).
func checkRunOptions(ro *reproduceOptions) error {
	switch {
	case ro.Seeds > maxSeeds:
		return usagef("--seeds must be at most %d, got %d", maxSeeds, ro.Seeds)
	case ro.Seeds < 0:
		return usagef("--seeds must be positive, got %d", ro.Seeds)
	case ro.Jobs < 1:
		return usagef("--jobs must be at least 1, got %d", ro.Jobs)
	case ro.Threads < 0:
		return usagef("--threads must be at least 1, got %d", ro.Threads)
	case ro.Steps < 0:
		return usagef("--steps must be positive, got %d", ro.Steps)
	case ro.Width < 0:
		return usagef("--width must be positive, got %d", ro.Width)
	case ro.Train < 0:
		return usagef("--train must be positive, got %d", ro.Train)
	}
	if ro.Threads == 0 {
		ro.Threads = max(1, runtime.GOMAXPROCS(0)/ro.Jobs)
	}
	return nil
}

// keepGroups keeps the runs of the comma-separated groups list (all when
// list is empty); a group the experiment does not have is an error.
func keepGroups(exp *experiment, list string) error {
	if list == "" {
		return nil
	}
	keep := map[string]bool{}
	for _, g := range strings.Split(list, ",") {
		keep[strings.TrimSpace(g)] = true
	}
	var runs []runSpec
	for _, r := range exp.Runs {
		if keep[r.Group] {
			runs = append(runs, r)
		}
	}
	for g := range keep {
		if !slices.ContainsFunc(runs, func(r runSpec) bool { return r.Group == g }) {
			return usagef("--groups: %s has no group %q (want one of %s)", exp.Name, g, strings.Join(groupOrder(exp.Runs), ", "))
		}
	}
	exp.Runs = runs
	return nil
}

// runAll trains every run with a pool of ro.Jobs workers. A run whose
// .done.json matches its options is not trained again.
func runAll(ctx context.Context, exp *experiment, dir string, ro reproduceOptions, stderr io.Writer) map[string]*runResult {
	res := make(map[string]*runResult, len(exp.Runs))
	var mu sync.Mutex
	jobs := make(chan runSpec)
	var wg sync.WaitGroup
	done := 0
	show := !ro.Quiet && isTerminal(stderr)
	for w := 0; w < ro.Jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool := tensor.NewPool(ro.Threads) // one per worker, for its runs
			for r := range jobs {
				rr := safeTrainRun(ctx, r, dir, pool)
				mu.Lock()
				res[r.Name] = rr
				done++
				if show {
					fmt.Fprintf(stderr, "\r%s: %d/%d runs done (last: %s, %s, %.1fs)      ", exp.Name, done, len(exp.Runs), r.Name, rr.Status, rr.Seconds)
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range longestFirst(exp.Runs) {
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	if show {
		fmt.Fprintln(stderr)
	}
	return res
}

// longestFirst orders runs by decreasing work (steps × width × depth;
// the runs of an experiment share the data's shape), ties in the given
// order: started longest first, the runs keep every worker busy until
// near the end, where a long run started last would leave the others
// idle. Which worker trains which run never changes a result.
func longestFirst(runs []runSpec) []runSpec {
	work := func(r runSpec) float64 { return float64(r.Opts.Steps) * float64(r.Opts.Width) * float64(r.Opts.Depth) }
	out := slices.Clone(runs)
	slices.SortStableFunc(out, func(a, b runSpec) int { return cmp.Compare(work(b), work(a)) })
	return out
}

// safeTrainRun is trainRun with a panic (a bug) turned into a failed run
// marked internal, so that a worker goroutine never crashes the process
// with a trace; the command then exits with the internal-error code.
func safeTrainRun(ctx context.Context, r runSpec, dir string, pool *tensor.Pool) (rr *runResult) {
	defer func() {
		if p := recover(); p != nil {
			rr = &runResult{Name: r.Name, Options: r.Opts, Status: "failed", Error: "internal error: " + oneLine(fmt.Sprint(p)), internal: true}
		}
	}()
	return trainRun(ctx, r, dir, pool)
}

// trainRun trains one run (resuming from its checkpoint if one exists) and
// writes its .done.json.
func trainRun(ctx context.Context, r runSpec, dir string, pool *tensor.Pool) *runResult {
	start := time.Now()
	donePath := filepath.Join(dir, r.Name+".done.json")
	if b, err := os.ReadFile(donePath); err == nil {
		var prev runResult
		if json.Unmarshal(b, &prev) == nil && prev.Status == "done" && sameOptions(prev.Options, r.Opts) {
			return &prev
		}
	}
	rr := &runResult{Name: r.Name, Options: r.Opts, Status: "done"}
	fail := func(err error) *runResult {
		rr.Status, rr.Error = "failed", oneLine(err.Error())
		if strings.Contains(rr.Error, "diverged") {
			rr.Status = "diverged"
		}
		rr.Seconds = time.Since(start).Seconds()
		return rr
	}
	trainSet, test, err := r.data()
	if err != nil {
		return fail(err)
	}
	o := r.Opts
	o.Metrics = filepath.Join(dir, r.Name+".jsonl")
	o.Save = filepath.Join(dir, r.Name+".npz")
	o.Checkpoint = filepath.Join(dir, r.Name+".ckpt.npz")
	o.CheckpointEvery = max(o.Steps/10, 100)
	o.Resume = true
	o.Quiet = true
	o.Threads = pool.Threads()
	if r.Switch != "" {
		return switchRun(ctx, pool, r, o, trainSet, test, rr, start)
	}
	res, _, err := trainOne(ctx, pool, o, trainSet, test, nil, nil)
	if err != nil {
		return fail(err)
	}
	if res.Status == train.Interrupted {
		return interrupted(rr, res, start)
	}
	rr.LastStep, rr.Stopped = res.LastStep, res.Status != train.Finished
	return finishRun(rr, o, donePath, start)
}

// interrupted describes a run whose context was cancelled: it resumes from
// its checkpoint next time.
func interrupted(rr *runResult, res train.Result, start time.Time) *runResult {
	rr.Status, rr.LastStep, rr.Seconds = "interrupted", res.LastStep, time.Since(start).Seconds()
	rr.Error = fmt.Sprintf("interrupted at step %d", res.LastStep)
	return rr
}

// switchRun trains GD until 100% train accuracy, then r.Switch for the
// remaining steps (paper.md 5.1, "switching experiment"). The two phases
// write one metrics file; phase 1 is not checkpointed (it is short).
func switchRun(ctx context.Context, pool *tensor.Pool, r runSpec, o trainOptions, trainSet, test *nn.Dataset, rr *runResult, start time.Time) *runResult {
	fail := func(err error) *runResult {
		rr.Status, rr.Error, rr.Seconds = "failed", oneLine(err.Error()), time.Since(start).Seconds()
		return rr
	}
	p1 := o
	p1.Alg, p1.Normalize = "gd", false
	p1.InitScheme = "uniform"
	p1.CheckpointEvery, p1.Resume, p1.Save = 0, false, ""
	p1.Metrics = o.Metrics + ".gd"
	p1.Checkpoint = ""
	res1, cfg1, err := trainOne(ctx, pool, p1, trainSet, test, nil, func(c *train.Config) { c.StopSeparated = true })
	if err != nil {
		return fail(err)
	}
	if res1.Status == train.Interrupted {
		return interrupted(rr, res1, start)
	}
	if res1.Status != train.Separated {
		return fail(fmt.Errorf("GD did not reach 100%% train accuracy in %d steps", o.Steps))
	}
	p2 := o
	p2.Steps = o.Steps - res1.LastStep
	p2.CheckpointEvery = max(p2.Steps/10, 100)
	p2.Metrics = o.Metrics + ".switch"
	p2.Checkpoint = o.Checkpoint
	init := &paramState{theta: cfg1.Theta, frozen: cfg1.Model.Frozen()}
	res2, _, err := trainOne(ctx, pool, p2, trainSet, test, init, func(c *train.Config) { c.StepOffset = res1.LastStep })
	if err != nil {
		return fail(err)
	}
	if res2.Status == train.Interrupted {
		return interrupted(rr, res2, start)
	}
	// One metrics file: the GD records before the switch, then the rest.
	a, err1 := os.ReadFile(p1.Metrics)
	b, err2 := os.ReadFile(p2.Metrics)
	if err := errors.Join(err1, err2); err != nil {
		return fail(err)
	}
	if i := strings.LastIndex(strings.TrimSuffix(string(a), "\n"), "\n"); i >= 0 {
		a = a[:i+1] // drop GD's last record: it is the switched run's step 0
	} else {
		a = nil
	}
	err = train.WriteFile(o.Metrics, func(w io.Writer) error {
		if _, err := w.Write(a); err != nil {
			return err
		}
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return fail(err)
	}
	os.Remove(p1.Metrics)
	os.Remove(p2.Metrics)
	os.Remove(p2.Checkpoint)
	rr.SwitchStep = res1.LastStep
	rr.LastStep, rr.Stopped = res1.LastStep+res2.LastStep, res2.Status != train.Finished
	return finishRun(rr, o, filepath.Join(filepath.Dir(o.Metrics), r.Name+".done.json"), start)
}

// trainOne trains one run of an experiment through the library; adjust,
// if set, changes the run's configuration first. A checkpoint left by a run
// with other options (an earlier command with other flags) or of an older
// format is removed and the run starts over, instead of failing. It
// returns the configuration too, whose Theta holds the final θ.
func trainOne(ctx context.Context, pool *tensor.Pool, o trainOptions, trainSet, test *nn.Dataset, init *paramState, adjust func(*train.Config)) (train.Result, train.Config, error) {
	build := func() (*train.Trainer, train.Config, error) {
		cfg, err := newRunConfig(o, trainSet, test, init)
		if err != nil {
			return nil, cfg, err
		}
		cfg.Pool = pool
		if adjust != nil {
			adjust(&cfg)
		}
		tr, err := train.New(cfg)
		return tr, cfg, err
	}
	tr, cfg, err := build()
	if err != nil && o.Resume && (errors.Is(err, train.ErrOtherRun) || errors.Is(err, train.ErrFormat)) {
		if rmErr := os.Remove(o.Checkpoint); rmErr == nil {
			tr, cfg, err = build()
		}
	}
	if err != nil {
		return train.Result{}, cfg, err
	}
	res, err := tr.Run(ctx)
	return res, cfg, err
}

func finishRun(rr *runResult, o trainOptions, donePath string, start time.Time) *runResult {
	rows, err := train.ReadMetrics(o.Metrics)
	if err == nil {
		rr.Final = rows[len(rows)-1]
	}
	rr.Seconds = time.Since(start).Seconds()
	b, _ := json.MarshalIndent(rr, "", "  ")
	if err := train.WriteFile(donePath, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		rr.Status, rr.Error = "failed", err.Error()
	}
	os.Remove(o.Checkpoint)
	return rr
}

func sameOptions(a, b trainOptions) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// writeManifest records the flags, defaults, choices and every run.
func writeManifest(ro reproduceOptions, exp *experiment, res map[string]*runResult, wall time.Duration) error {
	return writeManifestWith(ro, exp, res, wall, nil)
}

// writeManifestWith is writeManifest with extra top-level entries (margo
// sweep merge adds its "sweep" block).
func writeManifestWith(ro reproduceOptions, exp *experiment, res map[string]*runResult, wall time.Duration, extra map[string]any) error {
	var runs []map[string]any
	for _, r := range exp.Runs {
		rr := res[r.Name]
		runs = append(runs, map[string]any{
			"name": r.Name, "group": r.Group, "alg": r.Alg, "alpha": r.Alpha, "seed": r.Seed,
			"switch": r.Switch, "options": r.Opts, "status": rr.Status, "error": rr.Error,
			"last_step": rr.LastStep, "stopped_early": rr.Stopped, "switch_step": rr.SwitchStep,
			"metrics": "runs/" + r.Name + ".jsonl", "params": "runs/" + r.Name + ".npz", "seconds": rr.Seconds,
		})
	}
	m := map[string]any{
		"experiment": exp.Name, "flags": ro, "version": versionString(), "simd": asm.Active().String(),
		"goarch": runtime.GOARCH, "choices": exp.Choices, "runs": runs, "wall_seconds": wall.Seconds(),
		"metrics_format": "JSONL, one record per line; Inf/NaN written as null; see docs/reproduce.md",
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return train.WriteFile(filepath.Join(ro.Out, "manifest.json"), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// printSummary prints, per group, the mean final values over its finished
// runs, the numbers behind the paper's claims (paper.md 6), and how many of
// them ended separated (train accuracy 1): a mean margin over separated and
// unseparated runs needs that count to be read. The claims that need the
// runs' curves read their metrics from runsDir ("": not measured).
func printSummary(w io.Writer, exp *experiment, res map[string]*runResult, runsDir string) {
	summarize(exp, res, runsDir).writeText(w) // report.go: the same numbers as report.html
}

// loadRuns reads the metrics of the finished runs (group → runs → rows).
func loadRuns(runsDir string, runs []runSpec, res map[string]*runResult) map[string][][]train.Row {
	out := map[string][][]train.Row{}
	for _, r := range runs {
		if rr := res[r.Name]; rr == nil || rr.Status != "done" {
			continue
		}
		rows, err := train.ReadMetrics(filepath.Join(runsDir, r.Name+".jsonl"))
		if err != nil {
			continue
		}
		out[r.Group] = append(out[r.Group], rows)
	}
	return out
}

// meanCurve averages field over runs at every recorded step. Runs that
// stopped early hold their last value (as the paper plots SD after its early
// stop); a NaN (null) in any run leaves that step out.
func meanCurve(runs [][]train.Row, field string) (x, y []float64) {
	steps := map[float64]bool{}
	for _, rows := range runs {
		for _, r := range rows {
			steps[r["step"]] = true
		}
	}
	for s := range steps {
		x = append(x, s)
	}
	sort.Float64s(x)
	y = make([]float64, len(x))
	for i, s := range x {
		sum := 0.0
		for _, rows := range runs {
			j := sort.Search(len(rows), func(j int) bool { return rows[j]["step"] > s }) - 1
			if j < 0 {
				j = 0
			}
			v, ok := rows[j][field]
			if !ok {
				v = math.NaN()
			}
			sum += v
		}
		y[i] = sum / float64(len(runs))
	}
	return x, y
}

// groupOrder returns the groups of runs in first-seen order.
func groupOrder(runs []runSpec) []string {
	var g []string
	for _, r := range runs {
		if !slices.Contains(g, r.Group) {
			g = append(g, r.Group)
		}
	}
	return g
}
