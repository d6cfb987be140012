// Package plots draws margo's figures with gonum.org/v1/plot: a grid of
// panels of curves (margins against steps, usually on log axes) and scatter
// plots (test accuracy against a margin), one legend for the figure and a
// caption, saved side by side as PNG and SVG.
//
// Every series has a Style index that fixes its colour (Okabe–Ito), dash
// pattern and marker together; two different indices below StyleCount differ
// in all three, so series stay apart in greyscale and for colour-blind
// readers. A series may carry a band (Lo, Hi: the min–max over seeds), drawn
// as a light fill under its line.
package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/margo-lab/margo/steepest/train"
)

// palette holds the Okabe–Ito colours that read on white (their yellow does
// not, so it is left out), darkest first.
var palette = []color.RGBA{
	{0, 114, 178, 255},   // blue
	{213, 94, 0, 255},    // vermillion
	{0, 158, 115, 255},   // bluish green
	{0, 0, 0, 255},       // black
	{204, 121, 167, 255}, // reddish purple
	{230, 159, 0, 255},   // orange
	{86, 180, 233, 255},  // sky blue
}

// dashes are the line patterns (lengths in points): solid, long dash, dots,
// dash-dot, short dash.
var dashes = [][]float64{nil, {6, 2.5}, {1.2, 2}, {6, 2, 1.2, 2}, {3, 1.6}}

// glyphs are the markers: filled and hollow shapes alternate, so that they
// also differ in greyscale.
var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.BoxGlyph{},
	draw.RingGlyph{}, draw.CrossGlyph{}, draw.PyramidGlyph{},
}

// StyleCount bounds the Style indices of one figure: two different indices
// below it never share two of colour (7 of them), dash (5) and marker (6),
// since sharing two would need a difference divisible by 30, 35 or 42.
const StyleCount = 30

// Look is the colour, dash pattern and marker of a Style index.
type Look struct {
	Color  color.RGBA
	Dashes []float64 // nil: solid
	Glyph  draw.GlyphDrawer
	// Index of each part in its list (for tests and for the report's key).
	ColorIndex, DashIndex, GlyphIndex int
}

// LookOf returns the look of style i (i ≥ 0; negative i is taken as 0).
func LookOf(i int) Look {
	if i < 0 {
		i = 0
	}
	c, d, g := i%len(palette), i%len(dashes), i%len(glyphs)
	return Look{Color: palette[c], Dashes: dashes[d], Glyph: glyphs[g], ColorIndex: c, DashIndex: d, GlyphIndex: g}
}

func (l Look) lineStyle(width vg.Length) draw.LineStyle {
	ls := draw.LineStyle{Color: l.Color, Width: width}
	for _, d := range l.Dashes {
		ls.Dashes = append(ls.Dashes, vg.Points(d))
	}
	return ls
}

func (l Look) glyphStyle(r vg.Length) draw.GlyphStyle {
	return draw.GlyphStyle{Color: l.Color, Radius: r, Shape: l.Glyph}
}

// logTicks labels powers of ten (0.01, 1, 1000, 1e-05, 1e+06 — plain
// decimals from 0.001 to 1000), at most about six of them: with more decades
// only every k-th power is labelled.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" {
			labelled++
		}
	}
	every := (labelled + 5) / 6
	out := ticks[:0]
	for _, t := range ticks {
		if t.Label == "" && every == 1 || t.Label != "" {
			out = append(out, t) // many decades: no minor ticks between them
		}
	}
	ticks = out
	for i := range ticks {
		if ticks[i].Label == "" {
			continue
		}
		e := int(math.Round(math.Log10(ticks[i].Value)))
		switch {
		case every > 1 && e%every != 0:
			ticks[i].Label = ""
		case e >= -3 && e <= 3:
			ticks[i].Label = strconv.FormatFloat(math.Pow(10, float64(e)), 'f', -1, 64)
		default:
			ticks[i].Label = strconv.FormatFloat(math.Pow(10, float64(e)), 'g', 3, 64)
		}
	}
	return ticks
}

// Series is one curve or one set of scatter points.
type Series struct {
	Label string
	X, Y  []float64
	// Lo and Hi, if set (same length as X), bound a band drawn under the
	// curve: margo uses the min and max over seeds around their mean.
	Lo, Hi []float64
	Size   []float64 // scatter only: relative marker sizes in [0, 1] (nil: all equal)
	Style  int       // look index (see LookOf); series with equal Style look alike
}

// Panel is one plot.
type Panel struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	Scatter               bool
	Series                []Series
}

// Figure is a grid of panels with one legend and a caption.
type Figure struct {
	Panels []Panel
	Cols   int // panels per row (at least 1)
	// Caption is drawn under the figure, wrapped to its width.
	Caption string
}

