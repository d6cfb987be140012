//go:build unix

package main

import (
	"os"
	"syscall"
)

// sweepSignals are the schedulers' warnings before a kill: SIGTERM
// (Kubernetes, scancel, preemption) and SIGUSR1 (sbatch --signal=B:USR1@120).
var sweepSignals = []os.Signal{syscall.SIGTERM, syscall.SIGUSR1}

func sigName(s os.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	}
	return s.String()
}

// sweepTimeLimitSignal is the signal of sbatch --signal=B:USR1@120, sent
// before the time limit: sweep run requeues the Slurm job on it.
var sweepTimeLimitSignal os.Signal = syscall.SIGUSR1
