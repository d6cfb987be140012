package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest/train"
)

// The probes of the adversarial review (issue "Bad input that still gets
// through", commit 791f4bd), class by class. Each probe must exit non-zero
// with one line on stderr naming the problem, no trace, no output file,
// and the inputs untouched; every one of them failed that on 791f4bd.

// probe runs margo in-process and checks the common promises: exit code
// want, one line on stderr containing wantMsg, the files of keep
// unchanged, and no new file in dir.
func probe(t *testing.T, dir string, want int, wantMsg string, keep []string, args ...string) {
	t.Helper()
	before := map[string][]byte{}
	for _, f := range keep {
		before[f], _ = os.ReadFile(f)
	}
	listed := listDir(t, dir)
	code, _, errs := runMargo(args...)
	if code != want {
		t.Errorf("%v: exit %d, want %d (%q)", args, code, want, errs)
	}
	oneLineErr(t, errs)
	if !strings.Contains(errs, wantMsg) {
		t.Errorf("%v: stderr %q does not say %q", args, errs, wantMsg)
	}
	for _, f := range keep {
		if now, _ := os.ReadFile(f); !bytes.Equal(now, before[f]) {
			t.Errorf("%v: %s was changed", args, f)
		}
	}
	if after := listDir(t, dir); !slices.Equal(after, listed) {
		t.Errorf("%v: files %v, before %v", args, after, listed)
	}
}

// Class 1: an output that is also an input or another output.
func TestProbeAliasedOutputs(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 20, 6, 1)
	test := writeTeacherData(t, dir, "t", 20, 6, 2)
	base := []string{"train", "--data", data, "--test", test, "--width", "4", "--steps", "3", "--quiet"}
	m := filepath.Join(dir, "m.jsonl")
	link := filepath.Join(dir, "link.npz")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		msg   string
		flags []string
	}{
		{"is the input --data", []string{"--metrics", data}},
		{"is the input --data", []string{"--save", data}},
		{"is the input --data", []string{"--checkpoint", data, "--checkpoint-every", "1"}},
		{"is the input --test", []string{"--metrics", test}},
		{"is the input --data", []string{"--metrics", link}},
		{"is the input --data", []string{"--metrics", filepath.Join(dir, ".", "d.npz")}},
		{"are the same file", []string{"--metrics", m, "--save", m}},
		{"are the same file", []string{"--checkpoint", m, "--metrics", m, "--checkpoint-every", "1"}},
	} {
		probe(t, dir, 2, c.msg, []string{data, test}, append(slices.Clone(base), c.flags...)...)
	}
}

// Class 2: two runs on one output. The second is refused, naming the
// first; the first's file is what an undisturbed run writes.
func TestProbeTwoRunsOneOutput(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 64, 32, 5)
	args := func(m string) []string {
		return []string{"train", "--data", data, "--width", "48", "--alg", "sd", "--lr", "0.001", "--steps", "20000",
			"--log-every", "25", "--quiet", "--checkpoint-every", "1000", "--metrics", m}
	}
	want := filepath.Join(dir, "alone.jsonl")
	if out, err := exec.Command(binary, args(want)...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m := filepath.Join(dir, "m.jsonl")
	first := startUntil(t, exec.Command(binary, args(m)...), m+".ckpt.npz")
	code, _, errs := runMargo(args(m)...)
	if code == 0 || !strings.Contains(errs, "in use by another run (pid ") {
		t.Errorf("second run on the same --metrics: exit %d, %q", code, errs)
	}
	oneLineErr(t, errs)
	if err := first.Wait(); err != nil {
		t.Fatalf("the first run failed: %v", err)
	}
	a, _ := os.ReadFile(want)
	b, _ := os.ReadFile(m)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the first run's metrics differ from an undisturbed run's")
	}
}

