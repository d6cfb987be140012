package main

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/margo-lab/margo/steepest/train"
	"github.com/margo-lab/margo/tensor/npz"
)

// writeNPZ writes arrays to dir/name.
func writeNPZ(t *testing.T, dir, name string, arrays map[string]npz.Array) string {
	t.Helper()
	var mem []npz.Member
	keys := make([]string, 0, len(arrays))
	for k := range arrays {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		a := arrays[k]
		mem = append(mem, npz.Member{Name: k, Array: &a})
	}
	p := filepath.Join(dir, name)
	if err := train.WriteFile(p, func(w io.Writer) error { return npz.Encode(w, mem) }); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrainBadInput: every bad input gives exactly one line on stderr, a
// non-zero exit code, no panic trace, and no output file.
func TestTrainBadInput(t *testing.T) {
	in := t.TempDir()
	good := writeTeacherData(t, in, "good", 20, 5, 1)
	x := make([]float64, 20*5)
	y := make([]float64, 20)
	for i := range y {
		y[i] = 1
	}
	nanX := slices.Clone(x)
	nanX[7] = math.NaN()
	infX := slices.Clone(x)
	infX[3] = math.Inf(-1)
	zeroOne := slices.Clone(y)
	zeroOne[2] = 0
	arr := func(data []float64, shape ...int) npz.Array { return npz.Array{Shape: shape, Data: data} }
	files := map[string]string{
		"nan":       writeNPZ(t, in, "nan.npz", map[string]npz.Array{"X": arr(nanX, 20, 5), "y": arr(y, 20)}),
		"inf":       writeNPZ(t, in, "inf.npz", map[string]npz.Array{"X": arr(infX, 20, 5), "y": arr(y, 20)}),
		"labels01":  writeNPZ(t, in, "labels.npz", map[string]npz.Array{"X": arr(x, 20, 5), "y": arr(zeroOne, 20)}),
		"names":     writeNPZ(t, in, "names.npz", map[string]npz.Array{"x": arr(x, 20, 5), "y": arr(y, 20)}),
		"shapeY":    writeNPZ(t, in, "shapey.npz", map[string]npz.Array{"X": arr(x, 20, 5), "y": arr(y[:19], 19)}),
		"shapeX1d":  writeNPZ(t, in, "shapex.npz", map[string]npz.Array{"X": arr(x, 100), "y": arr(y, 20)}),
		"initShape": writeNPZ(t, in, "init.npz", map[string]npz.Array{"W1": arr(make([]float64, 16*4), 16, 4), "W2": arr(make([]float64, 16), 1, 16)}),
		"initNames": writeNPZ(t, in, "init2.npz", map[string]npz.Array{"W1": arr(make([]float64, 16*5), 16, 5)}),
	}
	b, _ := os.ReadFile(good)
	trunc := filepath.Join(in, "trunc.npz")
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	garbage := filepath.Join(in, "garbage.npz")
	os.WriteFile(garbage, []byte("this is not an npz file"), 0o644)

	cases := map[string][]string{
		"no data":         {},
		"missing file":    {"--data", filepath.Join(in, "nope.npz")},
		"truncated":       {"--data", trunc},
		"garbage":         {"--data", garbage},
		"NaN in X":        {"--data", files["nan"]},
		"Inf in X":        {"--data", files["inf"]},
		"labels 0/1":      {"--data", files["labels01"]},
		"wrong names":     {"--data", files["names"]},
		"y shape":         {"--data", files["shapeY"]},
		"X 1-D":           {"--data", files["shapeX1d"]},
		"bad test file":   {"--data", good, "--test", files["nan"]},
		"init shape":      {"--data", good, "--width", "16", "--init", files["initShape"]},
		"init missing W2": {"--data", good, "--width", "16", "--init", files["initNames"]},
		"lr zero":         {"--data", good, "--lr", "0"},
		"lr negative":     {"--data", good, "--lr", "-1"},
		"lr NaN":          {"--data", good, "--lr", "NaN"},
		"steps zero":      {"--data", good, "--steps", "0"},
		"unknown alg":     {"--data", good, "--alg", "newton"},
		"unknown loss":    {"--data", good, "--loss", "hinge"},
		"lp without p":    {"--data", good, "--alg", "lp"},
		"both normalize":  {"--data", good, "--normalize", "--no-normalize"},
		"unknown flag":    {"--data", good, "--bogus"},
		"bad width":       {"--data", good, "--width", "0"},
		"not a number":    {"--data", good, "--steps", "ten"},
		"stray argument":  {"--data", good, "extra"},
		"unwritable":      {"--data", good, "--metrics", filepath.Join(in, "no", "such", "dir", "m.jsonl")},
		"save unwritable": {"--data", good, "--save", filepath.Join(in, "missing", "p.npz")},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			// Flags given later win: the case's own flags come last.
			full := []string{"train", "--quiet", "--steps", "5",
				"--metrics", filepath.Join(out, "m.jsonl"), "--save", filepath.Join(out, "p.npz")}
			full = append(full, args...)
			code, stdout, stderr := runMargo(full...)
			if code == 0 {
				t.Fatalf("exit 0, stdout %q", stdout)
			}
			oneLineErr(t, stderr)
			if ents := listDir(t, out); len(ents) != 0 {
				t.Errorf("partial output left behind: %v", ents)
			}
		})
	}
}

func TestOtherCommandsBadInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	badMNIST := t.TempDir()
	os.WriteFile(filepath.Join(badMNIST, "train-images-idx3-ubyte.gz"), []byte("not gzip"), 0o644)
	cases := map[string][]string{
		"out is a file":      {"reproduce", "fig1", "--quick", "--out", filepath.Join(file, "sub")},
		"missing MNIST dir":  {"reproduce", "fig2", "--quick", "--mnist", filepath.Join(dir, "none"), "--out", filepath.Join(dir, "o1")},
		"corrupt MNIST":      {"reproduce", "fig3", "--quick", "--mnist", badMNIST, "--out", filepath.Join(dir, "o2")},
		"verify bad cases":   {"verify", "--cases", "0"},
		"no command":         {},
		"unknown command":    {"fly"},
		"unknown experiment": {"reproduce", "fig9"},
		"no experiment":      {"reproduce"},
		"negative seeds":     {"reproduce", "fig1", "--seeds", "-1"},
		"unknown cd":         {"reproduce", "fig1", "--cd", "cd-fast"},
		"bad cd suffix":      {"reproduce", "fig1", "--cd", "cd-kink:half"},
		"negative width":     {"reproduce", "fig1", "--width", "-3"},
		"unknown group":      {"reproduce", "fig1", "--groups", "CD,Adam", "--out", filepath.Join(dir, "o3")},
		"plot no out":        {"plot", "x.jsonl"},
		"plot missing":       {"plot", filepath.Join(dir, "missing.jsonl"), "--out", dir},
		"bench bad trans":    {"bench", "gemm", "--trans", "TT"},
		"bench zero m":       {"bench", "gemm", "--m", "0"},
		"bench bad mode":     {"bench", "fft"},
		"version extra":      {"version", "x"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runMargo(args...)
			if code == 0 {
				t.Fatal("exit 0")
			}
			if len(args) > 0 { // with no command the usage text is printed
				oneLineErr(t, stderr)
			}
		})
	}
	if ents := listDir(t, dir); len(ents) != 0 {
		t.Errorf("files written: %v", ents)
	}
}
