package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/tensor"
	"github.com/margo-lab/margo/tensor/npz"
)

// setup is a small run: a two-layer net on random separable-ish data.
type setup struct {
	model *nn.MLP
	theta []float64
	data  *nn.Dataset
}

func newSetup(t testing.TB, n, d, width int, seed uint64) setup {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n*d)
	y := make([]float64, n)
	for i := range n {
		s := 0.0
		for j := range d {
			x[i*d+j] = rng.NormFloat64()
			s += x[i*d+j] * float64(j%3-1)
		}
		y[i] = 1
		if s < 0 {
			y[i] = -1
		}
	}
	ds, err := NewDataset("random", n, d, x, y)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.NewMLP(nn.Config{In: d, Widths: []int{width}})
	if err != nil {
		t.Fatal(err)
	}
	theta := make([]float64, m.Layout().Size())
	m.Init(theta, nn.InitUniform, 0.5, rand.New(rand.NewPCG(seed, 2)))
	return setup{m, theta, ds}
}

func optimizer(t testing.TB, name string, s setup) steepest.Optimizer {
	t.Helper()
	opt, err := steepest.New(steepest.Config{Name: name, LR: 3e-3, Normalized: name != "gd" && name != "adam",
		Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, Layout: s.model.Layout()})
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

// runFiles trains a fresh copy of the setup and returns its metrics and
// parameter files.
func runFiles(t *testing.T, dir, name, alg string, pool *tensor.Pool, ctx context.Context, mutate func(*Config)) (Result, []byte, []byte) {
	t.Helper()
	s := newSetup(t, 60, 12, 24, 5)
	cfg := Config{Model: s.model, Theta: s.theta, Train: s.data, Objective: nn.Objective{Loss: nn.Exp},
		Optimizer: optimizer(t, alg, s), Steps: 300, RecordEvery: 7, Pool: pool,
		Metrics: filepath.Join(dir, name+".jsonl"), Save: filepath.Join(dir, name+".npz")}
	if mutate != nil {
		mutate(&cfg)
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m, _ := os.ReadFile(cfg.Metrics)
	p, _ := os.ReadFile(cfg.Save)
	return res, m, p
}

// Two trainers in one process at once, with pools of 1 and 3 threads,
// write the same bytes as each alone (run under -race in CI: the pools,
// workspaces and optimizers share nothing). The network is large enough
// for the GEMMs (2^23 flops) and the reductions (2^16 parameters) to be
// split among a pool's threads.
func TestConcurrentTrainers(t *testing.T) {
	dir := t.TempDir()
	big := func(c *Config) {
		s := newSetup(t, 120, 150, 440, 9)
		c.Model, c.Theta, c.Train, c.Steps = s.model, s.theta, s.data, 12
		c.Optimizer = optimizer(t, "adam", s)
	}
	_, wantM, wantP := runFiles(t, dir, "alone", "adam", nil, context.Background(), big)
	var wg sync.WaitGroup
	got := make([][2][]byte, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, m, p := runFiles(t, dir, "c"+string(rune('a'+i)), "adam", tensor.NewPool(1+2*(i%2)), context.Background(), big)
			got[i] = [2][]byte{m, p}
		}()
	}
	wg.Wait()
	for i, g := range got {
		if len(wantM) == 0 || !bytes.Equal(g[0], wantM) || !bytes.Equal(g[1], wantP) {
			t.Errorf("trainer %d (%d threads): files differ from the run alone", i, 1+2*(i%2))
		}
	}
}

// A cancelled run stops at a step boundary with a checkpoint; resuming it
// ends byte-identical to an uninterrupted run, for every algorithm kind
// (elementwise, CD, Adam's state) and the loss-adaptive schedule's state.
func TestCancelResume(t *testing.T) {
	for _, alg := range []string{"gd", "sd", "cd", "adam"} {
		for _, adaptive := range []bool{false, true} {
			if adaptive && alg == "adam" {
				continue // Adam's moments overflow as the adaptive rate grows
			}
			dir := t.TempDir()
			withSched := func(c *Config) {
				if adaptive {
					la, _ := steepest.NewLossAdaptive(3e-3, alg == "gd")
					c.Schedule = la
				}
			}
			_, wantM, wantP := runFiles(t, dir, "full", alg, nil, context.Background(), withSched)
			ctx, cancel := context.WithCancel(context.Background())
			ckpt := func(c *Config) {
				withSched(c)
				c.Metrics, c.Save = filepath.Join(dir, "cut.jsonl"), filepath.Join(dir, "cut.npz")
				c.Checkpoint = Checkpoint{Path: filepath.Join(dir, "cut.ckpt.npz"), Every: 50, Resume: true, Run: []byte(alg)}
				c.OnStep = func(t int, _ *nn.Eval, _ []float64) {
					if t == 123 {
						cancel()
					}
				}
			}
			res, _, _ := runFiles(t, dir, "cut", alg, nil, ctx, ckpt)
			if res.Status != Interrupted || res.LastStep != 124 || !res.Checkpointed {
				t.Fatalf("%s adaptive=%v: cancelled run ended %v at %d (checkpointed %v), want interrupted at 124", alg, adaptive, res.Status, res.LastStep, res.Checkpointed)
			}
			if _, err := os.Stat(filepath.Join(dir, "cut.npz")); err == nil {
				t.Fatalf("%s: an interrupted run saved its final parameters", alg)
			}
			resumeCfg := func(c *Config) { ckpt(c); c.OnStep = nil }
			res, gotM, gotP := runFiles(t, dir, "cut", alg, nil, context.Background(), resumeCfg)
			if !res.Resumed || res.Status != Finished {
				t.Fatalf("%s: resumed run: %+v", alg, res)
			}
			if len(wantM) == 0 || !bytes.Equal(gotM, wantM) || !bytes.Equal(gotP, wantP) {
				t.Errorf("%s adaptive=%v: resumed run differs from the uninterrupted one", alg, adaptive)
			}
		}
	}
}

// A checkpoint is refused, with the sentinel errors, when it belongs to
// another run, another optimizer, changed inputs, another format, or does
// not match its metrics file.
func TestCheckpointRefused(t *testing.T) {
	dir := t.TempDir()
	base := func(c *Config) {
		c.Steps = 100
		c.Checkpoint = Checkpoint{Path: filepath.Join(dir, "r.ckpt.npz"), Every: 40, Resume: true, Run: []byte("A"),
			Inputs: map[string]string{"data": "h1"}}
		c.Metrics = filepath.Join(dir, "r.jsonl")
	}
	// Leave a checkpoint at step 80: cancel after it is written.
	ctx, cancel := context.WithCancel(context.Background())
	runFiles(t, dir, "r", "sd", nil, ctx, func(c *Config) {
		base(c)
		c.OnStep = func(t int, _ *nn.Eval, _ []float64) {
			if t == 90 {
				cancel()
			}
		}
	})
	try := func(name string, alg string, mutate func(*Config)) error {
		s := newSetup(t, 60, 12, 24, 5)
		cfg := Config{Model: s.model, Theta: s.theta, Train: s.data, Optimizer: optimizer(t, alg, s), Steps: 300}
		base(&cfg)
		if mutate != nil {
			mutate(&cfg)
		}
		tr, err := New(cfg)
		if err == nil {
			tr.Close()
		}
		return err
	}
	if err := try("same", "sd", nil); err != nil {
		t.Fatalf("the matching resume was refused: %v", err)
	}
	for _, c := range []struct {
		name, alg string
		mutate    func(*Config)
		want      error
	}{
		{"other run", "sd", func(c *Config) { c.Checkpoint.Run = []byte("B") }, ErrOtherRun},
		{"other optimizer", "gd", nil, ErrOtherRun},
		{"changed input", "sd", func(c *Config) { c.Checkpoint.Inputs = map[string]string{"data": "h2"} }, ErrOtherRun},
		{"no inputs", "sd", func(c *Config) { c.Checkpoint.Inputs = nil }, ErrOtherRun},
	} {
		if err := try(c.name, c.alg, c.mutate); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	// Metrics inconsistent with the checkpoint: cut inside a record, or
	// appended records of later steps ending at the checkpointed length.
	m := filepath.Join(dir, "r.jsonl")
	orig, _ := os.ReadFile(m)
	var meta checkpointMeta
	if a, err := readCheckpointMeta(filepath.Join(dir, "r.ckpt.npz")); err != nil {
		t.Fatal(err)
	} else {
		meta = a
	}
	lines := bytes.SplitAfter(orig[:meta.MetricsBytes], []byte("\n"))
	os.WriteFile(m, orig[:meta.MetricsBytes-5], 0o644)
	if err := try("short", "sd", nil); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Errorf("short metrics: err %v", err)
	}
	torn := slices.Clone(orig)
	torn[meta.MetricsBytes-1] = ' ' // the length falls inside a record
	os.WriteFile(m, torn, 0o644)
	if err := try("torn", "sd", nil); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("metrics not cut at a record: err %v", err)
	}
	// The record that ends at the length, renumbered to a step at or after
	// the checkpoint's (same number of digits, so the same length).
	last := lines[len(lines)-2]
	var rec struct{ Step int }
	json.Unmarshal(last, &rec)
	digits := len(strconv.Itoa(rec.Step))
	later := strings.Repeat("9", digits)
	if n, _ := strconv.Atoi(later); n < meta.Step {
		t.Fatalf("cannot renumber step %d past %d", rec.Step, meta.Step)
	}
	bumped := bytes.Replace(slices.Clone(orig), last, bytes.Replace(last, []byte(`{"step":`+strconv.Itoa(rec.Step)), []byte(`{"step":`+later), 1), 1)
	os.WriteFile(m, bumped, 0o644)
	if err := try("later step", "sd", nil); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("metrics whose record at the checkpoint length is of a later step: err %v", err)
	}
	os.WriteFile(m, orig, 0o644)
	// Another format.
	os.WriteFile(filepath.Join(dir, "r.ckpt.npz"), []byte("PK not a zip"), 0o644)
	if err := try("garbage", "sd", nil); err == nil {
		t.Errorf("a garbage checkpoint was accepted")
	}
}

