package plots

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
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
				{Label: "b", X: []float64{1, 10}, Y: []float64{2, 3}, Style: 1}}},
		{Title: "scatter", Scatter: true, LogX: true,
			Series: []Series{{Label: "gd", X: []float64{1e-7, 1e-6}, Y: []float64{0.5, 0.6}, Size: []float64{0, 1}}}},
		{Title: "empty", LogY: true, Series: []Series{{X: []float64{1}, Y: []float64{-1}}}},
	}
	if err := Save(base, panels, 2); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() < 100 || img.Bounds().Dy() < 100 {
		t.Fatalf("image is %v", img.Bounds())
	}
	s, err := os.ReadFile(base + ".svg")
	if err != nil || !bytes.Contains(s, []byte("<svg")) {
		t.Fatalf("svg: %v", err)
	}
}
