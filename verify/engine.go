package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"
)

// Config configures Run.
type Config struct {
	// Seed seeds every case: case i of a check is drawn from
	// NewRandSource(Seed ^ hash(check), i).
	Seed uint64
	// Cases is the number of cases per check (0: 20).
	Cases int
	// Checks restricts the run to these checks (empty: all, see Checks).
	Checks []string
	// Short draws shorter training trajectories (emulators, CI).
	Short bool
	// FailDir is where the shrunk failing case of each failing check is
	// written as JSON ("" : the current directory).
	FailDir string
	// ShrinkBudget bounds the case runs spent shrinking one failure
	// (0: 200).
	ShrinkBudget int
}

// CheckReport summarises one check over its cases.
type CheckReport struct {
	Check string
	// ExpectFail marks a check whose cases are expected to fail (the bias
	// checks): for it, Expected counts the cases that failed as expected
	// and Failures the unexpected passes (and run errors).
	ExpectFail bool
	Cases      int
	Failures   int // cases whose result did not pass (or, if ExpectFail, did), or whose run failed
	Expected   int // ExpectFail only: cases that failed, as they should
	Skipped    int // degenerate cases that tested nothing
	// Worst is the result with the largest Residual/Bound ratio (with
	// ExpectFail the smallest: the case closest to passing); WorstCase the
	// case it came from.
	Worst     Result
	WorstCase Case
	// Failing is the shrunk first failing case and FailFile where it was
	// written ("" when none failed).
	Failing  *Case
	FailFile string
	Err      string // the first run error, if any
}

// Report is the outcome of Run or Replay.
type Report struct {
	Checks []CheckReport
}

// Failed reports whether any case of any check failed.
func (r Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Failures > 0 {
			return true
		}
	}
	return false
}

// Run draws cfg.Cases cases of every selected check from cfg.Seed, runs
// them, shrinks the first failure of each check (greedily: fewer samples,
// smaller widths, fewer layers and steps, … while it still fails), writes
// it to FailDir, and prints the table of Print to w. The error reports
// problems of the run itself (unknown check, unwritable directory), not
// failing cases: see Report.Failed.
func Run(cfg Config, w io.Writer) (Report, error) {
	names := cfg.Checks
	if len(names) == 0 {
		names = Checks()
	}
	ncases := cfg.Cases
	if ncases <= 0 {
		ncases = 20
	}
	var rep Report
	for _, name := range names {
		if _, err := lookup(name); err != nil {
			return rep, err
		}
		cr := CheckReport{Check: name, ExpectFail: ExpectedToFail(name)}
		for i := range ncases {
			c, err := Generate(name, NewRandSource(cfg.Seed^nameHash(name), i), cfg.Short)
			if err != nil {
				return rep, err
			}
			res, err := RunCase(c)
			if !cr.record(c, res, err) && cr.Failing == nil {
				s := shrink(c, cfg.ShrinkBudget, cr.ExpectFail)
				cr.Failing = &s
				path, err := writeCase(cfg.FailDir, s, cfg.Seed, i)
				if err != nil {
					return rep, err
				}
				cr.FailFile = path
			}
		}
		rep.Checks = append(rep.Checks, cr)
	}
	return rep, Print(rep, w)
}

// record adds one case's outcome and reports whether it was as expected
// (a skipped case counts as expected).
func (cr *CheckReport) record(c Case, res Result, err error) bool {
	cr.Cases++
	switch {
	case errors.Is(err, errSkip):
		cr.Skipped++
		return true
	case err != nil:
		cr.Failures++
		if cr.Err == "" {
			cr.Err = err.Error()
		}
		res = Result{Residual: math.NaN(), Bound: 0, Detail: err.Error()}
	case cr.ExpectFail && failedAsExpected(res):
		cr.Expected++
	case cr.ExpectFail: // an unexpected pass (or a NaN residual)
		cr.Failures++
	case !res.Pass():
		cr.Failures++
	}
	r, w := res.Ratio(), cr.Worst.Ratio()
	further := r > w // for an expected failure, further from the bound is better
	if cr.ExpectFail && err == nil {
		further = r < w
	}
	if cr.Cases-cr.Skipped == 1 || further || (math.IsNaN(r) && !math.IsNaN(w)) {
		cr.Worst, cr.WorstCase = res, c
	}
	return asExpected(res, err, cr.ExpectFail)
}

// failedAsExpected reports whether res fails by a number: Residual > Bound
// (a NaN residual is a broken computation, not the expected failure).
func failedAsExpected(res Result) bool { return res.Residual > res.Bound }

// asExpected reports whether a case's outcome is the expected one: passed,
// or with expectFail failed by a number; a run error never is (a skip is
// handled by the caller).
func asExpected(res Result, err error, expectFail bool) bool {
	if err != nil {
		return false
	}
	if expectFail {
		return failedAsExpected(res)
	}
	return res.Pass()
}

