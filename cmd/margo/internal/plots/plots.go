// Package plots draws margo's figures with gonum.org/v1/plot: panels of
// curves (margins against steps, usually on log axes) and scatter plots
// (test accuracy against a margin), saved side by side as PNG and SVG.
package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/margo-lab/margo/steepest/train"
)

// palette holds eight colours that stay distinct in print (Okabe–Ito).
var palette = []color.Color{
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 0, 0, 255},       // black
	color.RGBA{240, 228, 66, 255},  // yellow
}

func colorOf(i int) color.Color { return palette[i%len(palette)] }

// logTicks labels the powers of ten as 1e-05, 0.01, 1, 100, 1e+06.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(math.Pow(10, math.Round(math.Log10(ticks[i].Value))), 'g', 3, 64)
		}
	}
	return ticks
}

// Series is one curve or one set of scatter points.
type Series struct {
	Label string
	X, Y  []float64
	Size  []float64 // scatter only: relative marker sizes (nil: all equal)
	Style int       // colour and marker index (series with equal Style look alike)
}

// Panel is one plot.
type Panel struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	Scatter               bool
	Series                []Series
}

// Save draws the panels in one row (cols per row, at least 1) and writes
// base+".png" and base+".svg" atomically. Points that a log axis cannot show
// (≤ 0) and NaN/Inf points are left out; a panel with nothing to show says so
// in its title.
func Save(base string, panels []Panel, cols int) error {
	if cols < 1 {
		cols = 1
	}
	if len(panels) <= cols { // one row: the legend gets a column of its own
		cols = len(panels) + 1
	}
	rows := (len(panels) + 1 + cols - 1) / cols // one tile more for the legend
	w, h := vg.Length(cols)*10*vg.Centimeter, vg.Length(rows)*8*vg.Centimeter
	for _, ext := range []string{".png", ".svg"} {
		err := train.WriteFile(base+ext, func(out io.Writer) error {
			var canvas vg.CanvasWriterTo
			if ext == ".png" {
				canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
			} else {
				canvas = vgsvg.New(w, h)
			}
			if err := drawAll(canvas, panels, rows, cols); err != nil {
				return err
			}
			_, err := canvas.WriteTo(out)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func drawAll(canvas vg.CanvasWriterTo, panels []Panel, rows, cols int) (err error) {
	defer func() { // gonum/plot panics on some degenerate ranges; report instead
		if r := recover(); r != nil {
			err = fmt.Errorf("plot: %v", r)
		}
	}()
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			i := r*cols + c
			if i < len(panels) {
				p, err := build(panels[i])
				if err != nil {
					return err
				}
				grid[r][c] = p
			} else {
				grid[r][c] = plot.New()
				grid[r][c].HideAxes()
				if i == len(panels) {
					legendInto(grid[r][c], panels)
				}
			}
		}
	}
	dc := draw.New(canvas)
	// White background for PNG viewers that show transparency.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2}
	cv := plot.Align(grid, t, dc)
	for r := range grid {
		for c := range grid[r] {
			grid[r][c].Draw(cv[r][c])
		}
	}
	return nil
}

// keep returns the points a panel can show.
func keep(p Panel, x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return false
	}
	return !(p.LogX && x <= 0) && !(p.LogY && y <= 0)
}

func build(pn Panel) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.Title
	p.X.Label.Text, p.Y.Label.Text = pn.XLabel, pn.YLabel
	if pn.LogX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	if pn.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	p.Add(plotter.NewGrid())
	shown := 0
	for _, s := range pn.Series {
		var xy plotter.XYs
		var sizes []float64
		for i := range s.X {
			if i < len(s.Y) && keep(pn, s.X[i], s.Y[i]) {
				xy = append(xy, plotter.XY{X: s.X[i], Y: s.Y[i]})
				if s.Size != nil {
					sizes = append(sizes, s.Size[i])
				}
			}
		}
		if len(xy) == 0 {
			continue
		}
		shown++
		col := colorOf(s.Style)
		if pn.Scatter {
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Shape = plotutil.Shape(s.Style)
			sc.GlyphStyle.Radius = vg.Points(3)
			if sizes != nil {
				sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
					g := sc.GlyphStyle
					g.Radius = vg.Points(2 + 3*sizes[i])
					return g
				}
			}
			p.Add(sc)
			continue
		}
		ln, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		ln.Color = col
		ln.Width = vg.Points(1.5)
		ln.Dashes = plotutil.Dashes(s.Style % 3)
		p.Add(ln)
	}
	if shown == 0 {
		p.Title.Text += " (no positive values yet)"
		p.X.Scale, p.Y.Scale = plot.LinearScale{}, plot.LinearScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.DefaultTicks{}, plot.DefaultTicks{}
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	}
	return p, nil
}

// legendInto fills an axis-less plot with one entry per distinct label.
func legendInto(p *plot.Plot, panels []Panel) {
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(30)
	seen := map[string]bool{}
	for _, pn := range panels {
		for _, s := range pn.Series {
			if s.Label == "" || seen[s.Label] {
				continue
			}
			seen[s.Label] = true
			if pn.Scatter {
				sc, err := plotter.NewScatter(plotter.XYs{{X: 0, Y: 0}})
				if err != nil {
					continue
				}
				sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = colorOf(s.Style), plotutil.Shape(s.Style), vg.Points(4)
				p.Legend.Add(s.Label, sc)
				continue
			}
			ln, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
			if err != nil {
				continue
			}
			ln.Color, ln.Width, ln.Dashes = colorOf(s.Style), vg.Points(2), plotutil.Dashes(s.Style%3)
			p.Legend.Add(s.Label, ln)
		}
	}
}
