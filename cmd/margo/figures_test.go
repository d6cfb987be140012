package main

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/margo-lab/margo/cmd/margo/internal/plots"
	"github.com/margo-lab/margo/steepest/train"
)

// Every group of a figure gets its own look, and any two of them differ in
// at least two of colour, dash and marker: the experiments' groups, and
// any list of names (unknown ones fill the unused indices).
func TestGroupStylesDistinct(t *testing.T) {
	check := func(t interface{ Fatalf(string, ...any) }, groups []string) {
		st := groupStyles(groups)
		seen := map[int]string{}
		for _, g := range groups {
			s, ok := st[g]
			if !ok || s < 0 || s >= plots.StyleCount {
				t.Fatalf("group %q: style %d (ok %v)", g, s, ok)
			}
			if o, dup := seen[s]; dup && o != g {
				t.Fatalf("groups %q and %q share style %d", o, g, s)
			}
			seen[s] = g
			for s2, g2 := range seen {
				a, b := plots.LookOf(s), plots.LookOf(s2)
				same := 0
				if a.ColorIndex == b.ColorIndex {
					same++
				}
				if a.DashIndex == b.DashIndex {
					same++
				}
				if a.GlyphIndex == b.GlyphIndex {
					same++
				}
				if g2 != g && same > 1 {
					t.Fatalf("%q and %q share %d of colour, dash, marker", g, g2, same)
				}
			}
		}
	}
	for _, groups := range [][]string{
		{"GD", "SD", "CD", "GD→SD", "GD→CD"},
		{"GD", "SD", "Adam ε=1e-08 β=(0,0)", "Adam ε=1e-08 β=(0.9,0.99)", "Adam ε=0.01 β=(0,0)", "Adam ε=0.01 β=(0.9,0.99)"},
		{"GD", "Adam (β1=0)", "Shampoo", "spectral SD (Eq. 82)"},
	} {
		check(t, groups)
	}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 12).Draw(t, "n")
		var groups []string
		for i := 0; i < n; i++ {
			g := rapid.SampledFrom([]string{"GD", "SD", "CD", "Shampoo", "x", "y", "z"}).Draw(t, "g") + fmt.Sprint(rapid.IntRange(0, 2).Draw(t, "k"))
			if i%2 == 0 {
				g = strings.TrimRight(g, "012") // known names too
			}
			if !strings.Contains(strings.Join(groups, "\x00")+"\x00", g+"\x00") {
				groups = append(groups, g)
			}
		}
		check(t, groups)
	})
}

// curveStats: mean, min and max at every step of any run; a run that
// stopped early holds its last value; a NaN leaves the step out.
func TestCurveStats(t *testing.T) {
	a := []train.Row{{"step": 0, "g": 1}, {"step": 10, "g": 3}, {"step": 20, "g": 5}}
	b := []train.Row{{"step": 0, "g": 3}, {"step": 5, "g": math.NaN()}, {"step": 10, "g": 7}} // stops at 10
	x, mean, lo, hi := curveStats([][]train.Row{a, b}, "g")
	want := [][]float64{{0, 10, 20}, {2, 5, 6}, {1, 3, 5}, {3, 7, 7}}
	if d := cmp.Diff(want, [][]float64{x, mean, lo, hi}); d != "" {
		t.Fatalf("curveStats (-want +got):\n%s", d)
	}
	p := curvePanel("t", "g", "g", []string{"A", "B"}, map[string][][]train.Row{"A": {a, b}, "B": {b}}, false, 1)
	if s := p.Series[0]; s.Lo == nil || s.Hi == nil {
		t.Error("two runs: no min–max band")
	}
	if s := p.Series[1]; s.Lo != nil {
		t.Error("one run: a band")
	}
	if s := p.Series[1]; s.X[len(s.X)-1] != 20 || s.Y[len(s.Y)-1] != 7 {
		t.Errorf("a run that stopped at step 10 is not held to step 20: %v %v", s.X, s.Y)
	}
}

// coincidence notes curves that lie on top of each other, up to where the
// shorter one stops, and not curves that part.
func TestCoincidence(t *testing.T) {
	var long, short, other []train.Row
	for s := 0; s < 20; s++ {
		long = append(long, train.Row{"step": float64(s), "gamma1": float64(s * s)})
		other = append(other, train.Row{"step": float64(s), "gamma1": float64(s*s) + float64(s)*3})
		if s < 10 {
			short = append(short, train.Row{"step": float64(s), "gamma1": float64(s*s) * 1.01})
		}
	}
	data := map[string][][]train.Row{"A": {long}, "B": {short}, "C": {other}}
	got := coincidence([]string{"A", "B", "C"}, data, "gamma1")
	if !strings.Contains(got, "A and B coincide up to step 9, where B stops") {
		t.Errorf("A and B not noted: %q", got)
	}
	if strings.Contains(got, "C") {
		t.Errorf("C parts from A and B by 3s ≫ 5%% of the range, but is noted: %q", got)
	}
}
