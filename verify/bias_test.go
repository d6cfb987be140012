package verify

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// biasChecks are the checks expected to fail and the checks of the same
// statement on homogeneous models.
var biasChecks = map[string]string{"homogeneity-bias": "homogeneity", "euler-bias": "euler"}

// Leaky ReLU keeps the network homogeneous and biases above the first
// hidden layer do not, at every depth: for slopes 0, 0.01 and 0.3 and 2 to
// 4 weight layers (1 to 3 hidden), the homogeneity and Euler checks pass on
// the bias-free model and on one whose only hidden layer has biases, and
// the bias checks fail on the model with biases in every hidden layer
// (a ReLU case in which no upper bias reaches f is skipped: with leaky ReLU
// every bias does; of the 64 ReLU cases at most a quarter may be skipped).
func TestActivationsAndBiasesEveryDepth(t *testing.T) {
	skipped := 0
	for xname, name := range biasChecks {
		for _, slope := range []float64{0, 0.01, 0.3} {
			for hidden := 1; hidden <= 3; hidden++ {
				for seed := range 4 {
					c, err := Generate(name, NewRandSource(uint64(seed), hidden), false)
					if err != nil {
						t.Fatal(err)
					}
					c.Slope, c.Bias, c.Freeze = slope, false, seed%2 == 1
					c.Widths = []int{3, 4, 2}[:hidden]
					mustPass := func(c Case) {
						t.Helper()
						res, err := RunCase(c)
						if err != nil || !res.Pass() {
							t.Errorf("%s %+v: %+v, %v; want a pass", name, c, res, err)
						}
					}
					mustPass(c)
					if hidden == 1 {
						c.Bias = true // homogeneous: a weight on a constant input
						mustPass(c)
						continue
					}
					c.Check, c.Bias = xname, true
					res, err := RunCase(c)
					if errors.Is(err, errSkip) && slope == 0 {
						skipped++
						continue
					}
					if err != nil || !failedAsExpected(res) {
						t.Errorf("%s %+v: %+v, %v; want the expected failure", xname, c, res, err)
					}
				}
			}
		}
	}
	if skipped > 16 {
		t.Errorf("%d of 64 ReLU bias cases skipped as degenerate", skipped)
	}
}

// The bias checks see through a degenerate model: a case whose biases
// above the first layer are all zero is homogeneous (nn still calls it
// non-homogeneous, by its architecture), the check passes, and the run
// reports that unexpected pass as a failure, shrinks it and writes it.
func TestUnexpectedPassIsFlagged(t *testing.T) {
	saved := registry
	t.Cleanup(func() { registry = saved })
	for xname, name := range biasChecks {
		var on func(Case, *setup) (Result, error)
		for _, ch := range saved {
			if ch.name == xname {
				on = map[string]func(Case, *setup) (Result, error){"homogeneity": homogeneityOn, "euler": eulerOn}[name]
				registry = append(saved[:len(saved):len(saved)], check{name: xname + "-zeroed", doc: "test",
					gen: ch.gen, expectFail: true,
					run: func(c Case) (Result, error) {
						return runNonHomogeneous(c, func(c Case, s *setup) (Result, error) {
							lay := s.mlp.Layout()
							for l := 1; l < lay.Biases(); l++ {
								clear(lay.Bias(s.theta, l))
							}
							return on(c, s)
						})
					}})
			}
		}
		dir := t.TempDir()
		var buf bytes.Buffer
		rep, err := Run(Config{Seed: 2, Cases: 6, Checks: []string{xname + "-zeroed"}, FailDir: dir, ShrinkBudget: 20}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		cr := rep.Checks[0]
		if !rep.Failed() || cr.Failures != cr.Cases-cr.Skipped || cr.Failures == 0 || cr.Expected != 0 || cr.FailFile == "" {
			t.Errorf("%s with zero biases: report %+v, want every case an unexpected pass\n%s", xname, cr, buf.String())
		}
		if !strings.Contains(buf.String(), xname+"-zeroed (expect fail)") {
			t.Errorf("table does not mark the check:\n%s", buf.String())
		}
		if files, _ := os.ReadDir(dir); len(files) != 1 {
			t.Errorf("%d files written, want the one shrunk case", len(files))
		}
	}
}

// In a run the bias checks fail on every case they do not skip, the run
// passes, and the table says so.
func TestRunReportsExpectedFailures(t *testing.T) {
	var buf bytes.Buffer
	names := []string{"homogeneity-bias", "euler-bias"}
	rep, err := Run(Config{Seed: 4, Cases: 10, Checks: names, FailDir: t.TempDir()}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Fatalf("the expected failures failed the run:\n%s", buf.String())
	}
	for _, cr := range rep.Checks {
		if !cr.ExpectFail || cr.Expected != cr.Cases-cr.Skipped || cr.Expected < 8 || cr.Worst.Ratio() <= 1 {
			t.Errorf("%s: %+v, want ≥ 8 of 10 expected failures and none else", cr.Check, cr)
		}
		if want := fmt.Sprintf("%s (expect fail)", cr.Check); !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

// Shrinking never makes a case that cannot be built (a frozen layer or
// biases left without a hidden layer): every simplification of every
// drawn case of every check builds its model.
func TestSmallerCasesBuild(t *testing.T) {
	for _, name := range Checks() {
		for i := range 30 {
			c, err := Generate(name, NewRandSource(9, i), true)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range smaller(c) {
				if _, err := build(s); err != nil {
					t.Fatalf("%s: %+v shrinks to %+v, which does not build: %v", name, c, s, err)
				}
			}
		}
	}
}
