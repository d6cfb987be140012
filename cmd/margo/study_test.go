package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/margo-lab/margo/steepest/train"
)

// row is a hand-made record.
func row(step, qmin, logLoss, soft1, gamma1, gamma2 float64) train.Row {
	return train.Row{"step": step, "qmin": qmin, "log_loss": logLoss, "soft1": soft1, "gamma1": gamma1, "gamma2": gamma2, "gammaInf": gamma1 / 10}
}

// TestMarginStats checks the statistics on a hand-made series: t0 is the
// first separated record with L < 1 (exp loss), the soft margin falls in
// two of the five pairs after it, the larger fall is 0.3 from 1.5.
func TestMarginStats(t *testing.T) {
	ln10 := math.Ln10
	rows := []train.Row{
		row(0, -1, 2, -5, -1, -1),
		row(1, 0.5, 0.5, -2, 0.1, 0.01),      // separated, L > 1: not t0
		row(2, 1, -1*ln10, 1.0, 0.2, 0.02),   // t0
		row(3, 2, -2*ln10, 1.5, 0.3, 0.025),  // up
		row(4, 3, -3*ln10, 1.2, 0.25, 0.03),  // down 0.3 (first failure, log10 L = −3)
		row(5, 4, -4*ln10, 1.3, 0.26, 0.04),  // up
		row(6, 5, -5*ln10, 1.3, 0.24, 0.05),  // equal: not a decrease
		row(7, 6, -6*ln10, 1.25, 0.22, 0.06), // down 0.05
	}
	s := marginStats(rows, "soft1", "gamma1", 0)
	near := func(name string, got jfloat, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, want %v", name, float64(got), want)
		}
	}
	near("separation step", s.SepStep, 1)
	near("t0 step", s.T0Step, 2)
	if s.Pairs != 5 || s.Decreases != 2 {
		t.Errorf("pairs %d decreases %d, want 5 and 2", s.Pairs, s.Decreases)
	}
	near("fraction", s.FracDecrease, 0.4)
	// Changes from t0: +0.5, −0.3, +0.1, 0, −0.05: "decrease or not" flips
	// at −0.3, +0.1 and −0.05 (an unchanged margin counts as not a decrease).
	if s.Alternations != 3 {
		t.Errorf("alternations %d, want 3", s.Alternations)
	}
	near("largest drop", s.LargestDrop, 0.3)
	near("relative drop", s.RelDrop, 0.2)
	near("first failure step", s.FirstFailStep, 4)
	near("first failure log10 L", s.FirstFailLog10Loss, -3)
	near("at t0", s.AtSep, 1)
	near("final", s.Final, 1.25)
	near("final hard", s.FinalHard, 0.22)
	near("final log10 L", s.FinalLog10Loss, -6)
	near("peak γ1", s.PeakGamma1, 0.3)
	near("peak step", s.PeakStep, 3)
	near("γ2 at peak", s.Gamma2AtPeak, 0.025)
	if !s.Grew {
		t.Error("1.25 > 1: grew should be true")
	}
	// The logistic t0 (L < log 2) is the same record here; a threshold below
	// every loss leaves no t0 and no pairs.
	none := marginStats(rows, "soft1", "gamma1", -100)
	if !math.IsNaN(float64(none.T0Step)) || none.Pairs != 0 || !math.IsNaN(float64(none.FracDecrease)) || none.Grew {
		t.Errorf("no t0: got t0 %v, %d pairs, fraction %v", none.T0Step, none.Pairs, none.FracDecrease)
	}
	// A monotone series: no failure.
	mono := marginStats(rows[:4], "soft1", "gamma1", 0)
	if mono.Decreases != 0 || !math.IsNaN(float64(mono.FirstFailLog10Loss)) || mono.LargestDrop != 0 {
		t.Errorf("monotone series: %d decreases, first failure at %v", mono.Decreases, mono.FirstFailLog10Loss)
	}
	// NaN is written as null in summary.json.
	b, _ := json.Marshal(none)
	if !strings.Contains(string(b), `"t0_step":null`) {
		t.Errorf("NaN not written as null: %s", b)
	}
}

