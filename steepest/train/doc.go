// Package train trains the paper's homogeneous networks by steepest descent
// and records what the paper's theorems are about (shared/paper.md): one
// training loop, used by `margo train`, `margo reproduce`, `margo bench
// train` and package verify alike, importable by any Go program.
//
// # A run
//
// A Config names the model (nn.MLP) and its initial θ, the training and
// test sets, the objective, the optimizer and schedule (package steepest),
// the number of steps and which of them are recorded, when to stop early,
// and where the run's files go. Run trains it:
//
//	res, err := train.Run(ctx, cfg)
//
// Each step evaluates L(θ) and its gradient on the training set, takes the
// optimizer's step at the schedule's rate, checks θ and the new loss
// (divergence ends the run with a *DivergedError), and lets the schedule
// accept or reject the step (a rejected step is rolled back: θ and the
// optimizer state are restored and the step retried at the schedule's new
// rate). Result.Status says why the run ended: all steps taken, the loss
// fell below StopLoss, the data was separated (StopSeparated), or ctx was
// cancelled (Interrupted, at a step boundary, after writing a checkpoint).
//
// # Records
//
// At recorded steps (every RecordEvery steps, or about 20 per decade by
// default; step 0 and the last always) the trainer computes a Record of θ_t:
// loss, accuracies, q_min, the ℓ1, ℓ2, ℓ∞ (and, with Spectral, spectral)
// norms of θ and the margins γ = q_min/‖θ‖^L in each, soft margins,
// alignments and KKT measures (steepest.Meter), in the same pass over θ and
// the gradient as the step that follows where the step allows. Records go
// to OnRecord and, as JSON lines, to the Metrics file; ReadMetrics reads
// such a file back.
//
// # Files, checkpoints and resume
//
// Every file is written atomically (WriteFile: a temporary file, synced and
// renamed), except the metrics file, which grows by one whole line per
// write. With Checkpoint.Every > 0 the trainer writes θ, the frozen layer,
// the optimizer and schedule state, the step and the metrics file's length
// every Every steps (and when ctx is cancelled); with Checkpoint.Resume a
// run continues from its checkpoint, truncating the metrics file to the
// checkpointed length, and ends byte for byte as an uninterrupted run
// would. A checkpoint records what it belongs to (Checkpoint.Run, the
// optimizer's name, the format version): one of another run or format is
// refused (ErrOtherRun, ErrFormat).
//
// # Data
//
// LoadDataset and SaveDataset read and write NPZ files with X [n,d] and
// y [n] of ±1; LoadParams and SaveParams the parameters W1, …, WD; the
// teacher–student generator and the MNIST digit pairs of the paper's
// experiments are packages nn/teacher and nn/mnist.
//
// # Determinism
//
// A run is a function of its Config: the GEMMs sum in a fixed order
// whatever the thread count (package tensor), so metrics and parameters
// are byte-identical for any Pool size on one machine and SIMD path.
package train
