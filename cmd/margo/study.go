package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/margo-lab/margo/steepest/train"
)

// A study is an experiment of `margo study` (docs/studies.md): the runs and
// figures of an experiment table, plus per-run statistics of the margins
// computed from the metrics (summary.json and a chart).
type study struct {
	exp *experiment
	// meta holds, per run name, the algorithm label and the setting (the
	// value the study varies) the statistics are grouped by.
	meta map[string]studyMeta
	// chart draws the statistics (nil: no chart beyond exp.Plot).
	chart func(out string, st []runStats) error
}

// studyMeta says what a run is within its study.
type studyMeta struct {
	Label   string  `json:"label"`   // algorithm variant, e.g. "SD" or "Adam ε=0.01 β=(0,0)"
	Setting string  `json:"setting"` // e.g. "B=10", "depth 3 leaky 0.1"
	X       float64 `json:"x"`       // the setting's number where it has one (η, B, depth), else 0
}

// studyNames lists the studies in the order of the issue.
var studyNames = []string{"stepsize", "batch", "adam-late", "depth", "bias"}

func cmdStudy(args []string, stdout, stderr io.Writer) error {
	ro := reproduceOptions{Jobs: runtime.GOMAXPROCS(0)}
	fs := newFlagSet("study")
	fs.BoolVar(&ro.Quick, "quick", false, "scaled-down version (about two minutes on 2 cores)")
	fs.IntVar(&ro.Seeds, "seeds", 0, "number of seeds (default: 1 with --quick, else 2)")
	fs.StringVar(&ro.Out, "out", "", "output directory (default results/study-NAME)")
	fs.IntVar(&ro.Jobs, "jobs", ro.Jobs, "runs trained concurrently")
	fs.IntVar(&ro.Threads, "threads", 0, "GEMM threads per run (default: cores/jobs)")
	fs.StringVar(&ro.MNIST, "mnist", "", "directory with the MNIST IDX .gz files (default: the GoMNIST module)")
	fs.IntVar(&ro.Steps, "steps", 0, "override the number of steps of every run")
	fs.BoolVar(&ro.Quiet, "quiet", false, "no progress output")
	profile := cpuProfileFlag(fs)
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one study: stepsize, batch, adam-late, depth or bias")
	}
	if err := checkRunOptions(&ro); err != nil {
		return err
	}
	ro.Figure = pos[0]
	st, err := buildStudy(&ro)
	if err != nil {
		return err
	}
	if ro.Out == "" {
		ro.Out = filepath.Join("results", "study-"+ro.Figure)
	}
	ro.Jobs = min(ro.Jobs, len(st.exp.Runs))
	if st.exp.D > 0 {
		if err := checkExperimentMemory(st.exp, ro.Jobs); err != nil {
			return err
		}
	}
	stopProfile, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	return runStudy(st, ro, stdout, stderr)
}

// runStudy trains the study's runs (resuming finished and checkpointed
// ones), writes the manifest, figures and statistics and prints the
// summary tables.
func runStudy(st *study, ro reproduceOptions, stdout, stderr io.Writer) error {
	runsDir := filepath.Join(ro.Out, "runs")
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	for _, f := range []string{"manifest.json", "summary.json"} {
		if err := train.CheckWritable(filepath.Join(ro.Out, f)); err != nil {
			return err
		}
	}
	start := time.Now()
	ctx, stop := signalContext()
	defer stop()
	res := runAll(ctx, st.exp, runsDir, ro, stderr)
	if err := writeManifest(ro, st.exp, res, time.Since(start)); err != nil {
		return err
	}
	unfinished := 0
	for _, r := range st.exp.Runs {
		if rr := res[r.Name]; rr.Status != "done" {
			unfinished++
			fmt.Fprintf(stderr, "run %s %s: %s\n", r.Name, rr.Status, rr.Error)
		}
	}
	if err := st.exp.Plot(ro.Out, runsDir, st.exp.Runs, res); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	stats := studyStats(st, runsDir, res)
	if err := writeStudySummary(filepath.Join(ro.Out, "summary.json"), st, stats); err != nil {
		return err
	}
	if st.chart != nil {
		if err := st.chart(ro.Out, stats); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
	}
	if err := writeReport(ro.Out, runsDir, st.exp, res); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	printSummary(stdout, st.exp, res, runsDir)
	fmt.Fprintln(stdout)
	printStudyStats(stdout, stats)
	fmt.Fprintln(stdout)
	printOrdering(stdout, marginOrdering(stats))
	fmt.Fprintf(stdout, "%s: %d runs (%d not finished) in %s; outputs in %s\n", st.exp.Name, len(st.exp.Runs), unfinished, time.Since(start).Round(time.Second), ro.Out)
	if unfinished == len(st.exp.Runs) {
		return errors.New("every run failed")
	}
	return nil
}

