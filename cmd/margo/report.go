package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/margo-lab/margo/steepest/train"
)

// summaryKeys are the final-record fields of the summary table, in order.
var summaryKeys = []string{"train_acc", "test_acc", "gamma1", "gamma2", "gammaInf", "gammaSpec", "log_loss"}

// summaryRow is one group of the summary: how many runs finished, how many
// of them ended separated (train accuracy 1), and the mean final values.
type summaryRow struct {
	Group     string // group, with " α=…" for experiments that vary α
	Alg       string // the run group without α (GD, SD, Adam …)
	Alpha     float64
	Runs, Sep int
	Mean      map[string]float64 // key absent: no run recorded it
}

// claimCheck is one claim of shared/paper.md §6 with margo's numbers.
type claimCheck struct {
	ID      string // "§6.2"
	Claim   string
	Paper   string // the paper's numbers or statement
	Margo   string // margo's numbers
	Verdict string // "holds", "does not hold", "not measured"
}

// summary is what the terminal summary and report.html both show.
type summary struct {
	Keys   []string
	Rows   []summaryRow
	Claims []claimCheck
}

// fmtVal formats a summary number as the terminal table does.
func fmtVal(v float64) string { return fmt.Sprintf("%.4g", v) }

// row returns the summary row of group g, or nil.
func (s *summary) row(g string) *summaryRow {
	for i := range s.Rows {
		if s.Rows[i].Group == g {
			return &s.Rows[i]
		}
	}
	return nil
}

// summarize computes the summary of an experiment's finished runs. With
// runsDir set, the claims that need curves (the margin at separation, a
// peak) read the runs' metrics there; without it they are not measured.
func summarize(exp *experiment, res map[string]*runResult, runsDir string) *summary {
	s := &summary{Keys: summaryKeys}
	sums := map[string]map[string]float64{}
	for _, r := range exp.Runs {
		rr := res[r.Name]
		if rr == nil || rr.Status != "done" || rr.Final == nil {
			continue
		}
		g := r.Group
		if r.Alpha != 0 {
			g = fmt.Sprintf("%s α=%g", r.Group, r.Alpha)
		}
		row := s.row(g)
		if row == nil {
			s.Rows = append(s.Rows, summaryRow{Group: g, Alg: r.Group, Alpha: r.Alpha})
			row = &s.Rows[len(s.Rows)-1]
			sums[g] = map[string]float64{}
		}
		row.Runs++
		if rr.Final["train_acc"] == 1 {
			row.Sep++
		}
		for _, k := range summaryKeys {
			if v, ok := rr.Final[k]; ok {
				sums[g][k] += v
			}
		}
	}
	for i := range s.Rows {
		r := &s.Rows[i]
		r.Mean = map[string]float64{}
		for k, v := range sums[r.Group] {
			r.Mean[k] = v / float64(r.Runs) // as before: the mean over all finished runs of the group
		}
	}
	var curves map[string][][]train.Row // by summary row
	if runsDir != "" {
		curves = map[string][][]train.Row{}
		for _, r := range exp.Runs {
			g := r.Group
			if r.Alpha != 0 {
				g = fmt.Sprintf("%s α=%g", r.Group, r.Alpha)
			}
			for k, v := range loadRuns(runsDir, []runSpec{r}, res) {
				if k == r.Group {
					curves[g] = append(curves[g], v...)
				}
			}
		}
	}
	s.Claims = claimsOf(exp, s, curves)
	return s
}

// writeText prints the summary table and the claims.
func (s *summary) writeText(w io.Writer) {
	fmt.Fprintf(w, "%-34s %4s %4s", "final values (mean over seeds)", "runs", "sep")
	for _, k := range s.Keys {
		fmt.Fprintf(w, " %11s", k)
	}
	fmt.Fprintln(w)
	for _, r := range s.Rows {
		fmt.Fprintf(w, "%-34s %4d %4d", r.Group, r.Runs, r.Sep)
		for _, k := range s.Keys {
			if v, ok := r.Mean[k]; ok {
				fmt.Fprintf(w, " %11s", fmtVal(v))
			} else {
				fmt.Fprintf(w, " %11s", "-")
			}
		}
		fmt.Fprintln(w)
	}
	if len(s.Claims) == 0 {
		return
	}
	fmt.Fprintln(w, "claims of the paper (shared/paper.md §6):")
	for _, c := range s.Claims {
		fmt.Fprintf(w, "  %s [%s] %s\n      margo: %s\n      paper: %s\n", c.ID, c.Verdict, c.Claim, c.Margo, c.Paper)
	}
}

