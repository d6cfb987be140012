// Command margo trains bias-free ReLU networks with steepest-descent
// algorithms, reproduces the experiments of "Flavors of Margin" (arXiv
// 2410.22069) and plots them. Run `margo help` for the subcommands; the file
// contract of `margo train` is in docs/reproduce.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/margo-lab/margo/asm"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1 // the work failed (unreadable data, divergence, I/O)
	exitUsage    = 2 // bad flags or arguments, bad MARGO_SIMD
	exitInternal = 3 // a bug: a recovered panic
)

// usageError marks errors in what the user typed (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// internalError is a bug caught in a goroutine (a recovered panic): the
// command exits with exitInternal, as for a panic on the main goroutine.
type internalError struct{ error }

const usage = `margo — implicit bias of steepest descent in homogeneous networks

usage:
  margo train --data FILE.npz [flags]       train one network, write metrics JSONL
  margo reproduce fig1|fig2|fig3|fig4|fig5|switch [--quick] [--seeds N] [--out DIR]
  margo sweep plan|run|status|merge|slurm|k8s ...  an experiment as indexed tasks (docs/scale-out.md)
  margo study stepsize|batch|adam-late|depth|bias [--quick] [--out DIR]   docs/studies.md
  margo plot FILES.jsonl... --out DIR       redraw figures from metrics files
  margo verify [--cases N] [--seed S] [--check NAME] [--short] [--replay FILE.json]
  margo bench [gemm --m M --k K --n N [--trans NN|NT|TN] [--threads T] [--json] | train ...]
  margo version
Run 'margo CMD --help' for the flags of a subcommand.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code. Every error is
// printed as one line on stderr; a panic is recovered and reported as an
// internal error, never as a stack trace.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "margo: internal error: %s\n", oneLine(fmt.Sprint(r)))
			code = exitInternal
		}
	}()
	if err := asm.ConfigError(); err != nil {
		fmt.Fprintf(stderr, "margo: %s\n", oneLine(err.Error()))
		return exitUsage
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "train":
		err = cmdTrain(args[1:], stdout, stderr)
	case "reproduce":
		err = cmdReproduce(args[1:], stdout, stderr)
	case "sweep":
		err = cmdSweep(args[1:], stdout, stderr)
	case "study":
		err = cmdStudy(args[1:], stdout, stderr)
	case "plot":
		err = cmdPlot(args[1:], stdout, stderr)
	case "bench":
		err = cmdBench(args[1:], stdout, stderr)
	case "verify":
		err = cmdVerify(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		err = cmdVersion(args[1:], stdout)
	case "help", "--help", "-h", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		err = usagef("unknown command %q (want train, reproduce, sweep, study, plot, verify, bench or version)", args[0])
	}
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "margo %s: %s\n", args[0], oneLine(err.Error()))
	return exitCode(err)
}

// exitCode is the exit code of a command's error.
func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	var ie internalError
	if errors.As(err, &ie) {
		return exitInternal
	}
	return exitFailure
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
