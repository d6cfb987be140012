package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/steepest/train"
)

// TestReproduceQuickSmoke runs the quick teacher–student and MNIST
// experiments with very few steps and checks every promised output.
func TestReproduceQuickSmoke(t *testing.T) {
	heavy(t)
	// Every record evaluates the whole test set (2000 teacher points, ~2000
	// MNIST images): a few steps, and d = 16 for the teacher–student runs.
	for fig, extra := range map[string][]string{"fig1": {"--steps", "12", "--d", "16"}, "fig2": {"--steps", "2"}} {
		t.Run(fig, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"reproduce", fig, "--quick", "--seeds", "1", "--out", out, "--quiet"}, extra...)
			code, stdout, errs := runMargo(args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if !strings.Contains(stdout, "final values") {
				t.Errorf("no summary table on stdout: %q", stdout)
			}
			for _, f := range []string{"manifest.json", fig + ".png", fig + ".svg", "report.html"} {
				if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
					t.Errorf("%s missing or empty", f)
				}
			}
			var m struct {
				Runs []struct {
					Name, Status string
					Options      map[string]any
				}
				Choices map[string]any
				Version string
				SIMD    string
			}
			b, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if len(m.Runs) == 0 || m.Version == "" || m.SIMD == "" || len(m.Choices) == 0 {
				t.Fatalf("manifest incomplete: %s", b)
			}
			for _, r := range m.Runs {
				if r.Status != "done" {
					t.Errorf("run %s: %s", r.Name, r.Status)
				}
				if _, ok := r.Options["lr"]; !ok {
					t.Errorf("run %s: options lack lr", r.Name)
				}
				rows, err := train.ReadMetrics(filepath.Join(out, "runs", r.Name+".jsonl"))
				if err != nil {
					t.Fatal(err)
				}
				if rows[0]["step"] != 0 {
					t.Errorf("run %s starts at step %v", r.Name, rows[0]["step"])
				}
				if _, err := os.Stat(filepath.Join(out, "runs", r.Name+".npz")); err != nil {
					t.Errorf("run %s: no parameters", r.Name)
				}
			}
			// Redraw from the directory.
			re := t.TempDir()
			if code, _, errs := runMargo("plot", out, "--out", re); code != 0 {
				t.Fatalf("plot dir: %s", errs)
			}
			if _, err := os.Stat(filepath.Join(re, fig+".png")); err != nil {
				t.Error("redraw wrote no figure")
			}
		})
	}
}

func TestPlotFiles(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 30, 8, 1)
	test := writeTeacherData(t, dir, "t", 50, 8, 2)
	var files []string
	for _, alg := range []string{"gd", "sd"} {
		m := filepath.Join(dir, alg+".jsonl")
		if code, _, errs := runMargo("train", "--data", data, "--test", test, "--width", "16", "--alg", alg, "--steps", "60", "--metrics", m, "--quiet"); code != 0 {
			t.Fatal(errs)
		}
		files = append(files, m)
	}
	out := filepath.Join(dir, "plots")
	code, _, errs := runMargo(append([]string{"plot"}, append(files, "--out", out)...)...)
	if code != 0 {
		t.Fatal(errs)
	}
	for _, f := range []string{"margins", "curves", "accuracy"} {
		for _, ext := range []string{".png", ".svg"} {
			if fi, err := os.Stat(filepath.Join(out, f+ext)); err != nil || fi.Size() == 0 {
				t.Errorf("%s%s missing", f, ext)
			}
		}
	}
}