// Sizes of a figure, chosen so that a three-column figure is readable at
// the width of a README or a journal page (about 17–20 cm).
var (
	tileW, tileH = 6.4 * vg.Centimeter, 4.8 * vg.Centimeter
	pad          = 2 * vg.Millimeter
	dpi          = 150
	fontSize     = vg.Points(8)
)

// Save draws the panels cols per row and writes base+".png" and base+".svg"
// atomically (Figure.Save without a caption).
func Save(base string, panels []Panel, cols int) error {
	return Figure{Panels: panels, Cols: cols}.Save(base)
}

// Save writes base+".png" and base+".svg" atomically. Points that a log axis
// cannot show (≤ 0) and NaN/Inf points are left out, breaking the curve
// there (so a margin on a log axis starts where it becomes positive); a
// one-point or constant series gets an axis range around its value; a panel
// with nothing to show says so in its title.
func (f Figure) Save(base string) error {
	for _, ext := range []string{".png", ".svg"} {
		err := train.WriteFile(base+ext, func(out io.Writer) error {
			return f.write(out, ext == ".png")
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteSVG writes the figure as SVG to w.
func (f Figure) WriteSVG(w io.Writer) error { return f.write(w, false) }

func (f Figure) write(out io.Writer, png bool) (err error) {
	defer func() { // gonum/plot panics on some degenerate ranges; report instead
		if r := recover(); r != nil {
			err = fmt.Errorf("plot: %v", r)
		}
	}()
	cols := max(1, min(f.Cols, len(f.Panels)))
	rows := max(1, (len(f.Panels)+cols-1)/cols)
	entries := legendEntries(f.Panels)
	free := rows*cols - len(f.Panels) // empty tiles at the end of the last row
	w := vg.Length(cols) * tileW
	gridH := vg.Length(rows) * tileH
	legendInTiles := free > 0 && legendHeight(entries, vg.Length(free)*tileW-2*pad) <= tileH-2*pad
	legH := vg.Length(0)
	if !legendInTiles && len(entries) > 0 {
		legH = legendHeight(entries, w-2*pad) + 2*pad
	}
	capLines := wrap(f.Caption+hiddenNote(f.Panels), w-2*pad)
	capH := vg.Length(0)
	if len(capLines) > 0 {
		capH = vg.Length(len(capLines))*lineHeight() + 2*pad
	}
	h := gridH + legH + capH
	var canvas vg.CanvasWriterTo
	if png {
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))}
	} else {
		canvas = vgsvg.New(w, h)
	}
	dc := draw.New(canvas)
	dc.SetColor(color.White) // for viewers that show transparency
	dc.Fill(dc.Rectangle.Path())

	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			if i := r*cols + c; i < len(f.Panels) {
				p, err := build(f.Panels[i])
				if err != nil {
					return err
				}
				grid[r][c] = p
			} else {
				grid[r][c] = plot.New()
				grid[r][c].HideAxes()
			}
		}
	}
	gridCanvas := draw.Crop(dc, 0, 0, legH+capH, 0)
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: 3 * vg.Millimeter, PadY: 3 * vg.Millimeter,
		PadLeft: pad, PadRight: 2 * pad, PadTop: pad, PadBottom: pad}
	cv := plot.Align(grid, t, gridCanvas)
	for r := range grid {
		for c := range grid[r] {
			if r*cols+c < len(f.Panels) {
				grid[r][c].Draw(cv[r][c])
			}
		}
	}
	if legendInTiles {
		first := cv[rows-1][cols-free]
		last := cv[rows-1][cols-1]
		area := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: first.Min, Max: last.Max}}
		drawLegend(area, entries, pad)
	} else if legH > 0 {
		drawLegend(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: 0, Y: capH}, Max: vg.Point{X: w, Y: capH + legH}}}, entries, pad)
	}
	sty := textStyle()
	for i, ln := range capLines {
		dc.FillText(sty, vg.Point{X: pad, Y: capH - pad - vg.Length(i)*lineHeight()}, ln)
	}
	_, err = canvas.WriteTo(out)
	return err
}

func textStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, fontSize),
		Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YTop}
}

func lineHeight() vg.Length { return textStyle().Height("Mg") * 1.15 }

