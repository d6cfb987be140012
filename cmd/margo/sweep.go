package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/margo-lab/margo/steepest/train"
	"github.com/margo-lab/margo/tensor"
)

// margo sweep splits an experiment of `margo reproduce` into indexed tasks
// that a scheduler runs (Slurm job arrays, Kubernetes Indexed Jobs), and
// merges their results into what `margo reproduce` writes on one machine
// (docs/scale-out.md).
//
// The sweep directory holds:
//
//	sweep.json          the plan: flags, version, the ordered runs and their hash
//	runs/               exactly as `margo reproduce` (metrics, params, .done.json, checkpoints)
//	failed/NAME.json    the result of a run that failed (removed once it succeeds)
//	.locks/NAME.lock    one lock per run, so that two copies of a task never train one run at once
//	slurm/              the sbatch scripts of `margo sweep slurm` and Slurm's logs
//
// and, after `margo sweep merge`, manifest.json, the figures and the summary.

// sweepSeam is what margo sweep uses of `margo reproduce`: the experiment's
// runs, the training of one run (with its .done.json and checkpoint resume),
// the manifest and the summary table. Tests replace train to make a run fail.
type sweepSeam struct {
	build    func(ro *reproduceOptions) (*experiment, error)
	train    func(ctx context.Context, r runSpec, runsDir string, pool *tensor.Pool) *runResult
	manifest func(ro reproduceOptions, exp *experiment, res map[string]*runResult, wall time.Duration, extra map[string]any) error
	summary  func(w io.Writer, exp *experiment, res map[string]*runResult, runsDir string)
}

var seam = sweepSeam{build: buildExperiment, train: safeTrainRun, manifest: writeManifestWith, summary: printSummary}

const sweepFormat = "margo-sweep/1"

// sweepFlags are the flags of `margo sweep plan` that choose the runs (the
// subset of `margo reproduce`'s that changes what is trained).
type sweepFlags struct {
	Figure string `json:"figure"`
	Quick  bool   `json:"quick"`
	Seeds  int    `json:"seeds,omitempty"`
	Steps  int    `json:"steps,omitempty"`
	D      int    `json:"d,omitempty"` // 0: the experiment's default
	MNIST  string `json:"mnist,omitempty"`
	CD     string `json:"cd,omitempty"` // "": the default variant (reproduce's --cd)
}

// sweepRun is one run of the plan.
type sweepRun struct {
	Task   int          `json:"task"`
	Name   string       `json:"name"`
	Group  string       `json:"group"`
	Alg    string       `json:"alg"`
	Alpha  float64      `json:"alpha"`
	Seed   uint64       `json:"seed"`
	Switch string       `json:"switch,omitempty"`
	Opts   trainOptions `json:"options"`
}

// sweepPlan is DIR/sweep.json.
type sweepPlan struct {
	Format     string     `json:"format"`
	Experiment string     `json:"experiment"`
	Flags      sweepFlags `json:"flags"`
	Version    string     `json:"version"`
	PerTask    int        `json:"per_task"`
	Tasks      int        `json:"tasks"`
	Hash       string     `json:"hash"` // sha256 of the JSON of Runs (tasks included)
	Runs       []sweepRun `json:"runs"`
}

const sweepUsage = `usage:
  margo sweep plan FIG [--quick] [--seeds N] [--steps N] [--d D] [--per-task K] --out DIR
  margo sweep run --plan DIR [--index I]
  margo sweep status DIR [--todo] [--json]
  margo sweep merge DIR [--partial]
  margo sweep slurm DIR [--cpus C] [--mem M] [--time T] [--partition P] [--max-running N] [--max-array-size M] [--only LIST] [--margo PATH]
  margo sweep k8s DIR --image IMG --claim PVC [--mount /sweep] [--parallelism N] [--retries R] [--cpus C] [--mem M]
see docs/scale-out.md`

