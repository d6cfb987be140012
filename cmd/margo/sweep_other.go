//go:build !unix

package main

import "os"

// sweepSignals: only an interrupt where there are no Unix signals.
var sweepSignals = []os.Signal{os.Interrupt}

func sigName(s os.Signal) string { return s.String() }

// sweepTimeLimitSignal: no Slurm time-limit signal here.
var sweepTimeLimitSignal os.Signal
