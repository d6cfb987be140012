package asm

//go:generate go -C _gen run ./peak -out ../peak_amd64.s

// PeakFMA runs n iterations of a loop of independent fused multiply-adds on
// level l (the floating-point throughput ceiling of one core, for quoting
// a kernel's GFLOP/s as a fraction of peak) and returns the number of
// floating-point operations it performed: divide by the elapsed time for
// FLOP/s. It returns 0 without running anything for a level that has no
// such loop (Generic, NEON) or that cannot run here.
func PeakFMA(l Level, n int) (flops float64) {
	if n <= 0 || !Supported(l) {
		return 0
	}
	return peakFMA(l, n)
}

// peakFMA is set by architectures that have a peak loop.
var peakFMA = func(Level, int) float64 { return 0 }
