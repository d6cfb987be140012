package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/margo-lab/margo/steepest/train"
	"github.com/margo-lab/margo/tensor"
)

// TestMetricsIndependentOfThreads: the same flags and seed give
// byte-identical metrics and parameters for 1 and 3 GEMM threads, for every
// algorithm available without package steepest.
func TestMetricsIndependentOfThreads(t *testing.T) {
	heavy(t)
	defer tensor.SetThreads(tensor.Threads())
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 48, 24, 3)
	test := writeTeacherData(t, dir, "t", 100, 24, 4)
	for _, alg := range []string{"gd", "sd", "cd", "adam"} {
		var files [2][]byte
		var params [2][]byte
		for i, th := range []int{1, 3} {
			m := filepath.Join(dir, alg+strconv.Itoa(th)+".jsonl")
			p := filepath.Join(dir, alg+strconv.Itoa(th)+".npz")
			code, _, errs := runMargo("train", "--data", data, "--test", test, "--width", "40", "--alg", alg,
				"--lr", "0.01", "--steps", "120", "--seed", "7", "--log-every", "7",
				"--threads", strconv.Itoa(th), "--metrics", m, "--save", p, "--quiet")
			if code != 0 {
				t.Fatalf("%s threads=%d: exit %d: %s", alg, th, code, errs)
			}
			files[i], _ = os.ReadFile(m)
			params[i], _ = os.ReadFile(p)
		}
		if len(files[0]) == 0 || !bytes.Equal(files[0], files[1]) {
			t.Errorf("%s: metrics differ between 1 and 3 threads", alg)
		}
		if len(params[0]) == 0 || !bytes.Equal(params[0], params[1]) {
			t.Errorf("%s: saved parameters differ between 1 and 3 threads", alg)
		}
	}
}

// startUntil starts cmd and returns once the file at path exists (a
// run's first checkpoint).
func startUntil(t *testing.T, cmd *exec.Cmd, path string) *exec.Cmd {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFile(t, cmd, path)
	return cmd
}

// TestResumeAfterKill kills a real margo process (SIGKILL) once a checkpoint
// exists, resumes it, and compares the metrics and parameter files byte for
// byte with an uninterrupted run.
func TestResumeAfterKill(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 64, 32, 5)
	args := func(name string) []string {
		return []string{"train", "--data", data, "--width", "48", "--alg", "adam", "--lr", "0.003",
			"--steps", "1500", "--log-every", "25", "--seed", "2", "--quiet", "--checkpoint-every", "150",
			"--metrics", filepath.Join(dir, name+".jsonl"), "--save", filepath.Join(dir, name+".npz")}
	}
	if out, err := exec.Command(binary, args("full")...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v: %s", err, out)
	}
	cmd := startUntil(t, exec.Command(binary, args("killed")...), filepath.Join(dir, "killed.jsonl.ckpt.npz"))
	cmd.Process.Signal(syscall.SIGKILL)
	err := cmd.Wait()
	if err == nil {
		t.Log("the run finished before the kill landed; the resume below then restarts from its last checkpoint")
	}
	if _, err := os.Stat(filepath.Join(dir, "killed.npz")); err == nil && cmd.ProcessState.Success() {
		t.Skip("run completed before SIGKILL: nothing was interrupted")
	}
	out, err := exec.Command(binary, append(args("killed"), "--resume")...).CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v: %s", err, out)
	}
	for _, ext := range []string{".jsonl", ".npz"} {
		a, _ := os.ReadFile(filepath.Join(dir, "full"+ext))
		b, _ := os.ReadFile(filepath.Join(dir, "killed"+ext))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: resumed run differs from the uninterrupted one (%d vs %d bytes)", ext, len(a), len(b))
		}
	}
}

// TestResumeRejectsOtherOptions: a checkpoint written with other flags is
// refused with one line.
func TestResumeRejectsOtherOptions(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 20, 6, 5)
	m := filepath.Join(dir, "m.jsonl")
	base := []string{"train", "--data", data, "--width", "8", "--steps", "40", "--checkpoint-every", "10", "--metrics", m, "--quiet"}
	// Keep the checkpoint: a run that stops at step 40 leaves the one of step 30.
	if code, _, errs := runMargo(base...); code != 0 {
		t.Fatal(errs)
	}
	if _, err := os.Stat(m + ".ckpt.npz"); err != nil {
		t.Fatalf("no checkpoint: %v", err)
	}
	code, _, errs := runMargo(append(base, "--resume", "--lr", "0.5")...)
	if code == 0 {
		t.Fatal("resume with another --lr accepted")
	}
	oneLineErr(t, errs)
	// The same flags resume and give the same file as the first run.
	before, _ := os.ReadFile(m)
	if code, _, errs := runMargo(append(base, "--resume")...); code != 0 {
		t.Fatal(errs)
	}
	after, _ := os.ReadFile(m)
	if !bytes.Equal(before, after) {
		t.Error("resuming a finished run's last checkpoint changed the metrics")
	}
}

// TestResumeLossAdaptive: Lyu & Li's schedule keeps state (its base rate,
// and rejected steps roll back): resuming from a checkpoint taken mid-run
// must rewrite exactly the same records.
func TestResumeLossAdaptive(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 30, 8, 3)
	m := filepath.Join(dir, "m.jsonl")
	args := []string{"train", "--data", data, "--width", "12", "--alg", "gd", "--schedule", "loss-adaptive",
		"--lr", "0.5", "--steps", "100", "--log-every", "3", "--checkpoint-every", "30", "--metrics", m, "--quiet"}
	if code, _, errs := runMargo(args...); code != 0 {
		t.Fatal(errs)
	}
	full, _ := os.ReadFile(m)
	// The run leaves its step-90 checkpoint; resuming from it truncates the
	// metrics to step 90 and must regrow the same bytes.
	if code, _, errs := runMargo(append(args, "--resume")...); code != 0 {
		t.Fatal(errs)
	}
	again, _ := os.ReadFile(m)
	if len(full) == 0 || !bytes.Equal(full, again) {
		t.Fatalf("resumed loss-adaptive run differs (%d vs %d bytes)", len(full), len(again))
	}
	rows, _ := train.ReadMetrics(m)
	if last := rows[len(rows)-1]; !(last["lr"] > 0.5) {
		t.Errorf("loss-adaptive lr did not grow: %v", last["lr"])
	}
}

// TestBadSIMDEnv: an unknown MARGO_SIMD is one line and exit 2, before any
// work (the check happens at start-up, so it needs a real process).
func TestBadSIMDEnv(t *testing.T) {
	needBinary(t)
	cmd := exec.Command(binary, "version")
	cmd.Env = append(os.Environ(), "MARGO_SIMD=pentium")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v, want code 2", err)
	}
	oneLineErr(t, stderr.String())
}
