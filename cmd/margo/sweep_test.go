package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/margo-lab/margo/tensor"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	flagsRow   = regexp.MustCompile(`(?m)^<tr><td>(flags|wall_seconds)</td>.*$`)
	runSeconds = regexp.MustCompile(`(?m)^(<tr>(?:<td>[^<]*</td>){3}<td class="num">[^<]*</td>)<td class="num">[^<]*</td></tr>$`) // a run's seconds
)

// sweepQuick is the small plan of the sweep tests: the quick Fig. 1 with
// one seed (9 runs), 12 steps and d = 16, two runs per task (5 tasks).
var sweepQuick = []string{"fig1", "--quick", "--seeds", "1", "--steps", "12", "--d", "16"}

func planSweep(t *testing.T, dir string, extra ...string) {
	t.Helper()
	args := append(append([]string{"sweep", "plan"}, sweepQuick...), append([]string{"--out", dir}, extra...)...)
	if code, _, errs := runMargo(args...); code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errs)
	}
}

// golden compares got with testdata/sweep/name (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "sweep", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, d)
	}
}

func TestSweepIndexPrecedence(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	all := env("JOB_COMPLETION_INDEX", "4", "SLURM_ARRAY_TASK_ID", "1", "MARGO_SWEEP_OFFSET", "5")
	for _, c := range []struct {
		name    string
		set     bool
		flag    int
		getenv  func(string) string
		want    int
		wantSrc string
		bad     bool
	}{
		{"flag first", true, 7, all, 7, "--index", false},
		{"flag zero", true, 0, all, 0, "--index", false},
		{"kubernetes before slurm", false, 0, all, 4, "JOB_COMPLETION_INDEX=4", false},
		{"slurm plus offset", false, 0, env("SLURM_ARRAY_TASK_ID", "1", "MARGO_SWEEP_OFFSET", "5"), 6, "SLURM_ARRAY_TASK_ID=1 + MARGO_SWEEP_OFFSET=5", false},
		{"slurm without offset", false, 0, env("SLURM_ARRAY_TASK_ID", "3"), 3, "SLURM_ARRAY_TASK_ID=3 + MARGO_SWEEP_OFFSET=0", false},
		{"nothing", false, 0, env(), 0, "", true},
		{"negative flag", true, -1, all, 0, "", true},
		{"bad kubernetes index", false, 0, env("JOB_COMPLETION_INDEX", "x"), 0, "", true},
		{"negative slurm id", false, 0, env("SLURM_ARRAY_TASK_ID", "-2"), 0, "", true},
		{"bad offset", false, 0, env("SLURM_ARRAY_TASK_ID", "1", "MARGO_SWEEP_OFFSET", "1e3"), 0, "", true},
	} {
		got, src, err := sweepIndex(c.set, c.flag, c.getenv)
		var ue usageError
		switch {
		case c.bad && !errors.As(err, &ue):
			t.Errorf("%s: got %d (%s), err %v; want a usage error", c.name, got, src, err)
		case !c.bad && (err != nil || got != c.want || src != c.wantSrc):
			t.Errorf("%s: got %d from %q, err %v; want %d from %q", c.name, got, src, err, c.want, c.wantSrc)
		}
	}
}

// TestSweepRunIndexErrors: no index, or one out of range, is exit 2 with
// one line, and nothing is trained (never a silent task 0).
func TestSweepRunIndexErrors(t *testing.T) {
	dir := t.TempDir()
	planSweep(t, dir, "--per-task", "2")
	for _, k := range []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "MARGO_SWEEP_OFFSET"} {
		t.Setenv(k, "")
	}
	check := func(what string, args ...string) {
		t.Helper()
		code, _, errs := runMargo(append([]string{"sweep", "run", "--plan", dir}, args...)...)
		if code != exitUsage {
			t.Errorf("%s: exit %d, want 2 (%s)", what, code, errs)
		}
		oneLineErr(t, errs)
	}
	check("no index")
	check("index 5 of 5 tasks", "--index", "5")
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	t.Setenv("MARGO_SWEEP_OFFSET", "3")
	check("slurm 2 + offset 3")
	t.Setenv("JOB_COMPLETION_INDEX", "oops")
	check("bad JOB_COMPLETION_INDEX")
	if m, _ := filepath.Glob(filepath.Join(dir, "runs", "*")); len(m) > 0 {
		t.Errorf("a refused task wrote %v", m)
	}
}