// verdict turns a comparison into a claim's verdict.
func verdict(ok bool) string {
	if ok {
		return "holds"
	}
	return "does not hold"
}

// ownMargin is the margin each algorithm is expected to grow (paper.md §4,
// §6.1), by group name.
var ownMargin = map[string]string{
	"GD": "gamma2", "SD": "gamma1", "CD": "gammaInf", "Shampoo": "gammaSpec", "spectral SD (Eq. 82)": "gammaSpec",
	"Adam ε=1e-08 β=(0,0)": "gamma1", "Adam ε=0.01 β=(0,0)": "gamma1",
}

var marginName = map[string]string{"gamma1": "γ1", "gamma2": "γ2", "gammaInf": "γ∞", "gammaSpec": "γσ"}

// atSeparation returns the mean over runs of field at each run's first
// record with train accuracy 1, and how many runs separated.
func atSeparation(runs [][]train.Row, field string) (mean float64, n int) {
	for _, rows := range runs {
		for _, r := range rows {
			if r["train_acc"] == 1 {
				if v, ok := r[field]; ok && !math.IsNaN(v) {
					mean += v
					n++
				}
				break
			}
		}
	}
	if n > 0 {
		mean /= float64(n)
	}
	return mean, n
}

// claimsOf checks the claims of paper.md §6 that the experiment covers,
// from the summary's numbers (and the curves, where a claim needs them).
func claimsOf(exp *experiment, s *summary, curves map[string][][]train.Row) []claimCheck {
	var out []claimCheck
	final := func(g, k string) (float64, bool) {
		r := s.row(g)
		if r == nil {
			return math.NaN(), false
		}
		v, ok := r.Mean[k]
		return v, ok
	}
	// §6.1: own margin grows after separation (needs the curves).
	sepClaim := func(groups []string, suffix, paper string) {
		c := claimCheck{ID: "§6.1", Claim: "each algorithm's own margin increases after separation (100% train accuracy)", Paper: paper}
		if curves == nil {
			c.Margo, c.Verdict = "needs the runs' metrics", "not measured"
			out = append(out, c)
			return
		}
		var parts []string
		ok, measured := true, false
		for _, g := range groups {
			m := ownMargin[g]
			fv, has := final(g+suffix, m)
			sv, n := atSeparation(curves[g+suffix], m)
			if !has || n == 0 {
				parts = append(parts, g+": no run separated")
				continue
			}
			measured = true
			parts = append(parts, fmt.Sprintf("%s %s %s at separation → %s at the end", g, marginName[m], fmtVal(sv), fmtVal(fv)))
			ok = ok && fv > sv
		}
		c.Margo = strings.Join(parts, "; ")
		c.Verdict = verdict(ok)
		if !measured {
			c.Margo, c.Verdict = "no run separated", "not measured"
		}
		out = append(out, c)
	}
	peak := func(g, field string) (x, y float64, ok bool) {
		xs, ys, _, _ := curveStats(curves[g], field)
		if len(ys) == 0 {
			return 0, 0, false
		}
		i := 0
		for j := range ys {
			if ys[j] > ys[i] {
				i = j
			}
		}
		return xs[i], ys[i], true
	}
	switch exp.Name {
	case "fig2", "fig5":
		paper1, paper2, paper6 := "Fig. 2: SD γ1 ≈ 880, GD γ2 ≈ 0.62", "Fig. 2: SD γ1 ≈ 880 vs GD ≈ 20; GD γ2 ≈ 0.62 vs the others ≈ 0.05–0.28", "Fig. 2: γ1 peaks at ≈ 430 near step 30, falls to ≈ 80 by 1–2e3 (then ≈ 160); γ2 slowly rises"
		paper6b := "Fig. 2: ε = 1e−2 plateaus at ≈ 700 (to ≈ 600 steps) against ε = 1e−8's peak ≈ 430"
		if exp.Name == "fig5" {
			paper1, paper2, paper6 = "Fig. 5: SD γ1 ≈ 380, GD γ2 ≈ 0.48", "Fig. 5: SD γ1 ≈ 380; GD γ2 ≈ 0.48 vs the others ≈ 0.05–0.22", "Fig. 5: Adam γ1 peaks at ≈ 400–450 near steps 25–40, ending at ≈ 80–300"
			paper6b = "Fig. 5: not given separately"
		}
		sepClaim([]string{"GD", "SD"}, "", paper1)
		g1sd, ok1 := final("SD", "gamma1")
		g1gd, ok2 := final("GD", "gamma1")
		g2sd, ok3 := final("SD", "gamma2")
		g2gd, ok4 := final("GD", "gamma2")
		c := claimCheck{ID: "§6.2", Claim: "on MNIST, SD ends with a larger γ1 than GD and GD with a larger γ2 than SD", Paper: paper2}
		if ok1 && ok2 && ok3 && ok4 {
			c.Margo = fmt.Sprintf("γ1: SD %s, GD %s; γ2: GD %s, SD %s", fmtVal(g1sd), fmtVal(g1gd), fmtVal(g2gd), fmtVal(g2sd))
			c.Verdict = verdict(g1sd > g1gd && g2gd > g2sd)
		} else {
			c.Margo, c.Verdict = "GD or SD did not finish", "not measured"
		}
		out = append(out, c)
		const adam, adamEps = "Adam ε=1e-08 β=(0.9,0.99)", "Adam ε=0.01 β=(0.9,0.99)"
		c = claimCheck{ID: "§6.6", Claim: "Adam (ε = 1e−8, β = (0.9, 0.99)) first grows γ1 like SD, then lets γ1 fall while γ2 slowly grows", Paper: paper6}
		px, py, okp := peak(adam, "gamma1")
		f1, okf1 := final(adam, "gamma1")
		f2, okf2 := final(adam, "gamma2")
		switch {
		case curves == nil:
			c.Margo, c.Verdict = "needs the runs' metrics", "not measured"
		case !okp || !okf1 || !okf2:
			c.Margo, c.Verdict = adam+" did not finish", "not measured"
		default:
			xs, g2, _, _ := curveStats(curves[adam], "gamma2")
			at := math.NaN()
			if i := slices.Index(xs, px); i >= 0 {
				at = g2[i]
			}
			c.Margo = fmt.Sprintf("γ1 peaks at %s (step %g), ends at %s; γ2 %s at the peak → %s at the end", fmtVal(py), px, fmtVal(f1), fmtVal(at), fmtVal(f2))
			c.Verdict = verdict(py > 0 && f1 < py && f2 > at)
		}
		out = append(out, c)
		c = claimCheck{ID: "§6.6", Claim: "a larger ε (1e−2) grows γ1 further than ε = 1e−8 (β = (0.9, 0.99))", Paper: paper6b}
		_, pe, oke := peak(adamEps, "gamma1")
		switch {
		case curves == nil:
			c.Margo, c.Verdict = "needs the runs' metrics", "not measured"
		case !okp || !oke:
			c.Margo, c.Verdict = "an Adam run did not finish", "not measured"
		default:
			c.Margo = fmt.Sprintf("peak γ1: ε = 1e−2 %s, ε = 1e−8 %s", fmtVal(pe), fmtVal(py))
			c.Verdict = verdict(pe > py)
		}
		out = append(out, c)
	case "fig3":
		sepClaim([]string{"Shampoo", "spectral SD (Eq. 82)"}, "", "Fig. 3: the spectral margin grows after separation")
		c := claimCheck{ID: "§6.7", Claim: "Shampoo (no momentum) ends with the largest spectral margin γσ among Shampoo, Adam and GD",
			Paper: "Fig. 3: Shampoo ≈ 5.5e−3, Adam ≈ 5e−3, GD ≈ 4.5e−3"}
		sh, ok1 := final("Shampoo", "gammaSpec")
		ad, ok2 := final("Adam (β1=0)", "gammaSpec")
		gd, ok3 := final("GD", "gammaSpec")
		if ok1 && ok2 && ok3 {
			c.Margo = fmt.Sprintf("Shampoo %s, Adam %s, GD %s", fmtVal(sh), fmtVal(ad), fmtVal(gd))
			c.Verdict = verdict(sh > ad && sh > gd)
		} else {
			c.Margo, c.Verdict = "Shampoo, Adam or GD did not finish", "not measured"
		}
		out = append(out, c)
	case "fig1", "fig4", "switch":
		out = append(out, teacherClaims(exp, s, curves, sepClaim)...)
	}
	return out
}

