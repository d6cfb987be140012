package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/tensor"
)

// Config describes one training run.
type Config struct {
	// Model is the network; its frozen last layer (nn.Config.FreezeLast),
	// if any, must hold its value already (and is restored on resume).
	Model *nn.MLP
	// Theta is the initial θ, len Model.Layout().Size(); the run trains it
	// in place.
	Theta []float64
	// Train is the training set; Test, if not nil, is evaluated at every
	// record (accuracy and loss, no gradient).
	Train, Test *nn.Dataset
	// Objective is the loss (nn.Exp or nn.Logistic, summed by default).
	Objective nn.Objective
	// Optimizer takes the steps; Schedule chooses their rates (nil: the
	// optimizer's own rate, every finite step accepted).
	Optimizer steepest.Optimizer
	Schedule  steepest.Schedule
	// Steps is the number of updates.
	Steps int
	// Batch, if positive, makes the run stochastic: step t evaluates the
	// loss and its gradient on the B = Batch training points that
	// nn.Batcher draws for t from BatchSeed (without replacement within an
	// epoch), and steps from that. Records, StopLoss and StopSeparated
	// still use the whole training set, evaluated at the recorded steps
	// only (so an early stop happens at a recorded step). Batch = the
	// number of training points gives bitwise the full-batch run. The
	// schedule must not be stateful (LossAdaptive judges full losses).
	Batch     int
	BatchSeed uint64

	// RecordEvery records every K steps; 0 records about 20 steps per
	// decade (RecordSteps). Step 0 and the last step are always recorded.
	RecordEvery int
	// StopLoss ends the run at the first step whose training loss is below
	// it (0: never); StopSeparated at the first step with q_min > 0 (every
	// training point classified correctly).
	StopLoss      float64
	StopSeparated bool
	// StopLogLoss, if not 0, ends the run at the first step whose log
	// training loss is below it: the stop for losses below the smallest
	// float64 (log L < −745), which StopLoss cannot name. Its Status is
	// StoppedLoss too.
	StopLogLoss float64
	// StepOffset is added to the step numbers of the records (a run that
	// continues another one's trajectory, as the switching experiment's
	// second phase).
	StepOffset int
	// Spectral adds the spectral norm max_l σ_max(W_l) and its margin
	// (gammaSpec) to the records, computed exactly (steepest.SpectralExact).
	Spectral bool

	// OnRecord, if set, is called with every record after it is written to
	// Metrics; an error ends the run with that error.
	OnRecord func(*Record) error
	// OnStep, if set, is called at every step t with the evaluation at θ_t
	// (for progress displays; it must not modify them).
	OnStep func(t int, ev *nn.Eval, theta []float64)
	// Metrics is the path of the JSONL file of records ("": none).
	Metrics string
	// Save is the path of the final parameters, W1..WD in NPZ ("": none).
	Save string
	// Checkpoint sets checkpointing and resume.
	Checkpoint Checkpoint

	// Pool runs the GEMMs and long reductions (nil: one thread). Results do
	// not depend on its size.
	Pool *tensor.Pool
}

// Checkpoint is a run's checkpoint policy.
type Checkpoint struct {
	// Path of the checkpoint (NPZ). Required with Every > 0 or Resume.
	Path string
	// Every writes a checkpoint every Every steps (0: only when the run is
	// cancelled, if Path is set).
	Every int
	// Resume continues from the checkpoint at Path if there is one (else
	// the run starts from Theta).
	Resume bool
	// Run describes the run's configuration (for example its options as
	// JSON); it is stored in the checkpoint, and a checkpoint whose Run
	// differs is refused with ErrOtherRun.
	Run []byte
	// Inputs are content hashes of the files the run read (HashFile), by
	// name; a resume whose inputs differ from the checkpoint's is refused
	// with ErrOtherRun.
	Inputs map[string]string
}

// Status says why a run ended.
type Status int

const (
	// Finished: all Steps were taken.
	Finished Status = iota
	// StoppedLoss: the training loss fell below StopLoss (or its log below
	// StopLogLoss).
	StoppedLoss
	// Separated: q_min > 0 with StopSeparated.
	Separated
	// Interrupted: the context was cancelled; with a checkpoint path, a
	// checkpoint at LastStep was written.
	Interrupted
)