// TestSweepPlanGolden: the plan of a small experiment is stable, a second
// plan with the same flags changes nothing, and one with other runs is
// refused.
func TestSweepPlanGolden(t *testing.T) {
	dir := t.TempDir()
	planSweep(t, dir, "--per-task", "2")
	path := filepath.Join(dir, "sweep.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "fig1-quick.sweep.json", b)
	fi, _ := os.Stat(path)
	planSweep(t, dir, "--per-task", "2")
	fi2, _ := os.Stat(path)
	if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) || !fi.ModTime().Equal(fi2.ModTime()) {
		t.Error("planning the same sweep again rewrote sweep.json")
	}
	for _, other := range [][]string{{"--per-task", "3"}, {"--per-task", "2", "--seeds", "2"}} {
		args := append(append([]string{"sweep", "plan"}, sweepQuick...), append([]string{"--out", dir}, other...)...)
		code, _, errs := runMargo(args...)
		if code != exitUsage {
			t.Errorf("plan %v over another plan: exit %d, want 2", other, code)
		}
		oneLineErr(t, errs)
	}
	if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) {
		t.Error("a refused plan changed sweep.json")
	}
}

// TestSweepPlanMismatch: a plan of another margo version, or whose hash
// this margo does not rebuild, is refused by run and merge (exit 2).
func TestSweepPlanMismatch(t *testing.T) {
	for _, c := range []struct{ what, from, to string }{
		{"version", `"version": "` + version + `"`, `"version": "0.0.0-other"`},
		{"hash", `"hash": "`, `"hash": "0`},
		{"run options", `"lr": 0.006`, `"lr": 0.007`},
	} {
		dir := t.TempDir()
		planSweep(t, dir, "--per-task", "2")
		path := filepath.Join(dir, "sweep.json")
		b, _ := os.ReadFile(path)
		if !bytes.Contains(b, []byte(c.from)) {
			t.Fatalf("%s: %q not in the plan", c.what, c.from)
		}
		os.WriteFile(path, bytes.Replace(b, []byte(c.from), []byte(c.to), 1), 0o644)
		for _, args := range [][]string{{"sweep", "run", "--plan", dir, "--index", "0"}, {"sweep", "merge", dir, "--partial"}} {
			code, _, errs := runMargo(args...)
			if code != exitUsage {
				t.Errorf("%s changed, %s: exit %d, want 2 (%s)", c.what, args[1], code, errs)
			}
			oneLineErr(t, errs)
		}
	}
}

// snapshot maps every file under dir (but the lock files) to its content
// and modification time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(rel, ".locks") {
			return nil
		}
		b, err := os.ReadFile(p)
		fi, _ := d.Info()
		m[rel] = fmt.Sprintf("%x %s", b, fi.ModTime())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameAsReproduce compares every file `margo reproduce` wrote in want with
// the sweep's in got: byte for byte, except the seconds in the .done.json
// files and the manifest and the manifest's flags that name the command
// (out, jobs, threads) and its sweep block, which are compared without them.
func sameAsReproduce(t *testing.T, want, got string) {
	t.Helper()
	n := 0
	filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s: missing from the sweep: %v", rel, err)
			return nil
		}
		n++
		if rel == "manifest.json" || strings.HasSuffix(rel, ".done.json") {
			ja, jb := timeless(t, a), timeless(t, b)
			if d := cmp.Diff(ja, jb); d != "" {
				t.Errorf("%s differs beyond its timings (-reproduce +sweep):\n%s", rel, d)
			}
			return nil
		}
		if rel == "report.html" {
			// Like the manifest's: the page's flags and wall_seconds rows and
			// the runs' seconds say where and how the runs ran (out, jobs,
			// threads, time).
			a, b = flagsRow.ReplaceAll(a, nil), flagsRow.ReplaceAll(b, nil)
			a, b = runSeconds.ReplaceAll(a, []byte("$1")), runSeconds.ReplaceAll(b, []byte("$1"))
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: sweep's differs from reproduce's (%d vs %d bytes)%s", rel, len(b), len(a), firstDiff(b, a))
		}
		return nil
	})
	if n < 9*3+3 { // per run .jsonl, .npz, .done.json; the manifest and two figures
		t.Errorf("only %d files compared", n)
	}
}