func cmdSweep(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("want a subcommand: plan, run, status, merge, slurm or k8s (margo sweep --help)")
	}
	switch args[0] {
	case "plan":
		return cmdSweepPlan(args[1:], stdout, stderr)
	case "run":
		return cmdSweepRun(args[1:], stdout, stderr)
	case "status":
		return cmdSweepStatus(args[1:], stdout, stderr)
	case "merge":
		return cmdSweepMerge(args[1:], stdout, stderr)
	case "slurm":
		return cmdSweepSlurm(args[1:], stdout, stderr)
	case "k8s":
		return cmdSweepK8s(args[1:], stdout, stderr)
	case "help", "--help", "-h", "-help":
		fmt.Fprintln(stdout, sweepUsage)
		return errHelp
	}
	return usagef("unknown sweep subcommand %q (want plan, run, status, merge, slurm or k8s)", args[0])
}

// reproduceFlags turns the plan's flags into reproduce's options.
func (f sweepFlags) reproduceFlags(out string) reproduceOptions {
	ro := reproduceOptions{Figure: f.Figure, Quick: f.Quick, Seeds: f.Seeds, Steps: f.Steps, MNIST: f.MNIST,
		D: 2048, Out: out, Jobs: 1, Threads: runtime.GOMAXPROCS(0), Quiet: true, CD: f.CD}
	if ro.CD == "" {
		ro.CD = defaultCD
	}
	if f.D > 0 {
		ro.D, ro.dSet = f.D, true
	}
	return ro
}

// planRuns lists the runs of exp assigned to tasks of perTask runs, and the
// hash of that list.
func planRuns(exp *experiment, perTask int) ([]sweepRun, string) {
	runs := make([]sweepRun, len(exp.Runs))
	for i, r := range exp.Runs {
		runs[i] = sweepRun{Task: i / perTask, Name: r.Name, Group: r.Group, Alg: r.Alg, Alpha: r.Alpha,
			Seed: r.Seed, Switch: r.Switch, Opts: r.Opts}
	}
	b, _ := json.Marshal(runs)
	h := sha256.Sum256(b)
	return runs, hex.EncodeToString(h[:])
}

func cmdSweepPlan(args []string, stdout, stderr io.Writer) error {
	var f sweepFlags
	var out string
	perTask := 1
	fs := newFlagSet("sweep plan")
	fs.BoolVar(&f.Quick, "quick", false, "the scaled-down experiment of `margo reproduce --quick`")
	fs.IntVar(&f.Seeds, "seeds", 0, "number of seeds (default: the experiment's)")
	fs.IntVar(&f.Steps, "steps", 0, "override the number of steps of every run")
	fs.IntVar(&f.D, "d", 0, "teacher–student input dimension (default: the experiment's)")
	fs.StringVar(&f.MNIST, "mnist", "", "directory with the MNIST IDX .gz files (default: the GoMNIST module)")
	fs.StringVar(&f.CD, "cd", "", "CD variant of fig1/fig4/switch, as reproduce's --cd (default: reproduce's)")
	fs.IntVar(&perTask, "per-task", perTask, "runs per task: task i runs [i·K, (i+1)·K)")
	fs.StringVar(&out, "out", "", "sweep directory (required; on a filesystem every node shares)")
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one experiment: fig1, fig2, fig3, fig4, fig5 or switch")
	}
	f.Figure = pos[0]
	switch {
	case out == "":
		return usagef("--out DIR is required")
	case f.Seeds < 0:
		return usagef("--seeds must be positive, got %d", f.Seeds)
	case f.Steps < 0:
		return usagef("--steps must be positive, got %d", f.Steps)
	case setFlags(fs)["d"] && f.D < 4:
		return usagef("--d must be at least 4, got %d", f.D)
	case perTask < 1:
		return usagef("--per-task must be at least 1, got %d", perTask)
	case f.Seeds > maxSeeds:
		return usagef("--seeds must be at most %d, got %d", maxSeeds, f.Seeds)
	}
	if _, err := parseCDVariant(f.CD); err != nil {
		return err
	}
	ro := f.reproduceFlags(out)
	exp, err := seam.build(&ro)
	if err != nil {
		return err
	}
	runs, hash := planRuns(exp, perTask)
	p := sweepPlan{Format: sweepFormat, Experiment: exp.Name, Flags: f, Version: version, PerTask: perTask,
		Tasks: (len(runs) + perTask - 1) / perTask, Hash: hash, Runs: runs}
	path := filepath.Join(out, "sweep.json")
	if old, err := readPlan(out); err == nil {
		if old.Hash != p.Hash || old.Version != p.Version {
			return usagef("%s holds another plan (%s, %d tasks, hash %.12s, margo %s); indexes must not move under a running array: use another --out",
				path, old.Experiment, old.Tasks, old.Hash, old.Version)
		}
		fmt.Fprintf(stdout, "%s: unchanged (%s, %d runs in %d tasks, hash %.12s)\n", path, p.Experiment, len(runs), p.Tasks, p.Hash)
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "runs"), 0o755); err != nil {
		return fmt.Errorf("sweep directory: %w", err)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := train.WriteFile(path, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s, %d runs in %d tasks (%d per task), hash %.12s\n", path, p.Experiment, len(runs), p.Tasks, perTask, p.Hash)
	return nil
}

// parseDirFlags parses the flags of a sweep subcommand that takes the sweep
// directory as its one positional argument, and returns it.
func parseDirFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (string, error) {
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("want exactly one sweep directory")
	}
	return pos[0], nil
}

