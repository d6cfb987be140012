//go:build unix

package main

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on path (created if needed), waiting
// for another holder, and returns its release.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

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