// studyMargin names, per algorithm, the margin its steepest descent is about
// (paper.md 1.4): the soft margin and the hard margin fields of a record.
// Adam is sign descent's (paper.md 6, claim 6).
var studyMargin = map[string][2]string{
	"gd": {"soft2", "gamma2"}, "sd": {"soft1", "gamma1"}, "adam": {"soft1", "gamma1"}, "cd": {"softInf", "gammaInf"},
}

// runStats are the statistics of one run's own margin after separation,
// computed from its records by marginStats.
type runStats struct {
	Run string `json:"run"`
	studyMeta
	Alg  string `json:"alg"`
	Seed uint64 `json:"seed"`
	// Soft and Hard are the record fields of the algorithm's own soft and
	// hard margin (studyMargin).
	Soft string `json:"soft_margin"`
	Hard string `json:"hard_margin"`
	// SepStep is the first recorded step with every training point
	// classified correctly (q_min > 0); NaN: never. T0Step is the first
	// recorded step of Theorem 1's t0: separated and L < e^{−Φ(0)} (1 for
	// the exp loss, log 2 for the logistic loss), where the soft margin is
	// positive and the theorem says it no longer decreases.
	SepStep jfloat `json:"separation_step"`
	T0Step  jfloat `json:"t0_step"`
	// Pairs counts consecutive records from t0 on; Decreases those
	// whose soft margin is smaller at the later record. FracDecrease is
	// their ratio (NaN without a pair).
	Pairs        int    `json:"pairs_after_separation"`
	Decreases    int    `json:"decreases"`
	FracDecrease jfloat `json:"fraction_decreasing"`
	// Alternations counts consecutive pairs of pairs whose changes of the
	// soft margin have opposite signs (a period-2 oscillation flips at every
	// step); out of Pairs−1.
	Alternations int `json:"sign_alternations"`
	// LargestDrop is the largest decrease of the soft margin between
	// consecutive records (0: none), RelDrop that decrease over the
	// margin before it.
	LargestDrop jfloat `json:"largest_drop"`
	RelDrop     jfloat `json:"largest_relative_drop"`
	// FirstFailStep is the later step of the first decreasing pair and
	// FirstFailLog10Loss log10 L there: the loss at which monotonicity
	// first fails (NaN: never).
	FirstFailStep      jfloat `json:"first_fail_step"`
	FirstFailLog10Loss jfloat `json:"first_fail_log10_loss"`
	// AtSep and Final are the soft margin at t0 and at the last
	// record; FinalHard the hard margin there; Grew says Final > AtSep.
	AtSep     jfloat `json:"soft_at_t0"`
	Final     jfloat `json:"final_soft"`
	FinalHard jfloat `json:"final_hard"`
	Grew      bool   `json:"grew"`
	// The three hard margins at the end, and log10 L there.
	Gamma1, Gamma2, GammaInf jfloat
	FinalLog10Loss           jfloat `json:"final_log10_loss"`
	LastStep                 jfloat `json:"last_step"`
	// PeakGamma1 is the largest γ1 after separation, at PeakStep and
	// log10 L = PeakLog10Loss; Gamma2AtPeak is γ2 there (adam-late: does
	// γ2 grow after γ1's peak).
	PeakGamma1    jfloat `json:"peak_gamma1"`
	PeakStep      jfloat `json:"peak_gamma1_step"`
	PeakLog10Loss jfloat `json:"peak_gamma1_log10_loss"`
	Gamma2AtPeak  jfloat `json:"gamma2_at_peak"`
}

// jfloat is a float64 whose JSON form is null for NaN and ±Inf.
type jfloat float64

// MarshalJSON writes the shortest exact form, or null.
func (f jfloat) MarshalJSON() ([]byte, error) {
	return appendJSONFloat(nil, float64(f)), nil
}

func appendJSONFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	x, _ := json.Marshal(v)
	return append(b, x...)
}