func readCheckpointMeta(path string) (checkpointMeta, error) {
	var meta checkpointMeta
	b, err := os.ReadFile(path)
	if err != nil {
		return meta, err
	}
	a, err := npz.Parse(b)
	if err != nil {
		return meta, err
	}
	err = json.Unmarshal(a.Raw["meta.json"], &meta)
	return meta, err
}

// writeRawCheckpoint writes a checkpoint with a θ of one value and the
// given meta.json.
func writeRawCheckpoint(path, meta string) error {
	return WriteFile(path, func(w io.Writer) error {
		return npz.Encode(w, []npz.Member{vector("theta", []float64{1}), {Name: "meta.json", Raw: []byte(meta)}})
	})
}

// A checkpoint of the older format (meta.json without "format") is refused
// with ErrFormat.
func TestCheckpointOldFormat(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "old.ckpt.npz")
	if err := writeRawCheckpoint(p, `{"step":10,"metrics_bytes":0,"options":{},"version":"v0"}`); err != nil {
		t.Fatal(err)
	}
	s := newSetup(t, 20, 4, 5, 1)
	_, err := New(Config{Model: s.model, Theta: s.theta, Train: s.data, Optimizer: optimizer(t, "sd", s), Steps: 50,
		Checkpoint: Checkpoint{Path: p, Resume: true}})
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("old-format checkpoint: err %v, want ErrFormat", err)
	}
}