// wrap breaks s into lines no wider than w.
func wrap(s string, w vg.Length) []string {
	sty := textStyle()
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if line != "" && sty.Width(try) > w {
				lines = append(lines, line)
				try = word
			}
			line = try
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// legendEntry is one label of a figure's legend.
type legendEntry struct {
	label   string
	style   int
	scatter bool
}

// legendEntries returns one entry per distinct label, in first-seen order.
func legendEntries(panels []Panel) []legendEntry {
	var out []legendEntry
	seen := map[string]bool{}
	for _, pn := range panels {
		for _, s := range pn.Series {
			if s.Label == "" || seen[s.Label] {
				continue
			}
			seen[s.Label] = true
			out = append(out, legendEntry{s.Label, s.Style, pn.Scatter})
		}
	}
	return out
}

const thumbW = 28 // legend thumbnail width, points

// legendLayout returns the number of columns of a legend of width w and the
// column width.
func legendLayout(entries []legendEntry, w vg.Length) (cols int, colW vg.Length) {
	sty := textStyle()
	for _, e := range entries {
		colW = max(colW, sty.Width(e.label))
	}
	colW += vg.Points(thumbW) + 4*pad
	cols = max(1, min(len(entries), int(w/colW)))
	return cols, colW
}

func legendHeight(entries []legendEntry, w vg.Length) vg.Length {
	if len(entries) == 0 {
		return 0
	}
	cols, _ := legendLayout(entries, w)
	rows := (len(entries) + cols - 1) / cols
	return vg.Length(rows) * lineHeight() * 1.3
}

// drawLegend draws the entries row by row in as many columns as fit,
// centred in c.
func drawLegend(c draw.Canvas, entries []legendEntry, pad vg.Length) {
	if len(entries) == 0 {
		return
	}
	w := c.Max.X - c.Min.X - 2*pad
	cols, colW := legendLayout(entries, w)
	rowH := lineHeight() * 1.3
	rows := (len(entries) + cols - 1) / cols
	x0 := c.Min.X + pad + (w-vg.Length(cols)*colW)/2
	y0 := c.Min.Y + (c.Max.Y-c.Min.Y)/2 + vg.Length(rows)*rowH/2 // top of the block
	sty := textStyle()
	sty.YAlign = draw.YCenter
	for i, e := range entries {
		x := x0 + vg.Length(i%cols)*colW
		y := y0 - vg.Length(i/cols)*rowH - rowH/2
		look := LookOf(e.style)
		if !e.scatter {
			c.StrokeLine2(look.lineStyle(vg.Points(1.6)), x, y, x+vg.Points(thumbW), y)
		}
		c.DrawGlyphNoClip(look.glyphStyle(vg.Points(2.6)), vg.Point{X: x + vg.Points(thumbW)/2, Y: y})
		c.FillText(sty, vg.Point{X: x + vg.Points(thumbW) + pad, Y: y}, e.label)
	}
}

// hiddenNote names the series that have data but no point their panel can
// show (a margin that never turns positive on a log axis), so that a
// legend entry without a curve is explained.
func hiddenNote(panels []Panel) string {
	var order []string
	count := map[string]int{}
	for _, pn := range panels {
		for _, s := range pn.Series {
			if len(s.X) == 0 || s.Label == "" {
				continue
			}
			shown := false
			for i := range s.X {
				if i < len(s.Y) && keep(pn, s.X[i], s.Y[i]) {
					shown = true
					break
				}
			}
			if !shown {
				if count[s.Label] == 0 {
					order = append(order, s.Label)
				}
				count[s.Label]++
			}
		}
	}
	if len(order) == 0 {
		return ""
	}
	var parts []string
	for _, l := range order {
		parts = append(parts, fmt.Sprintf("%s (%d of %d panels)", l, count[l], len(panels)))
	}
	return " Not drawn, no value the axes can show (on a log axis: never positive): " + strings.Join(parts, ", ") + "."
}

// keep reports whether a panel can show the point.
func keep(p Panel, x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return false
	}
	return !(p.LogX && x <= 0) && !(p.LogY && y <= 0)
}

