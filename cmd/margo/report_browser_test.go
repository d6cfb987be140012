//go:build linux

package main

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromium runs headless Chromium on page with args (--dump-dom or
// --screenshot=…) and returns its stdout and stderr. The process group is
// killed if it outlives the timeout.
func chromium(t *testing.T, bin, page string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--enable-logging=stderr", "--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, "file://"+page)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.String(), errb.String()
}

var (
	domRowRe   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	domCellRe  = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	domMargoRe = regexp.MustCompile(`(?s)<td class="margo">(.*?)</td>`)
	domFigRe   = regexp.MustCompile(`(?s)<figure id="figure-([^"]+)">\s*<svg.*?</svg>`)
)

// tableRows returns the cell texts of the body rows of the table with id.
func tableRows(t *testing.T, dom, id string) [][]string {
	t.Helper()
	i := strings.Index(dom, `<table id="`+id+`">`)
	if i < 0 {
		t.Fatalf("no table %s in the page", id)
	}
	tab := dom[i:]
	tab = tab[strings.Index(tab, "<tbody>"):strings.Index(tab, "</table>")]
	var rows [][]string
	for _, tr := range domRowRe.FindAllStringSubmatch(tab, -1) {
		var cells []string
		for _, c := range domCellRe.FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, html.UnescapeString(c[1]))
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestReportInChromium renders the report of `margo reproduce fig2 --quick`
// in headless Chromium (MARGO_CHROMIUM=/usr/bin/chromium; .ci/report.sh
// sets it): the page loads without errors, the summary table has one row
// per algorithm with the terminal summary's numbers, the claim table holds
// the terminal's claims, and the figure is there and not blank in a
// screenshot. MARGO_REPORT_DIR reuses a reproduce output directory instead
// of training.
func TestReportInChromium(t *testing.T) {
	bin := os.Getenv("MARGO_CHROMIUM")
	if bin == "" {
		t.Skip("set MARGO_CHROMIUM to a Chromium binary to render the report")
	}
	needBinary(t)
	out := os.Getenv("MARGO_REPORT_DIR")
	var terminal string
	if out == "" {
		out = t.TempDir()
		code, stdout, errs := runMargo("reproduce", "fig2", "--quick", "--out", out, "--quiet")
		if code != 0 {
			t.Fatalf("reproduce fig2 --quick: exit %d: %s", code, errs)
		}
		terminal = stdout
	} else {
		re := t.TempDir() // margo plot DIR rewrites the report from the metrics
		code, _, errs := runMargo("plot", out, "--out", re)
		if code != 0 {
			t.Fatalf("plot: %s", errs)
		}
		out = re
	}
	page, err := filepath.Abs(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	dom, stderr := chromium(t, bin, page, "--dump-dom")
	if !strings.Contains(dom, "</html>") || !strings.Contains(dom, "margo reproduce fig2") {
		t.Fatalf("the page did not load: %.300q", dom)
	}
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "CONSOLE") || strings.Contains(l, "net::ERR_") || strings.Contains(l, "Uncaught") {
			t.Errorf("browser reports: %s", l)
		}
	}
	// One summary row per algorithm: GD, SD and the four Adam variants.
	rows := tableRows(t, dom, "summary-table")
	var groups []string
	for _, r := range rows {
		groups = append(groups, r[0])
	}
	want := []string{"GD", "SD", "Adam ε=1e-08 β=(0,0)", "Adam ε=1e-08 β=(0.9,0.99)", "Adam ε=0.01 β=(0,0)", "Adam ε=0.01 β=(0.9,0.99)"}
	if strings.Join(groups, "|") != strings.Join(want, "|") {
		t.Errorf("summary rows %q, want one per algorithm %q", groups, want)
	}
	if terminal != "" {
		lines := strings.Split(terminal, "\n")
		for i, r := range rows {
			if got, w := strings.Join(r, " "), strings.Join(strings.Fields(lines[1+i]), " "); got != w {
				t.Errorf("summary row %d: page %q, terminal %q", i, got, w)
			}
		}
		var claims []string
		for _, l := range lines {
			if s, ok := strings.CutPrefix(strings.TrimSpace(l), "margo: "); ok {
				claims = append(claims, s)
			}
		}
		var shown []string
		for _, m := range domMargoRe.FindAllStringSubmatch(dom, -1) {
			shown = append(shown, html.UnescapeString(m[1]))
		}
		if len(claims) == 0 || strings.Join(claims, "\n") != strings.Join(shown, "\n") {
			t.Errorf("claim table %q, terminal %q", shown, claims)
		}
	}
	figs := domFigRe.FindAllStringSubmatch(dom, -1)
	if len(figs) != 1 || figs[0][1] != "fig2" {
		t.Fatalf("figures in the page: %d, want fig2 inline", len(figs))
	}
	// The screenshot: the figure is drawn (its series colours are there)
	// and not blank (the grey values in its bounding box vary).
	shot := filepath.Join(t.TempDir(), "report.png")
	chromium(t, bin, page, "--screenshot="+shot, "--window-size=1200,4000")
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	box, n := figureBox(img)
	if n < 2000 || box.Dx() < img.Bounds().Dx()/2 || box.Dy() < 200 {
		t.Fatalf("the figure's colours cover %d pixels in %v of a %v screenshot", n, box, img.Bounds())
	}
	if v := greyVariance(img, box); v < 100 {
		t.Fatalf("the figure region %v is nearly blank: grey variance %.1f", box, v)
	}
	if keep := os.Getenv("MARGO_REPORT_KEEP"); keep != "" {
		if err := os.WriteFile(keep, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// figureBox returns the bounding box of the pixels close to the blue and
// vermillion of the figures' palette (the page's tables use neither), and
// how many there are.
func figureBox(img image.Image) (image.Rectangle, int) {
	near := func(r, g, b, R, G, B int) bool {
		d := func(a, b int) int { return max(a-b, b-a) }
		return d(r, R) < 40 && d(g, G) < 40 && d(b, B) < 40
	}
	var box image.Rectangle
	n := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			R, G, B := int(r>>8), int(g>>8), int(b>>8)
			if near(R, G, B, 0, 114, 178) || near(R, G, B, 213, 94, 0) {
				n++
				p := image.Rect(x, y, x+1, y+1)
				if box.Empty() {
					box = p
				} else {
					box = box.Union(p)
				}
			}
		}
	}
	return box, n
}

// greyVariance is the variance of the grey values in box.
func greyVariance(img image.Image, box image.Rectangle) float64 {
	var sum, sum2, n float64
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			v := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
			sum, sum2, n = sum+v, sum2+v*v, n+1
		}
	}
	if n == 0 {
		return 0
	}
	m := sum / n
	return sum2/n - m*m
}