// RecordSteps.Is agrees with the list the command wrote records at before
// the loop moved (0..10, then round(10·10^{(i−10)/20}), then Steps), and
// every K steps; a run of 9e18 steps needs no list.
func TestRecordSteps(t *testing.T) {
	old := func(n int) []int {
		var s []int
		last := -1
		for i := 0; ; i++ {
			t := i
			if i > 10 {
				t = int(math.Round(10 * math.Pow(10, float64(i-10)/20)))
			}
			if t >= n {
				break
			}
			if t != last {
				s = append(s, t)
				last = t
			}
		}
		return append(s, n)
	}
	for _, n := range []int{1, 2, 10, 11, 12, 80, 1000, 5000, 100000, 1234567} {
		want := old(n)
		if got := (RecordSteps{Steps: n}).List(); !slices.Equal(got, want) {
			t.Fatalf("Steps %d: List %v, want %v", n, got, want)
		}
		set := map[int]bool{}
		for _, s := range want {
			set[s] = true
		}
		for s := 0; s <= min(n, 200000); s++ {
			if (RecordSteps{Steps: n}).Is(s) != set[s] {
				t.Fatalf("Steps %d: Is(%d) = %v", n, s, !set[s])
			}
		}
	}
	r := RecordSteps{Steps: 9e18, Every: 1}
	if !r.Is(8e18) || !r.Is(9e18) || r.Is(9e18+1) {
		t.Errorf("RecordSteps{9e18, 1}")
	}
	if got := (RecordSteps{Steps: 10, Every: 4}).List(); !slices.Equal(got, []int{0, 4, 8, 10}) {
		t.Errorf("Every 4 of 10: %v", got)
	}
	if r := (RecordSteps{Steps: 9e18}); !r.Is(10000000000) || r.Is(10000000001) {
		t.Errorf("log steps near 1e10")
	}
}