func (s Status) String() string {
	switch s {
	case Finished:
		return "finished"
	case StoppedLoss:
		return "stopped-loss"
	case Separated:
		return "separated"
	case Interrupted:
		return "interrupted"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is what a run left.
type Result struct {
	Status Status
	// LastStep is the step of θ at the end: Steps, the early stop's step,
	// or the step at which the run was interrupted.
	LastStep int
	// LogLoss is log L(θ) at LastStep.
	LogLoss float64
	// Final is the last record (at LastStep, unless Interrupted).
	Final Record
	// Resumed reports that the run continued from a checkpoint.
	Resumed bool
	// Checkpointed reports that an interrupted run wrote its checkpoint.
	Checkpointed bool
}

// DivergedError reports a run whose loss, margins or parameters stopped
// being finite, or whose schedule gave up.
type DivergedError struct {
	Step int    // the step at which it was found
	What string // what was not finite
	// Checkpoint is the path of the last good checkpoint, if one exists.
	Checkpoint string
}

func (e *DivergedError) Error() string {
	msg := fmt.Sprintf("diverged at step %d: %s", e.Step, e.What)
	if e.Checkpoint != "" {
		msg += fmt.Sprintf(" (the last good checkpoint %s is kept)", e.Checkpoint)
	}
	return msg
}

var (
	// ErrOtherRun is wrapped by the error of a resume whose checkpoint
	// belongs to another run (Checkpoint.Run, the optimizer or the inputs
	// differ).
	ErrOtherRun = errors.New("the checkpoint belongs to another run")
	// ErrFormat is wrapped by the error of a resume from a checkpoint that
	// is not of this version's format.
	ErrFormat = errors.New("not a checkpoint of this format")
)

// check validates cfg without touching a file.
func (cfg *Config) check() error {
	switch {
	case cfg.Model == nil:
		return errors.New("train: no model")
	case cfg.Train == nil || cfg.Train.Len() == 0:
		return errors.New("train: no training set")
	case cfg.Optimizer == nil:
		return errors.New("train: no optimizer")
	case len(cfg.Theta) != cfg.Model.Layout().Size():
		return fmt.Errorf("train: len(Theta) = %d, the model has %d parameters", len(cfg.Theta), cfg.Model.Layout().Size())
	case cfg.Train.X.Cols != cfg.Model.In():
		return fmt.Errorf("train: the training set has %d features, the model %d inputs", cfg.Train.X.Cols, cfg.Model.In())
	case cfg.Test != nil && cfg.Test.X.Cols != cfg.Model.In():
		return fmt.Errorf("test set has %d features, training set %d", cfg.Test.X.Cols, cfg.Train.X.Cols)
	case cfg.Steps < 1:
		return fmt.Errorf("train: Steps = %d, want ≥ 1", cfg.Steps)
	case cfg.RecordEvery < 0:
		return fmt.Errorf("train: RecordEvery = %d, want ≥ 0", cfg.RecordEvery)
	case !(cfg.StopLoss >= 0) || math.IsInf(cfg.StopLoss, 0):
		return fmt.Errorf("train: StopLoss = %v, want finite and ≥ 0", cfg.StopLoss)
	case math.IsNaN(cfg.StopLogLoss) || math.IsInf(cfg.StopLogLoss, 0):
		return fmt.Errorf("train: StopLogLoss = %v, want finite (0: never)", cfg.StopLogLoss)
	case cfg.Checkpoint.Every < 0:
		return fmt.Errorf("train: Checkpoint.Every = %d, want ≥ 0", cfg.Checkpoint.Every)
	case (cfg.Checkpoint.Every > 0 || cfg.Checkpoint.Resume) && cfg.Checkpoint.Path == "":
		return errors.New("train: checkpointing needs Checkpoint.Path")
	case cfg.Batch < 0 || cfg.Batch > cfg.Train.Len():
		return fmt.Errorf("train: Batch = %d, want 0 (full batch) or 1..%d", cfg.Batch, cfg.Train.Len())
	case cfg.StepOffset < 0 || cfg.StepOffset > math.MaxInt-cfg.Steps:
		return fmt.Errorf("train: StepOffset = %d out of range", cfg.StepOffset)
	}
	return Distinct([]string{"the metrics file", "the saved parameters", "the checkpoint"},
		[]string{cfg.Metrics, cfg.Save, cfg.Checkpoint.Path})
}