// teacherClaims are the claims of the teacher–student experiments (§6.1–6.5).
func teacherClaims(exp *experiment, s *summary, curves map[string][][]train.Row, sepClaim func([]string, string, string)) []claimCheck {
	var out []claimCheck
	alphas := map[float64]bool{}
	for _, r := range s.Rows {
		alphas[r.Alpha] = true
	}
	var as []float64
	for a := range alphas {
		as = append(as, a)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(as)))
	left, _ := exp.Choices["fig1_left_alpha"].(float64)
	if !alphas[left] && len(as) > 0 {
		left = as[0]
	}
	suffix := fmt.Sprintf(" α=%g", left)
	get := func(g, k string) (float64, bool) {
		if r := s.row(g); r != nil {
			v, ok := r.Mean[k]
			return v, ok
		}
		return math.NaN(), false
	}
	if exp.Name == "fig1" {
		sepClaim([]string{"GD", "SD", "CD"}, suffix, "Fig. 1 left: each margin grows once positive")
	}
	// §6.2: ordering per margin at the α of Fig. 1 left.
	c := claimCheck{ID: "§6.2", Claim: fmt.Sprintf("SD has the largest γ1, GD the largest γ2, CD the largest γ∞ (α = %g)", left),
		Paper: "Fig. 1 left: γ1 SD ≈ 5e4, GD ≈ 1–2e2, CD ≈ 0.2; γ2 GD ≈ 1, CD ≈ 0.08, SD ≈ 1e−2; γ∞ CD ≈ 2e−6, GD ≈ 1.5e−7, SD ≈ 3e−10"}
	var parts []string
	ok, measured := true, true
	for _, m := range []struct{ field, best string }{{"gamma1", "SD"}, {"gamma2", "GD"}, {"gammaInf", "CD"}} {
		var vals []string
		bv, okb := get(m.best+suffix, m.field)
		if !okb {
			measured = false
			continue
		}
		for _, g := range []string{"GD", "SD", "CD"} {
			v, okv := get(g+suffix, m.field)
			if !okv {
				continue
			}
			vals = append(vals, g+" "+fmtVal(v))
			if g != m.best && v >= bv {
				ok = false
			}
		}
		parts = append(parts, marginName[m.field]+": "+strings.Join(vals, ", "))
	}
	c.Margo, c.Verdict = strings.Join(parts, "; "), verdict(ok)
	if !measured {
		c.Verdict = "not measured"
	}
	out = append(out, c)
	// §6.3: smaller init ⇒ larger final margin, per algorithm's own margin.
	c = claimCheck{ID: "§6.3", Claim: "a smaller initialization scale α gives a larger final margin (each algorithm's own)",
		Paper: "Fig. 1 right: CD γ∞ ≈ 2e−5 at α = 0.001 against ≈ 1e−7 and ≈ 10^−9.5 at larger α; Fig. 4 for γ1, γ2"}
	parts, ok, measured = nil, true, false
	for _, g := range []string{"GD", "SD", "CD"} {
		m := ownMargin[g]
		var vals []string
		prev, first := math.Inf(-1), true
		for _, a := range as { // large α to small
			v, okv := get(fmt.Sprintf("%s α=%g", g, a), m)
			if !okv {
				continue
			}
			vals = append(vals, fmt.Sprintf("α=%g %s", a, fmtVal(v)))
			if !first && v <= prev {
				ok = false
			}
			prev, first = v, false
		}
		if len(vals) > 1 {
			measured = true
			parts = append(parts, g+" "+marginName[m]+": "+strings.Join(vals, ", "))
		}
	}
	c.Margo, c.Verdict = strings.Join(parts, "; "), verdict(ok)
	if !measured {
		c.Margo, c.Verdict = "needs at least two α", "not measured"
	}
	out = append(out, c)
	// §6.4: test accuracy CD > GD > SD, over all runs of each algorithm.
	acc := func(alg string) (float64, int) {
		sum, n := 0.0, 0
		for _, r := range s.Rows {
			if v, ok := r.Mean["test_acc"]; ok && r.Alg == alg {
				sum += v * float64(r.Runs)
				n += r.Runs
			}
		}
		if n == 0 {
			return math.NaN(), 0
		}
		return sum / float64(n), n
	}
	c = claimCheck{ID: "§6.4", Claim: "expected test accuracy order for the sparse teacher: CD > GD > SD (mean over all runs)",
		Paper: "Fig. 1 right: CD ≈ 50–84%, GD ≈ 45–63%, SD ≈ 46–65% (more good CD runs; not a strict order)"}
	cd, ncd := acc("CD")
	gd, ngd := acc("GD")
	sd, nsd := acc("SD")
	if ncd > 0 && ngd > 0 && nsd > 0 {
		c.Margo = fmt.Sprintf("CD %s, GD %s, SD %s", fmtVal(cd), fmtVal(gd), fmtVal(sd))
		c.Verdict = verdict(cd > gd && gd > sd)
	} else {
		c.Margo, c.Verdict = "GD, SD or CD did not finish", "not measured"
	}
	out = append(out, c)
	if exp.Name == "switch" {
		c = claimCheck{ID: "§6.5", Claim: "switching from GD to SD or CD after separation changes test accuracy by at most 2 points (\"barely\"), and GD→CD stays below full CD",
			Paper: "Fig. 1 right: GD→CD ≈ 55–59%, GD→SD ≈ 50–62%, against GD ≈ 45–63% and CD ≈ 50–84%"}
		g2c, n1 := acc("GD→CD")
		g2s, n2 := acc("GD→SD")
		if n1 > 0 && n2 > 0 && ngd > 0 && ncd > 0 {
			c.Margo = fmt.Sprintf("GD→CD %s, GD→SD %s, GD %s, CD %s", fmtVal(g2c), fmtVal(g2s), fmtVal(gd), fmtVal(cd))
			c.Verdict = verdict(math.Abs(g2c-gd) <= 0.02 && math.Abs(g2s-gd) <= 0.02 && g2c < cd)
		} else {
			c.Margo, c.Verdict = "a switched or full run group did not finish", "not measured"
		}
		out = append(out, c)
	}
	return out
}