func TestBenchGemmJSON(t *testing.T) {
	code, stdout, errs := runMargo("bench", "gemm", "--m", "16", "--k", "8", "--n", "12", "--trans", "TN", "--threads", "1", "--repeats", "1", "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("not one JSON object: %q", stdout)
	}
	if g, ok := m["gflops"].(float64); !ok || !(g > 0) {
		t.Errorf("gflops = %v", m["gflops"])
	}
	if m["path"] == "" || m["threads"] != 1.0 {
		t.Errorf("path %v threads %v", m["path"], m["threads"])
	}
	// A level with a peak-FMA loop reports it and the product's share of it.
	if asm.PeakFMA(asm.Active(), 1) > 0 {
		p, ok1 := m["peak_gflops"].(float64)
		pct, ok2 := m["pct_peak"].(float64)
		if !ok1 || !ok2 || !(p > 0) || !(pct > 0) {
			t.Errorf("peak_gflops %v pct_peak %v", m["peak_gflops"], m["pct_peak"])
		}
	} else if _, ok := m["peak_gflops"]; ok {
		t.Errorf("peak_gflops %v on %s, a level without a peak loop", m["peak_gflops"], asm.Active())
	}
	// The blocking it ran with: asm's, a register tile and blocks that hold
	// at least one tile.
	want := asm.GemmBlocking()
	blk, _ := m["blocking"].(map[string]any)
	if blk["mr"] != float64(want.MR) || blk["nr"] != float64(want.NR) || blk["kc"] != float64(want.KC) ||
		blk["mc"] != float64(want.MC) || blk["nc"] != float64(want.NC) || !(want.MC >= want.MR && want.NC >= want.NR && want.KC > 0) {
		t.Errorf("blocking %v, asm.GemmBlocking %+v", m["blocking"], want)
	}
	// One thread has no together-peak; two threads have it where there
	// is a peak loop, and it is the GFLOP/s that pct_peak_together divides.
	if _, ok := m["peak_together_gflops"]; ok {
		t.Errorf("peak_together_gflops %v with one thread", m["peak_together_gflops"])
	}
	code, stdout, errs = runMargo("bench", "gemm", "--m", "16", "--k", "8", "--n", "12", "--threads", "2", "--repeats", "1", "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	m = nil
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("not one JSON object: %q", stdout)
	}
	if asm.PeakFMA(asm.Active(), 1) > 0 {
		g, _ := m["gflops"].(float64)
		p, ok1 := m["peak_together_gflops"].(float64)
		pct, ok2 := m["pct_peak_together"].(float64)
		if !ok1 || !ok2 || !(p > 0) || math.Abs(pct-100*g/p) > 1e-9*pct {
			t.Errorf("2 threads: gflops %v, peak_together_gflops %v, pct_peak_together %v", m["gflops"], m["peak_together_gflops"], m["pct_peak_together"])
		}
	} else if _, ok := m["peak_together_gflops"]; ok {
		t.Errorf("peak_together_gflops %v on %s, a level without a peak loop", m["peak_together_gflops"], asm.Active())
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runMargo("version")
	if code != 0 || !strings.HasPrefix(stdout, "margo "+version) || !strings.Contains(stdout, "simd=") {
		t.Fatalf("exit %d, %q", code, stdout)
	}
}

func TestBenchTrainJSON(t *testing.T) {
	code, stdout, errs := runMargo("bench", "train", "--n", "20", "--d", "10", "--width", "8", "--alg", "cd", "--steps", "3", "--threads", "1", "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("not one JSON object: %q", stdout)
	}
	if v, ok := m["steps_per_second"].(float64); !ok || !(v > 0) {
		t.Errorf("steps_per_second = %v", m["steps_per_second"])
	}
	if m["params"] != float64(10*8+8) {
		t.Errorf("params = %v, want %d", m["params"], 10*8+8)
	}
}

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	code, stdout, errs := runMargo("verify", "--cases", "1", "--short", "--check", "homogeneity", "--check", "euler", "--fail-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, c := range []string{"homogeneity", "euler"} {
		if !strings.Contains(stdout, c) {
			t.Errorf("report lacks %s: %q", c, stdout)
		}
	}
	code, _, errs = runMargo("verify", "--checks", "no-such-check", "--fail-dir", dir)
	if code == 0 {
		t.Fatal("unknown check accepted")
	}
	oneLineErr(t, errs)
}

// TestSummaryCountsSeparatedRuns: the summary's sep column counts the runs
// that ended at train accuracy 1, beside the means over all runs.
func TestSummaryCountsSeparatedRuns(t *testing.T) {
	exp := &experiment{Runs: []runSpec{{Name: "a", Group: "CD", Alpha: 0.1}, {Name: "b", Group: "CD", Alpha: 0.1}, {Name: "c", Group: "GD", Alpha: 0.1}}}
	res := map[string]*runResult{
		"a": {Status: "done", Final: map[string]float64{"train_acc": 1, "gammaInf": 3e-3}},
		"b": {Status: "done", Final: map[string]float64{"train_acc": 0.75, "gammaInf": -1e-9}},
		"c": {Status: "done", Final: map[string]float64{"train_acc": 1, "gammaInf": 4e-5}},
	}
	var b strings.Builder
	printSummary(&b, exp, res, "")
	lines := strings.Split(b.String(), "\n")
	want := map[string][2]string{"CD α=0.1": {"2", "1"}, "GD α=0.1": {"1", "1"}}
	found := 0
	for _, l := range lines[1:] {
		for g, w := range want {
			if strings.HasPrefix(l, g) {
				f := strings.Fields(strings.TrimPrefix(l, g))
				if len(f) < 2 || f[0] != w[0] || f[1] != w[1] {
					t.Errorf("%s: runs/sep %v, want %v", g, f, w)
				}
				found++
			}
		}
	}
	if !strings.Contains(lines[0], " sep ") || found != 2 {
		t.Fatalf("summary without the sep column or rows: %q", b.String())
	}
}

// longestFirst starts the runs with the most work (steps × width × depth)
// first and keeps the given order among equals; every run stays.
func TestLongestFirst(t *testing.T) {
	mk := func(name string, steps, width, depth int) runSpec {
		o := defaultTrainOptions()
		o.Steps, o.Width, o.Depth = steps, width, depth
		return runSpec{Name: name, Opts: o}
	}
	runs := []runSpec{mk("gd1", 1e4, 256, 2), mk("cd1", 1e5, 256, 2), mk("sd1", 1e4, 256, 2), mk("deep", 1e4, 256, 3), mk("cd2", 1e5, 256, 2), mk("wide", 1e4, 512, 2)}
	var got []string
	for _, r := range longestFirst(runs) {
		got = append(got, r.Name)
	}
	want := []string{"cd1", "cd2", "wide", "deep", "gd1", "sd1"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if runs[0].Name != "gd1" {
		t.Errorf("longestFirst reordered its argument")
	}
}
