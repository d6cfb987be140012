package plots

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"pgregory.net/rapid"
)

func TestSaveWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	if keep := os.Getenv("MARGO_PLOTS_KEEP"); keep != "" {
		dir = keep // to look at the figure
	}
	base := filepath.Join(dir, "fig")
	panels := []Panel{
		{Title: "log-log", LogX: true, LogY: true, XLabel: "step", YLabel: "γ",
			Series: []Series{{Label: "a", X: []float64{0, 1, 10, 100}, Y: []float64{-1, 0.1, 1, math.NaN()}},
				{Label: "b", X: []float64{1, 10, 100}, Y: []float64{2, 3, 4}, Lo: []float64{1, 2, 3}, Hi: []float64{3, 4, 5}, Style: 1}}},
		{Title: "scatter", Scatter: true, LogX: true,
			Series: []Series{{Label: "gd", X: []float64{1e-7, 1e-6}, Y: []float64{0.5, 0.6}, Size: []float64{0, 1}}}},
		{Title: "empty", LogY: true, Series: []Series{{X: []float64{1}, Y: []float64{-1}}}},
	}
	if err := (Figure{Panels: panels, Cols: 2, Caption: "a caption long enough to be wrapped onto more than one line of the figure's width, which is two tiles wide here"}).Save(base); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, base+".png")
	if img.Bounds().Dx() < 100 || img.Bounds().Dy() < 100 {
		t.Fatalf("image is %v", img.Bounds())
	}
	s, err := os.ReadFile(base + ".svg")
	if err != nil || !bytes.Contains(s, []byte("<svg")) {
		t.Fatalf("svg: %v", err)
	}
	if !bytes.Contains(s, []byte("nothing to show yet")) {
		t.Error("the empty panel does not say so")
	}
	if note := hiddenNote(panels); note != "" {
		t.Errorf("hidden series note %q, want none: the unlabelled series is left out, the others are drawn", note)
	}
	hidden := []Panel{{LogY: true, Series: []Series{{Label: "cd", X: []float64{1, 2}, Y: []float64{-1, 0}}}}}
	if note := hiddenNote(hidden); !strings.Contains(note, "cd (1 of 1 panels)") {
		t.Errorf("a series that is never positive on a log axis is not named: %q", note)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// differInTwo reports whether two looks differ in at least two of colour,
// dash and marker (the rule for series of one figure).
func differInTwo(a, b Look) bool {
	n := 0
	if a.ColorIndex != b.ColorIndex {
		n++
	}
	if a.DashIndex != b.DashIndex {
		n++
	}
	if a.GlyphIndex != b.GlyphIndex {
		n++
	}
	return n >= 2
}

// Any two style indices below StyleCount differ in at least two of colour,
// dash and marker.
func TestStylesDifferInTwo(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		i := rapid.IntRange(0, StyleCount-1).Draw(t, "i")
		j := rapid.IntRange(0, StyleCount-1).Draw(t, "j")
		if i != j && !differInTwo(LookOf(i), LookOf(j)) {
			t.Fatalf("styles %d and %d share two of colour, dash and marker: %+v %+v", i, j, LookOf(i), LookOf(j))
		}
	})
	// The check can fail: 0 and 35 share colour (35 mod 7) and dash (35 mod 5).
	if differInTwo(LookOf(0), LookOf(35)) {
		t.Fatal("differInTwo does not see a shared colour and dash")
	}
}

