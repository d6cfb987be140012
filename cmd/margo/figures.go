package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/margo-lab/margo/cmd/margo/internal/plots"
	"github.com/margo-lab/margo/steepest/train"
)

// knownStyles fixes the look of the groups margo's experiments use, so that
// an algorithm looks the same in every figure (plots.LookOf).
var knownStyles = map[string]int{
	"GD": 0, "SD": 1, "CD": 2, "GD→SD": 3, "GD→CD": 4,
	"Adam ε=1e-08 β=(0,0)": 2, "Adam ε=1e-08 β=(0.9,0.99)": 3,
	"Adam ε=0.01 β=(0,0)": 4, "Adam ε=0.01 β=(0.9,0.99)": 5,
	"Adam (β1=0)": 2, "Shampoo": 3, "spectral SD (Eq. 82)": 4,
}

// groupStyles gives each group a distinct look index below
// plots.StyleCount: its known one if free, else the lowest unused one.
func groupStyles(groups []string) map[string]int {
	out := map[string]int{}
	used := map[int]bool{}
	for _, g := range groups {
		if s, ok := knownStyles[g]; ok && !used[s] {
			out[g], used[s] = s, true
		}
	}
	for _, g := range groups {
		if _, ok := out[g]; ok {
			continue
		}
		s := 0
		for used[s] {
			s++
		}
		out[g], used[s] = s, true
	}
	return out
}

// curveStats returns, at every step any run recorded, the mean, min and max
// of field over the runs. A run that stopped early holds its last value (as
// the paper plots SD after its early stop); a step where a run lacks the
// field or holds NaN (null) is left out.
func curveStats(runs [][]train.Row, field string) (x, mean, lo, hi []float64) {
	steps := map[float64]bool{}
	for _, rows := range runs {
		for _, r := range rows {
			steps[r["step"]] = true
		}
	}
	all := make([]float64, 0, len(steps))
	for s := range steps {
		all = append(all, s)
	}
	slices.Sort(all)
	for _, s := range all {
		sum, mn, mx, ok := 0.0, math.Inf(1), math.Inf(-1), len(runs) > 0
		for _, rows := range runs {
			j := max(0, sort.Search(len(rows), func(j int) bool { return rows[j]["step"] > s })-1)
			v, has := rows[j][field]
			if !has || math.IsNaN(v) {
				ok = false
				break
			}
			sum, mn, mx = sum+v, min(mn, v), max(mx, v)
		}
		if ok {
			x, mean, lo, hi = append(x, s), append(mean, sum/float64(len(runs))), append(lo, mn), append(hi, mx)
		}
	}
	return x, mean, lo, hi
}

// curvePanel is one panel of per-group curves of field against step: the
// mean over runs, and with more than one run the min–max band.
func curvePanel(title, ylabel, field string, groups []string, data map[string][][]train.Row, logY bool, scale float64) plots.Panel {
	p := plots.Panel{Title: title, XLabel: "step", YLabel: ylabel, LogX: true, LogY: logY}
	st := groupStyles(groups)
	for _, g := range groups {
		if len(data[g]) == 0 {
			continue
		}
		x, y, lo, hi := curveStats(data[g], field)
		for j := range y {
			y[j], lo[j], hi[j] = y[j]*scale, lo[j]*scale, hi[j]*scale
		}
		s := plots.Series{Label: g, X: x, Y: y, Style: st[g]}
		if len(data[g]) > 1 {
			s.Lo, s.Hi = lo, hi
		}
		p.Series = append(p.Series, s)
	}
	// A run that stopped early (SD at L < 1e−7) holds its last value to the
	// last step of the panel, as the paper draws it.
	end := math.Inf(-1)
	for _, s := range p.Series {
		if n := len(s.X); n > 0 {
			end = max(end, s.X[n-1])
		}
	}
	for i := range p.Series {
		s := &p.Series[i]
		if n := len(s.X); n > 0 && s.X[n-1] < end {
			s.X, s.Y = append(s.X, end), append(s.Y, s.Y[n-1])
			if s.Lo != nil {
				s.Lo, s.Hi = append(s.Lo, s.Lo[n-1]), append(s.Hi, s.Hi[n-1])
			}
		}
	}
	return p
}

