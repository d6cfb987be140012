package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/margo-lab/margo/cmd/margo/internal/plots"
	"github.com/margo-lab/margo/steepest/train"
)

// curvePanel is one panel of per-group mean curves of field against step.
func curvePanel(title, ylabel, field string, groups []string, data map[string][][]train.Row, logY bool, scale float64) plots.Panel {
	p := plots.Panel{Title: title, XLabel: "step", YLabel: ylabel, LogX: true, LogY: logY}
	for i, g := range groups {
		if len(data[g]) == 0 {
			continue
		}
		x, y := meanCurve(data[g], field)
		if scale != 1 {
			for j := range y {
				y[j] *= scale
			}
		}
		p.Series = append(p.Series, plots.Series{Label: g, X: x, Y: y, Style: i})
	}
	return p
}

// finalScatter plots test accuracy (%) against the final value of field,
// one point per finished run, marker size growing with α.
func finalScatter(title, xlabel, field string, runs []runSpec, res map[string]*runResult, groups []string, alphas []float64) plots.Panel {
	p := plots.Panel{Title: title, XLabel: xlabel, YLabel: "test accuracy (%)", LogX: true, Scatter: true}
	for gi, g := range groups {
		s := plots.Series{Label: g, Style: gi}
		for _, r := range runs {
			rr := res[r.Name]
			if r.Group != g || rr == nil || rr.Status != "done" || rr.Final == nil {
				continue
			}
			s.X = append(s.X, rr.Final[field])
			s.Y = append(s.Y, 100*rr.Final["test_acc"])
			size := 0.5
			if k := slices.Index(alphas, r.Alpha); k >= 0 && len(alphas) > 1 {
				size = float64(k) / float64(len(alphas)-1) // alphas are listed large to small
				size = 1 - size
			}
			s.Size = append(s.Size, size)
		}
		p.Series = append(p.Series, s)
	}
	return p
}

func plotTeacher(fig, dir, runsDir string, ts teacherSetup, runs []runSpec, res map[string]*runResult) error {
	groups := groupOrder(runs)
	var left []runSpec
	for _, r := range runs {
		if r.Alpha == ts.AlphaLeft {
			left = append(left, r)
		}
	}
	data := loadRuns(runsDir, left, res)
	base := filepath.Join(dir, fig)
	a := fmt.Sprintf(" (α=%g)", ts.AlphaLeft)
	switch fig {
	case "fig1":
		return plots.Save(base, []plots.Panel{
			curvePanel("γ1 = qmin/‖θ‖∞²"+a, "γ1", "gamma1", groups, data, true, 1),
			curvePanel("γ2 = qmin/‖θ‖₂²"+a, "γ2", "gamma2", groups, data, true, 1),
			curvePanel("γ∞ = qmin/‖θ‖₁²"+a, "γ∞", "gammaInf", groups, data, true, 1),
			finalScatter("test accuracy vs final γ∞ (size: α)", "γ∞", "gammaInf", runs, res, groups, ts.Alphas),
		}, 4)
	case "fig4":
		return plots.Save(base, []plots.Panel{
			finalScatter("test accuracy vs final γ1 (size: α)", "γ1", "gamma1", runs, res, groups, ts.Alphas),
			finalScatter("test accuracy vs final γ2 (size: α)", "γ2", "gamma2", runs, res, groups, ts.Alphas),
		}, 2)
	default: // switch
		return plots.Save(base, []plots.Panel{
			finalScatter("test accuracy vs final γ∞", "γ∞", "gammaInf", runs, res, groups, ts.Alphas),
			finalScatter("test accuracy vs final γ1", "γ1", "gamma1", runs, res, groups, ts.Alphas),
			finalScatter("test accuracy vs final γ2", "γ2", "gamma2", runs, res, groups, ts.Alphas),
		}, 3)
	}
}

func plotMNIST(fig, dir, runsDir string, runs []runSpec, res map[string]*runResult) error {
	groups := groupOrder(runs)
	data := loadRuns(runsDir, runs, res)
	return plots.Save(filepath.Join(dir, fig), mnistPanels(groups, data), 3)
}

func mnistPanels(groups []string, data map[string][][]train.Row) []plots.Panel {
	return []plots.Panel{
		curvePanel("train accuracy", "accuracy", "train_acc", groups, data, false, 1),
		curvePanel("test accuracy", "accuracy", "test_acc", groups, data, false, 1),
		curvePanel("training loss", "L(θ)", "loss", groups, data, true, 1),
		curvePanel("ℓ1 margin γ1 = qmin/‖θ‖∞²", "γ1", "gamma1", groups, data, false, 1),
		curvePanel("ℓ2 margin γ2 = qmin/‖θ‖₂²", "γ2", "gamma2", groups, data, false, 1),
		curvePanel("ℓ∞ margin γ∞ = qmin/‖θ‖₁²", "γ∞", "gammaInf", groups, data, false, 1),
	}
}

