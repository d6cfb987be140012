package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Run and task states of `margo sweep status`.
const (
	stateDone    = "done"    // a positive .done.json with the plan's options
	stateFailed  = "failed"  // failed/NAME.json: the run ended with an error
	statePartial = "partial" // started: metrics or a checkpoint, no done record
	stateMissing = "missing" // nothing yet
)

// runState reads the state of one run of the plan from the files alone.
func runState(dir string, r sweepRun) (string, *runResult) {
	runs := filepath.Join(dir, "runs")
	if rr, ok := readResult(filepath.Join(runs, r.Name+".done.json")); ok && rr.Status == "done" && sameOptions(rr.Options, r.Opts) {
		return stateDone, rr
	}
	if rr, ok := readResult(filepath.Join(dir, "failed", r.Name+".json")); ok {
		return stateFailed, rr
	}
	for _, ext := range []string{".ckpt.npz", ".jsonl"} {
		if _, err := os.Stat(filepath.Join(runs, r.Name+ext)); err == nil {
			return statePartial, nil
		}
	}
	return stateMissing, nil
}

func readResult(path string) (*runResult, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var rr runResult
	if json.Unmarshal(b, &rr) != nil {
		return nil, false
	}
	return &rr, true
}

// sweepStatus is the report of `margo sweep status --json`.
type sweepStatus struct {
	Experiment string            `json:"experiment"`
	Hash       string            `json:"hash"`
	Complete   bool              `json:"complete"`
	Counts     map[string]int    `json:"runs"`
	Todo       string            `json:"todo"` // unfinished tasks in --array syntax
	Tasks      []sweepTaskStatus `json:"tasks"`
}

type sweepTaskStatus struct {
	Index int               `json:"index"`
	State string            `json:"state"`
	Runs  map[string]string `json:"runs"` // name → state
}

// taskState folds the states of a task's runs: done when all are done,
// failed when one failed, missing when none started, else partial.
func taskState(states []string) string {
	n := map[string]int{}
	for _, s := range states {
		n[s]++
	}
	switch {
	case n[stateDone] == len(states):
		return stateDone
	case n[stateFailed] > 0:
		return stateFailed
	case n[stateMissing] == len(states):
		return stateMissing
	}
	return statePartial
}

func planStatus(dir string, p *sweepPlan) sweepStatus {
	st := sweepStatus{Experiment: p.Experiment, Hash: p.Hash, Counts: map[string]int{stateDone: 0, stateFailed: 0, statePartial: 0, stateMissing: 0}}
	tasks := make([]sweepTaskStatus, p.Tasks)
	states := make([][]string, p.Tasks)
	for i := range tasks {
		tasks[i] = sweepTaskStatus{Index: i, Runs: map[string]string{}}
	}
	for _, r := range p.Runs {
		s, _ := runState(dir, r)
		st.Counts[s]++
		tasks[r.Task].Runs[r.Name] = s
		states[r.Task] = append(states[r.Task], s)
	}
	var todo []int
	for i := range tasks {
		tasks[i].State = taskState(states[i])
		if tasks[i].State != stateDone {
			todo = append(todo, i)
		}
	}
	st.Tasks, st.Todo, st.Complete = tasks, formatArray(todo), len(todo) == 0
	return st
}

// errIncomplete makes `margo sweep status` exit 1 after its report.
var errIncomplete = errors.New("sweep incomplete")

func cmdSweepStatus(args []string, stdout, stderr io.Writer) error {
	var todo, asJSON bool
	fs := newFlagSet("sweep status")
	fs.BoolVar(&todo, "todo", false, "print only the unfinished task indexes, in --array syntax (1,17-19)")
	fs.BoolVar(&asJSON, "json", false, "print the state of every run and task as JSON")
	dir, err := parseDirFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	p, err := readPlan(dir)
	if err != nil {
		return err
	}
	st := planStatus(dir, p)
	switch {
	case asJSON:
		b, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	case todo:
		if st.Todo != "" {
			fmt.Fprintln(stdout, st.Todo)
		}
	default:
		c := st.Counts
		fmt.Fprintf(stdout, "%s: %d runs in %d tasks: %d done, %d partial, %d failed, %d missing\n",
			p.Experiment, len(p.Runs), p.Tasks, c[stateDone], c[statePartial], c[stateFailed], c[stateMissing])
		for _, t := range st.Tasks {
			if t.State == stateDone {
				continue
			}
			var parts []string
			for _, r := range p.Runs {
				if r.Task == t.Index {
					parts = append(parts, r.Name+" "+t.Runs[r.Name])
				}
			}
			fmt.Fprintf(stdout, "task %d: %s (%s)\n", t.Index, t.State, strings.Join(parts, ", "))
		}
		if st.Todo != "" {
			fmt.Fprintf(stdout, "todo: %s\n", st.Todo)
		}
	}
	if !st.Complete {
		return fmt.Errorf("%w: tasks %s unfinished", errIncomplete, st.Todo)
	}
	return nil
}

func cmdSweepMerge(args []string, stdout, stderr io.Writer) error {
	var partial bool
	fs := newFlagSet("sweep merge")
	fs.BoolVar(&partial, "partial", false, "merge although runs are missing (they are listed as missing)")
	dir, err := parseDirFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	p, exp, ro, err := loadPlanExperiment(dir)
	if err != nil {
		return err
	}
	res := make(map[string]*runResult, len(exp.Runs))
	missing := []string{}
	var wall float64
	for i, r := range exp.Runs {
		s, rr := runState(dir, p.Runs[i])
		if rr == nil {
			missing = append(missing, r.Name)
			rr = &runResult{Name: r.Name, Status: stateMissing, Options: r.Opts, Error: "not run (" + s + ")"}
		}
		res[r.Name] = rr
		wall += rr.Seconds
	}
	if len(missing) > 0 && !partial {
		return fmt.Errorf("%d of %d runs are not finished (%s); `margo sweep status %s --todo` lists their tasks, or merge with --partial",
			len(missing), len(exp.Runs), abbreviate(missing, 5), dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "runs"), 0o755); err != nil {
		return err
	}
	extra := map[string]any{"sweep": map[string]any{
		"plan": "sweep.json", "hash": p.Hash, "tasks": p.Tasks, "per_task": p.PerTask, "partial": len(missing) > 0,
		"missing": missing, "wall_seconds": "the sum of the runs' seconds (the tasks ran elsewhere)",
	}}
	if err := seam.manifest(ro, exp, res, time.Duration(wall*float64(time.Second)), extra); err != nil {
		return err
	}
	if err := exp.Plot(dir, filepath.Join(dir, "runs"), exp.Runs, res); err != nil {
		return err
	}
	if err := writeReport(dir, filepath.Join(dir, "runs"), exp, res); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	seam.summary(stdout, exp, res, filepath.Join(dir, "runs"))
	bad := 0
	for _, r := range exp.Runs {
		if res[r.Name].Status != "done" {
			bad++
		}
	}
	fmt.Fprintf(stdout, "%s: %d runs (%d not finished) merged from %d tasks; outputs in %s\n", exp.Name, len(exp.Runs), bad, p.Tasks, dir)
	if bad == len(exp.Runs) {
		return errors.New("every run failed")
	}
	return nil
}

// abbreviate joins the first n names and counts the rest.
func abbreviate(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
