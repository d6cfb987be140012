package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestSignalResume signals a real margo train (SIGINT, SIGTERM, SIGHUP) once
// its first checkpoint exists: the run writes a checkpoint at the step
// boundary, prints one line "interrupted at step t; continue with
// --resume" and exits non-zero; --resume then ends byte-identical to an
// uninterrupted run.
func TestSignalResume(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 64, 32, 5)
	args := func(name string) []string {
		return []string{"train", "--data", data, "--width", "48", "--alg", "sd", "--lr", "0.001",
			"--steps", "40000", "--log-every", "25", "--seed", "2", "--quiet", "--checkpoint-every", "1000",
			"--metrics", filepath.Join(dir, name+".jsonl"), "--save", filepath.Join(dir, name+".npz")}
	}
	if out, err := exec.Command(binary, args("full")...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v: %s", err, out)
	}
	line := regexp.MustCompile(`^margo train: interrupted at step (\d+); continue with --resume\n$`)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		name := strings.ToLower(sig.String()[:3]) + "-" + sig.String()
		os.Remove(filepath.Join(dir, name+".jsonl.ckpt.npz"))
		cmd := exec.Command(binary, args(name)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		startUntil(t, cmd, filepath.Join(dir, name+".jsonl.ckpt.npz"))
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		if err == nil {
			t.Fatalf("%v: the run exited 0 (finished before the signal?): %s", sig, stderr.String())
		}
		if !line.MatchString(stderr.String()) {
			t.Fatalf("%v: stderr %q, want one line 'interrupted at step t; continue with --resume'", sig, stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, name+".npz")); err == nil {
			t.Errorf("%v: an interrupted run wrote its final parameters", sig)
		}
		if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(tmp) > 0 {
			t.Errorf("%v: temporary files left: %v", sig, tmp)
		}
		out, err := exec.Command(binary, append(args(name), "--resume")...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: resume: %v: %s", sig, err, out)
		}
		for _, ext := range []string{".jsonl", ".npz"} {
			a, _ := os.ReadFile(filepath.Join(dir, "full"+ext))
			b, _ := os.ReadFile(filepath.Join(dir, name+ext))
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Errorf("%v %s: resumed run differs from the uninterrupted one (%d vs %d bytes)", sig, ext, len(a), len(b))
			}
		}
	}
}

// TestResumeRefusesChangedData: replacing the content of --data (same path)
// between a run and its resume is refused with one line, and the metrics
// file is left as it was.
func TestResumeRefusesChangedData(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 20, 6, 5)
	m := filepath.Join(dir, "m.jsonl")
	args := []string{"train", "--data", data, "--width", "8", "--steps", "40", "--checkpoint-every", "10", "--metrics", m, "--quiet"}
	if code, _, errs := runMargo(args...); code != 0 {
		t.Fatal(errs)
	}
	before, _ := os.ReadFile(m)
	writeTeacherData(t, dir, "d", 20, 6, 6) // same path, other points
	code, _, errs := runMargo(append(args, "--resume")...)
	if code == 0 || !strings.Contains(errs, "input files have changed") {
		t.Fatalf("resume against changed data: exit %d, %q", code, errs)
	}
	oneLineErr(t, errs)
	if after, _ := os.ReadFile(m); !bytes.Equal(before, after) {
		t.Error("the refused resume changed the metrics file")
	}
}

// TestBatchFlags: --batch n is bitwise the full batch; --batch 16 killed by
// SIGKILL after a checkpoint resumes byte-identical; --bias (depth 3, not
// homogeneous) and --leaky runs train and save their biases.
func TestBatchFlags(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 64, 32, 5)
	args := func(name string, extra ...string) []string {
		return append([]string{"train", "--data", data, "--width", "48", "--alg", "sd", "--lr", "0.002",
			"--steps", "30000", "--log-every", "25", "--seed", "2", "--quiet", "--checkpoint-every", "500",
			"--metrics", filepath.Join(dir, name+".jsonl"), "--save", filepath.Join(dir, name+".npz")}, extra...)
	}
	read := func(name string) (m, p []byte) {
		m, _ = os.ReadFile(filepath.Join(dir, name+".jsonl"))
		p, _ = os.ReadFile(filepath.Join(dir, name+".npz"))
		return m, p
	}
	for _, c := range [][]string{args("full"), args("n", "--batch", "64"), args("b16", "--batch", "16")} {
		if out, err := exec.Command(binary, c...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", c, err, out)
		}
	}
	fm, fp := read("full")
	nm, np := read("n")
	if len(fm) == 0 || !bytes.Equal(fm, nm) || !bytes.Equal(fp, np) {
		t.Error("--batch n differs from the full batch")
	}
	bm, bp := read("b16")
	if bytes.Equal(bm, fm) {
		t.Error("--batch 16 gave the full-batch records")
	}
	cmd := startUntil(t, exec.Command(binary, args("kill", "--batch", "16")...), filepath.Join(dir, "kill.jsonl.ckpt.npz"))
	cmd.Process.Signal(syscall.SIGKILL)
	if cmd.Wait() == nil {
		t.Fatal("the --batch run finished before SIGKILL")
	}
	if out, err := exec.Command(binary, args("kill", "--batch", "16", "--resume")...).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v: %s", err, out)
	}
	km, kp := read("kill")
	if !bytes.Equal(km, bm) || !bytes.Equal(kp, bp) {
		t.Error("--batch 16 killed and resumed differs from the uninterrupted run")
	}
	for _, extra := range [][]string{{"--bias", "--depth", "3"}, {"--leaky", "0.1", "--depth", "3"}} {
		name := strings.Trim(extra[0], "-")
		if out, err := exec.Command(binary, append(args(name, extra...), "--steps", "50")...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", extra, err, out)
		}
		if _, p := read(name); name == "bias" && !bytes.Contains(p, []byte("b2.npy")) {
			t.Errorf("--bias --depth 3: the saved parameters lack the biases")
		}
	}
}
