package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/margo-lab/margo/steepest/train"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/ (report and sweep tests)")

// syntheticFig2 is a fig2-shaped experiment with hand-made final values and
// curves: γ1 of "Adam ε=1e-08 β=(0.9,0.99)" peaks at step 10 and falls.
func syntheticFig2(t *testing.T, dir string) (*experiment, map[string]*runResult, string) {
	t.Helper()
	groups := []string{"GD", "SD", "Adam ε=1e-08 β=(0,0)", "Adam ε=1e-08 β=(0.9,0.99)", "Adam ε=0.01 β=(0,0)", "Adam ε=0.01 β=(0.9,0.99)"}
	exp := &experiment{Name: "fig2", Choices: map[string]any{"lr": 0.003, "steps": 100, "digits": "3 (+1) vs 6 (−1)", "seeds": 1}}
	res := map[string]*runResult{}
	runsDir := filepath.Join(dir, "runs")
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, g := range groups {
		name := fmt.Sprintf("v%d_s1", i)
		exp.Runs = append(exp.Runs, runSpec{Name: name, Group: g, Seed: 1})
		var lines []string
		var last train.Row
		for _, step := range []float64{0, 1, 3, 10, 30, 100} {
			acc := 0.9
			if step >= 3 {
				acc = 1
			}
			g1 := (float64(i) + 1) * 100 * step / (1 + step)
			if i == 3 && step > 10 { // the peak and fall of §6.6
				g1 = 400 * 10 / step
			}
			row := train.Row{"step": step, "train_acc": acc, "test_acc": 0.97 + 0.001*float64(i),
				"gamma1": g1, "gamma2": 0.01 * float64(6-i) * step, "gammaInf": 1e-6 * step, "log_loss": -step}
			b, _ := json.Marshal(row)
			lines = append(lines, string(b))
			last = row
		}
		if err := os.WriteFile(filepath.Join(runsDir, name+".jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res[name] = &runResult{Name: name, Status: "done", LastStep: 100, Seconds: 1.5, Final: last}
	}
	return exp, res, runsDir
}

// syntheticReport writes the report of syntheticFig2 with a stand-in SVG
// and returns the page.
func syntheticReport(t *testing.T) (*experiment, map[string]*runResult, string, []byte) {
	t.Helper()
	dir := t.TempDir()
	exp, res, runsDir := syntheticFig2(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "fig2.svg"), []byte("<?xml version=\"1.0\"?>\n<!-- c -->\n<svg id=\"stand-in\"></svg>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeReport(dir, runsDir, exp, res); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	return exp, res, runsDir, page
}

var (
	tagRe  = regexp.MustCompile(`<(/?)([a-zA-Z0-9]+)([^>]*)>|<!DOCTYPE html>`)
	attrRe = regexp.MustCompile(`\b(id|class|href|lang)="([^"]*)"`)
)

// outline is the structure of an HTML page, one line per element (its
// name, id, class and href, indented by depth) or text: the style sheet
// and the inline SVG's content are left out, so that restyling the page or
// the figures does not change it.
func outline(page []byte) string {
	var b strings.Builder
	depth, skip := 0, ""
	s := string(page)
	last := 0
	text := func(end int) {
		if t := strings.Join(strings.Fields(s[last:end]), " "); t != "" && skip == "" {
			fmt.Fprintf(&b, "%s%q\n", strings.Repeat("  ", depth), t)
		}
	}
	for _, m := range tagRe.FindAllStringSubmatchIndex(s, -1) {
		text(m[0])
		last = m[1]
		if m[4] < 0 { // doctype
			b.WriteString("<!DOCTYPE html>\n")
			continue
		}
		closing, name, attrs := s[m[2]:m[3]] == "/", s[m[4]:m[5]], s[m[6]:m[7]]
		switch {
		case skip != "" && !(closing && name == skip):
			continue
		case closing:
			if skip == name {
				skip = ""
			}
			if name != "meta" {
				depth--
			}
			continue
		}
		line := strings.Repeat("  ", depth) + name
		for _, a := range attrRe.FindAllStringSubmatch(attrs, -1) {
			line += fmt.Sprintf(" %s=%q", a[1], a[2])
		}
		b.WriteString(line + "\n")
		if name == "style" || name == "svg" {
			skip = name
		}
		if name != "meta" && !strings.HasSuffix(attrs, "/") {
			depth++
		}
	}
	return b.String()
}

// The page's structure stays as in testdata/report_fig2.outline (run with
// -update after a deliberate change and read the diff).
func TestReportGolden(t *testing.T) {
	_, _, _, page := syntheticReport(t)
	got := []byte(outline(page))
	golden := filepath.Join("testdata", "report_fig2.outline")
	if *updateGolden {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Fatalf("report.html differs from %s (-want +got):\n%s", golden, d)
	}
	if bytes.Contains(page, []byte("<?xml")) || !bytes.Contains(page, []byte(`<svg id="stand-in"></svg>`)) {
		t.Fatal("the SVG is not inlined without its prolog")
	}
	for _, banned := range []string{"<script", "http://", "https://", "<link"} {
		if bytes.Contains(bytes.ReplaceAll(page, []byte(`xmlns="http://www.w3.org/2000/svg"`), nil), []byte(banned)) {
			t.Errorf("report.html contains %q: it must read without network or JavaScript", banned)
		}
	}
}

var cellRe = regexp.MustCompile(`<td[^>]*>([^<]*)</td>`)

// The report's summary table holds exactly the numbers of the terminal
// summary, and its claims the terminal's claims.
func TestReportMatchesTerminalSummary(t *testing.T) {
	exp, res, runsDir, page := syntheticReport(t)
	var text strings.Builder
	summarize(exp, res, runsDir).writeText(&text)
	html := string(page)
	tbody := html[strings.Index(html, `<table id="summary-table">`):]
	tbody = tbody[:strings.Index(tbody, "</table>")]
	var htmlRows [][]string
	for _, tr := range strings.Split(tbody, "<tr>")[2:] { // [0] before the head, [1] the head
		var cells []string
		for _, m := range cellRe.FindAllStringSubmatch(tr, -1) {
			cells = append(cells, m[1])
		}
		htmlRows = append(htmlRows, cells)
	}
	var textRows [][]string
	lines := strings.Split(text.String(), "\n")
	for _, l := range lines[1 : 1+len(exp.Runs)] {
		f := strings.Fields(l)
		n := len(summaryKeys) + 2 // runs, sep and the values follow the group name
		textRows = append(textRows, append([]string{strings.Join(f[:len(f)-n], " ")}, f[len(f)-n:]...))
	}
	if d := cmp.Diff(textRows, htmlRows); d != "" {
		t.Fatalf("summary table (-terminal +report):\n%s", d)
	}
	if len(htmlRows) != 6 {
		t.Fatalf("%d summary rows, want one per algorithm (6)", len(htmlRows))
	}
	s := summarize(exp, res, runsDir)
	for _, c := range s.Claims {
		if !strings.Contains(text.String(), c.Margo) || !strings.Contains(html, htmlText(c.Margo)) {
			t.Errorf("claim %s: %q not in both the terminal and the report", c.ID, c.Margo)
		}
	}
}

// htmlText is s as html/template writes it in text.
func htmlText(s string) string {
	return strings.ReplaceAll(template.HTMLEscapeString(s), "+", "&#43;")
}

// The claims of fig2 hold on the synthetic data, and turn to "does not
// hold" when the data says otherwise, and to "not measured" without curves.
func TestFig2ClaimsCanFail(t *testing.T) {
	dir := t.TempDir()
	exp, res, runsDir := syntheticFig2(t, dir)
	verdicts := func(s *summary) map[string]string {
		out := map[string]string{}
		for _, c := range s.Claims {
			out[c.ID+" "+strings.Join(strings.Fields(c.Claim)[:3], " ")] = c.Verdict
		}
		return out
	}
	for k, v := range verdicts(summarize(exp, res, runsDir)) {
		if v != "holds" {
			t.Errorf("synthetic data: %s %s", k, v)
		}
	}
	// SD ends with a smaller γ1 than GD: §6.2 fails.
	res["v1_s1"].Final["gamma1"] = 1
	res["v0_s1"].Final["gamma1"] = 2
	got := verdicts(summarize(exp, res, runsDir))
	if got["§6.2 on MNIST, SD"] != "does not hold" {
		t.Errorf("§6.2 with SD γ1 < GD γ1: %v", got)
	}
	for k, v := range verdicts(summarize(exp, res, "")) {
		if strings.HasPrefix(k, "§6.6") && v != "not measured" {
			t.Errorf("without curves %s: %s", k, v)
		}
	}
}

// Teacher–student claims: the ordering per margin and the α trend, with a
// broken case for each.
func TestTeacherClaims(t *testing.T) {
	exp := &experiment{Name: "fig1", Choices: map[string]any{"fig1_left_alpha": 0.01}}
	res := map[string]*runResult{}
	vals := map[string][3]float64{ // γ1, γ2, γ∞ at α = 0.1; smaller α: ×2
		"GD": {100, 1, 1e-7}, "SD": {5e4, 0.01, 3e-10}, "CD": {0.2, 0.08, 2e-6},
	}
	acc := map[string]float64{"GD": 0.6, "SD": 0.55, "CD": 0.7}
	for _, alpha := range []float64{0.1, 0.01} {
		for g, v := range vals {
			name := fmt.Sprintf("%s_%g", g, alpha)
			f := 1.0
			if alpha == 0.01 {
				f = 2
			}
			exp.Runs = append(exp.Runs, runSpec{Name: name, Group: g, Alpha: alpha})
			res[name] = &runResult{Status: "done", Final: train.Row{"train_acc": 1, "test_acc": acc[g],
				"gamma1": v[0] * f, "gamma2": v[1] * f, "gammaInf": v[2] * f}}
		}
	}
	find := func(s *summary, id string) claimCheck {
		for _, c := range s.Claims {
			if c.ID == id {
				return c
			}
		}
		t.Fatalf("no claim %s", id)
		return claimCheck{}
	}
	s := summarize(exp, res, "")
	for _, id := range []string{"§6.2", "§6.3", "§6.4"} {
		if c := find(s, id); c.Verdict != "holds" {
			t.Errorf("%s: %s (%s)", id, c.Verdict, c.Margo)
		}
	}
	res["CD_0.01"].Final["gammaInf"] = 1e-9 // CD loses γ∞ at α = 0.01 and at the smaller α
	res["SD_0.1"].Final["test_acc"] = 0.9
	s = summarize(exp, res, "")
	for _, id := range []string{"§6.2", "§6.3", "§6.4"} {
		if c := find(s, id); c.Verdict != "does not hold" {
			t.Errorf("broken %s: %s (%s)", id, c.Verdict, c.Margo)
		}
	}
}

func TestInlineSVGRejectsOtherFiles(t *testing.T) {
	if _, err := inlineSVG([]byte("<html></html>")); err == nil {
		t.Fatal("a non-SVG file was inlined")
	}
}