// finalScatter plots test accuracy (%) against the final value of field,
// one point per finished run, marker size growing with α.
func finalScatter(title, xlabel, field string, runs []runSpec, res map[string]*runResult, groups []string, alphas []float64) plots.Panel {
	p := plots.Panel{Title: title, XLabel: xlabel, YLabel: "test accuracy (%)", LogX: true, Scatter: true}
	st := groupStyles(groups)
	for _, g := range groups {
		s := plots.Series{Label: g, Style: st[g]}
		for _, r := range runs {
			rr := res[r.Name]
			if r.Group != g || rr == nil || rr.Status != "done" || rr.Final == nil {
				continue
			}
			s.X = append(s.X, rr.Final[field])
			s.Y = append(s.Y, 100*rr.Final["test_acc"])
			size := 0.5
			if k := slices.Index(alphas, r.Alpha); k >= 0 && len(alphas) > 1 {
				size = 1 - float64(k)/float64(len(alphas)-1) // alphas are listed large to small
			}
			s.Size = append(s.Size, size)
		}
		p.Series = append(p.Series, s)
	}
	return p
}

// coincidence names the pairs of groups whose mean curves of field lie on
// top of each other: within 5% of the curve's range at every step both
// recorded, up to the end of the shorter one (at least five such steps).
func coincidence(groups []string, data map[string][][]train.Row, field string) string {
	var notes []string
	for i, a := range groups {
		for _, b := range groups[i+1:] {
			if len(data[a]) == 0 || len(data[b]) == 0 {
				continue
			}
			xa, ya, _, _ := curveStats(data[a], field)
			xb, yb, _, _ := curveStats(data[b], field)
			if len(xa) == 0 || len(xb) == 0 {
				continue
			}
			first := a // the one that ends first
			if xb[len(xb)-1] < xa[len(xa)-1] {
				first, xa, ya, xb, yb = b, xb, yb, xa, ya
			}
			tol := 0.05 * (slices.Max(ya) - slices.Min(ya))
			matched, all := 0, true
			for k, x := range xa {
				j, found := slices.BinarySearch(xb, x)
				if !found {
					continue
				}
				if math.Abs(ya[k]-yb[j]) > tol {
					all = false
					break
				}
				matched++
			}
			if !all || matched < 5 {
				continue
			}
			if xa[len(xa)-1] == xb[len(xb)-1] {
				notes = append(notes, fmt.Sprintf("%s and %s coincide at every step", a, b))
			} else {
				notes = append(notes, fmt.Sprintf("%s and %s coincide up to step %g, where %s stops", a, b, xa[len(xa)-1], first))
			}
		}
	}
	if len(notes) == 0 {
		return ""
	}
	return " In γ1, " + strings.Join(notes, "; ") + " (within 5% of the curve's range): their lines lie on top of each other there, the markers are offset."
}

// seedNote describes how curves over several seeds are drawn.
func seedNote(data map[string][][]train.Row) string {
	n := 0
	for _, runs := range data {
		n = max(n, len(runs))
	}
	if n > 1 {
		return fmt.Sprintf(" Lines: mean over %d seeds; shaded: min–max over the seeds.", n)
	}
	return " One seed per curve."
}

// positiveNote is the caption's statement of the log-axis convention.
const positiveNote = " Margins on log axes are drawn only where they are positive: a curve starts where its margin becomes positive (the paper's convention)."

