//go:build !purego

package asm

import (
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// BenchmarkGemmPeak runs the FMA peak loops of the GEMM micro-kernels'
// register layout (gemm_amd64.s: 24 zmm or 12 ymm accumulators), GFLOP/s
// of one core, beside PeakFMA's own loops (BenchmarkPeakFMA).
func BenchmarkGemmPeak(b *testing.B) {
	for _, c := range []struct {
		level Level
		ok    bool
		loop  func(n int)
		flops float64 // per iteration
	}{
		{AVX2, cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3), gemmPeakAVX2, 12 * 8},
		{AVX512, cpuid.CPU.Supports(cpuid.AVX512F), gemmPeakAVX512, 24 * 16},
	} {
		b.Run(c.level.String(), func(b *testing.B) {
			if !c.ok {
				b.Skip("not supported here")
			}
			const n = 1 << 16
			var flops float64
			for b.Loop() {
				c.loop(n)
				flops += n * c.flops
			}
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
