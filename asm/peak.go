package asm

//go:generate go -C _gen run ./peak -out ../peak_amd64.s

import (
	"sync"
	"time"
)

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

// FMAWidthRatio returns how much faster this core runs 512-bit fused
// multiply-adds than 256-bit ones, in flops per second: about 2 where
// AVX-512 FMAs run at full rate (as many 512-bit FMA units as 256-bit
// ones: AMD Zen 5, Intel cores with two 512-bit FMA units), about 1 where
// a 512-bit FMA takes two 256-bit slots (AMD Zen 4's split datapath,
// Intel cores with one 512-bit unit). cpuid cannot tell these apart, so
// it is measured: on the first call, once per process, a calibration of
// one to two milliseconds times PeakFMA's AVX-512 and AVX2 loops and
// compares the fastest run of each. A ratio above √2, the geometric middle of 1 and 2,
// reads as full rate. It returns 0 where the processor or the build lacks
// AVX-512 or AVX2.
//
// margo bench gemm reports it. The kernel choice does not use it: Gemm
// runs the AVX-512 micro-kernel wherever AVX-512 exists, and whether the
// AVX2 kernel would be faster on a split datapath is measured on no
// machine yet (docs/benchmarks.md, "512-bit FMAs: full rate or split").
// So it runs only when called, never at init nor inside Gemm.
func FMAWidthRatio() float64 {
	fmaRatioOnce.Do(func() {
		if Supported(AVX512) && Supported(AVX2) {
			fmaRatio = fmaWidthRatio(func(l Level) (float64, time.Duration) {
				start := time.Now()
				flops := peakFMA(l, fmaCalibrationIters)
				return flops, time.Since(start)
			})
		}
	})
	return fmaRatio
}

var (
	fmaRatioOnce sync.Once
	fmaRatio     float64
)

// fmaCalibrationIters is one calibration run of a peak loop: 2^14
// iterations are 3.1 Mflop at 512 bits, about 30 µs at 100 GFLOP/s, so
// that the whole calibration (fmaCalibrationRuns of each width) takes
// one to two milliseconds.
const (
	fmaCalibrationIters = 1 << 14
	fmaCalibrationRuns  = 16
)

// fmaWidthRatio runs run (one timed run of a level's peak loop: the flops
// it did and how long it took) fmaCalibrationRuns times on AVX512, then as
// often on AVX2, and returns the ratio of the best rates. Each width runs
// in a stretch of its own because the core's state depends on what ran
// just before: 256-bit FMAs right after 512-bit ones, and the first
// 512-bit ones after a pause, can run at half rate. The fastest run of a
// stretch is the one least disturbed (by that warm-up, the OS, or another
// hyperthread sharing the FMA units, which halves a run's rate here now
// and then). 0 if AVX2 never ran.
func fmaWidthRatio(run func(Level) (flops float64, d time.Duration)) float64 {
	best := func(l Level) float64 {
		var b float64
		for range fmaCalibrationRuns {
			if flops, d := run(l); d > 0 {
				b = max(b, flops/d.Seconds())
			}
		}
		return b
	}
	best512 := best(AVX512)
	best256 := best(AVX2)
	if !(best256 > 0) {
		return 0
	}
	return best512 / best256
}
