package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor/npz"
)

func TestBenchTrainRejectsBadFlags(t *testing.T) {
	tiny := []string{"--n", "6", "--d", "4", "--width", "3", "--steps", "1", "--repeats", "1"}
	cases := []struct {
		args []string
		want string // a piece of the message
	}{
		{[]string{"--n", "0"}, "--n and --d"},
		{[]string{"--d", "-3"}, "--n and --d"},
		{[]string{"--width", "0"}, "--width"},
		{[]string{"--depth", "0"}, "--depth"},
		{[]string{"--repeats", "0"}, "--repeats"},
		{[]string{"--steps", "-1"}, "--steps"},
		{[]string{"--steps", "0", "--min-time", "0s"}, "--min-time"},
		{[]string{"--alg", "newton"}, "unknown algorithm"},
		{[]string{"--loss", "hinge"}, "unknown loss"},
		{[]string{"--lr", "0"}, "--lr"},
		{[]string{"--lr", "NaN"}, "--lr"},
		{[]string{"--threads", "0"}, "--threads"},
		{[]string{"--beta2", "1"}, "--beta2"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--bogus"}, "unknown flag"},
		{[]string{"--n", "100000", "--d", "100000"}, "GiB"},
	}
	for _, c := range cases {
		args := append(slices.Clone(tiny), c.args...)
		var out, errb bytes.Buffer
		err := benchTrain(args, &out, &errb)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("bench train %v: error %v, want a usage error", c.args, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("bench train %v: %q does not mention %q", c.args, err, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("bench train %v: printed %q before failing", c.args, out.String())
		}
	}
}

func TestBenchTrainJSONReport(t *testing.T) {
	for _, alg := range []string{"gd", "sd", "cd", "adam"} {
		var out, errb bytes.Buffer
		args := []string{"--n", "9", "--d", "5", "--width", "4", "--alg", alg, "--loss", "logistic",
			"--threads", "1", "--steps", "3", "--repeats", "3", "--json"}
		if err := benchTrain(args, &out, &errb); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("%s: output %q is not one JSON object: %v", alg, out.String(), err)
		}
		for _, k := range []string{"steps_per_s", "steps_per_second", "gflops", "sec_per_step", "sec_per_step_all",
			"metrics_frac", "path", "threads", "n", "d", "width", "depth", "params", "alg", "loss", "steps_per_repeat", "repeats"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: key %q missing from %s", alg, k, out.String())
			}
		}
		var r benchTrainResult
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Path != asm.Active().String() || r.Threads != 1 || r.N != 9 || r.D != 5 || r.Width != 4 || r.Depth != 2 ||
			r.Params != 4*5+4 || r.StepsPerSecond != r.StepsPerS ||
			r.Alg != alg || r.Loss != "logistic" || r.StepsPerRepeat != 3 || r.Repeats != 3 {
			t.Errorf("%s: result %+v does not describe the run", alg, r)
		}
		if len(r.SecPerStepAll) != 3 {
			t.Fatalf("%s: %d repeat times, want 3", alg, len(r.SecPerStepAll))
		}
		// The reported time is the median repeat, and the rate its inverse
		// (exactly: both are computed from the same float64).
		sorted := slices.Sorted(slices.Values(r.SecPerStepAll))
		if r.SecPerStep != sorted[1] || !(r.SecPerStep > 0) || r.StepsPerS != 1/r.SecPerStep {
			t.Errorf("%s: sec_per_step %v, steps_per_s %v from repeats %v", alg, r.SecPerStep, r.StepsPerS, r.SecPerStepAll)
		}
		// The record's share is the median over the pairs of
		// 1 − t_without/t_with (a difference of two timings: below 1, and
		// negative as far as the noise goes, far on a busy machine with
		// steps this small).
		if len(r.SecPerStepBare) != 3 {
			t.Fatalf("%s: %d paired times without the record, want 3", alg, len(r.SecPerStepBare))
		}
		var fracs []float64
		for i, bare := range r.SecPerStepBare {
			if !(bare > 0) {
				t.Fatalf("%s: time without the record %v", alg, bare)
			}
			fracs = append(fracs, 1-bare/r.SecPerStepAll[i])
		}
		slices.Sort(fracs)
		if r.MetricsFrac != fracs[1] || !(r.MetricsFrac < 1) {
			t.Errorf("%s: metrics_frac %v, want the median of %v", alg, r.MetricsFrac, fracs)
		}
	}
}