// reportFigure is one figure of the report: its inline SVG (which draws
// its own caption).
type reportFigure struct {
	Name string
	SVG  template.HTML
}

// reportSetting is one row of the settings table.
type reportSetting struct{ Key, Value string }

// reportPage is everything report.html shows.
type reportPage struct {
	Experiment string
	Meta       []reportSetting // from the manifest: version, SIMD path, flags, wall time
	Summary    *summary
	Figures    []reportFigure
	Settings   []reportSetting
	Runs       []reportRun
}

// reportRun is one row of the runs table.
type reportRun struct {
	Name, Group, Status, Error string
	LastStep                   int
	Seconds                    string
}

// inlineSVG returns an SVG file's <svg> element, without the XML prolog, so
// that it can sit in an HTML page.
func inlineSVG(b []byte) (template.HTML, error) {
	i := bytes.Index(b, []byte("<svg"))
	if i < 0 {
		return "", fmt.Errorf("not an SVG file")
	}
	return template.HTML(bytes.TrimSpace(b[i:])), nil // our own plots' output
}

// settingValue renders a manifest value for the settings table.
func settingValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprintf("%g", x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// writeReport writes outDir/report.html: the experiment's summary table and
// claims (the numbers the terminal summary prints), its figures inline as
// SVG (outDir/NAME.svg, written by the experiment's Plot), its settings
// and its runs. runsDir holds the runs' metrics; the manifest beside it
// (runsDir/../manifest.json), if present, adds the version and flags.
func writeReport(outDir, runsDir string, exp *experiment, res map[string]*runResult) error {
	page := reportPage{Experiment: exp.Name, Summary: summarize(exp, res, runsDir)}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(runsDir), "manifest.json")); err == nil {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			for _, k := range []string{"version", "simd", "goarch", "flags", "wall_seconds"} {
				if v, ok := m[k]; ok {
					page.Meta = append(page.Meta, reportSetting{k, settingValue(v)})
				}
			}
		}
	}
	// The experiment's figure first, then any other figure it drew (a
	// study's statistics chart, its second data source).
	svgs, _ := filepath.Glob(filepath.Join(outDir, "*.svg"))
	sort.SliceStable(svgs, func(i, j int) bool {
		return filepath.Base(svgs[i]) == exp.Name+".svg" && filepath.Base(svgs[j]) != exp.Name+".svg"
	})
	if len(svgs) == 0 {
		return fmt.Errorf("no figure in %s", outDir)
	}
	for _, f := range svgs {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		svg, err := inlineSVG(b)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		page.Figures = append(page.Figures, reportFigure{Name: strings.TrimSuffix(filepath.Base(f), ".svg"), SVG: svg})
	}
	for k, v := range exp.Choices {
		page.Settings = append(page.Settings, reportSetting{k, settingValue(v)})
	}
	sort.Slice(page.Settings, func(i, j int) bool { return page.Settings[i].Key < page.Settings[j].Key })
	for _, r := range exp.Runs {
		rr := res[r.Name]
		if rr == nil {
			page.Runs = append(page.Runs, reportRun{Name: r.Name, Group: r.Group, Status: "missing"})
			continue
		}
		page.Runs = append(page.Runs, reportRun{Name: r.Name, Group: r.Group, Status: rr.Status, Error: rr.Error,
			LastStep: rr.LastStep, Seconds: fmt.Sprintf("%.1f", rr.Seconds)})
	}
	return train.WriteFile(filepath.Join(outDir, "report.html"), func(w io.Writer) error {
		return reportTemplate.Execute(w, page)
	})
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"val": func(r summaryRow, k string) string {
		if v, ok := r.Mean[k]; ok {
			return fmtVal(v)
		}
		return "-"
	},
	"verdictClass": func(v string) string { return strings.ReplaceAll(v, " ", "-") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>margo reproduce {{.Experiment}}</title>
<style>
body { font-family: "Liberation Serif", "Times New Roman", serif; max-width: 60em; margin: 1.5em auto; padding: 0 1em; color: #111; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.holds td.verdict { background: #e3f2e8; } tr.does-not-hold td.verdict { background: #fbe4dc; } tr.not-measured td.verdict { background: #eee; }
figure { margin: 1em 0; } figure svg { width: 100%; height: auto; }
figcaption { font-size: 0.9em; }
.meta td:first-child, #settings-table td:first-child { white-space: nowrap; }
</style>
</head>
<body>
<h1>margo reproduce {{.Experiment}}</h1>
{{if .Meta}}<table class="meta" id="meta-table">
{{range .Meta}}<tr><td>{{.Key}}</td><td>{{.Value}}</td></tr>
{{end}}</table>{{end}}
<section id="summary">
<h2>Summary: final values, mean over seeds</h2>
<table id="summary-table">
<thead><tr><th>group</th><th>runs</th><th>sep</th>{{range .Summary.Keys}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $r := .Summary.Rows}}<tr><td class="group">{{$r.Group}}</td><td class="num">{{$r.Runs}}</td><td class="num">{{$r.Sep}}</td>{{range $.Summary.Keys}}<td class="num">{{val $r .}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
<p>sep: runs that ended at train accuracy 1. The terminal summary of <code>margo reproduce</code> prints the same numbers.</p>
</section>
<section id="claims">
<h2>Claims of the paper (shared/paper.md §6)</h2>
{{if .Summary.Claims}}<table id="claims-table">
<thead><tr><th>claim</th><th>statement</th><th>paper</th><th>margo</th><th>verdict</th></tr></thead>
<tbody>
{{range .Summary.Claims}}<tr class="{{verdictClass .Verdict}}"><td>{{.ID}}</td><td>{{.Claim}}</td><td class="paper">{{.Paper}}</td><td class="margo">{{.Margo}}</td><td class="verdict">{{.Verdict}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p>This experiment covers no claim of §6.</p>{{end}}
</section>
<section id="figures">
<h2>Figures</h2>
{{range .Figures}}<figure id="figure-{{.Name}}">
{{.SVG}}
<figcaption>The caption is part of the figure; the same figure as files: <a href="{{.Name}}.png">{{.Name}}.png</a>, <a href="{{.Name}}.svg">{{.Name}}.svg</a>.</figcaption>
</figure>
{{end}}</section>
<section id="settings">
<h2>Settings (the manifest's choices)</h2>
<table id="settings-table">
<tbody>
{{range .Settings}}<tr><td>{{.Key}}</td><td>{{.Value}}</td></tr>
{{end}}</tbody>
</table>
</section>
<section id="runs">
<h2>Runs</h2>
<table id="runs-table">
<thead><tr><th>run</th><th>group</th><th>status</th><th>last step</th><th>seconds</th></tr></thead>
<tbody>
{{range .Runs}}<tr><td>{{.Name}}</td><td>{{.Group}}</td><td>{{.Status}}{{if .Error}}: {{.Error}}{{end}}</td><td class="num">{{.LastStep}}</td><td class="num">{{.Seconds}}</td></tr>
{{end}}</tbody>
</table>
</section>
</body>
</html>
`))