// timeless decodes a manifest or done record without what depends on when
// and how it ran.
func timeless(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "seconds")
	delete(m, "wall_seconds")
	delete(m, "sweep")
	if f, ok := m["flags"].(map[string]any); ok {
		delete(f, "out")
		delete(f, "jobs")
		delete(f, "threads")
	}
	if runs, ok := m["runs"].([]any); ok {
		for _, r := range runs {
			delete(r.(map[string]any), "seconds")
		}
	}
	return m
}

// summaryTable is stdout without its last line (which names the command's
// time and directory).
func summaryTable(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[:max(0, strings.LastIndex(s, "\n"))]
}

// TestSweepEqualsReproduce runs every task of a small plan as real
// processes, two at a time in random order, half of them indexed by
// JOB_COMPLETION_INDEX and half by SLURM_ARRAY_TASK_ID + MARGO_SWEEP_OFFSET,
// merges, and compares with `margo reproduce`; running the finished sweep
// again changes no file.
func TestSweepEqualsReproduce(t *testing.T) {
	needBinary(t)
	rep := t.TempDir()
	code, repOut, errs := runMargo(append(append([]string{"reproduce"}, sweepQuick...), "--out", rep, "--quiet")...)
	if code != 0 {
		t.Fatalf("reproduce: %s", errs)
	}
	dir := t.TempDir()
	planSweep(t, dir, "--per-task", "2")
	// Every task in random order, and one of them twice in a row: the two
	// copies run at the same time, as Kubernetes may start them.
	order := rand.Perm(5)
	order = append([]int{order[0]}, order...)
	t.Logf("task order %v", order)
	runTask := func(k, idx int) error {
		cmd := exec.Command(binary, "sweep", "run", "--plan", dir)
		cmd.Env = os.Environ()
		if k%2 == 0 {
			cmd.Env = append(cmd.Env, "JOB_COMPLETION_INDEX="+strconv.Itoa(idx))
		} else { // as the second of two arrays split at MaxArraySize 2
			cmd.Env = append(cmd.Env, "SLURM_ARRAY_TASK_ID="+strconv.Itoa(idx%2), "MARGO_SWEEP_OFFSET="+strconv.Itoa(idx-idx%2))
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("task %d: %v: %s", idx, err, out)
		}
		if !strings.Contains(string(out), fmt.Sprintf("task %d of 5", idx)) {
			return fmt.Errorf("task %d: log does not name it: %s", idx, out)
		}
		return nil
	}
	var wg sync.WaitGroup
	errc := make(chan error, len(order))
	sem := make(chan bool, 2)
	for k, idx := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- true
			defer func() { <-sem }()
			errc <- runTask(k, idx)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errs := runMargo("sweep", "status", dir); code != 0 {
		t.Fatalf("status after every task: exit %d %s", code, errs)
	}
	code, mergeOut, errs := runMargo("sweep", "merge", dir)
	if code != 0 {
		t.Fatalf("merge: %s", errs)
	}
	sameAsReproduce(t, rep, dir)
	if a, b := summaryTable(repOut), summaryTable(mergeOut); a != b || !strings.Contains(a, "final values") {
		t.Errorf("summary tables differ:\nreproduce:\n%s\nmerge:\n%s", a, b)
	}
	before := snapshot(t, dir)
	for idx := range 5 {
		if code, _, errs := runMargo("sweep", "run", "--plan", dir, "--index", strconv.Itoa(idx)); code != 0 {
			t.Fatalf("rerun task %d: %s", idx, errs)
		}
	}
	if d := cmp.Diff(before, snapshot(t, dir)); d != "" {
		t.Errorf("re-running the finished sweep changed files:\n%.2000s", d)
	}
}