// readPlan reads DIR/sweep.json; a missing plan wraps os.ErrNotExist.
func readPlan(dir string) (*sweepPlan, error) {
	path := filepath.Join(dir, "sweep.json")
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no plan %s (make one with margo sweep plan): %w", path, os.ErrNotExist)
		}
		return nil, err
	}
	var p sweepPlan
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, usagef("%s is not a sweep plan: %v", path, err)
	}
	if p.Format != sweepFormat {
		return nil, usagef("%s: format %q, this margo reads %q", path, p.Format, sweepFormat)
	}
	if p.PerTask < 1 || p.Tasks != (len(p.Runs)+p.PerTask-1)/p.PerTask {
		return nil, usagef("%s: %d runs do not make %d tasks of %d", path, len(p.Runs), p.Tasks, p.PerTask)
	}
	rb, _ := json.Marshal(p.Runs)
	if h := sha256.Sum256(rb); hex.EncodeToString(h[:]) != p.Hash {
		return nil, usagef("%s: its runs do not match its hash %.12s (edited or damaged); make a new plan", path, p.Hash)
	}
	for i, r := range p.Runs {
		if r.Task != i/p.PerTask {
			return nil, usagef("%s: run %s in task %d, want %d", path, r.Name, r.Task, i/p.PerTask)
		}
	}
	return &p, nil
}

// loadPlanExperiment reads the plan of dir and rebuilds its experiment with
// this margo; a plan of another margo version, or whose runs this margo
// builds differently, is a usage error (exit 2).
func loadPlanExperiment(dir string) (*sweepPlan, *experiment, reproduceOptions, error) {
	p, err := readPlan(dir)
	if err != nil {
		return nil, nil, reproduceOptions{}, err
	}
	if p.Version != version {
		return nil, nil, reproduceOptions{}, usagef("%s was planned by margo %s, this is margo %s: run the sweep with one version", filepath.Join(dir, "sweep.json"), p.Version, version)
	}
	ro := p.Flags.reproduceFlags(dir)
	exp, err := seam.build(&ro)
	if err != nil {
		return nil, nil, ro, err
	}
	if _, h := planRuns(exp, p.PerTask); h != p.Hash {
		return nil, nil, ro, usagef("%s: this margo builds other runs from the plan's flags (hash %.12s, plan %.12s)", filepath.Join(dir, "sweep.json"), h, p.Hash)
	}
	return p, exp, ro, nil
}