// marginStats computes the statistics of rows (one run's records in step
// order) for the soft margin field soft and hard margin field hard. t0 is
// the first record with q_min > 0 and log L < logT0 (0 for the exp loss,
// log log 2 for the logistic loss: Theorem 1's t0); a pair is two
// consecutive records from there on.
func marginStats(rows []train.Row, soft, hard string, logT0 float64) runStats {
	nan := jfloat(math.NaN())
	s := runStats{Soft: soft, Hard: hard, SepStep: nan, T0Step: nan, FracDecrease: nan, FirstFailStep: nan, FirstFailLog10Loss: nan,
		AtSep: nan, Final: nan, FinalHard: nan, PeakGamma1: nan, PeakStep: nan, PeakLog10Loss: nan, Gamma2AtPeak: nan}
	if len(rows) == 0 {
		s.Gamma1, s.Gamma2, s.GammaInf, s.FinalLog10Loss, s.LastStep = nan, nan, nan, nan, nan
		return s
	}
	last := rows[len(rows)-1]
	s.Gamma1, s.Gamma2, s.GammaInf = jfloat(last["gamma1"]), jfloat(last["gamma2"]), jfloat(last["gammaInf"])
	s.FinalLog10Loss, s.LastStep = jfloat(last["log_loss"]/math.Ln10), jfloat(last["step"])
	sep := -1
	for i, r := range rows {
		if r["qmin"] > 0 && math.IsNaN(float64(s.SepStep)) {
			s.SepStep = jfloat(r["step"])
		}
		if r["qmin"] > 0 && r["log_loss"] < logT0 {
			sep = i
			break
		}
	}
	if sep < 0 {
		return s
	}
	s.T0Step, s.AtSep = jfloat(rows[sep]["step"]), jfloat(rows[sep][soft])
	s.Final, s.FinalHard = jfloat(last[soft]), jfloat(last[hard])
	s.Grew = last[soft] > rows[sep][soft]
	for i := sep; i < len(rows); i++ {
		if g := rows[i]["gamma1"]; !(float64(s.PeakGamma1) >= g) && !math.IsNaN(g) {
			s.PeakGamma1, s.PeakStep = jfloat(g), jfloat(rows[i]["step"])
			s.PeakLog10Loss, s.Gamma2AtPeak = jfloat(rows[i]["log_loss"]/math.Ln10), jfloat(rows[i]["gamma2"])
		}
		if i == sep {
			continue
		}
		prev, cur := rows[i-1][soft], rows[i][soft]
		s.Pairs++
		if i > sep+1 && (cur < prev) != (prev < rows[i-2][soft]) {
			s.Alternations++
		}
		if !(cur < prev) {
			continue
		}
		s.Decreases++
		if drop := prev - cur; drop > float64(s.LargestDrop) {
			s.LargestDrop, s.RelDrop = jfloat(drop), jfloat(drop/math.Abs(prev))
		}
		if s.Decreases == 1 {
			s.FirstFailStep, s.FirstFailLog10Loss = jfloat(rows[i]["step"]), jfloat(rows[i]["log_loss"]/math.Ln10)
		}
	}
	if s.Pairs > 0 {
		s.FracDecrease = jfloat(float64(s.Decreases) / float64(s.Pairs))
	}
	return s
}

// studyStats computes the statistics of every finished run.
func studyStats(st *study, runsDir string, res map[string]*runResult) []runStats {
	var out []runStats
	for _, r := range st.exp.Runs {
		if rr := res[r.Name]; rr == nil || rr.Status != "done" {
			continue
		}
		rows, err := train.ReadMetrics(filepath.Join(runsDir, r.Name+".jsonl"))
		if err != nil {
			continue
		}
		m := studyMargin[r.Alg]
		logT0 := 0.0 // exp loss: L < 1
		if r.Opts.Loss == "logistic" {
			logT0 = math.Log(math.Ln2)
		}
		s := marginStats(rows, m[0], m[1], logT0)
		s.Run, s.studyMeta, s.Alg, s.Seed = r.Name, st.meta[r.Name], r.Alg, r.Seed
		out = append(out, s)
	}
	return out
}

// ordering is, for one setting and one hard margin, the algorithm label
// with the largest mean final value (paper.md 6, claim 2).
type ordering struct {
	Setting string            `json:"setting"`
	Margin  string            `json:"margin"`
	Largest string            `json:"largest"`
	Means   map[string]jfloat `json:"means"`
}

