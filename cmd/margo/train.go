package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/margo-lab/margo/cmd/margo/internal/atomicio"
	"github.com/margo-lab/margo/cmd/margo/internal/npzfile"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// RNG streams: one PCG stream per purpose, all seeded by --seed.
const (
	streamInit    = 1
	streamTeacher = 2
	streamTrain   = 3
	streamTest    = 4
)

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	o, err := parseTrainFlags(args, stderr)
	if err != nil {
		return err
	}
	tensor.SetThreads(o.Threads)
	tr, err := newTrainer(o, nil, nil, nil)
	if err != nil {
		return err
	}
	if !o.Quiet && isTerminal(stderr) {
		tr.progress = newProgress(stderr, o.Steps)
	}
	res, err := tr.run()
	if tr.progress != nil {
		tr.progress.done()
	}
	if err != nil {
		return err
	}
	if res.Stopped && !o.Quiet && isTerminal(stderr) {
		fmt.Fprintf(stderr, "stopped at step %d: loss %.3g below --stop-loss %g\n", res.LastStep, math.Exp(res.LogLoss), o.StopLoss)
	}
	return nil
}

// trainer runs one training run; newTrainer checks everything that can be
// checked before any output file is written.
type trainer struct {
	o            trainOptions
	model        *nn.MLP
	train, test  *nn.Dataset
	obj          nn.Objective
	theta        []float64
	opt          stepper
	sched        schedule
	meter        *recordMeter // norms, margins, soft margins, alignments
	spec         bool         // record the spectral margin
	step         int          // the next step to evaluate
	metrics      *os.File
	metricsBytes int64
	resumed      bool
	progress     *progress

	// Set by reproduce's switching runs.
	stopSeparated bool // end the run at the first step with 100% train accuracy
	offset        int  // added to the step numbers of the records
}

// paramState is θ and the frozen last layer, to start a run from.
type paramState struct{ theta, frozen []float64 }

// trainResult summarises a finished run.
type trainResult struct {
	LastStep int
	LogLoss  float64
	Stopped  bool // ended early by --stop-loss (or on separation)
	Resumed  bool
	Final    record
}

