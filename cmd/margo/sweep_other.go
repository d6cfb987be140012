//go:build !unix

package main

import "os"

// lockFile does not lock where flock is missing: two copies of a task may
// then train a run at once (harmless but wasted: runs are deterministic and
// their files are written atomically or rewritten identically).
func lockFile(path string) (func(), error) { return func() {}, nil }

// sweepSignals: only an interrupt where there are no Unix signals.
var sweepSignals = []os.Signal{os.Interrupt}

func sigName(s os.Signal) string { return s.String() }

// sweepTimeLimitSignal: no Slurm time-limit signal here.
var sweepTimeLimitSignal os.Signal