// marginOrdering returns, per setting (in first-seen order) and per hard
// margin, the mean final value of every algorithm label over its runs
// that reached t0 and the label with the largest.
func marginOrdering(stats []runStats) []ordering {
	var settings, labels []string
	sum := map[[3]string]float64{}
	cnt := map[[3]string]int{}
	seen := map[string]bool{}
	for _, s := range stats {
		if !seen["s"+s.Setting] {
			seen["s"+s.Setting] = true
			settings = append(settings, s.Setting)
		}
		if !seen["l"+s.Label] {
			seen["l"+s.Label] = true
			labels = append(labels, s.Label)
		}
		if math.IsNaN(float64(s.T0Step)) {
			continue
		}
		for m, v := range map[string]jfloat{"gamma1": s.Gamma1, "gamma2": s.Gamma2, "gammaInf": s.GammaInf} {
			k := [3]string{s.Setting, m, s.Label}
			sum[k] += float64(v)
			cnt[k]++
		}
	}
	var out []ordering
	for _, set := range settings {
		for _, m := range []string{"gamma1", "gamma2", "gammaInf"} {
			o := ordering{Setting: set, Margin: m, Means: map[string]jfloat{}}
			best := math.Inf(-1)
			for _, l := range labels {
				k := [3]string{set, m, l}
				if cnt[k] == 0 {
					continue
				}
				v := sum[k] / float64(cnt[k])
				o.Means[l] = jfloat(v)
				if v > best {
					best, o.Largest = v, l
				}
			}
			if len(o.Means) > 0 {
				out = append(out, o)
			}
		}
	}
	return out
}

// writeStudySummary writes summary.json: the per-run statistics and the
// margin ordering per setting.
func writeStudySummary(path string, st *study, stats []runStats) error {
	b, err := json.MarshalIndent(map[string]any{
		"study": st.exp.Name, "runs": stats, "ordering": marginOrdering(stats),
		"definitions": "own margin: GD soft2/γ2, SD and Adam soft1/γ1, CD softInf/γ∞; statistics over consecutive records from t0, the first with q_min > 0 and L < 1 (exp loss) or L < log 2 (logistic loss), as Theorem 1 (docs/studies.md)",
	}, "", "  ")
	if err != nil {
		return err
	}
	return train.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// printStudyStats prints one line of statistics per run.
func printStudyStats(w io.Writer, stats []runStats) {
	fmt.Fprintf(w, "%-44s %7s %6s %6s %7s %9s %9s %10s %10s %10s %5s %9s\n", "own soft margin from t0 (Thm 1)",
		"t0", "pairs", "flips", "frac↓", "rel.drop", "1st↓ lgL", "at t0", "final", "final hard", "grew", "final lgL")
	for _, s := range stats {
		name := s.Label + " " + s.Setting
		if s.Seed > 1 {
			name += fmt.Sprintf(" s%d", s.Seed)
		}
		fmt.Fprintf(w, "%-44s %7s %6d %6d %7s %9s %9s %10s %10s %10s %5v %9s\n", name, fmtG(s.T0Step, "%.0f"), s.Pairs, s.Alternations,
			fmtG(s.FracDecrease, "%.3f"), fmtG(s.RelDrop, "%.2g"), fmtG(s.FirstFailLog10Loss, "%.1f"),
			fmtG(s.AtSep, "%.4g"), fmtG(s.Final, "%.4g"), fmtG(s.FinalHard, "%.4g"), s.Grew, fmtG(s.FinalLog10Loss, "%.4g"))
	}
}

// printOrdering prints, per setting and hard margin, which algorithm
// label ends with the largest mean value.
func printOrdering(w io.Writer, ord []ordering) {
	fmt.Fprintf(w, "%-28s %-9s %s\n", "largest final margin", "margin", "algorithm (mean over runs past t0)")
	for _, o := range ord {
		fmt.Fprintf(w, "%-28s %-9s %s (%.4g)\n", o.Setting, o.Margin, o.Largest, float64(o.Means[o.Largest]))
	}
}

// fmtG formats v, or "-" for NaN.
func fmtG(v jfloat, format string) string {
	if math.IsNaN(float64(v)) {
		return "-"
	}
	return fmt.Sprintf(format, float64(v))
}