// TestSweepSIGTERMResume: a task stopped by SIGTERM or SIGUSR1 after its
// first checkpoint exits 1 with a line naming the index and its source, and
// the rerun ends with the same files as an uninterrupted task.
func TestSweepSIGTERMResume(t *testing.T) {
	needBinary(t)
	plan := []string{"sweep", "plan", "fig1", "--quick", "--seeds", "1", "--steps", "20000", "--d", "16", "--per-task", "1"}
	full := t.TempDir()
	if code, _, errs := runMargo(append(plan, "--out", full)...); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runMargo("sweep", "run", "--plan", full, "--index", "0"); code != 0 {
		t.Fatal(errs)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGUSR1} {
		t.Run(sigName(sig), func(t *testing.T) {
			killed := t.TempDir()
			if code, _, errs := runMargo(append(plan, "--out", killed)...); code != 0 {
				t.Fatal(errs)
			}
			signalAndResume(t, sig, full, killed)
		})
	}
}

// signalAndResume sends sig to task 0 of the plan in killed once its first
// checkpoint exists, checks the exit and the log line, reruns the task and
// compares its files with those of the uninterrupted plan in full.
func signalAndResume(t *testing.T, sig syscall.Signal, full, killed string) {
	cmd := exec.Command(binary, "sweep", "run", "--plan", killed)
	cmd.Env = append(os.Environ(), "JOB_COMPLETION_INDEX=", "SLURM_ARRAY_TASK_ID=0", "MARGO_SWEEP_OFFSET=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(killed, "runs", "gd_a0.1_s1.ckpt.npz")
	waitFile(t, cmd, ckpt)
	cmd.Process.Signal(sig)
	err := cmd.Wait()
	if _, done := os.Stat(filepath.Join(killed, "runs", "gd_a0.1_s1.done.json")); done == nil {
		t.Skip("the run finished before the signal landed: nothing was interrupted")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
		t.Fatalf("after %s: %v, want exit 1; stderr %s", sigName(sig), err, stderr.String())
	}
	last := strings.TrimSpace(stderr.String())
	last = last[strings.LastIndex(last, "\n")+1:]
	for _, w := range []string{"task 0", "SLURM_ARRAY_TASK_ID=0 + MARGO_SWEEP_OFFSET=0", sigName(sig), "gd_a0.1_s1", "resumes from"} {
		if !strings.Contains(last, w) {
			t.Errorf("signal line lacks %q: %s", w, last)
		}
	}
	if code, _, errs := runMargo("sweep", "status", killed, "--todo"); code == 0 {
		t.Errorf("status says complete after the kill (%s)", errs)
	}
	if code, _, errs := runMargo("sweep", "run", "--plan", killed, "--index", "0"); code != 0 {
		t.Fatal(errs)
	}
	for _, ext := range []string{".jsonl", ".npz"} {
		a, _ := os.ReadFile(filepath.Join(full, "runs", "gd_a0.1_s1"+ext))
		b, _ := os.ReadFile(filepath.Join(killed, "runs", "gd_a0.1_s1"+ext))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: the resumed task differs from the uninterrupted one (%d vs %d bytes)", ext, len(b), len(a))
		}
	}
}