// TestMarginOrdering: the largest mean final margin per setting, over the
// runs that reached t0 only.
func TestMarginOrdering(t *testing.T) {
	mk := func(label, setting string, g1, g2 float64, t0 float64) runStats {
		return runStats{studyMeta: studyMeta{Label: label, Setting: setting}, T0Step: jfloat(t0),
			Gamma1: jfloat(g1), Gamma2: jfloat(g2), GammaInf: jfloat(g1 * g2)}
	}
	stats := []runStats{
		mk("GD", "B=1", 1, 5, 10), mk("SD", "B=1", 3, 1, 10), mk("SD", "B=1", 1, 1, 10), // SD mean γ1 2
		mk("GD", "B=2", 1, 1, 10), mk("SD", "B=2", 9, 9, math.NaN()), // SD never reached t0
	}
	got := map[string]string{}
	for _, o := range marginOrdering(stats) {
		got[o.Setting+" "+o.Margin] = o.Largest
	}
	want := map[string]string{"B=1 gamma1": "SD", "B=1 gamma2": "GD", "B=1 gammaInf": "GD", "B=2 gamma1": "GD", "B=2 gamma2": "GD", "B=2 gammaInf": "GD"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: largest %q, want %q", k, got[k], v)
		}
	}
}

// TestStudyQuickSmoke runs every study's --quick table with a few steps
// and checks its outputs: manifest, summary.json with a statistics entry
// per run, the figures, the tables on stdout.
func TestStudyQuickSmoke(t *testing.T) {
	heavy(t)
	figs := map[string][]string{
		"stepsize": {"stepsize", "stepsize-stats"}, "batch": {"batch-mnist", "batch-teacher"},
		"adam-late": {"adam-late", "adam-late-stats"}, "depth": {"depth"}, "bias": {"bias-mnist", "bias-teacher"},
	}
	for _, name := range studyNames {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, errs := runMargo("study", name, "--quick", "--steps", "3", "--out", out, "--quiet")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			for _, s := range []string{"final values", "own soft margin from t0", "largest final margin"} {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q", s)
				}
			}
			for _, f := range figs[name] {
				for _, ext := range []string{".png", ".svg"} {
					if fi, err := os.Stat(filepath.Join(out, f+ext)); err != nil || fi.Size() == 0 {
						t.Errorf("%s%s missing or empty", f, ext)
					}
				}
			}
			// margo plot DIR redraws a study directory: its figures and
			// report.html.
			replot := filepath.Join(t.TempDir(), "replot")
			if code, _, errs := runMargo("plot", out, "--out", replot); code != 0 {
				t.Errorf("margo plot %s: exit %d: %s", name, code, errs)
			}
			for _, f := range append(slices.Clone(figs[name]), "report") {
				ext := ".svg"
				if f == "report" {
					ext = ".html"
				}
				if fi, err := os.Stat(filepath.Join(replot, f+ext)); err != nil || fi.Size() == 0 {
					t.Errorf("margo plot %s: %s%s missing or empty", name, f, ext)
				}
			}
			var m struct {
				Runs []struct {
					Name, Status string
					Options      map[string]any
				}
				Choices map[string]any
			}
			b, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if len(m.Runs) == 0 || m.Choices["question"] == nil {
				t.Fatalf("manifest incomplete: %d runs, choices %v", len(m.Runs), m.Choices)
			}
			for _, r := range m.Runs {
				if r.Status != "done" || r.Options["steps"] != 3.0 {
					t.Errorf("run %s: %s, steps %v", r.Name, r.Status, r.Options["steps"])
				}
			}
			var sum struct {
				Runs []struct {
					Run   string   `json:"run"`
					Soft  string   `json:"soft_margin"`
					Hard  string   `json:"hard_margin"`
					Pairs int      `json:"pairs_after_separation"`
					Final *float64 `json:"final_log10_loss"`
				}
			}
			b, _ = os.ReadFile(filepath.Join(out, "summary.json"))
			if err := json.Unmarshal(b, &sum); err != nil {
				t.Fatal(err)
			}
			if len(sum.Runs) != len(m.Runs) {
				t.Errorf("summary.json has %d runs, the manifest %d", len(sum.Runs), len(m.Runs))
			}
			for _, r := range sum.Runs {
				if r.Soft == "" {
					t.Errorf("run %s: no own margin", r.Run)
					continue
				}
				// The saved statistics are those of the run's own metrics file.
				rows, err := train.ReadMetrics(filepath.Join(out, "runs", r.Run+".jsonl"))
				if err != nil {
					t.Fatal(err)
				}
				want := marginStats(rows, r.Soft, r.Hard, math.Inf(1))
				if r.Final == nil || *r.Final != float64(want.FinalLog10Loss) || r.Pairs > len(rows)-1 {
					t.Errorf("run %s: summary final log10 L %v, pairs %d; metrics give %v and %d records", r.Run, r.Final, r.Pairs, want.FinalLog10Loss, len(rows))
				}
			}
		})
	}
}

// TestStudyBadInput: an unknown study or a bad flag is one line and exit 2.
func TestStudyBadInput(t *testing.T) {
	for _, args := range [][]string{{"study"}, {"study", "nosuch"}, {"study", "batch", "--steps", "-1"}, {"study", "a", "b"}} {
		code, _, errs := runMargo(args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}
