package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/tensor"
)

// Run trains cfg to the end (see the package doc) and returns why it
// stopped. An error means the run could not go on: bad configuration,
// unreadable or unwritable files, a refused checkpoint, divergence
// (*DivergedError). Cancelling ctx is not an error: the run stops at the
// next step boundary with Status Interrupted (after writing a checkpoint
// when Checkpoint.Path is set).
func Run(ctx context.Context, cfg Config) (Result, error) {
	tr, err := New(cfg)
	if err != nil {
		return Result{}, err
	}
	return tr.Run(ctx)
}

// Trainer is one run: New checks the configuration and restores a
// checkpoint, Run trains. Restart and Advance step it by hand (margo bench
// train times Advance). A Trainer is not safe for concurrent use; two
// Trainers may run at once (give each its own tensor.Pool, or share one).
type Trainer struct {
	cfg     Config
	model   *nn.MLP
	theta   []float64
	opt     steepest.Optimizer
	sched   steepest.Schedule
	rejects bool // the schedule may reject steps: keep a backup
	meter   *steepest.Meter

	ws          *nn.Workspace
	ev, trial   *nn.Eval
	testWS      *nn.Workspace
	testEv      *nn.Eval
	backup      []float64
	backupState [][]float64
	opt0        [][]float64 // the optimizer's state at New (Restart)
	sched0      []float64

	batcher *nn.Batcher // stochastic runs: the batch of each step
	bws     *nn.Workspace
	bev     *nn.Eval

	step         int // the step of θ (the next to record or take)
	resumed      bool
	metrics      *os.File
	metricsBytes int64
	locks        []*os.File // held from New to the end of Run (or Close)
	line         []byte
}

// New checks cfg and builds the trainer; with Checkpoint.Resume it restores
// the checkpoint (θ, frozen layer, optimizer and schedule state, step). It
// writes no file.
func New(cfg Config) (*Trainer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Schedule == nil {
		cfg.Schedule = ownRate(cfg.Optimizer.LogLR())
	}
	pool := cfg.Pool
	if pool == nil {
		pool = tensor.NewPool(1)
	}
	cfg.Pool = pool
	m := cfg.Model
	tr := &Trainer{cfg: cfg, model: m, theta: cfg.Theta, opt: cfg.Optimizer, sched: cfg.Schedule}
	_, tr.rejects = cfg.Schedule.(steepest.StatefulSchedule)
	var err error
	// A model with biases above the first hidden layer has no homogeneity
	// degree; its margins use the nominal L (the number of layers) and
	// are outside the theory.
	degree := m.Degree()
	if !m.Homogeneous() {
		degree = m.NominalDegree()
	}
	if tr.meter, err = steepest.NewMeter(degree, m.Layout(), cfg.Spectral, false); err != nil {
		return nil, err
	}
	tr.meter.Pool = pool
	if s, ok := cfg.Optimizer.(interface{ SetPool(*tensor.Pool) }); ok {
		s.SetPool(pool)
	}
	tr.opt0 = copyState(tr.opt.State(), nil)
	if s, ok := cfg.Schedule.(steepest.StatefulSchedule); ok {
		tr.sched0 = append([]float64(nil), s.State()...)
	}
	n := cfg.Train.Len()
	tr.ws = m.NewWorkspace(n)
	tr.ws.Pool = pool
	tr.ev, tr.trial = nn.NewEval(n, len(tr.theta)), nn.NewEval(n, len(tr.theta))
	if cfg.Test != nil {
		tr.testWS = m.NewWorkspace(cfg.Test.Len())
		tr.testWS.Pool = pool
		tr.testEv = nn.NewEval(cfg.Test.Len(), len(tr.theta))
	}
	if cfg.Batch > 0 {
		if tr.rejects {
			return nil, errors.New("train: a stateful schedule (loss-adaptive) needs full batches")
		}
		if tr.batcher, err = nn.NewBatcher(cfg.Train, cfg.Batch, cfg.BatchSeed); err != nil {
			return nil, err
		}
		tr.bws = m.NewWorkspace(cfg.Batch)
		tr.bws.Pool = pool
		tr.bev = nn.NewEval(cfg.Batch, len(tr.theta))
	}
	if err := tr.lock(); err != nil {
		return nil, err
	}
	if cfg.Checkpoint.Resume {
		if err := tr.restore(); err != nil {
			tr.Close()
			return nil, err
		}
	}
	return tr, nil
}