// Class 4: memory bombs are refused from the flags (and the inputs'
// headers) before anything is allocated; a long run needs no memory for
// its record steps.
func TestProbeMemory(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 20, 6, 1)
	base := []string{"train", "--data", data, "--quiet", "--metrics", filepath.Join(dir, "m.jsonl")}
	for _, c := range []struct {
		msg   string
		flags []string
	}{
		{"of memory", []string{"--width", "1000000000"}},
		{"of memory", []string{"--depth", "1000000000"}},
		{"of memory", []string{"--width", "3000000", "--depth", "4"}},
		{"not a regular file", []string{"--test", "/dev/zero"}},
	} {
		probe(t, dir, map[bool]int{true: 2, false: 1}[c.msg == "of memory"], c.msg, []string{data}, append(slices.Clone(base), c.flags...)...)
	}
	// An archive (4 KB) whose .npy header and zip entry declare 200,000,000
	// float64 values (1.6 GB), on a machine that pretends to have 64 MB:
	// refused from the header, not inflated (a reader that inflated first
	// would allocate the 1.6 GB).
	bomb := filepath.Join("testdata", "bomb-declared.npz")
	defer func(f func() uint64) { availableMemory = f }(availableMemory)
	availableMemory = func() uint64 { return 64 << 20 }
	probe(t, dir, 2, "reading --data", []string{bomb}, "train", "--data", bomb, "--quiet", "--metrics", filepath.Join(dir, "b.jsonl"))
	availableMemory = memAvailable

	// A run of 10^12 (or 9·10^18) steps recorded every step starts at once
	// and stops at its first record (--stop-loss above any loss): the old
	// record-step list allocated 8 TB, or never ended.
	for _, steps := range []string{"1000000000000", "9000000000000000000"} {
		start := time.Now()
		code, _, errs := runMargo("train", "--data", data, "--width", "4", "--steps", steps, "--log-every", "1",
			"--stop-loss", "1e300", "--quiet", "--metrics", filepath.Join(dir, "long.jsonl"))
		if code != 0 || time.Since(start) > 20*time.Second {
			t.Errorf("--steps %s: exit %d after %v: %s", steps, code, time.Since(start), errs)
		}
	}
	out := filepath.Join(dir, "r")
	probe(t, dir, 2, "--seeds must be at most", nil, "reproduce", "fig1", "--quick", "--seeds", "300000000", "--out", out)
	probe(t, dir, 2, "of memory", nil, "reproduce", "fig1", "--quick", "--d", "100000000", "--out", out)
	probe(t, dir, 2, "of memory", nil, "reproduce", "fig1", "--quick", "--d", "4611686018427387904", "--out", out)
	probe(t, dir, 2, "of memory", nil, "bench", "gemm", "--m", "3037000500", "--k", "3037000500", "--n", "3037000500")
	probe(t, dir, 2, "of memory", nil, "bench", "train", "--n", "250", "--d", "4000000000")
	// A crafted manifest asking for 3·10^8 seeds.
	crafted := filepath.Join(dir, "crafted")
	os.MkdirAll(crafted, 0o755)
	os.WriteFile(filepath.Join(crafted, "manifest.json"), []byte(`{"experiment":"fig1","flags":{"figure":"fig1","quick":true,"seeds":300000000,"d":64,"jobs":1,"threads":1}}`), 0o644)
	probe(t, dir, 2, "--seeds must be at most", nil, "plot", crafted, "--out", filepath.Join(crafted, "plots"))
}

// Class 5: a panic in a worker goroutine is one line and exit 3; so is a
// panic anywhere in the command.
func TestProbeWorkerPanic(t *testing.T) {
	r := runSpec{Name: "boom", data: func() (*nn.Dataset, *nn.Dataset, error) { panic("slice bounds out of range") }}
	rr := safeTrainRun(context.Background(), r, t.TempDir(), nil)
	if !rr.internal || rr.Status != "failed" || !strings.Contains(rr.Error, "internal error: slice bounds") {
		t.Fatalf("a panicking run: %+v", rr)
	}
	if code := run([]string{"reproduce"}, &bytes.Buffer{}, &bytes.Buffer{}); code == exitInternal {
		t.Fatal("a usage error was reported as internal")
	}
	err := fmt.Errorf("reproduce: %w", internalError{errString("run boom: internal error: x")})
	if code := exitCode(err); code != exitInternal {
		t.Errorf("internalError exits %d, want %d", code, exitInternal)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// Class 7: smaller ones.
func TestProbeSmall(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 20, 6, 1)
	m := filepath.Join(dir, "m.jsonl")
	// A divergence at step 0 blames the initialisation and leaves no file.
	probe(t, dir, 1, "initial parameters already diverge; try a smaller --init-scale", []string{data},
		"train", "--data", data, "--width", "4", "--init-scale", "1e200", "--depth", "3", "--quiet", "--metrics", m)
	probe(t, dir, 2, "1 < P < ∞", nil, "train", "--data", data, "--alg", "lp", "--p", "1", "--quiet")
	probe(t, dir, 2, "excludes --init-scale", nil, "train", "--data", data, "--init", data, "--init-scale", "2", "--quiet")
	// reproduce into an --out whose runs/ cannot be written.
	out := filepath.Join(dir, "out")
	os.MkdirAll(filepath.Join(out, "runs"), 0o555)
	if os.Geteuid() != 0 { // root writes anywhere
		probe(t, out, 2, "not writable", nil, "reproduce", "fig1", "--quick", "--out", out)
	}
	// No repeated words in the errors of missing files.
	for _, args := range [][]string{{"train", "--data", filepath.Join(dir, "nope.npz")}, {"train", "--data", data, "--init", filepath.Join(dir, "nope.npz")}} {
		_, _, errs := runMargo(args...)
		for _, w := range []string{"read read", "read open", "open open"} {
			if strings.Contains(errs, w) {
				t.Errorf("%v: %q repeats a word", args, errs)
			}
		}
	}
}

// A reproduce holds its output directory (a second one is refused), and a
// SIGTERM during it leaves its runs resumable.
func TestProbeReproduceSignal(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	args := []string{"reproduce", "fig1", "--quick", "--steps", "30000", "--d", "64", "--seeds", "1", "--jobs", "1", "--quiet", "--out", dir}
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	startUntil(t, cmd, filepath.Join(dir, "runs", "gd_a0.1_s1.ckpt.npz"))
	// A second reproduce on the same --out is refused, naming the first.
	if code, _, errs := runMargo(args...); code == 0 || !strings.Contains(errs, "in use by another run (pid ") {
		t.Errorf("a second reproduce on the same --out: exit %d, %q", code, errs)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err == nil {
		t.Fatal("reproduce exited 0 after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr %q does not say it was interrupted", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "gd_a0.1_s1.ckpt.npz")); err != nil {
		t.Errorf("the interrupted run left no checkpoint: %v", err)
	}
	if m, err := train.ReadMetrics(filepath.Join(dir, "runs", "gd_a0.1_s1.jsonl")); err != nil || len(m) == 0 {
		t.Errorf("the interrupted run's metrics: %v", err)
	}
}