// figureCaption is the caption of an experiment's figure, also shown in
// its report.
func figureCaption(fig string) string {
	switch fig {
	case "fig1":
		return "Fig. 1: teacher–student, GD vs SD vs CD. Top: the three margins against steps (log–log) at the α given in the titles. Bottom left: final test accuracy against final γ∞, one point per run, marker size growing with α."
	case "fig4":
		return "Fig. 4: teacher–student, final test accuracy against final γ1 and γ2, one point per run, marker size growing with α."
	case "switch":
		return "Switching experiment: GD until 100% train accuracy, then SD or CD; final test accuracy against the final margins, one point per run, marker size growing with α."
	case "fig2", "fig5":
		d := "3 vs 6"
		if fig == "fig5" {
			d = "2 vs 7"
		}
		return "Fig. " + fig[3:] + ": MNIST " + d + ", GD vs SD vs Adam. Accuracy, training loss (log y) and the three margins (linear y: negative until the data is separated) against steps (log x). SD stops once L < 1e−7 and its last value is held."
	case "fig3":
		return "Fig. 3: MNIST 3 vs 6 with the second layer frozen, GD vs Adam (β1 = 0) vs Shampoo vs spectral steepest descent: training and test loss (log y) and the spectral and ℓ1 margins (linear y) against steps (log x)."
	}
	return ""
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
		return plots.Figure{Cols: 3, Caption: figureCaption(fig) + seedNote(data) + positiveNote, Panels: []plots.Panel{
			curvePanel("γ1 = qmin/‖θ‖∞²"+a, "γ1", "gamma1", groups, data, true, 1),
			curvePanel("γ2 = qmin/‖θ‖₂²"+a, "γ2", "gamma2", groups, data, true, 1),
			curvePanel("γ∞ = qmin/‖θ‖₁²"+a, "γ∞", "gammaInf", groups, data, true, 1),
			finalScatter("test accuracy vs final γ∞", "γ∞", "gammaInf", runs, res, groups, ts.Alphas),
		}}.Save(base)
	case "fig4":
		return plots.Figure{Cols: 3, Caption: figureCaption(fig), Panels: []plots.Panel{
			finalScatter("test accuracy vs final γ1", "γ1", "gamma1", runs, res, groups, ts.Alphas),
			finalScatter("test accuracy vs final γ2", "γ2", "gamma2", runs, res, groups, ts.Alphas),
		}}.Save(base)
	default: // switch
		return plots.Figure{Cols: 3, Caption: figureCaption(fig), Panels: []plots.Panel{
			finalScatter("test accuracy vs final γ∞", "γ∞", "gammaInf", runs, res, groups, ts.Alphas),
			finalScatter("test accuracy vs final γ1", "γ1", "gamma1", runs, res, groups, ts.Alphas),
			finalScatter("test accuracy vs final γ2", "γ2", "gamma2", runs, res, groups, ts.Alphas),
		}}.Save(base)
	}
}

func plotMNIST(fig, dir, runsDir string, runs []runSpec, res map[string]*runResult) error {
	groups := groupOrder(runs)
	data := loadRuns(runsDir, runs, res)
	return plots.Figure{Panels: mnistPanels(groups, data), Cols: 3,
		Caption: figureCaption(fig) + seedNote(data) + coincidence(groups, data, "gamma1")}.Save(filepath.Join(dir, fig))
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
	return plots.Figure{Cols: 2, Caption: figureCaption("fig3") + seedNote(data), Panels: []plots.Panel{
		curvePanel("training loss", "L(θ)", "loss", groups, data, true, 1),
		curvePanel("test loss", "L_test(θ)", "test_loss", groups, data, true, 1),
		curvePanel("spectral margin qmin/σmax(W1)", "γσ", "gammaSpec", groups, data, false, 1),
		curvePanel("ℓ1 margin qmin/‖W1‖∞", "γ1", "gamma1", groups, data, false, 1),
	}}.Save(filepath.Join(dir, "fig3"))
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
// readSmall reads a file of at most max bytes (a manifest or a record:
// anything larger is not one).
func readSmall(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, nil
}

func replotExperiment(dir, out string, stdout io.Writer) error {
	b, err := readSmall(filepath.Join(dir, "manifest.json"), 64<<20)
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
	isStudy := slices.Contains(studyNames, ro.Figure)
	check := ro.validate
	if isStudy {
		check = func() error { return checkRunOptions(&ro) } // studies choose their own d
	}
	if err := check(); err != nil {
		return fmt.Errorf("%s/manifest.json: %w", dir, err)
	}
	var st *study
	var exp *experiment
	if isStudy {
		if st, err = buildStudy(&ro); err != nil {
			return err
		}
		exp = st.exp
	} else if exp, err = buildExperiment(&ro); err != nil {
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
	if st != nil && st.chart != nil { // a study's statistics chart
		if err := st.chart(out, studyStats(st, filepath.Join(dir, "runs"), res)); err != nil {
			return err
		}
	}
	if err := writeReport(out, filepath.Join(dir, "runs"), exp, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "redrew %s and report.html into %s\n", exp.Name, out)
	return nil
}