// lock takes the advisory locks on the metrics file and the checkpoint
// (their path + ".lock", for the life of the run): a second run on the
// same files is refused, naming the process that holds them. Then it
// removes the temporary files a killed write of this run left.
func (tr *Trainer) lock() error {
	for _, p := range []string{tr.cfg.Metrics, tr.cfg.Checkpoint.Path} {
		if p == "" {
			continue
		}
		f, err := lockFile(p, false)
		if err != nil {
			tr.Close()
			return err
		}
		tr.locks = append(tr.locks, f)
	}
	for _, p := range []string{tr.cfg.Checkpoint.Path, tr.cfg.Save} {
		if p != "" {
			removeOrphans(p)
		}
	}
	return nil
}

// Close releases the run's locks (Run does when it returns); a Trainer
// that will not Run should be closed.
func (tr *Trainer) Close() {
	for _, f := range tr.locks {
		unlockFile(f)
	}
	tr.locks = nil
}

// Step returns the step of θ: where Run starts (0, or the checkpoint's).
func (tr *Trainer) Step() int { return tr.step }

// Resumed reports whether New restored a checkpoint.
func (tr *Trainer) Resumed() bool { return tr.resumed }

// Run trains from Step() to the end, writing records, checkpoints and the
// final parameters as cfg says.
func (tr *Trainer) Run(ctx context.Context) (res Result, err error) {
	cfg := &tr.cfg
	defer tr.Close()
	res.Resumed = tr.resumed
	// The starting point is checked before any output is created: a
	// broken initialisation leaves no empty metrics file.
	tr.evaluate(tr.ev)
	if bad := nonFinite(tr.ev); bad != "" {
		return res, tr.diverged(tr.step, bad)
	}
	if cfg.Metrics != "" {
		if err := tr.openMetrics(); err != nil {
			return res, err
		}
		defer tr.metrics.Close()
	}
	steps := RecordSteps{Steps: cfg.Steps, Every: cfg.RecordEvery}
	logStop := math.Log(cfg.StopLoss)
	start := tr.step
	for t := tr.step; ; {
		// full: tr.ev holds the whole training set's evaluation at θ_t
		// (always in full-batch runs; at recorded steps in stochastic ones).
		full := true
		if tr.batcher != nil && t > start {
			if full = steps.Is(t); full {
				tr.evaluate(tr.ev)
			}
		}
		ev := tr.ev
		if t > start && t < cfg.Steps && ctx.Err() != nil {
			tr.step = t
			res.Status, res.LastStep, res.LogLoss = Interrupted, t, ev.LogLoss
			if cfg.Checkpoint.Path != "" {
				if err := tr.saveCheckpoint(); err != nil {
					return res, err
				}
				res.Checkpointed = true
			}
			return res, nil
		}
		var stopLoss, stopSep bool
		if full {
			if bad := nonFinite(ev); bad != "" {
				return res, tr.diverged(t, bad)
			}
			stopLoss = (cfg.StopLoss > 0 && ev.LogLoss < logStop) || (cfg.StopLogLoss != 0 && ev.LogLoss < cfg.StopLogLoss)
			stopSep = cfg.StopSeparated && ev.QMin() > 0
		}
		last := t >= cfg.Steps || stopLoss || stopSep
		if cfg.OnStep != nil && tr.batcher == nil {
			cfg.OnStep(t, ev, tr.theta)
		}
		if last {
			rec := tr.record(t, ev, tr.sched.LogLR(ev.LogLoss))
			res.Final = rec
			if err := tr.emit(&rec); err != nil {
				return res, err
			}
			res.LastStep, res.LogLoss = t, ev.LogLoss
			switch {
			case t >= cfg.Steps:
				res.Status = Finished
			case stopLoss:
				res.Status = StoppedLoss
			default:
				res.Status = Separated
			}
			break
		}
		var rec Record
		var recorded bool
		var err error
		if tr.batcher != nil {
			rec, recorded, err = tr.advanceBatch(t, full && steps.Is(t))
		} else {
			rec, recorded, err = tr.advance(t, steps.Is(t))
		}
		if recorded {
			res.Final = rec
		}
		if err != nil {
			return res, err
		}
		t++
		tr.step = t
		if cfg.Checkpoint.Every > 0 && t%cfg.Checkpoint.Every == 0 && t < cfg.Steps {
			if err := tr.saveCheckpoint(); err != nil {
				return res, err
			}
		}
	}
	if cfg.Save != "" {
		if err := SaveParams(cfg.Save, tr.model, tr.theta); err != nil {
			return res, err
		}
	}
	return res, nil
}