// newTrainer loads the data (unless given), builds the model and the
// algorithm, initialises θ (or restores a checkpoint with --resume) and
// checks that the outputs can be written.
func newTrainer(o trainOptions, train, test *nn.Dataset, init *paramState) (*trainer, error) {
	var err error
	if train == nil {
		if train, err = loadDataset(o.Data); err != nil {
			return nil, err
		}
		if o.Test != "" {
			if test, err = loadDataset(o.Test); err != nil {
				return nil, err
			}
		}
	}
	d := train.X.Cols
	if test != nil && test.X.Cols != d {
		return nil, fmt.Errorf("test set has %d features, training set %d", test.X.Cols, d)
	}
	widths := make([]int, o.Depth-1)
	for i := range widths {
		widths[i] = o.Width
	}
	model, err := nn.NewMLP(nn.Config{In: d, Widths: widths, FreezeLast: o.FreezeLast})
	if err != nil {
		return nil, usagef("%v", err)
	}
	tr := &trainer{o: o, model: model, train: train, test: test,
		theta: make([]float64, model.Layout().Size()),
		spec:  o.Alg == "spectral" || o.Alg == "shampoo" || o.FreezeLast}
	tr.obj = nn.Objective{Loss: nn.Exp}
	if o.Loss == "logistic" {
		tr.obj.Loss = nn.Logistic
	}
	if tr.opt, err = newStepper(o, model); err != nil {
		return nil, err
	}
	if tr.sched, err = newSchedule(o); err != nil {
		return nil, err
	}
	if tr.meter, err = newRecordMeter(model); err != nil {
		return nil, err
	}
	if init != nil {
		copy(tr.theta, init.theta)
		copy(model.Frozen(), init.frozen)
	} else if o.Init != "" {
		if err := loadParams(o.Init, model, tr.theta); err != nil {
			return nil, err
		}
	} else {
		scheme := map[string]nn.InitScheme{"uniform": nn.InitUniform, "uniform-cd": nn.InitUniformCD, "gaussian": nn.InitGaussian}[o.InitScheme]
		model.Init(tr.theta, scheme, o.InitScale, rand.New(rand.NewPCG(o.Seed, streamInit)))
	}
	for _, out := range []string{o.Metrics, o.Save} {
		if out != "" {
			if err := atomicio.CheckWritable(out); err != nil {
				return nil, err
			}
		}
	}
	if o.CheckpointEvery > 0 {
		if err := atomicio.CheckWritable(o.Checkpoint); err != nil {
			return nil, err
		}
	}
	if o.Resume {
		if err := tr.restore(); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// isRecordStep reports whether step t gets a record (the last step always
// does; run checks that separately).
func (tr *trainer) recordSteps() []int {
	if tr.o.LogEvery > 0 {
		return everySteps(tr.o.Steps, tr.o.LogEvery)
	}
	return logSteps(tr.o.Steps)
}

// run trains from tr.step to the end, writing records and checkpoints.
func (tr *trainer) run() (res trainResult, err error) {
	o := tr.o
	res.Resumed = tr.resumed
	if o.Metrics != "" {
		if err := tr.openMetrics(); err != nil {
			return res, err
		}
		defer tr.metrics.Close()
	}
	n := tr.train.Len()
	ws := tr.model.NewWorkspace(n)
	ev := nn.NewEval(n, len(tr.theta))
	steps := tr.recordSteps()
	next := 0
	for next < len(steps) && steps[next] < tr.step {
		next++
	}
	var line []byte
	logStop := math.Log(o.StopLoss)
	tr.model.Evaluate(ws, tr.theta, tr.train, tr.obj, ev, true)
	trial := nn.NewEval(n, len(tr.theta))
	var backup []float64
	var backupState [][]float64
	for t := tr.step; ; {
		// ev holds the evaluation at θ_t.
		if bad := nonFinite(ev); bad != "" {
			return res, tr.diverged(t, bad)
		}
		last := t >= o.Steps || (o.StopLoss > 0 && ev.LogLoss < logStop) || (tr.stopSeparated && ev.QMin() > 0)
		logLR := tr.sched.LogLR(ev.LogLoss)
		if tr.progress != nil {
			tr.progress.update(t, ev, tr.theta, tr.model.Degree())
		}
		if !last && tr.sched.CanReject() {
			backup = append(backup[:0], tr.theta...)
			backupState = copyState(tr.opt.State(), backupState)
		}
		// A recorded step (not the last) shares the record's pass over θ
		// and the gradient with the update (trainer.record).
		stepped := false
		if (next < len(steps) && steps[next] == t) || last {
			for next < len(steps) && steps[next] <= t {
				next++
			}
			lr := math.Exp(logLR)
			if o.Schedule == "constant" {
				lr = o.LR // exactly as given, not through its logarithm
			}
			var step *stepAt
			if !last {
				step, stepped = &stepAt{opt: tr.opt, logLR: logLR}, true
			}
			rec, stepErr := tr.record(t, ev, lr, step)
			res.Final = rec
			if tr.metrics != nil {
				line = rec.appendJSON(line[:0])
				// One write per line: a kill cannot leave half a record
				// before the checkpointed length (resume truncates there).
				if _, err := tr.metrics.Write(line); err != nil {
					return res, fmt.Errorf("write %s: %w", o.Metrics, err)
				}
				tr.metricsBytes += int64(len(line))
			}
			if stepErr != nil {
				return res, fmt.Errorf("step %d: %w", t, stepErr)
			}
		}
		if last {
			res.LastStep, res.LogLoss = t, ev.LogLoss
			res.Stopped = t < o.Steps
			break
		}
		if !stepped {
			if err := tr.opt.Step(tr.theta, ev, logLR); err != nil {
				return res, fmt.Errorf("step %d: %w", t, err)
			}
		}
		ok, diverged := tr.judge(ws, tr.opt, tr.sched, ev, trial)
		if diverged != "" {
			return res, tr.diverged(t+1, diverged)
		}
		if !ok { // rejected trial step: roll back θ and the optimizer state
			copy(tr.theta, backup)
			if err := tr.opt.SetState(backupState); err != nil {
				return res, err
			}
			continue
		}
		ev, trial = trial, ev
		t++
		if o.CheckpointEvery > 0 && t%o.CheckpointEvery == 0 && t < o.Steps {
			tr.step = t
			if err := tr.saveCheckpoint(); err != nil {
				return res, err
			}
		}
	}
	if o.Save != "" {
		if err := npzfile.Write(o.Save, paramMembers(tr.model, tr.theta)); err != nil {
			return res, err
		}
	}
	return res, nil
}

// nonFinite describes a broken evaluation, or returns "".
func nonFinite(ev *nn.Eval) string {
	if math.IsNaN(ev.LogLoss) || math.IsInf(ev.LogLoss, 1) {
		return fmt.Sprintf("loss is %v", math.Exp(ev.LogLoss))
	}
	for i, q := range ev.Q {
		if math.IsNaN(q) || math.IsInf(q, 0) {
			return fmt.Sprintf("margin q[%d] is %v", i, q)
		}
	}
	return ""
}

func (tr *trainer) diverged(t int, what string) error {
	msg := fmt.Sprintf("diverged at step %d: %s", t, what)
	if tr.o.CheckpointEvery > 0 {
		if _, err := os.Stat(tr.o.Checkpoint); err == nil {
			msg += fmt.Sprintf(" (the last good checkpoint %s is kept)", tr.o.Checkpoint)
		}
	}
	return errors.New(msg + "; try a smaller --lr")
}

// advance applies one step of opt from ev (the evaluation at θ) at rate
// logLR and judges it (judge): whether the step is accepted, or why the
// run diverged, or the optimizer's error.
func (tr *trainer) advance(ws *nn.Workspace, opt stepper, sched schedule, ev, trial *nn.Eval, logLR float64) (ok bool, diverged string, err error) {
	if err := opt.Step(tr.theta, ev, logLR); err != nil {
		return false, "", err
	}
	ok, diverged = tr.judge(ws, opt, sched, ev, trial)
	return ok, diverged, nil
}

// judge checks θ after a step of opt from ev (the evaluation before it),
// evaluates the new θ into trial and lets sched judge it: whether the step
// is accepted, or why the run diverged (θ not finite, or the schedule's
// error). margo train and margo bench train step through it alike.
func (tr *trainer) judge(ws *nn.Workspace, opt stepper, sched schedule, ev, trial *nn.Eval) (ok bool, diverged string) {
	if !paramsFinite(opt, tr.theta) {
		return false, "parameters are not finite"
	}
	tr.model.Evaluate(ws, tr.theta, tr.train, tr.obj, trial, true)
	ok, err := sched.Judge(ev.LogLoss, trial.LogLoss)
	if err != nil {
		return false, err.Error()
	}
	return ok, ""
}

// stepAt is a step for trainer.record to take: opt at rate logLR.
type stepAt struct {
	opt   stepper
	logLR float64
}

// record computes the metrics of θ_t from the evaluation at θ_t. With
// step set it then takes that step from θ_t, in the record's pass over θ
// and the gradient where the step allows (steepest.Meter.MeasureStep,
// bitwise the same record and θ as the two apart), and returns the step's
// error; everything else that reads θ_t runs before it.
func (tr *trainer) record(t int, ev *nn.Eval, lr float64, step *stepAt) (record, error) {
	th := tr.theta
	L := float64(tr.model.Degree())
	r := record{Step: t + tr.offset, LogLoss: ev.LogLoss, Loss: math.Exp(ev.LogLoss), QMin: ev.QMin(), LR: lr}
	pos := 0
	for _, q := range ev.Q {
		if q > 0 {
			pos++
		}
	}
	r.TrainAcc = float64(pos) / float64(len(ev.Q))
	if tr.spec {
		r.HasSpec = true
		r.NormSpec = spectralNorm(tr.model.Layout(), th)
		r.GammaSpec = r.QMin / math.Pow(r.NormSpec, L)
	}
	if tr.test != nil {
		n := tr.test.Len()
		ws := tr.model.NewWorkspace(n)
		tev := nn.NewEval(n, len(th))
		tr.model.Evaluate(ws, th, tr.test, tr.obj, tev, false)
		pos := 0
		for _, q := range tev.Q {
			if q > 0 {
				pos++
			}
		}
		r.HasTest, r.TestAcc, r.TestLoss = true, float64(pos)/float64(n), tev.LogLoss
	}
	if step == nil {
		tr.meter.measure(&r, th, ev)
		return r, nil
	}
	return r, tr.meter.measureStep(&r, th, ev, step.opt, step.logLR)
}

// spectralNorm returns max_l σ_max(W_l) over the trainable layers (the
// modular norm of paper.md 2.3), by a full SVD of each layer.
func spectralNorm(lay nn.Layout, theta []float64) float64 {
	m := 0.0
	for l := 0; l < lay.Layers(); l++ {
		v := lay.View(theta, l)
		var svd mat.SVD
		if !svd.Factorize(mat.NewDense(v.Rows, v.Cols, slices.Clone(v.Data)), mat.SVDNone) {
			return math.NaN()
		}
		m = max(m, svd.Values(nil)[0])
	}
	return m
}

// checkpointMeta is the meta.json member of a checkpoint.
type checkpointMeta struct {
	Step         int          `json:"step"`
	MetricsBytes int64        `json:"metrics_bytes"`
	Options      trainOptions `json:"options"`
	Version      string       `json:"version"`
}

// saveCheckpoint writes θ, the frozen layer, the optimizer state, the step
// and the metrics length so far, atomically. The metrics file is synced
// first, so the recorded length is on disk before the checkpoint is.
func (tr *trainer) saveCheckpoint() error {
	if tr.metrics != nil {
		if err := tr.metrics.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", tr.o.Metrics, err)
		}
	}
	meta, err := json.Marshal(checkpointMeta{Step: tr.step, MetricsBytes: tr.metricsBytes, Options: tr.o, Version: version})
	if err != nil {
		return err
	}
	mem := []npzfile.Member{{Name: "theta", Array: &npzfile.Array{Shape: []int{len(tr.theta)}, Data: tr.theta}}}
	if fr := tr.model.Frozen(); fr != nil {
		mem = append(mem, npzfile.Member{Name: "frozen", Array: &npzfile.Array{Shape: []int{len(fr)}, Data: fr}})
	}
	for i, v := range tr.opt.State() {
		mem = append(mem, npzfile.Member{Name: fmt.Sprintf("opt_%d", i), Array: &npzfile.Array{Shape: []int{len(v)}, Data: v}})
	}
	if st := tr.sched.State(); st != nil {
		mem = append(mem, npzfile.Member{Name: "schedule", Array: &npzfile.Array{Shape: []int{len(st)}, Data: st}})
	}
	mem = append(mem, npzfile.Member{Name: "meta.json", Raw: meta})
	return npzfile.Write(tr.o.Checkpoint, mem)
}

// restore loads the checkpoint for --resume. A missing checkpoint means the
// run starts from the beginning.
func (tr *trainer) restore() error {
	path := tr.o.Checkpoint
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	a, err := npzfile.Read(path)
	if err != nil {
		return fmt.Errorf("read checkpoint %s", oneLine(err.Error()))
	}
	var meta checkpointMeta
	if err := json.Unmarshal(a.Raw["meta.json"], &meta); err != nil {
		return fmt.Errorf("checkpoint %s: bad meta.json: %v", path, err)
	}
	want, _ := json.Marshal(tr.o)
	got, _ := json.Marshal(meta.Options)
	if string(want) != string(got) {
		return usagef("checkpoint %s was written with other options (%s); remove it or use the same flags", path, got)
	}
	th, ok := a.Arrays["theta"]
	if !ok || len(th.Data) != len(tr.theta) {
		return fmt.Errorf("checkpoint %s: theta missing or of the wrong size", path)
	}
	copy(tr.theta, th.Data)
	if fr := tr.model.Frozen(); fr != nil {
		f, ok := a.Arrays["frozen"]
		if !ok || len(f.Data) != len(fr) {
			return fmt.Errorf("checkpoint %s: frozen layer missing or of the wrong size", path)
		}
		copy(fr, f.Data)
	}
	var saved [][]float64
	for i := 0; ; i++ {
		v, ok := a.Arrays[fmt.Sprintf("opt_%d", i)]
		if !ok {
			break
		}
		saved = append(saved, v.Data)
	}
	if err := tr.opt.SetState(saved); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if st := tr.sched.State(); st != nil {
		if err := tr.sched.SetState(a.Arrays["schedule"].Data); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if meta.Step < 0 || meta.Step > tr.o.Steps || meta.MetricsBytes < 0 {
		return fmt.Errorf("checkpoint %s: step %d out of range", path, meta.Step)
	}
	if tr.o.Metrics != "" {
		fi, err := os.Stat(tr.o.Metrics)
		if err != nil || fi.Size() < meta.MetricsBytes {
			return fmt.Errorf("metrics file %s is shorter than the checkpoint says (%d bytes)", tr.o.Metrics, meta.MetricsBytes)
		}
	}
	tr.step, tr.metricsBytes, tr.resumed = meta.Step, meta.MetricsBytes, true
	return nil
}

// openMetrics creates the metrics file, or on resume truncates it to the
// checkpointed length and appends from there.
func (tr *trainer) openMetrics() error {
	path := tr.o.Metrics
	if !tr.resumed {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		tr.metrics, tr.metricsBytes = f, 0
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := f.Truncate(tr.metricsBytes); err != nil {
		f.Close()
		return fmt.Errorf("truncate %s: %w", path, err)
	}
	if _, err := f.Seek(tr.metricsBytes, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	tr.metrics = f
	return nil
}
