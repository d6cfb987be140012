package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/margo-lab/margo/tensor/npz"

	"github.com/margo-lab/margo/nn"
)

// --cd selects the CD of the teacher–student grid: the CD and GD→CD runs
// use its algorithm and normalization, the other runs do not change, and
// the manifest records it.
func TestReproduceCDVariant(t *testing.T) {
	for _, c := range []struct {
		flag       string
		alg        string
		normalized bool
	}{
		{"cd", "cd", false}, {"cd:normalized", "cd", true}, {"cd-layer", "cd-layer", true},
		{"cd-layer:unnormalized", "cd-layer", false}, {"CD-Kink", "cd-kink", true}, {"cd-layer-kink", "cd-layer-kink", true},
	} {
		ro := reproduceOptions{Figure: "switch", Quick: true, Seeds: 1, D: 2048, CD: c.flag}
		exp, err := buildExperiment(&ro)
		if err != nil {
			t.Fatalf("--cd %s: %v", c.flag, err)
		}
		if got := exp.Choices["cd_variant"]; got != (cdVariant{c.alg, c.normalized}).String() {
			t.Errorf("--cd %s: manifest cd_variant %v", c.flag, got)
		}
		groups := map[string]int{}
		for _, r := range exp.Runs {
			groups[r.Group]++
			switch r.Group {
			case "CD", "GD→CD":
				if r.Opts.Alg != c.alg || r.Opts.Normalize != c.normalized {
					t.Errorf("--cd %s: run %s is %s normalize=%v", c.flag, r.Name, r.Opts.Alg, r.Opts.Normalize)
				}
				if r.Group == "CD" && r.Opts.InitScheme != "uniform-cd" {
					t.Errorf("--cd %s: run %s init %s", c.flag, r.Name, r.Opts.InitScheme)
				}
			case "GD", "SD", "GD→SD":
				if want := map[string]string{"GD": "gd", "SD": "sd", "GD→SD": "sd"}[r.Group]; r.Opts.Alg != want {
					t.Errorf("--cd %s: run %s is %s", c.flag, r.Name, r.Opts.Alg)
				}
			default:
				t.Errorf("unexpected group %q", r.Group)
			}
		}
		if groups["CD"] != 3 || groups["GD→CD"] != 3 {
			t.Errorf("--cd %s: groups %v, want 3 CD and 3 GD→CD runs (1 seed × 3 α)", c.flag, groups)
		}
	}
	if v, err := parseCDVariant(""); err != nil || v.String() != mustCD(t, defaultCD).String() {
		t.Errorf("an empty --cd (options built without the flag) is %v, %v, want the default %s", v, err, defaultCD)
	}
	for _, bad := range []string{"sd", "cd-layer:", "cd:both", "kink"} {
		if _, err := parseCDVariant(bad); err == nil {
			t.Errorf("--cd %q accepted", bad)
		}
	}
}

// --width and --train override the teacher–student sizes (the medium runs
// of docs/reproduce.md).
func TestReproduceSizeOverrides(t *testing.T) {
	ro := reproduceOptions{Figure: "fig1", Quick: true, Seeds: 3, D: 2048, dSet: true, CD: "cd", Width: 32, Train: 50, Steps: 30}
	exp, err := buildExperiment(&ro)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range exp.Runs {
		if r.Opts.Width != 32 || r.Opts.Steps != 30 {
			t.Fatalf("run %s: width %d steps %d", r.Name, r.Opts.Width, r.Opts.Steps)
		}
	}
	train, _, err := exp.Runs[0].data()
	if err != nil {
		t.Fatal(err)
	}
	if train.X.Rows != 50 || train.X.Cols != 2048 {
		t.Errorf("training set %d × %d, want 50 × 2048", train.X.Rows, train.X.Cols)
	}
}

// The CD variants are algorithms of `margo train` too.
func TestTrainCDVariants(t *testing.T) {
	m, err := nn.NewMLP(nn.Config{In: 3, Widths: []int{4, 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"cd-layer", "cd-kink", "cd-layer-kink"} {
		o, err := parseTrainFlags([]string{"--data", "x.npz", "--alg", alg}, nil)
		if err != nil {
			t.Fatalf("--alg %s: %v", alg, err)
		}
		if !o.Normalize {
			t.Errorf("--alg %s: not normalized by default", alg)
		}
		if _, err := newOptimizer(o, m); err != nil {
			t.Errorf("--alg %s: %v", alg, err)
		}
	}
}

// --groups keeps the runs of the named groups only, in their order.
func TestKeepGroups(t *testing.T) {
	ro := reproduceOptions{Figure: "switch", Quick: true, Seeds: 2, D: 2048, CD: "cd-kink"}
	exp, err := buildExperiment(&ro)
	if err != nil {
		t.Fatal(err)
	}
	n := len(exp.Runs)
	if err := keepGroups(exp, ""); err != nil || len(exp.Runs) != n {
		t.Fatalf("empty list: %v, %d of %d runs", err, len(exp.Runs), n)
	}
	if err := keepGroups(exp, "CD, GD→CD"); err != nil {
		t.Fatal(err)
	}
	if len(exp.Runs) != 12 {
		t.Errorf("%d runs kept, want 12 (2 groups × 2 seeds × 3 α)", len(exp.Runs))
	}
	for _, r := range exp.Runs {
		if r.Group != "CD" && r.Group != "GD→CD" {
			t.Errorf("run %s of group %s kept", r.Name, r.Group)
		}
	}
	if err := keepGroups(exp, "CD,SD"); err == nil {
		t.Error("a group no longer present accepted")
	}
}

// A kink-aware CD run resumed from its last checkpoint (step 90 of 100)
// recomputes the same last steps, with a coordinate held in that
// checkpoint (so the state is not the initial one). Whether a lost state
// would show in these 10 steps depends on the run (here it would not:
// clearing the holds of this checkpoint gives the same metrics); that
// State/SetState restore the rule exactly is TestKinkCDStateRoundTrip's.
func TestResumeKinkCD(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "d", 20, 6, 5)
	m := filepath.Join(dir, "k.jsonl")
	p := filepath.Join(dir, "k.npz")
	base := []string{"train", "--data", data, "--width", "8", "--alg", "cd-kink", "--lr", "0.05", "--steps", "100",
		"--log-every", "1", "--checkpoint-every", "10", "--metrics", m, "--save", p, "--quiet"}
	if code, _, errs := runMargo(base...); code != 0 {
		t.Fatal(errs)
	}
	before, _ := os.ReadFile(m)
	params, _ := os.ReadFile(p)
	ck, err := npz.Read(m + ".ckpt.npz")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ck.Arrays["opt_0"].Data, func(h float64) bool { return h != 0 }) {
		t.Fatal("no coordinate held at the last checkpoint; the test needs one")
	}
	if code, _, errs := runMargo(append(base, "--resume")...); code != 0 {
		t.Fatal(errs)
	}
	after, _ := os.ReadFile(m)
	params2, _ := os.ReadFile(p)
	if len(before) == 0 || !bytes.Equal(before, after) || !bytes.Equal(params, params2) {
		t.Error("resuming from the step-90 checkpoint changed the metrics or the parameters")
	}
}

func mustCD(t *testing.T, s string) cdVariant {
	t.Helper()
	v, err := parseCDVariant(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