// advance takes the step from θ_t (tr.ev holds its evaluation) until the
// schedule accepts one, recording θ_t first when record is set (in the
// step's pass where the step allows), and leaves tr.ev at θ_{t+1}.
func (tr *Trainer) advance(t int, record bool) (rec Record, recorded bool, err error) {
	for {
		ev := tr.ev
		logLR := tr.sched.LogLR(ev.LogLoss)
		if tr.rejects {
			tr.backup = append(tr.backup[:0], tr.theta...)
			tr.backupState = copyState(tr.opt.State(), tr.backupState)
		}
		tr.opt.SetLogLR(logLR)
		var stepErr error
		if record {
			rec, stepErr = tr.recordStep(t, ev, logLR)
			recorded = true
			if err := tr.emit(&rec); err != nil {
				return rec, recorded, err
			}
			record = false // a retried step after a rejection is not recorded again
		} else {
			stepErr = tr.opt.Step(tr.theta, ev)
		}
		if stepErr != nil {
			return rec, recorded, fmt.Errorf("step %d: %w", t, stepErr)
		}
		ok, bad := tr.judge()
		if bad != "" {
			return rec, recorded, tr.diverged(t+1, bad)
		}
		if ok {
			tr.ev, tr.trial = tr.trial, tr.ev
			return rec, recorded, nil
		}
		copy(tr.theta, tr.backup) // rejected: roll back θ and the optimizer state
		if err := tr.opt.SetState(tr.backupState); err != nil {
			return rec, recorded, err
		}
	}
}

// advanceBatch takes the stochastic step from θ_t on step t's batch,
// recording θ_t first (from tr.ev, the whole set's evaluation) when record
// is set. The step is not judged (the schedule is not stateful): a
// non-finite batch loss or θ ends the run as divergence.
func (tr *Trainer) advanceBatch(t int, record bool) (rec Record, recorded bool, err error) {
	if record {
		rec, recorded = tr.record(t, tr.ev, tr.sched.LogLR(tr.ev.LogLoss)), true
		if err := tr.emit(&rec); err != nil {
			return rec, recorded, err
		}
	}
	b := tr.batcher.Batch(t)
	tr.model.Evaluate(tr.bws, tr.theta, b, tr.cfg.Objective, tr.bev, true)
	if tr.cfg.OnStep != nil {
		tr.cfg.OnStep(t, tr.bev, tr.theta)
	}
	if bad := nonFinite(tr.bev); bad != "" {
		return rec, recorded, tr.diverged(t, "on the batch: "+bad)
	}
	tr.opt.SetLogLR(tr.sched.LogLR(tr.bev.LogLoss))
	if err := tr.opt.Step(tr.theta, tr.bev); err != nil {
		return rec, recorded, fmt.Errorf("step %d: %w", t, err)
	}
	if !paramsFinite(tr.opt, tr.theta) {
		return rec, recorded, tr.diverged(t+1, "parameters are not finite")
	}
	return rec, recorded, nil
}

// Restart puts the trainer back at step 0 with parameters theta, the
// optimizer and schedule in the state New found them in, and evaluates
// θ_0: the start of a repetition for Advance.
func (tr *Trainer) Restart(theta []float64) error {
	if len(theta) != len(tr.theta) {
		return fmt.Errorf("train: Restart with %d parameters, the model has %d", len(theta), len(tr.theta))
	}
	copy(tr.theta, theta)
	if err := tr.opt.SetState(tr.opt0); err != nil {
		return err
	}
	if s, ok := tr.sched.(steepest.StatefulSchedule); ok {
		if err := s.SetState(tr.sched0); err != nil {
			return err
		}
	}
	tr.step = 0
	tr.evaluate(tr.ev)
	return nil
}

// Advance takes one accepted step from the current θ (after Restart, or
// New), recording θ first when record is set, without writing files: the
// loop body of Run. It returns the record (zero without record).
func (tr *Trainer) Advance(record bool) (Record, error) {
	if bad := nonFinite(tr.ev); bad != "" {
		return Record{}, tr.diverged(tr.step, bad)
	}
	rec, _, err := tr.advance(tr.step, record)
	if err == nil {
		tr.step++
	}
	return rec, err
}

// ownRate is the schedule of a Config without one: the optimizer's own
// rate, exactly (no round trip through exp and log), every finite step
// accepted.
type ownRate float64

func (r ownRate) LogLR(float64) float64 { return float64(r) }
func (r ownRate) Judge(a, b float64) (bool, error) {
	return steepest.Constant{LR: math.Exp(float64(r))}.Judge(a, b)
}

// evaluate evaluates θ on the training set with the gradient into ev.
func (tr *Trainer) evaluate(ev *nn.Eval) {
	tr.model.Evaluate(tr.ws, tr.theta, tr.cfg.Train, tr.cfg.Objective, ev, true)
}

// judge checks θ after a step, evaluates it into tr.trial and lets the
// schedule judge it: whether the step is accepted, or why the run diverged
// (θ not finite, or the schedule's error).
func (tr *Trainer) judge() (ok bool, diverged string) {
	if !paramsFinite(tr.opt, tr.theta) {
		return false, "parameters are not finite"
	}
	tr.evaluate(tr.trial)
	ok, err := tr.sched.Judge(tr.ev.LogLoss, tr.trial.LogLoss)
	if err != nil {
		return false, err.Error()
	}
	return ok, ""
}