// sweepIndex returns the task index and where it came from: --index, else
// JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs), else SLURM_ARRAY_TASK_ID
// plus MARGO_SWEEP_OFFSET (Slurm arrays, split at MaxArraySize).
func sweepIndex(flagSet bool, flagVal int, getenv func(string) string) (int, string, error) {
	parse := func(name, v string) (int, error) {
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 {
			return 0, usagef("%s=%q is not a task index (want an integer ≥ 0)", name, v)
		}
		return i, nil
	}
	if flagSet {
		if flagVal < 0 {
			return 0, "", usagef("--index must be ≥ 0, got %d", flagVal)
		}
		return flagVal, "--index", nil
	}
	if v := getenv("JOB_COMPLETION_INDEX"); v != "" {
		i, err := parse("JOB_COMPLETION_INDEX", v)
		return i, "JOB_COMPLETION_INDEX=" + v, err
	}
	if v := getenv("SLURM_ARRAY_TASK_ID"); v != "" {
		i, err := parse("SLURM_ARRAY_TASK_ID", v)
		if err != nil {
			return 0, "", err
		}
		off, o := 0, getenv("MARGO_SWEEP_OFFSET")
		if o != "" {
			if off, err = parse("MARGO_SWEEP_OFFSET", o); err != nil {
				return 0, "", err
			}
		}
		return i + off, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%s + MARGO_SWEEP_OFFSET=%d", v, off), nil
	}
	return 0, "", usagef("no task index: give --index I, or run under a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or a Slurm array (SLURM_ARRAY_TASK_ID)")
}

func cmdSweepRun(args []string, stdout, stderr io.Writer) error {
	var dir string
	idxFlag, threads := 0, runtime.GOMAXPROCS(0)
	fs := newFlagSet("sweep run")
	fs.StringVar(&dir, "plan", "", "sweep directory with sweep.json (required)")
	fs.IntVar(&idxFlag, "index", 0, "task index (default: $JOB_COMPLETION_INDEX, else $SLURM_ARRAY_TASK_ID + $MARGO_SWEEP_OFFSET)")
	fs.IntVar(&threads, "threads", threads, "GEMM threads (results do not depend on it)")
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if dir == "" {
		return usagef("--plan DIR is required")
	}
	if threads < 1 {
		return usagef("--threads must be at least 1, got %d", threads)
	}
	idx, src, err := sweepIndex(setFlags(fs)["index"], idxFlag, os.Getenv)
	if err != nil {
		return err
	}
	p, exp, _, err := loadPlanExperiment(dir)
	if err != nil {
		return err
	}
	if idx >= p.Tasks {
		return usagef("task %d (from %s) out of range: the plan has tasks 0–%d", idx, src, p.Tasks-1)
	}
	pool := tensor.NewPool(threads)
	runsDir := filepath.Join(dir, "runs")
	for _, d := range []string{runsDir, filepath.Join(dir, ".locks")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("sweep directory: %w", err)
		}
	}

	start := time.Now()
	// SIGTERM and SIGUSR1 are the schedulers' warnings before a kill: they
	// cancel the context, the trainer writes a checkpoint at the next step
	// boundary and the run returns "interrupted"; the task then logs where
	// it stopped and exits (on Slurm's time-limit warning it requeues
	// itself first). A second signal kills at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, sweepSignals...)
	defer signal.Stop(sigs)
	var got atomic.Pointer[os.Signal]
	go func() {
		select {
		case s := <-sigs:
			got.Store(&s)
			signal.Stop(sigs)
			cancel()
		case <-ctx.Done():
		}
	}()
	interrupted := func(where string) error {
		s := *got.Load()
		next := "run the task again to continue"
		if job := slurmJob(os.Getenv); s == sweepTimeLimitSignal && job != "" {
			next = slurmRequeue(job, progressSince(runsDir, p, idx, start))
		}
		return fmt.Errorf("task %d (from %s): %s %s; %s", idx, src, sigName(s), where, next)
	}

	fmt.Fprintf(stderr, "margo sweep run: task %d of %d (from %s), %s\n", idx, p.Tasks, src, versionString())
	var failed []string
	ran := 0
	for i, r := range exp.Runs {
		if p.Runs[i].Task != idx {
			continue
		}
		if ctx.Err() != nil {
			return interrupted("between runs")
		}
		rr, err := trainLocked(ctx, r, dir, pool)
		if err != nil {
			return err
		}
		if rr.Status == "interrupted" {
			ck := filepath.Join(runsDir, r.Name+".ckpt.npz")
			return interrupted(fmt.Sprintf("in run %s at step %d, resumes from %s", r.Name, rr.LastStep, ck))
		}
		ran++
		failPath := filepath.Join(dir, "failed", r.Name+".json")
		if rr.Status == "done" {
			if err := os.Remove(failPath); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			continue
		}
		failed = append(failed, r.Name)
		fmt.Fprintf(stderr, "margo sweep run: task %d: run %s %s: %s\n", idx, r.Name, rr.Status, rr.Error)
		b, _ := json.MarshalIndent(rr, "", "  ")
		if err := os.MkdirAll(filepath.Dir(failPath), 0o755); err != nil {
			return err
		}
		if err := train.WriteFile(failPath, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("task %d: %d of %d runs failed (%s); `margo sweep status %s` lists the tasks to rerun", idx, len(failed), ran, strings.Join(failed, ", "), dir)
	}
	fmt.Fprintf(stdout, "task %d: %d of %d runs done in %s\n", idx, ran, ran, time.Since(start).Round(time.Millisecond))
	return nil
}