// segments splits a curve at the points the panel cannot show.
func segments(p Panel, x, y []float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range x {
		if i < len(y) && keep(p, x[i], y[i]) {
			cur = append(cur, plotter.XY{X: x[i], Y: y[i]})
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// markerIndices picks about n points of a curve, spread evenly along x (in
// log x on a log axis) and shifted by the style so that curves lying on top
// of each other still show each marker.
func markerIndices(xy []plotter.XY, logX bool, style, n int) []int {
	if len(xy) <= 2 {
		idx := make([]int, len(xy))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	tx := func(v float64) float64 {
		if logX {
			return math.Log10(v)
		}
		return v
	}
	lo, hi := tx(xy[0].X), tx(xy[len(xy)-1].X)
	shift := float64(style%4+1) / 5
	var idx []int
	j := 0
	for k := 0; k < n; k++ {
		target := lo + (hi-lo)*(float64(k)+shift)/float64(n)
		for j < len(xy)-1 && tx(xy[j+1].X) <= target {
			j++
		}
		if len(idx) == 0 || idx[len(idx)-1] != j {
			idx = append(idx, j)
		}
	}
	return idx
}

// bandPolygon returns the band between lo and hi as one ring, left to right
// along hi and back along lo, over the points the panel can show.
func bandPolygon(p Panel, x, lo, hi []float64) plotter.XYs {
	var top, bot plotter.XYs
	for i := range x {
		if i < len(lo) && i < len(hi) && keep(p, x[i], lo[i]) && keep(p, x[i], hi[i]) {
			top = append(top, plotter.XY{X: x[i], Y: hi[i]})
			bot = append(bot, plotter.XY{X: x[i], Y: lo[i]})
		}
	}
	if len(top) < 2 {
		return nil
	}
	for i := len(bot) - 1; i >= 0; i-- {
		top = append(top, bot[i])
	}
	return top
}

func build(pn Panel) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.Title
	p.Title.TextStyle.Font.Size = fontSize + vg.Points(1)
	p.Title.Padding = vg.Points(3)
	p.X.Label.Text, p.Y.Label.Text = pn.XLabel, pn.YLabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font.Size = fontSize
		ax.Tick.Label.Font.Size = fontSize - vg.Points(1)
		ax.Label.Padding = vg.Points(1)
	}
	if pn.LogX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	if pn.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{Y: 225}, color.Gray{Y: 225}
	p.Add(grid)
	shown := 0
	// Bands first, so that every line is drawn over every band.
	if !pn.Scatter {
		for _, s := range pn.Series {
			if s.Lo == nil || s.Hi == nil {
				continue
			}
			ring := bandPolygon(pn, s.X, s.Lo, s.Hi)
			if ring == nil {
				continue
			}
			poly, err := plotter.NewPolygon(ring)
			if err != nil {
				return nil, err
			}
			c := LookOf(s.Style).Color
			c.A = 28 // light: six overlapping bands must not hide the lines
			poly.Color = premultiply(c)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	for _, s := range pn.Series {
		look := LookOf(s.Style)
		if pn.Scatter {
			var xy plotter.XYs
			var sizes []float64
			for i := range s.X {
				if i < len(s.Y) && keep(pn, s.X[i], s.Y[i]) {
					xy = append(xy, plotter.XY{X: s.X[i], Y: s.Y[i]})
					if i < len(s.Size) {
						sizes = append(sizes, s.Size[i])
					} else {
						sizes = append(sizes, 0.5)
					}
				}
			}
			if len(xy) == 0 {
				continue
			}
			shown++
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = look.glyphStyle(vg.Points(3))
			sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
				return look.glyphStyle(vg.Points(2 + 3*sizes[i]))
			}
			p.Add(sc)
			continue
		}
		segs := segments(pn, s.X, s.Y)
		var all plotter.XYs
		for _, seg := range segs {
			all = append(all, seg...)
			if len(seg) < 2 {
				continue
			}
			ln, err := plotter.NewLine(seg)
			if err != nil {
				return nil, err
			}
			ln.LineStyle = look.lineStyle(vg.Points(1.3))
			p.Add(ln)
		}
		if len(all) == 0 {
			continue
		}
		shown++
		var marks plotter.XYs
		for _, i := range markerIndices(all, pn.LogX, s.Style, 6) {
			marks = append(marks, all[i])
		}
		sc, err := plotter.NewScatter(marks)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = look.glyphStyle(vg.Points(2.3))
		p.Add(sc)
	}
	if shown == 0 {
		p.Title.Text += " (nothing to show yet)"
		p.X.Scale, p.Y.Scale = plot.LinearScale{}, plot.LinearScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.DefaultTicks{}, plot.DefaultTicks{}
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		return p, nil
	}
	clampAxis(&p.X, pn.LogX)
	clampAxis(&p.Y, pn.LogY)
	return p, nil
}

// premultiply returns c with its colour channels scaled by its alpha, as
// color.RGBA requires.
func premultiply(c color.RGBA) color.RGBA {
	a := uint32(c.A)
	return color.RGBA{uint8(uint32(c.R) * a / 255), uint8(uint32(c.G) * a / 255), uint8(uint32(c.B) * a / 255), c.A}
}

// clampAxis gives an empty range (one point, a constant series) a width,
// and a log axis without a power of ten inside the enclosing decade(s),
// labelled at both ends.
func clampAxis(ax *plot.Axis, log bool) {
	lo, hi := ax.Min, ax.Max
	if log {
		a, b := math.Log10(lo), math.Log10(hi)
		if math.Floor(b) < math.Ceil(a) || a == b { // no power of ten inside
			a, b = math.Floor(a), math.Ceil(b)
			if a == b {
				a, b = a-1, b+1
			}
			// A hair outside the powers of ten: plot.LogTicks leaves out a
			// power that is exactly the range's end.
			ax.Min, ax.Max = math.Pow(10, a)*(1-1e-9), math.Pow(10, b)*(1+1e-9)
		}
		return
	}
	if lo == hi {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		ax.Min, ax.Max = lo-d, hi+d
	}
}