// waitFile waits up to a minute for path to appear while cmd runs; it kills
// cmd and fails if it does not.
func waitFile(t *testing.T, cmd *exec.Cmd, path string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%s did not appear", path)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestSweepStatusMergePartial: status and merge of a sweep with missing,
// partial and failed runs.
func TestSweepStatusMergePartial(t *testing.T) {
	heavy(t)
	dir := t.TempDir()
	planSweep(t, dir, "--per-task", "2")
	for _, i := range []string{"0", "2"} {
		if code, _, errs := runMargo("sweep", "run", "--plan", dir, "--index", i); code != 0 {
			t.Fatal(errs)
		}
	}
	// Task 3's first run has started (metrics, no done record).
	os.WriteFile(filepath.Join(dir, "runs", "gd_a0.001_s1.jsonl"), []byte("{}\n"), 0o644)
	code, out, _ := runMargo("sweep", "status", dir, "--todo")
	if code != exitFailure || out != "1,3-4\n" {
		t.Errorf("status --todo: exit %d, %q; want exit 1, \"1,3-4\"", code, out)
	}
	code, out, _ = runMargo("sweep", "status", dir, "--json")
	var st sweepStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != exitFailure {
		t.Fatalf("status --json: exit %d, %v: %s", code, err, out)
	}
	wantStates := []string{stateDone, stateMissing, stateDone, statePartial, stateMissing}
	for i, ts := range st.Tasks {
		if ts.State != wantStates[i] {
			t.Errorf("task %d: %s, want %s", i, ts.State, wantStates[i])
		}
	}
	if st.Counts[stateDone] != 4 || st.Counts[statePartial] != 1 || st.Counts[stateMissing] != 4 || st.Complete {
		t.Errorf("counts %v complete %v", st.Counts, st.Complete)
	}
	code, _, errs := runMargo("sweep", "merge", dir)
	if code != exitFailure {
		t.Errorf("merge with missing runs: exit %d, want 1", code)
	}
	oneLineErr(t, errs)
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		t.Error("a refused merge wrote manifest.json")
	}
	if code, _, errs := runMargo("sweep", "merge", dir, "--partial"); code != 0 {
		t.Fatalf("merge --partial: %s", errs)
	}
	var m struct {
		Runs []struct {
			Name, Status string
		}
		Sweep struct {
			Partial bool
			Missing []string
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !m.Sweep.Partial || len(m.Sweep.Missing) != 5 || len(m.Runs) != 9 {
		t.Errorf("partial manifest: sweep %+v, %d runs", m.Sweep, len(m.Runs))
	}
	// Tasks 0 and 2 hold runs 0, 1, 4 and 5 of the plan's order.
	done := map[string]bool{"gd_a0.1_s1": true, "sd_a0.1_s1": true, "sd_a0.01_s1": true, "cd-kink_a0.01_s1": true}
	for _, r := range m.Runs {
		if want := map[bool]string{true: "done", false: "missing"}[done[r.Name]]; r.Status != want {
			t.Errorf("run %s: %s, want %s", r.Name, r.Status, want)
		}
	}

	// A failing run: its task exits 1 and stays on the todo list until a
	// rerun succeeds.
	orig := seam.train
	seam.train = func(ctx context.Context, r runSpec, runsDir string, pool *tensor.Pool) *runResult {
		if r.Name == "cd-kink_a0.1_s1" {
			return &runResult{Name: r.Name, Status: "failed", Error: "injected failure", Options: r.Opts}
		}
		return orig(ctx, r, runsDir, pool)
	}
	code, _, errs = runMargo("sweep", "run", "--plan", dir, "--index", "1")
	seam.train = orig
	if code != exitFailure || !strings.Contains(errs, "cd-kink_a0.1_s1") {
		t.Errorf("failing task: exit %d, %s", code, errs)
	}
	if _, out, _ := runMargo("sweep", "status", dir, "--todo"); out != "1,3-4\n" {
		t.Errorf("todo after a failure: %q", out)
	}
	if _, out, _ := runMargo("sweep", "status", dir); !strings.Contains(out, "task 1: failed (cd-kink_a0.1_s1 failed, gd_a0.01_s1 done)") {
		t.Errorf("status does not show the failure:\n%s", out)
	}
	for _, i := range []string{"1", "3", "4"} {
		if code, _, errs := runMargo("sweep", "run", "--plan", dir, "--index", i); code != 0 {
			t.Fatalf("task %s: %s", i, errs)
		}
	}
	if code, out, _ := runMargo("sweep", "status", dir, "--todo"); code != 0 || out != "" {
		t.Errorf("complete sweep: exit %d, todo %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "failed", "cd-kink_a0.1_s1.json")); err == nil {
		t.Error("the failure record outlived the successful rerun")
	}
}

// TestSweepCorruptCheckpoint: a damaged checkpoint fails its run with one
// line and exit 1; the checkpoint is not silently replaced by a restart.
func TestSweepCorruptCheckpoint(t *testing.T) {
	dir := t.TempDir()
	planSweep(t, dir, "--per-task", "2")
	ck := filepath.Join(dir, "runs", "gd_a0.1_s1.ckpt.npz")
	os.WriteFile(filepath.Join(dir, "runs", "gd_a0.1_s1.jsonl"), nil, 0o644)
	os.WriteFile(ck, []byte("not a zip file"), 0o644)
	code, _, errs := runMargo("sweep", "run", "--plan", dir, "--index", "0")
	if code != exitFailure || !strings.Contains(errs, "checkpoint") {
		t.Errorf("exit %d, want 1 naming the checkpoint: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "margo sweep: task 0: 1 of 2 runs failed") {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	if b, _ := os.ReadFile(ck); string(b) != "not a zip file" {
		t.Error("the corrupt checkpoint was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "gd_a0.1_s1.done.json")); err == nil {
		t.Error("a run with a corrupt checkpoint was marked done")
	}
}

// TestSweepBadInput: every sweep subcommand answers bad input with one
// line and a non-zero exit, and writes nothing.
func TestSweepBadInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	junk := filepath.Join(dir, "junk")
	os.MkdirAll(junk, 0o755)
	os.WriteFile(filepath.Join(junk, "sweep.json"), []byte(`{"format": "margo-sweep/1", "runs": 3}`), 0o644)
	none := filepath.Join(dir, "none")
	for name, args := range map[string][]string{
		"no subcommand":        {"sweep"},
		"unknown subcommand":   {"sweep", "fly"},
		"plan no out":          {"sweep", "plan", "fig1", "--quick"},
		"plan no experiment":   {"sweep", "plan", "--out", none},
		"plan unknown":         {"sweep", "plan", "fig9", "--out", none},
		"plan per-task 0":      {"sweep", "plan", "fig1", "--per-task", "0", "--out", none},
		"plan small d":         {"sweep", "plan", "fig1", "--d", "2", "--out", none},
		"plan out is a file":   {"sweep", "plan", "fig1", "--quick", "--out", filepath.Join(file, "sub")},
		"run no plan":          {"sweep", "run", "--index", "0"},
		"run missing plan":     {"sweep", "run", "--plan", none, "--index", "0"},
		"run junk plan":        {"sweep", "run", "--plan", junk, "--index", "0"},
		"run extra argument":   {"sweep", "run", "--plan", none, "x"},
		"status missing":       {"sweep", "status", none},
		"status two dirs":      {"sweep", "status", none, none},
		"status junk":          {"sweep", "status", junk},
		"merge missing":        {"sweep", "merge", none},
		"slurm missing":        {"sweep", "slurm", none, "--max-array-size", "5"},
		"slurm bad cpus":       {"sweep", "slurm", none, "--cpus", "0"},
		"k8s missing plan":     {"sweep", "k8s", none, "--image", "i", "--claim", "c"},
		"k8s bad memory":       {"sweep", "k8s", none, "--image", "i", "--claim", "c", "--mem", "lots"},
		"k8s negative retries": {"sweep", "k8s", none, "--image", "i", "--claim", "c", "--retries", "-1"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runMargo(args...)
			if code == 0 {
				t.Fatal("exit 0")
			}
			oneLineErr(t, stderr)
		})
	}
	if _, err := os.Stat(none); err == nil {
		t.Errorf("%s was created", none)
	}
}

func TestSweepArraySyntax(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{{nil, ""}, {[]int{3}, "3"}, {[]int{19, 1, 17, 18}, "1,17-19"}, {[]int{0, 1, 2, 4, 4, 6, 7}, "0-2,4,6-7"}} {
		got := formatArray(c.in)
		if got != c.want {
			t.Errorf("formatArray(%v) = %q, want %q", c.in, got, c.want)
		}
		if c.want == "" {
			continue
		}
		back, err := parseArray(got, 20)
		if err != nil || formatArray(back) != got {
			t.Errorf("parseArray(%q) = %v, %v", got, back, err)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "1,,2", "-1", "20", "0-20"} {
		if _, err := parseArray(bad, 20); err == nil {
			t.Errorf("parseArray(%q) accepted", bad)
		}
	}
}

// TestSweepSlurmGolden: the sbatch scripts of a plan split at
// MaxArraySize 2, and a resubmission of a few indexes with --only.
func TestSweepSlurmGolden(t *testing.T) {
	dir := t.TempDir()
	planSweep(t, dir, "--per-task", "2")
	abs, _ := filepath.Abs(dir)
	args := []string{"sweep", "slurm", dir, "--max-array-size", "2", "--max-running", "2", "--cpus", "2", "--mem", "1G",
		"--time", "0:10:00", "--partition", "short", "--margo", "/opt/margo/bin/margo"}
	code, out, errs := runMargo(args...)
	if code != 0 {
		t.Fatal(errs)
	}
	paths := strings.Fields(out)
	if len(paths) != 3 {
		t.Fatalf("want 3 scripts (5 tasks, MaxArraySize 2), got %q", out)
	}
	for _, p := range append(paths, filepath.Join(abs, "slurm", "merge.sbatch")) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Base(p), bytes.ReplaceAll(b, []byte(abs), []byte("@DIR@")))
	}
	code, out, errs = runMargo("sweep", "slurm", dir, "--max-array-size", "2", "--only", "1,3-4", "--margo", "/opt/margo/bin/margo")
	if code != 0 {
		t.Fatal(errs)
	}
	want := map[string]string{"only-0.sbatch": "--array=1\n", "only-2.sbatch": "--array=1\n", "only-4.sbatch": "--array=0\n"}
	paths = strings.Fields(out)
	if len(paths) != len(want) {
		t.Fatalf("--only 1,3-4: %q", out)
	}
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		if w, ok := want[filepath.Base(p)]; !ok || !bytes.Contains(b, []byte(w)) {
			t.Errorf("%s: want %q in\n%s", p, w, b)
		}
	}
	for _, bad := range [][]string{{"--only", "5"}, {"--only", "x"}, {"--max-array-size", "0"}, {"--mem", "1 G"}} {
		code, _, errs := runMargo(append([]string{"sweep", "slurm", dir}, bad...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
		oneLineErr(t, errs)
	}
}

func TestSweepK8sGolden(t *testing.T) {
	dir := t.TempDir()
	planSweep(t, dir, "--per-task", "2")
	code, out, errs := runMargo("sweep", "k8s", dir, "--image", "registry.example.org/margo:0.1.0", "--claim", "margo-sweep",
		"--parallelism", "3", "--retries", "2", "--cpus", "2")
	if code != 0 {
		t.Fatal(errs)
	}
	golden(t, "fig1-quick.k8s.json", []byte(out))
	var job struct {
		Spec struct {
			CompletionMode string
			Completions    int
		}
	}
	if err := json.Unmarshal([]byte(out), &job); err != nil || job.Spec.CompletionMode != "Indexed" || job.Spec.Completions != 5 {
		t.Errorf("job %+v, %v", job, err)
	}
	for _, bad := range [][]string{{"--claim", "c"}, {"--image", "i"}, {"--image", "i", "--claim", "Bad_Name"}, {"--image", "i", "--claim", "c", "--mount", "rel"}} {
		code, _, errs := runMargo(append([]string{"sweep", "k8s", dir}, bad...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
		oneLineErr(t, errs)
	}
}

// TestSweepSlurmRequeueGuard: the job named for scontrol, and the progress
// test that keeps a task without a checkpoint since its start from being
// requeued for ever.
func TestSweepSlurmRequeueGuard(t *testing.T) {
	env := map[string]string{"SLURM_JOB_ID": "41", "SLURM_ARRAY_JOB_ID": "38", "SLURM_ARRAY_TASK_ID": "2"}
	if got := slurmJob(func(k string) string { return env[k] }); got != "38_2" {
		t.Errorf("array task: %q, want 38_2", got)
	}
	delete(env, "SLURM_ARRAY_TASK_ID")
	if got := slurmJob(func(k string) string { return env[k] }); got != "41" {
		t.Errorf("plain job: %q, want 41", got)
	}
	if got := slurmJob(func(string) string { return "" }); got != "" {
		t.Errorf("outside Slurm: %q", got)
	}
	if msg := slurmRequeue("1_1", false); !strings.Contains(msg, "not requeued") {
		t.Errorf("no progress: %q", msg)
	}

	dir := t.TempDir()
	planSweep(t, dir, "--per-task", "2")
	p, err := readPlan(dir)
	if err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	ck := filepath.Join(runs, "cd-kink_a0.1_s1.ckpt.npz") // task 1
	os.WriteFile(ck, []byte("x"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(ck, old, old)
	start := time.Now().Add(-time.Minute)
	if progressSince(runs, p, 1, start) {
		t.Error("a checkpoint older than the task counts as progress")
	}
	os.Chtimes(ck, time.Now(), time.Now())
	if !progressSince(runs, p, 1, start) {
		t.Error("a fresh checkpoint does not count as progress")
	}
	if progressSince(runs, p, 0, start) {
		t.Error("another task's checkpoint counts as progress")
	}
}