// The timed loop keeps margo train's checks: a step size that overflows θ
// is reported as divergence, not timed.
func TestBenchTrainReportsDivergence(t *testing.T) {
	var out, errb bytes.Buffer
	err := benchTrain([]string{"--n", "9", "--d", "5", "--width", "4", "--alg", "gd", "--lr", "1e308",
		"--steps", "2", "--repeats", "1"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("lr 1e308: error %v, want divergence", err)
	}
}

// Without --metrics the record is not computed, and its share is zero.
func TestBenchTrainWithoutMetrics(t *testing.T) {
	var out, errb bytes.Buffer
	if err := benchTrain([]string{"--n", "9", "--d", "5", "--width", "4", "--steps", "2", "--repeats", "1",
		"--metrics=false", "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var r benchTrainResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Metrics || r.MetricsFrac != 0 || len(r.SecPerStepBare) != 0 || math.IsNaN(r.StepsPerS) {
		t.Errorf("--metrics=false: %+v", r)
	}
}

// The timed loop is margo train's step: after k timed steps θ equals, bit
// for bit, the parameters that `margo train --steps k` saves from the same
// data, initialisation and options (same functions in the same order, one
// thread, so the same floating-point operations).
func TestBenchTrainStepIsTrainStep(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "train", 30, 7, 3)
	for _, alg := range []string{"gd", "sd", "cd", "adam"} {
		args := []string{"--data", data, "--width", "5", "--alg", alg, "--loss", "logistic", "--lr", "0.05",
			"--seed", "4", "--threads", "1", "--steps", "4", "--quiet"}
		saved := filepath.Join(dir, alg+".npz")
		if code, _, errs := runMargo(append([]string{"train", "--save", saved}, args...)...); code != 0 {
			t.Fatalf("%s: margo train exit %d: %s", alg, code, errs)
		}
		want, err := npz.Read(saved)
		if err != nil {
			t.Fatal(err)
		}
		o, err := parseTrainFlags(args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := newRunConfig(o, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := newTrainer(cfg, o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := timeSteps(tr, cfg.Theta, 1, 4, 0, true, nil); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		lay := cfg.Model.Layout()
		got := append(slices.Clone(lay.View(cfg.Theta, 0).Data), lay.View(cfg.Theta, 1).Data...)
		exp := append(slices.Clone(want.Arrays["W1"].Data), want.Arrays["W2"].Data...)
		if !slices.Equal(got, exp) {
			t.Errorf("%s: θ after 4 timed steps differs from margo train's:\n got %v\nwant %v", alg, got, exp)
		}
	}
}

// The flop count of a step, by hand: depth 2 (5 → 4 → 1, n = 3): forward
// and weight gradient 2·3·5·4 each = 240, the output layer 2·3·4 each = 48,
// and the gradient into the hidden layer 2·3·4 = 24; depth 1 has no hidden
// layer: 2·(2·3·5) = 60; depth 3 adds a 4 → 4 layer: 6·3·4·4 = 288.
func TestStepFlops(t *testing.T) {
	for _, c := range []struct{ depth, want int }{{1, 60}, {2, 312}, {3, 312 + 288}} {
		if got := stepFlops(3, 5, 4, c.depth); got != float64(c.want) {
			t.Errorf("depth %d: %v flops, want %d", c.depth, got, c.want)
		}
	}
}