// progressSince reports whether task idx wrote a checkpoint or finished a
// run since start (the modification times of its runs' files).
func progressSince(runsDir string, p *sweepPlan, idx int, start time.Time) bool {
	for _, r := range p.Runs {
		if r.Task != idx {
			continue
		}
		for _, ext := range []string{".ckpt.npz", ".done.json"} {
			if fi, err := os.Stat(filepath.Join(runsDir, r.Name+ext)); err == nil && fi.ModTime().After(start) {
				return true
			}
		}
	}
	return false
}

// slurmJob names this Slurm job for scontrol: ARRAYJOB_TASK for an array
// task (SLURM_JOB_ID alone can name the whole array), else SLURM_JOB_ID; ""
// outside Slurm.
func slurmJob(getenv func(string) string) string {
	if a, t := getenv("SLURM_ARRAY_JOB_ID"), getenv("SLURM_ARRAY_TASK_ID"); a != "" && t != "" {
		return a + "_" + t
	}
	return getenv("SLURM_JOB_ID")
}

// slurmRequeue puts the Slurm job back in the queue on the time-limit
// warning (sbatch --signal=B:USR1@120), so that the task continues from its
// checkpoints without a resubmission; not when this attempt made no
// progress (it would only loop until the time limit again). It returns
// what it did, for the log line.
func slurmRequeue(job string, progressed bool) string {
	if !progressed {
		return "no checkpoint since the task started, so not requeued: give it a longer --time"
	}
	out, err := exec.Command("scontrol", "requeue", job).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("scontrol requeue %s failed (%v: %s): resubmit the task", job, err, oneLine(string(out)))
	}
	return "requeued Slurm job " + job
}

// trainLocked trains r under the run's lock file: a second copy of the task
// (Kubernetes may start two) waits, then finds the run done and skips it.
func trainLocked(ctx context.Context, r runSpec, dir string, pool *tensor.Pool) (*runResult, error) {
	unlock, err := train.Lock(filepath.Join(dir, ".locks", r.Name), true)
	if err != nil {
		return nil, fmt.Errorf("lock run %s: %w", r.Name, err)
	}
	defer unlock()
	runs := filepath.Join(dir, "runs")
	// A copy killed while writing a file atomically leaves its temporary
	// file (atomicio's ".NAME.tmp-*"); under the lock no one else is
	// writing this run's files.
	if stale, _ := filepath.Glob(filepath.Join(runs, "."+r.Name+".*.tmp-*")); len(stale) > 0 {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	return seam.train(ctx, r, runs, pool), nil
}

// formatArray writes sorted, distinct indexes in Slurm's --array syntax
// ("1,17-19").
func formatArray(idx []int) string {
	idx = slices.Clone(idx)
	slices.Sort(idx)
	idx = slices.Compact(idx)
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", idx[i], idx[j])
		} else {
			fmt.Fprintf(&b, "%d", idx[i])
		}
		i = j + 1
	}
	return b.String()
}

// parseArray reads --array syntax ("1,17-19") into sorted distinct indexes,
// each below n.
func parseArray(s string, n int) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a {
			return nil, usagef("%q is not a list of task indexes (want the --array syntax, e.g. 1,17-19)", s)
		}
		if b >= n {
			return nil, usagef("task %d in %q out of range: the plan has tasks 0–%d", b, s, n-1)
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
