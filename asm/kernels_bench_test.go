package asm

import (
	"math/rand/v2"
	"testing"
)

// The level-1 benchmarks run every kernel on every path available here:
// "loop" is the generic twin (the plain Go loop that defines the kernel),
// then each SIMD level, at three lengths (in L1/L2, in L2/L3, in memory).
// b.SetBytes counts the bytes each call must move (reads + writes), so the
// MB/s of the 1e7 cases compare directly with BenchmarkCopy's. Ratios mean
// something only within one run on this shared machine.

var benchSizes = []struct {
	name string
	n    int
}{{"1e3", 1_000}, {"1e5", 100_000}, {"1e7", 10_000_000}}

// benchBuf holds the operands, allocated once for the largest length.
var benchBuf struct {
	x, y, z, dst, m, v []float64
}

func benchVectors() {
	if benchBuf.x != nil {
		return
	}
	n := benchSizes[len(benchSizes)-1].n
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func(lo, hi float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = lo + (hi-lo)*rng.Float64()
		}
		return s
	}
	benchBuf.x, benchBuf.y, benchBuf.z = vec(-1, 1), vec(-1, 1), vec(-1, 1)
	benchBuf.dst, benchBuf.m, benchBuf.v = vec(-1, 1), vec(-1, 1), vec(0, 1)
}

type benchPath struct {
	name string
	k    *kernels
}

func benchPaths() []benchPath {
	paths := []benchPath{{"loop", &genericKernels}}
	for _, l := range Available() {
		if l != Generic {
			paths = append(paths, benchPath{l.String(), tables[l]})
		}
	}
	return paths
}

// Sinks keep the reductions' results alive.
var (
	sinkF float64
	sinkI int
)

// benchKernel runs run(k, n) under BenchmarkX/path/length, with
// bytesPerElem bytes moved per element.
func benchKernel(b *testing.B, bytesPerElem int, run func(k *kernels, n int)) {
	benchVectors()
	for _, p := range benchPaths() {
		b.Run(p.name, func(b *testing.B) {
			for _, s := range benchSizes {
				b.Run(s.name, func(b *testing.B) {
					b.SetBytes(int64(bytesPerElem * s.n))
					for b.Loop() {
						run(p.k, s.n)
					}
				})
			}
		})
	}
}

func BenchmarkDot(b *testing.B) {
	benchKernel(b, 16, func(k *kernels, n int) { sinkF = k.dot(benchBuf.x[:n], benchBuf.y[:n]) })
}

func BenchmarkAxpy(b *testing.B) {
	// a is small so that y stays bounded over many calls.
	benchKernel(b, 24, func(k *kernels, n int) { k.axpy(1e-9, benchBuf.x[:n], benchBuf.y[:n]) })
}

func BenchmarkScal(b *testing.B) {
	// a = −1 keeps the values as they are in magnitude.
	benchKernel(b, 16, func(k *kernels, n int) { k.scal(-1, benchBuf.dst[:n]) })
}

func BenchmarkAbsSum(b *testing.B) {
	benchKernel(b, 8, func(k *kernels, n int) { sinkF = k.absSum(benchBuf.x[:n]) })
}

func BenchmarkNrm2(b *testing.B) {
	benchKernel(b, 8, func(k *kernels, n int) { sinkF = k.nrm2(benchBuf.x[:n]) })
}

func BenchmarkMaxAbs(b *testing.B) {
	benchKernel(b, 8, func(k *kernels, n int) { sinkF = k.maxAbs(benchBuf.x[:n]) })
}

// ArgMaxAbs reads x once on every level (the SIMD levels keep the index of
// each lane's running maximum instead of searching for it afterwards).
func BenchmarkArgMaxAbs(b *testing.B) {
	benchKernel(b, 8, func(k *kernels, n int) { sinkI = k.argMaxAbs(benchBuf.x[:n]) })
}

func BenchmarkSign(b *testing.B) {
	benchKernel(b, 16, func(k *kernels, n int) { k.sign(benchBuf.dst[:n], benchBuf.x[:n]) })
}

func BenchmarkReLU(b *testing.B) {
	benchKernel(b, 16, func(k *kernels, n int) { k.relu(benchBuf.dst[:n], benchBuf.x[:n]) })
}

func BenchmarkReLUMask(b *testing.B) {
	benchKernel(b, 24, func(k *kernels, n int) { k.reluMask(benchBuf.dst[:n], benchBuf.x[:n], benchBuf.z[:n]) })
}

// Adam reads θ, m, v, g and writes θ, m, v: 56 bytes per element.
func BenchmarkAdam(b *testing.B) {
	benchKernel(b, 56, func(k *kernels, n int) {
		k.adam(benchBuf.dst[:n], benchBuf.m[:n], benchBuf.v[:n], benchBuf.x[:n], 1, 1, 0.9, 0.999, 1e-9, 0.5, 1e-8)
	})
}

// BenchmarkCopy is the memory-bandwidth yardstick: copy() reads and writes
// 16 bytes per element.
func BenchmarkCopy(b *testing.B) {
	benchVectors()
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(16 * s.n))
			for b.Loop() {
				copy(benchBuf.dst[:s.n], benchBuf.x[:s.n])
			}
		})
	}
}

// BenchmarkPeakFMA reports the FMA throughput ceiling of one core on each
// SIMD level (PeakFMA's loop of independent VFMADD231PD).
func BenchmarkPeakFMA(b *testing.B) {
	for _, l := range Available() {
		if PeakFMA(l, 1) == 0 {
			continue
		}
		b.Run(l.String(), func(b *testing.B) {
			var flops float64
			for b.Loop() {
				flops += PeakFMA(l, 100_000)
			}
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