// A Record's JSON: the contract's field order, the paper's names, null for
// NaN, the spectral and test fields only when present; Row reads it back.
func TestRecordJSON(t *testing.T) {
	r := Record{TrainAcc: 1, LR: 0.5}
	r.Step, r.QMin, r.MarginLinf, r.BregmanL2 = 3, -1, 0.25, math.NaN()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`{"step":3,"loss":0,"log_loss":0,"train_acc":1,"qmin":-1,`, `"gamma1":0.25,"gamma2":0,"gammaInf":0,`, `"bregman2":null`, `"slackInf":0,"lr":0.5}`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	if strings.Contains(s, "test_acc") || strings.Contains(s, "gammaSpec") {
		t.Errorf("JSON %s has fields that were not computed", s)
	}
	r.HasTest, r.TestAcc, r.TestLogLoss = true, 0.75, -2
	r.HasSpectral, r.NormSpectral, r.MarginSpectral = true, 2, math.Inf(1)
	line := r.AppendJSON(nil)
	rows, err := ParseMetrics(append(line, line...))
	if err != nil || len(rows) != 2 {
		t.Fatalf("ParseMetrics: %v %v", rows, err)
	}
	if rows[0]["test_acc"] != 0.75 || !math.IsNaN(rows[0]["gammaSpec"]) || rows[0]["norm_spec"] != 2 {
		t.Errorf("read back %v", rows[0])
	}
	if !bytes.Contains(line, []byte(`"gammaSpec":null,"test_log_loss":-2,"lr":0.5}`+"\n")) {
		t.Errorf("line %s", line)
	}
	if _, err := ParseMetrics([]byte("{\"loss\":1}\n")); err == nil {
		t.Error("a record without step was accepted")
	}
}