// emit writes a record to the metrics file (one write per line, so a kill
// cannot leave half a record before the checkpointed length) and hands it
// to OnRecord.
func (tr *Trainer) emit(rec *Record) error {
	if tr.metrics != nil {
		tr.line = rec.AppendJSON(tr.line[:0])
		if _, err := tr.metrics.Write(tr.line); err != nil {
			return fmt.Errorf("write %s: %w", tr.cfg.Metrics, err)
		}
		tr.metricsBytes += int64(len(tr.line))
	}
	if tr.cfg.OnRecord != nil {
		return tr.cfg.OnRecord(rec)
	}
	return nil
}

// record computes the record of θ_t from its evaluation ev; logLR is the
// rate of the step from θ_t.
func (tr *Trainer) record(t int, ev *nn.Eval, logLR float64) Record {
	r := tr.recordHead(t, ev, logLR)
	m, err := tr.meter.Measure(r.Step, tr.theta, ev)
	if err != nil { // cannot happen: ev holds this θ's gradient
		m.QMin = math.NaN()
	}
	r.fill(m)
	return r
}

// recordStep is record, then the optimizer's step from θ_t, in the
// record's pass over θ and the gradient where the step allows
// (steepest.Meter.MeasureStep: bitwise the same record and θ as the two
// apart). It returns the step's error; the record describes θ_t either way.
func (tr *Trainer) recordStep(t int, ev *nn.Eval, logLR float64) (Record, error) {
	r := tr.recordHead(t, ev, logLR)
	m, err := tr.meter.MeasureStep(r.Step, tr.theta, ev, tr.opt)
	r.fill(m)
	return r, err
}

// recordHead fills what the trainer knows of θ_t and evaluates the test
// set: everything that reads θ_t before the fused step changes it.
func (tr *Trainer) recordHead(t int, ev *nn.Eval, logLR float64) Record {
	r := Record{LR: math.Exp(logLR)}
	if c, ok := tr.sched.(steepest.Constant); ok {
		r.LR = c.LR // exactly as given, not through its logarithm
	}
	r.Step = t + tr.cfg.StepOffset
	r.TrainAcc = accuracy(ev.Q)
	if tr.cfg.Test != nil {
		tr.model.Evaluate(tr.testWS, tr.theta, tr.cfg.Test, tr.cfg.Objective, tr.testEv, false)
		r.HasTest, r.TestAcc, r.TestLogLoss = true, accuracy(tr.testEv.Q), tr.testEv.LogLoss
	}
	return r
}

// fill sets the meter's part of r (the trainer's own fields are not part
// of steepest.Metrics), keeping the spectral norms per layer out: they
// alias the meter's buffer.
func (r *Record) fill(m steepest.Metrics) {
	r.Metrics = m
	r.LayerSpectral = nil
}

// accuracy is the fraction of positive margins.
func accuracy(q []float64) float64 {
	pos := 0
	for _, v := range q {
		if v > 0 {
			pos++
		}
	}
	return float64(pos) / float64(len(q))
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

func (tr *Trainer) diverged(t int, what string) error {
	e := &DivergedError{Step: t, What: what}
	if p := tr.cfg.Checkpoint.Path; tr.cfg.Checkpoint.Every > 0 && p != "" {
		if _, err := os.Stat(p); err == nil {
			e.Checkpoint = p
		}
	}
	return e
}

// paramsFinite reports whether every θ_i is finite after a step: from the
// ‖θ‖∞ the optimizer computed in its fused pass (steepest.ParamMaxAbser)
// when it did, else from a pass of its own.
func paramsFinite(opt steepest.Optimizer, theta []float64) bool {
	m, ok := 0.0, false
	if p, isP := opt.(steepest.ParamMaxAbser); isP {
		m, ok = p.ParamMaxAbs()
	}
	if !ok {
		m = asm.MaxAbs(theta)
	}
	return !math.IsNaN(m) && !math.IsInf(m, 0)
}

// copyState deep-copies a state into dst (reusing its slices).
func copyState(src, dst [][]float64) [][]float64 {
	dst = dst[:0:cap(dst)]
	for i, v := range src {
		if i < cap(dst) {
			dst = dst[:i+1]
			dst[i] = append(dst[i][:0], v...)
		} else {
			dst = append(dst, append([]float64(nil), v...))
		}
	}
	return dst
}

// openMetrics creates the metrics file, or on resume truncates it to the
// checkpointed length and appends from there.
func (tr *Trainer) openMetrics() error {
	path := tr.cfg.Metrics
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