// Replay re-runs the case stored in the JSON file at path (as written by
// Run) and prints its table to w.
func Replay(path string, w io.Writer) (Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Report{}, fmt.Errorf("verify: replay: %w", err)
	}
	var c Case
	if err := json.Unmarshal(data, &c); err != nil {
		return Report{}, fmt.Errorf("verify: replay %s: %w", path, err)
	}
	if _, err := lookup(c.Check); err != nil {
		return Report{}, fmt.Errorf("verify: replay %s: %w", path, err)
	}
	cr := CheckReport{Check: c.Check, ExpectFail: ExpectedToFail(c.Check)}
	res, err := RunCase(c)
	cr.record(c, res, err)
	rep := Report{Checks: []CheckReport{cr}}
	return rep, Print(rep, w)
}

// Print writes the report as a table: check, cases, failures, expected
// failures, skipped, worst residual, its bound, their ratio, and where the
// worst case was (plus the file of a failing case). A check that is
// expected to fail shows "(expect fail)" after its name, its expected
// failures in the expected column ("-" for the others), and as worst the
// case closest to passing; an unexpected pass is one of its failures.
func Print(rep Report, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tcases\tfailures\texpected\tskipped\tworst residual\tbound\tratio\twhere")
	xfail := false
	for _, c := range rep.Checks {
		name, expected := c.Check, "-"
		if c.ExpectFail {
			name, expected, xfail = name+" (expect fail)", fmt.Sprint(c.Expected), true
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%.3g\t%.3g\t%.3g\t%s\n", name, c.Cases, c.Failures, expected, c.Skipped,
			c.Worst.Residual, c.Worst.Bound, c.Worst.Ratio(), c.Worst.Detail)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("verify: print: %w", err)
	}
	if xfail {
		if _, err := fmt.Fprintln(w, "expect fail: the model breaks the statement (biases above the first hidden layer are not homogeneous); each case must fail it, and one that passes counts as a failure"); err != nil {
			return fmt.Errorf("verify: print: %w", err)
		}
	}
	for _, c := range rep.Checks {
		if c.FailFile != "" {
			if _, err := fmt.Fprintf(w, "%s: shrunk failing case written to %s (margo verify --replay %s)\n", c.Check, c.FailFile, c.FailFile); err != nil {
				return fmt.Errorf("verify: print: %w", err)
			}
		}
	}
	return nil
}

// writeCase stores c as indented JSON in dir.
func writeCase(dir string, c Case, seed uint64, i int) (string, error) {
	if dir == "" {
		dir = "."
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", fmt.Errorf("verify: encode case: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("verify-%s-seed%d-case%d.json", c.Check, seed, i))
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("verify: write failing case: %w", err)
	}
	return path, nil
}

// nameHash is FNV-1a of a check's name, so that checks draw independent
// streams from one seed.
func nameHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(s) {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// shrink greedily replaces a failing case by a smaller one that still
// fails (any candidate of smaller returns that fails is taken, and the
// search restarts from it), within budget case runs. For a check that is
// expected to fail, "fails" means passes unexpectedly (or errs).
func shrink(c Case, budget int, expectFail bool) Case {
	if budget <= 0 {
		budget = 200
	}
	for budget > 0 {
		progressed := false
		for _, s := range smaller(c) {
			if budget == 0 {
				break
			}
			budget--
			res, err := RunCase(s)
			if errors.Is(err, errSkip) {
				continue
			}
			if !asExpected(res, err, expectFail) {
				c, progressed = s, true
				break
			}
		}
		if !progressed {
			break
		}
	}
	return c
}

// smaller lists the one-step simplifications of c, the most drastic first.
func smaller(c Case) []Case {
	var out []Case
	with := func(f func(*Case)) {
		s := c
		s.Widths = append([]int(nil), c.Widths...)
		f(&s)
		out = append(out, s)
	}
	if c.N > 1 {
		with(func(s *Case) { s.N = max(1, c.N/2) })
		with(func(s *Case) { s.N-- })
	}
	if c.Steps > 1 {
		with(func(s *Case) { s.Steps = c.Steps / 2 })
		with(func(s *Case) { s.Steps-- })
	}
	if len(c.Widths) > 0 {
		with(func(s *Case) {
			s.Widths = s.Widths[:len(s.Widths)-1]
			if len(s.Widths) == 0 { // neither a frozen layer nor biases without a hidden layer
				s.Freeze, s.Bias = false, false
			}
		})
	}
	for l, wd := range c.Widths {
		if wd > 1 {
			with(func(s *Case) { s.Widths[l] = wd - 1 })
		}
	}
	if c.In > 1 {
		with(func(s *Case) { s.In-- })
	}
	if c.Freeze {
		with(func(s *Case) { s.Freeze = false })
	}
	if c.Slope != 0 {
		with(func(s *Case) { s.Slope = 0 })
	}
	if c.Bias {
		with(func(s *Case) { s.Bias = false })
	}
	if c.Mean {
		with(func(s *Case) { s.Mean = false })
	}
	if c.Loss == "logistic" {
		with(func(s *Case) { s.Loss = "exp" })
	}
	return out
}
