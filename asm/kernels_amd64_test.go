//go:build !purego

package asm

import (
	"testing"

	"pgregory.net/rapid"
)

// The streaming-store paths of Sign, ReLU and ReLUMask start at
// ntMinLen elements, far beyond the lengths the properties draw. Here the
// threshold is lowered so that drawn lengths and offsets (every alignment
// of dst modulo 64 bytes) cross it, and the same exact property runs.
func TestStreamingStores(t *testing.T) {
	defer func(old int) { ntMinLen = old }(ntMinLen)
	for _, v := range variants(t)[1:] { // the SIMD levels: Generic has no streaming path
		for _, name := range []string{"Sign", "ReLU", "ReLUMask"} {
			kk := elemKernelNamed(t, name)
			rapid.Check(t, func(t *rapid.T) {
				ntMinLen = rapid.SampledFrom([]int{ntFloor, 9, 16, 33, 64, 100}).Draw(t, "ntMinLen")
				checkElementwise(t, v, kk)
			})
		}
	}
}

// One slice above the real threshold, at an odd offset, so that the path
// the benchmarks time is the one tested (skipped with -short: it moves
// several times the last-level cache).
func TestStreamingStoresRealThreshold(t *testing.T) {
	if testing.Short() {
		t.Skip("large slices")
	}
	n := ntMinLen + 13
	x := make([]float64, n+3)[3:]
	z := make([]float64, n+5)[5:]
	for i := range x {
		x[i] = float64(i%7) - 3   // negatives, zeros, positives
		z[i] = float64(i%5) - 2.5 // half on, half off
	}
	for _, v := range variants(t)[1:] {
		for _, name := range []string{"Sign", "ReLU", "ReLUMask"} {
			kk := elemKernelNamed(t, name)
			buf := make([]float64, n+16)
			dst := buf[1 : n+1]
			for i := range buf {
				buf[i] = guard
			}
			kk.get(v.k)(dst, x, z)
			for i := range dst {
				if want := kk.want(x[i], z[i]); dst[i] != want {
					t.Fatalf("%s %s: n=%d i=%d got %v want %v", v.name, name, n, i, dst[i], want)
				}
			}
			if buf[0] != guard || buf[n+1] != guard {
				t.Fatalf("%s %s wrote outside dst", v.name, name)
			}
		}
	}
}

// The threshold follows the last-level cache and never drops below the
// peel's reach.
func TestNTThreshold(t *testing.T) {
	for _, c := range []struct{ l3, want int }{
		{-1, 4 << 20 / 8}, {0, 4 << 20 / 8}, {32 << 20, 16 << 20 / 8}, {16, ntFloor},
	} {
		if got := ntThreshold(c.l3); got != c.want {
			t.Errorf("ntThreshold(%d) = %d, want %d", c.l3, got, c.want)
		}
	}
	if ntMinLen < ntFloor {
		t.Errorf("ntMinLen = %d < %d", ntMinLen, ntFloor)
	}
	t.Logf("ntMinLen = %d elements", ntMinLen)
}

// BenchmarkStreaming times the 1e7 elementwise kernels with streaming
// stores off ("cached": ntMinLen above n) and on, one right after the other
// so that the pair shares the machine's load, next to copy().
func BenchmarkStreaming(b *testing.B) {
	benchVectors()
	n := benchSizes[len(benchSizes)-1].n
	x, z, dst := benchBuf.x[:n], benchBuf.z[:n], benchBuf.dst[:n]
	defer func(old int) { ntMinLen = old }(ntMinLen)
	for _, kk := range []string{"Sign", "ReLU", "ReLUMask"} {
		for _, p := range benchPaths()[1:] {
			run := elemKernelNamed(b, kk).get(p.k)
			for _, mode := range []struct {
				name string
				min  int
			}{{"cached", n + 1}, {"stream", ntFloor}} {
				b.Run(kk+"/"+p.name+"/"+mode.name, func(b *testing.B) {
					ntMinLen = mode.min
					b.SetBytes(int64(16 * n))
					for b.Loop() {
						run(dst, x, z)
					}
				})
			}
		}
	}
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(int64(16 * n))
		for b.Loop() {
			copy(dst, x)
		}
	})
}
