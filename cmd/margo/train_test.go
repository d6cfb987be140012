package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/margo-lab/margo/steepest/train"
)

func TestTrainSmoke(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "train", 40, 10, 1)
	m := filepath.Join(dir, "m.jsonl")
	code, _, errs := runMargo("train", "--data", data, "--width", "16", "--alg", "sd", "--lr", "0.01", "--steps", "50", "--metrics", m, "--save", filepath.Join(dir, "p.npz"), "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows, err := train.ReadMetrics(m)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0]["step"] != 0 || rows[len(rows)-1]["step"] != 50 {
		t.Fatalf("records from %v to %v, want 0 to 50", rows[0]["step"], rows[len(rows)-1]["step"])
	}
	b, _ := os.ReadFile(m)
	t.Logf("%s", b[:min(len(b), 600)])
}

// TestDivergenceKeepsCheckpoint: a run whose parameters blow up stops with
// one line, a non-zero exit, and keeps its last good checkpoint.
func TestDivergenceKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 30, 6, 1)
	m := filepath.Join(dir, "m.jsonl")
	code, _, errs := runMargo("train", "--data", data, "--width", "8", "--alg", "gd", "--lr", "1e3",
		"--init-scale", "1", "--steps", "50", "--checkpoint-every", "1", "--metrics", m, "--quiet")
	if code == 0 {
		t.Fatal("a diverging run exited 0")
	}
	oneLineErr(t, errs)
	if !strings.Contains(errs, "diverged") {
		t.Errorf("message does not say diverged: %q", errs)
	}
	if _, err := os.Stat(m + ".ckpt.npz"); err != nil {
		t.Errorf("no checkpoint kept: %v", err)
	}
	if rows, err := train.ReadMetrics(m); err != nil || rows[0]["step"] != 0 {
		t.Errorf("records before divergence lost: %v", err)
	}
}

// TestInitFileRoundTrip: --save writes the --init layout (depth 3 here), and
// a run started from it with --init records at step 0 exactly the state the
// first run ended in; --init with --init-scale is refused (they exclude
// each other).
func TestInitFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 30, 6, 1)
	p := filepath.Join(dir, "p.npz")
	m1 := filepath.Join(dir, "a.jsonl")
	if code, _, errs := runMargo("train", "--data", data, "--width", "8", "--depth", "3", "--steps", "5", "--metrics", m1, "--save", p, "--quiet"); code != 0 {
		t.Fatal(errs)
	}
	m2 := filepath.Join(dir, "b.jsonl")
	if code, _, errs := runMargo("train", "--data", data, "--width", "8", "--depth", "3", "--steps", "1", "--init", p, "--init-scale", "5", "--metrics", m2, "--quiet"); code != 2 || !strings.Contains(errs, "excludes --init-scale") {
		t.Fatalf("--init with --init-scale: exit %d, %q", code, errs)
	}
	if code, _, errs := runMargo("train", "--data", data, "--width", "8", "--depth", "3", "--steps", "1", "--init", p, "--metrics", m2, "--quiet"); code != 0 {
		t.Fatal(errs)
	}
	a, _ := train.ReadMetrics(m1)
	b, _ := train.ReadMetrics(m2)
	last, first := a[len(a)-1], b[0]
	for _, k := range []string{"loss", "qmin", "norm_l1", "norm_l2", "norm_linf", "gamma2"} {
		if last[k] != first[k] {
			t.Errorf("%s: saved run ends at %v, the run started from --init at %v", k, last[k], first[k])
		}
	}
}

// --cpuprofile writes a pprof profile (gzip-compressed protobuf) of the
// whole command; a file that cannot be created is one line, exit 1, and
// no training.
func TestCPUProfileFlag(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 30, 6, 1)
	prof := filepath.Join(dir, "cpu.pprof")
	if code, _, errs := runMargo("train", "--data", data, "--steps", "50", "--quiet", "--metrics", filepath.Join(dir, "m.jsonl"), "--cpuprofile", prof); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("profile of %d bytes does not start with the gzip magic", len(b))
	}
	m := filepath.Join(dir, "m2.jsonl")
	code, _, errs := runMargo("train", "--data", data, "--steps", "50", "--quiet", "--metrics", m, "--cpuprofile", filepath.Join(dir, "no", "such", "dir", "p"))
	if code != exitFailure || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "--cpuprofile") {
		t.Errorf("bad --cpuprofile path: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(m); err == nil {
		t.Errorf("a run with a bad --cpuprofile wrote its metrics")
	}
}