// A series of one record, a constant series and a series on a log axis
// that spans less than a decade all draw, on an axis of non-zero width
// with a labelled tick.
func TestDegenerateSeriesDraw(t *testing.T) {
	cases := map[string]Panel{
		"one point linear": {Series: []Series{{X: []float64{3}, Y: []float64{5}}}},
		"one point log":    {LogX: true, LogY: true, Series: []Series{{X: []float64{3}, Y: []float64{5}}}},
		"constant":         {LogX: true, Series: []Series{{X: []float64{1, 10, 100}, Y: []float64{0, 0, 0}}}},
		"constant log":     {LogX: true, LogY: true, Series: []Series{{X: []float64{1, 10, 100}, Y: []float64{0.01, 0.01, 0.01}}}},
		"narrow log":       {LogX: true, LogY: true, Series: []Series{{X: []float64{1, 2}, Y: []float64{0.002, 0.003}}}},
		"narrow log 0.1":   {LogX: true, LogY: true, Series: []Series{{X: []float64{1, 2}, Y: []float64{0.14, 0.25}}}}, // fig4's γ2: log10(0.1) rounds up
		"scatter one":      {Scatter: true, LogX: true, Series: []Series{{X: []float64{1e-7}, Y: []float64{50}}}},
	}
	for name, pn := range cases {
		p, err := build(pn)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, ax := range []*plot.Axis{&p.X, &p.Y} {
			if !(ax.Min < ax.Max) {
				t.Errorf("%s: axis range [%g, %g]", name, ax.Min, ax.Max)
			}
			labelled := 0
			for _, tk := range ax.Tick.Marker.Ticks(ax.Min, ax.Max) {
				if tk.Label != "" {
					labelled++
				}
			}
			if labelled == 0 {
				t.Errorf("%s: no labelled tick on [%g, %g]", name, ax.Min, ax.Max)
			}
			if ax.Scale == (plot.LogScale{}) && labelled < 2 {
				t.Errorf("%s: a log axis [%g, %g] with %d labelled power of ten, want both ends", name, ax.Min, ax.Max, labelled)
			}
		}
		var buf bytes.Buffer
		if err := (Figure{Panels: []Panel{pn}, Cols: 1}).WriteSVG(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// A curve on a log axis breaks where it is not positive: it starts where
// the margin becomes positive and resumes after a dip.
func TestSegmentsBreakAtNonPositive(t *testing.T) {
	p := Panel{LogY: true}
	segs := segments(p, []float64{0, 1, 2, 3, 4, 5, 6}, []float64{-1, 0, 1, 2, -3, 4, math.Inf(1)})
	if len(segs) != 2 || len(segs[0]) != 2 || segs[0][0].X != 2 || len(segs[1]) != 1 || segs[1][0].X != 5 {
		t.Fatalf("segments %v", segs)
	}
	if n := len(segments(Panel{}, []float64{0, 1, 2}, []float64{-1, 0, 1})); n != 1 {
		t.Fatalf("a linear axis keeps negative values: %d segments", n)
	}
}

// Log ticks: plain decimals near 1, at most about six labels.
func TestLogTicks(t *testing.T) {
	count := func(lo, hi float64) (n int, labels []string) {
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				n++
				labels = append(labels, tk.Label)
			}
		}
		return n, labels
	}
	if n, l := count(1, 1000); n != 4 || l[0] != "1" || l[3] != "1000" {
		t.Errorf("1..1000: %v", l)
	}
	if n, l := count(1e-12, 10); n > 7 || n < 3 {
		t.Errorf("1e-12..10: %d labels %v", n, l)
	}
	if _, l := count(1e-6, 1e-4); l[0] != "1e-06" {
		t.Errorf("1e-6..1e-4: %v", l)
	}
}

var svgHeight = regexp.MustCompile(`height="([0-9.]+)pt"`)

func svgH(t *testing.T, f Figure) float64 {
	t.Helper()
	var buf bytes.Buffer
	if err := f.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	m := svgHeight.FindSubmatch(buf.Bytes())
	if m == nil {
		t.Fatal("no height in the SVG")
	}
	h, _ := strconv.ParseFloat(string(m[1]), 64)
	return h
}

// The legend takes free tiles of the last row when there are some, and a
// strip under the grid only when there are none.
func TestLegendPlacement(t *testing.T) {
	curve := func(label string, style int) Panel {
		return Panel{LogX: true, Series: []Series{{Label: label, X: []float64{1, 10}, Y: []float64{1, 2}, Style: style}}}
	}
	grid := float64(tileH.Points())
	withFree := svgH(t, Figure{Panels: []Panel{curve("a", 0), curve("b", 1), curve("c", 2), curve("d", 3)}, Cols: 3})
	if math.Abs(withFree-2*grid) > 0.5 {
		t.Errorf("4 panels in 3 columns: height %g pt, want two tile rows %g", withFree, 2*grid)
	}
	full := svgH(t, Figure{Panels: []Panel{curve("a", 0), curve("b", 1), curve("c", 2)}, Cols: 3})
	if full <= grid+1 {
		t.Errorf("3 panels in 3 columns: height %g pt, want a legend strip under the %g pt row", full, grid)
	}
}