// Stochastic runs: Batch = n is bitwise the full-batch run (records,
// parameters) for every algorithm kind; a smaller batch gives another run,
// reproducible byte for byte, and a cancelled one resumes identical.
func TestBatch(t *testing.T) {
	for _, alg := range []string{"gd", "sd", "cd", "adam"} {
		dir := t.TempDir()
		_, fullM, fullP := runFiles(t, dir, "full", alg, nil, context.Background(), nil)
		_, nM, nP := runFiles(t, dir, "n", alg, nil, context.Background(), func(c *Config) { c.Batch, c.BatchSeed = c.Train.Len(), 4 })
		if len(fullM) == 0 || !bytes.Equal(nM, fullM) || !bytes.Equal(nP, fullP) {
			t.Errorf("%s: Batch = n differs from the full batch", alg)
		}
		small := func(c *Config) { c.Batch, c.BatchSeed = 7, 4 }
		_, aM, aP := runFiles(t, dir, "b7", alg, nil, context.Background(), small)
		if bytes.Equal(aM, fullM) {
			t.Errorf("%s: Batch = 7 gave the full-batch records", alg)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cut := func(c *Config) {
			small(c)
			c.Metrics, c.Save = filepath.Join(dir, "cut.jsonl"), filepath.Join(dir, "cut.npz")
			c.Checkpoint = Checkpoint{Path: filepath.Join(dir, "cut.ckpt.npz"), Every: 40, Resume: true}
			c.OnStep = func(t int, _ *nn.Eval, _ []float64) {
				if t == 101 {
					cancel()
				}
			}
		}
		if res, _, _ := runFiles(t, dir, "cut", alg, nil, ctx, cut); res.Status != Interrupted {
			t.Fatalf("%s: cancelled batch run ended %v", alg, res.Status)
		}
		_, bM, bP := runFiles(t, dir, "cut", alg, nil, context.Background(), func(c *Config) { cut(c); c.OnStep = nil })
		if len(aM) == 0 || !bytes.Equal(aM, bM) || !bytes.Equal(aP, bP) {
			t.Errorf("%s: resumed batch run differs from the uninterrupted one", alg)
		}
	}
	s := newSetup(t, 20, 4, 5, 1)
	la, _ := steepest.NewLossAdaptive(0.1, true)
	if _, err := New(Config{Model: s.model, Theta: s.theta, Train: s.data, Optimizer: optimizer(t, "gd", s), Steps: 5,
		Schedule: la, Batch: 4}); err == nil {
		t.Error("a loss-adaptive schedule with mini-batches was accepted")
	}
}

// Two runs on one metrics file (or checkpoint) at once: the second is
// refused, naming the first's process; after the first ends the file is
// free again. Outputs that are the same file are refused before anything
// is written; temporary files of a killed write are removed at the next
// start.
func TestRunGuards(t *testing.T) {
	dir := t.TempDir()
	s := newSetup(t, 20, 4, 5, 1)
	cfg := func(metrics, save, ckpt string) Config {
		c := Config{Model: s.model, Theta: s.theta, Train: s.data, Optimizer: optimizer(t, "sd", s), Steps: 5,
			Metrics: metrics, Save: save, Checkpoint: Checkpoint{Path: ckpt}}
		if ckpt != "" {
			c.Checkpoint.Every = 2
		}
		return c
	}
	m := filepath.Join(dir, "m.jsonl")
	first, err := New(cfg(m, "", filepath.Join(dir, "a.ckpt")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg(m, "", filepath.Join(dir, "b.ckpt"))); err == nil || !strings.Contains(err.Error(), "in use by another run (pid ") {
		t.Errorf("second run on the same metrics: err %v", err)
	}
	if _, err := New(cfg(filepath.Join(dir, "other.jsonl"), "", filepath.Join(dir, "a.ckpt"))); err == nil {
		t.Error("second run on the same checkpoint was accepted")
	}
	if _, err := first.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if locks, _ := filepath.Glob(filepath.Join(dir, "*.lock")); len(locks) > 0 {
		t.Errorf("lock files left after the run: %v", locks)
	}
	second, err := New(cfg(m, "", filepath.Join(dir, "b.ckpt")))
	if err != nil {
		t.Fatalf("the metrics file is still locked after the first run: %v", err)
	}
	second.Close()
	// Aliased outputs, also through a symbolic link.
	link := filepath.Join(dir, "link.jsonl")
	os.Symlink(m, link)
	for _, c := range [][3]string{{m, m, ""}, {m, "", m}, {link, m, ""}, {"", filepath.Join(dir, "p.npz"), filepath.Join(dir, ".", "p.npz")}} {
		if _, err := New(cfg(c[0], c[1], c[2])); err == nil || !strings.Contains(err.Error(), "same file") {
			t.Errorf("outputs %q: err %v", c, err)
		}
	}
	// An orphan of a killed WriteFile of this run's checkpoint goes.
	orphan := filepath.Join(dir, ".c.ckpt.tmp-123")
	os.WriteFile(orphan, []byte("half"), 0o644)
	tr, err := New(cfg(filepath.Join(dir, "c.jsonl"), "", filepath.Join(dir, "c.ckpt")))
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if _, err := os.Stat(orphan); err == nil {
		t.Error("the orphan temporary file was not removed")
	}
}

// FuzzParseMetrics fuzzes the metrics reader of margo plot (ParseMetrics):
// it never panics, every row it returns has a step, and a file it accepts
// reads back the same after its rows are written out again (Row's JSON).
// The corpus is in testdata/fuzz/FuzzParseMetrics.
func FuzzParseMetrics(f *testing.F) {
	r := Record{TrainAcc: 0.5, LR: 0.01, HasTest: true, TestAcc: 0.25}
	r.Step, r.LogLoss, r.QMin, r.MarginL2, r.BregmanL1 = 7, -3.5, 0.125, 1e-300, math.NaN()
	f.Add(r.AppendJSON(nil))
	f.Add([]byte("{\"step\":0}\n\n{\"step\":1,\"x\":null}\n"))
	f.Add([]byte(`{"step":1e308,"a":-0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ParseMetrics(b)
		if err != nil {
			return
		}
		var out []byte
		for _, row := range rows {
			if _, ok := row["step"]; !ok {
				t.Fatalf("row without step: %v", row)
			}
			line, err := row.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			out = append(append(out, line...), '\n')
		}
		back, err := ParseMetrics(out)
		if err != nil || len(back) != len(rows) {
			t.Fatalf("rows written out do not read back: %v", err)
		}
		for i := range rows {
			for k, v := range rows[i] {
				w, ok := back[i][k]
				if !ok || (w != v && !(math.IsNaN(v) && math.IsNaN(w))) {
					t.Fatalf("row %d %s: %v read back as %v", i, k, v, w)
				}
			}
		}
	})
}

// TestStopLogLoss: a run with StopLogLoss stops at the first step whose
// log-loss is below it, as StopLoss does for exp of the same value, and
// a threshold below every log-loss of the run never stops it.
func TestStopLogLoss(t *testing.T) {
	dir := t.TempDir()
	full, _, _ := runFiles(t, dir, "full", "sd", nil, context.Background(), func(c *Config) { c.RecordEvery = 1 })
	rows, err := ReadMetrics(filepath.Join(dir, "full.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// A threshold between the log-losses of two steps in the middle.
	mid := len(rows) / 2
	thr := (rows[mid-1]["log_loss"] + rows[mid]["log_loss"]) / 2
	if !(rows[mid]["log_loss"] < rows[mid-1]["log_loss"]) {
		t.Fatalf("loss did not decrease at step %d: cannot place a threshold", mid)
	}
	want := -1
	for i, r := range rows {
		if r["log_loss"] < thr {
			want = i
			break
		}
	}
	res, _, _ := runFiles(t, dir, "stop", "sd", nil, context.Background(), func(c *Config) { c.RecordEvery = 1; c.StopLogLoss = thr })
	if res.Status != StoppedLoss || res.LastStep != int(rows[want]["step"]) {
		t.Fatalf("StopLogLoss %g: status %v at step %d, want stopped-loss at step %v", thr, res.Status, res.LastStep, rows[want]["step"])
	}
	viaLoss, _, _ := runFiles(t, dir, "vialoss", "sd", nil, context.Background(), func(c *Config) { c.RecordEvery = 1; c.StopLoss = math.Exp(thr) })
	if viaLoss.LastStep != res.LastStep {
		t.Errorf("StopLoss exp(%g) stops at %d, StopLogLoss at %d", thr, viaLoss.LastStep, res.LastStep)
	}
	never, _, _ := runFiles(t, dir, "never", "sd", nil, context.Background(), func(c *Config) { c.StopLogLoss = -1e4 })
	if never.Status != Finished || never.LastStep != full.LastStep {
		t.Errorf("StopLogLoss −1e4: status %v at step %d, want finished at %d", never.Status, never.LastStep, full.LastStep)
	}
	s := newSetup(t, 10, 3, 4, 1)
	for _, bad := range []float64{math.NaN(), math.Inf(-1)} {
		_, err := New(Config{Model: s.model, Theta: s.theta, Train: s.data, Optimizer: optimizer(t, "gd", s), Steps: 1, StopLogLoss: bad})
		if err == nil {
			t.Errorf("StopLogLoss %v accepted", bad)
		}
	}
}
