package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/margo-lab/margo/asm"
)

// gemmShape is a benchmark product: op(A) is m×k, op(B) k×n, C m×n.
type gemmShape struct {
	tA, tB  Op
	m, k, n int
	what    string
}

// The products of a margo training step (d = input dimension, h = width,
// N = samples): forward X·W₁ᵀ is NT with m = N, k = d, n = h; the weight
// gradient Gᵀ·X is TN with m = h, k = N, n = d; on MNIST pairs (12000
// images of 784 pixels) the forward product with a transposed weight copy is
// NN. Names read tA tB / m x k x n.
var gemmShapes = []gemmShape{
	{NoTrans, NoTrans, 1024, 1024, 1024, "square"},
	{NoTrans, NoTrans, 12000, 784, 512, "MNIST forward, N=12000 d=784 h=512"},
	{Trans, NoTrans, 784, 12000, 512, "MNIST weight gradient Xᵀ·G: C is 784×512"},
	{NoTrans, Trans, 250, 2048, 1024, "teacher-student forward X·W₁ᵀ"},
	{Trans, NoTrans, 1024, 250, 2048, "teacher-student weight gradient Gᵀ·X"},
	{NoTrans, Trans, 100, 784, 128, "small batch forward"},
	{Trans, NoTrans, 128, 100, 784, "small batch weight gradient Gᵀ·X"},
}

func opName(tA, tB Op) string {
	n := func(t Op) string {
		if t {
			return "T"
		}
		return "N"
	}
	return n(tA) + n(tB)
}

// reportFlops reports GFLOP/s of wall time and, where the CPU time is
// known, GFLOP per CPU-second (over all threads: with 2 threads it is the
// per-core efficiency, lowered by the time a worker or the caller spends
// polling for the other, and by CPU time of the process that is not GEMM).
func reportFlops(b *testing.B, flops float64, cpu time.Duration) {
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

func randDense(rng *rand.Rand, r, c int) *Dense {
	d := NewDense(r, c)
	for i := range d.Data {
		d.Data[i] = 2*rng.Float64() - 1
	}
	return d
}

// BenchmarkGemm runs every shape on every level available here with 1 and
// 2 threads (BenchmarkGemm/NN/1024x1024x1024/avx512/1T), and, under
// BenchmarkGemm/peak/<level>, the level's peak-FMA loop (asm.PeakFMA): the
// one-core peak against which the products' GFLOP/s read as a percentage,
// measured in the same run (the micro-kernel's own peak on L1-resident
// panels is asm's BenchmarkGemmTile). The generic level skips products
// above 3 GFLOP (it runs near 5 GFLOP/s).
func BenchmarkGemm(b *testing.B) {
	defer asm.SetLevel(asm.Active())
	defer SetThreads(Threads())
	for _, l := range asm.Available() {
		if asm.PeakFMA(l, 1) == 0 {
			continue // no peak loop (generic, NEON)
		}
		b.Run(fmt.Sprintf("peak/%s", l), func(b *testing.B) {
			var flops float64
			cpu0 := cpuTime()
			for b.Loop() {
				flops += asm.PeakFMA(l, 1<<16)
			}
			reportFlops(b, flops, cpuTime()-cpu0)
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range gemmShapes {
		ar, ac, br, bc := s.m, s.k, s.k, s.n
		if s.tA {
			ar, ac = ac, ar
		}
		if s.tB {
			br, bc = bc, br
		}
		var a, bm, c *Dense // made on first use: -bench filters most shapes out
		flops := 2 * float64(s.m) * float64(s.k) * float64(s.n)
		for _, l := range asm.Available() {
			if l == asm.Generic && flops > 3e9 {
				continue
			}
			for _, nt := range []int{1, 2} {
				name := fmt.Sprintf("%s/%dx%dx%d/%s/%dT", opName(s.tA, s.tB), s.m, s.k, s.n, l, nt)
				b.Run(name, func(b *testing.B) {
					if err := asm.SetLevel(l); err != nil {
						b.Fatal(err)
					}
					SetThreads(nt)
					if a == nil {
						a, bm, c = randDense(rng, ar, ac), randDense(rng, br, bc), NewDense(s.m, s.n)
					}
					Gemm(s.tA, s.tB, 1, a, bm, 0, c) // warm the buffers and workers
					cpu0 := cpuTime()
					for b.Loop() {
						Gemm(s.tA, s.tB, 1, a, bm, 0, c)
					}
					reportFlops(b, flops*float64(b.N), cpuTime()-cpu0)
				})
			}
		}
	}
}