func plotShampoo(dir, runsDir string, runs []runSpec, res map[string]*runResult) error {
	groups := groupOrder(runs)
	data := loadRuns(runsDir, runs, res)
	// Test loss: the records hold its logarithm.
	for _, g := range groups {
		for _, rows := range data[g] {
			for _, r := range rows {
				if v, ok := r["test_log_loss"]; ok {
					r["test_loss"] = math.Exp(v)
				}
			}
		}
	}
	return plots.Save(filepath.Join(dir, "fig3"), []plots.Panel{
		curvePanel("training loss", "L(θ)", "loss", groups, data, true, 1),
		curvePanel("test loss", "L_test(θ)", "test_loss", groups, data, true, 1),
		curvePanel("spectral margin qmin/σmax(W1)", "γσ", "gammaSpec", groups, data, false, 1),
		curvePanel("ℓ1 margin qmin/‖W1‖∞", "γ1", "gamma1", groups, data, false, 1),
	}, 2)
}

// cmdPlot redraws figures from metrics files, or from a reproduce output
// directory (one holding manifest.json).
func cmdPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot")
	out := fs.String("out", "", "output directory for the PNG and SVG files (required)")
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out DIR is required")
	}
	if len(pos) == 0 {
		return usagef("give metrics FILES.jsonl or a reproduce output directory")
	}
	if fi, err := os.Stat(pos[0]); err == nil && fi.IsDir() {
		if len(pos) > 1 {
			return usagef("give one reproduce directory, or metrics files")
		}
		return replotExperiment(pos[0], *out, stdout)
	}
	data := map[string][][]train.Row{}
	var groups []string
	final := map[string]train.Row{}
	for _, f := range pos {
		rows, err := train.ReadMetrics(f)
		if err != nil {
			return err
		}
		g := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		if slices.Contains(groups, g) {
			g = f
		}
		groups = append(groups, g)
		data[g] = [][]train.Row{rows}
		final[g] = rows[len(rows)-1]
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	panels := []plots.Panel{
		curvePanel("γ1 = qmin/‖θ‖∞^L", "γ1", "gamma1", groups, data, true, 1),
		curvePanel("γ2 = qmin/‖θ‖₂^L", "γ2", "gamma2", groups, data, true, 1),
		curvePanel("γ∞ = qmin/‖θ‖₁^L", "γ∞", "gammaInf", groups, data, true, 1),
		curvePanel("training loss", "L(θ)", "loss", groups, data, true, 1),
	}
	if err := plots.Save(filepath.Join(*out, "margins"), panels, 4); err != nil {
		return err
	}
	if err := plots.Save(filepath.Join(*out, "curves"), mnistPanels(groups, data), 3); err != nil {
		return err
	}
	var sc []plots.Panel
	for _, f := range [][2]string{{"gamma1", "γ1"}, {"gamma2", "γ2"}, {"gammaInf", "γ∞"}} {
		p := plots.Panel{Title: "test accuracy vs final " + f[1], XLabel: f[1], YLabel: "test accuracy (%)", LogX: true, Scatter: true}
		for i, g := range groups {
			if acc, ok := final[g]["test_acc"]; ok {
				p.Series = append(p.Series, plots.Series{Label: g, X: []float64{final[g][f[0]]}, Y: []float64{100 * acc}, Style: i})
			}
		}
		sc = append(sc, p)
	}
	if err := plots.Save(filepath.Join(*out, "accuracy"), sc, 3); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote margins, curves and accuracy (.png, .svg) to %s\n", *out)
	return nil
}

// replotExperiment redraws a reproduce directory from its manifest.
func replotExperiment(dir, out string, stdout io.Writer) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Errorf("%s is not a reproduce output directory: %w", dir, err)
	}
	var m struct {
		Experiment string            `json:"experiment"`
		Flags      reproduceOptions  `json:"flags"`
		Runs       []json.RawMessage `json:"runs"`
		Choices    map[string]any    `json:"choices"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s/manifest.json: %w", dir, err)
	}
	ro := m.Flags
	ro.dSet = true // the manifest holds the d that was used
	exp, err := buildExperiment(&ro)
	if err != nil {
		return err
	}
	res := map[string]*runResult{}
	for _, r := range exp.Runs {
		rb, err := os.ReadFile(filepath.Join(dir, "runs", r.Name+".done.json"))
		if err != nil {
			continue
		}
		var rr runResult
		if json.Unmarshal(rb, &rr) == nil {
			res[r.Name] = &rr
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := exp.Plot(out, filepath.Join(dir, "runs"), exp.Runs, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "redrew %s into %s\n", exp.Name, out)
	return nil
}
