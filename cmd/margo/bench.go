package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor"
)

// cmdBench runs `margo bench` (SIMD path and a quick kernel summary) or
// `margo bench gemm` (GEMM throughput for one shape).
func cmdBench(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "gemm" {
		return benchGemm(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "train" {
		return benchTrain(args[1:], stdout, stderr) // cmd/margo/benchtrain.go
	}
	fs := newFlagSet("bench")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "GEMM threads")
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unknown bench mode %q (want gemm or train, or none for a summary)", pos[0])
	}
	if *threads < 1 {
		return usagef("--threads must be at least 1, got %d", *threads)
	}
	var avail []string
	for _, l := range asm.Available() {
		avail = append(avail, l.String())
	}
	fmt.Fprintf(stdout, "simd path: %s (available: %s)\n", asm.Active(), strings.Join(avail, ", "))
	fmt.Fprintf(stdout, "%s\n", versionString())
	// Level-1 kernels on a vector that fits in L2.
	x := randVec(1<<14, 1)
	y := randVec(1<<14, 2)
	kern := []struct {
		name  string
		flops float64
		fn    func()
	}{
		{"dot", 2, func() { asm.Dot(x, y) }},
		{"axpy", 2, func() { asm.Axpy(1e-9, x, y) }},
		{"nrm2", 2, func() { asm.Nrm2(x) }},
		{"abssum", 1, func() { asm.AbsSum(x) }},
		{"maxabs", 1, func() { asm.MaxAbs(x) }},
	}
	for _, k := range kern {
		sec := medianTime(k.fn, 20*time.Millisecond, 5)
		fmt.Fprintf(stdout, "%-8s n=%d  %7.2f GFLOP/s\n", k.name, len(x), k.flops*float64(len(x))/sec/1e9)
	}
	for _, n := range []int{128, 512} {
		r, err := gemmRate(n, n, n, tensor.NoTrans, tensor.NoTrans, *threads, 3)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "gemm     %dx%dx%d NN threads=%d  %7.2f GFLOP/s\n", n, n, n, *threads, r)
	}
	return nil
}

func benchGemm(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench gemm")
	m := fs.Int("m", 512, "rows of op(A) and C")
	k := fs.Int("k", 512, "columns of op(A), rows of op(B)")
	n := fs.Int("n", 512, "columns of op(B) and C")
	trans := fs.String("trans", "NN", "NN, NT or TN: whether A and B are transposed")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "GEMM threads")
	repeats := fs.Int("repeats", 5, "timed repetitions (the median is reported)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *m < 1 || *k < 1 || *n < 1 {
		return usagef("--m, --k and --n must be positive, got %d, %d, %d", *m, *k, *n)
	}
	if err := checkMemory(fmt.Sprintf("shape %dx%dx%d", *m, *k, *n), mul(*m, *k, 8).add(mul(*k, *n, 8)).add(mul(*m, *n, 8))); err != nil {
		return err
	}
	if *threads < 1 {
		return usagef("--threads must be at least 1, got %d", *threads)
	}
	if *repeats < 1 {
		return usagef("--repeats must be at least 1, got %d", *repeats)
	}
	var ta, tb tensor.Op
	switch strings.ToUpper(*trans) {
	case "NN":
	case "NT":
		tb = tensor.Trans
	case "TN":
		ta = tensor.Trans
	default:
		return usagef("--trans must be NN, NT or TN, got %q", *trans)
	}
	rate, err := gemmRate(*m, *k, *n, ta, tb, *threads, *repeats)
	if err != nil {
		return err
	}
	peak := peakRate(asm.Active())
	var together float64
	if peak > 0 && *threads > 1 {
		together = peakRateTogether(asm.Active(), *threads, peak)
	}
	if *asJSON {
		obj := map[string]any{
			"gflops": rate, "path": asm.Active().String(), "threads": *threads,
			"m": *m, "k": *k, "n": *n, "trans": strings.ToUpper(*trans), "repeats": *repeats,
		}
		if peak > 0 {
			obj["peak_gflops"] = peak
			obj["pct_peak"] = 100 * rate / (peak * float64(*threads))
		}
		if together > 0 {
			obj["peak_together_gflops"] = together
			obj["pct_peak_together"] = 100 * rate / together
		}
		if r := asm.FMAWidthRatio(); r > 0 {
			// 512-bit over 256-bit FMA throughput: ≈ 2 full rate, ≈ 1 split;
			// above √2 (the geometric middle) reads as full rate.
			obj["fma512_ratio"] = r
			obj["fma512_full_rate"] = r > 1.4142
		}
		b := asm.GemmBlocking()
		obj["blocking"] = map[string]int{"mr": b.MR, "nr": b.NR, "kc": b.KC, "mc": b.MC, "nc": b.NC, "l1d_bytes": b.L1D, "l2_bytes": b.L2}
		return json.NewEncoder(stdout).Encode(obj)
	}
	fmt.Fprintf(stdout, "gemm %dx%dx%d %s  path=%s threads=%d  %.2f GFLOP/s (median of %d)",
		*m, *k, *n, strings.ToUpper(*trans), asm.Active(), *threads, rate, *repeats)
	if peak > 0 {
		fmt.Fprintf(stdout, "  %.0f%% of %d×%.1f GFLOP/s peak FMA", 100*rate/(peak*float64(*threads)), *threads, peak)
	}
	if together > 0 {
		fmt.Fprintf(stdout, ", %.0f%% of the %.1f GFLOP/s its %d threads reach together", 100*rate/together, together, *threads)
	}
	fmt.Fprintln(stdout)
	return nil
}

// peakRate returns the peak-FMA rate of one core on level l in GFLOP/s
// (asm.PeakFMA, the median of five runs of about 20 ms, measured just
// before or after the product it is compared with), or 0 for a level
// without a peak loop (generic, NEON).
func peakRate(l asm.Level) float64 {
	const iters = 1 << 16
	flops := asm.PeakFMA(l, iters)
	if flops == 0 {
		return 0
	}
	sec := medianTime(func() { asm.PeakFMA(l, iters) }, 20*time.Millisecond, 5)
	return flops / sec / 1e9
}

// peakRateTogether returns the peak-FMA rate of t goroutines running the
// loop of level l at once, each on its own OS thread, in GFLOP/s summed
// over them: the median of five runs in which each goroutine loops for
// about 20 ms, long against the ~0.1 ms a goroutine may take to start on
// an idle core. perCore is peakRate(l), which sizes the loop. On a machine
// whose cores share more than their caches (the vCPUs of a busy host, SMT
// siblings) it is less than t·perCore: the ceiling of a product on t
// threads here.
func peakRateTogether(l asm.Level, t int, perCore float64) float64 {
	const probe = 1 << 10
	perIter := asm.PeakFMA(l, probe) / probe
	if perIter == 0 || !(perCore > 0) {
		return 0
	}
	iters := max(probe, int(0.02*perCore*1e9/perIter))
	run := func() {
		var wg sync.WaitGroup
		for range t {
			wg.Go(func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				asm.PeakFMA(l, iters)
			})
		}
		wg.Wait()
	}
	sec := medianTime(run, 0, 5)
	return float64(t) * float64(iters) * perIter / sec / 1e9
}

// gemmRate returns the median GFLOP/s of C = A·B for the shape, after one
// warm-up call, each repetition calling Gemm back to back for at least
// 20 ms (a training loop's rhythm; single calls of a small product, 0.2
// ms, gave 78–154 GFLOP/s from run to run at 2 threads, at the mercy of
// when the GEMM worker starts). The thread setting is restored afterwards.
func gemmRate(m, k, n int, ta, tb tensor.Op, threads, repeats int) (float64, error) {
	ar, ac := m, k
	if ta == tensor.Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tb == tensor.Trans {
		br, bc = n, k
	}
	a := tensor.DenseOf(ar, ac, randVec(ar*ac, 3))
	b := tensor.DenseOf(br, bc, randVec(br*bc, 4))
	c := tensor.NewDense(m, n)
	pool := tensor.NewPool(threads)
	sec := medianTime(func() { pool.Gemm(ta, tb, 1, a, b, 0, c) }, 20*time.Millisecond, repeats)
	return 2 * float64(m) * float64(n) * float64(k) / sec / 1e9, nil
}

// medianTime runs fn once to warm up, then repeats times (each repetition
// looping until it lasts at least minDur) and returns the median seconds per
// call.
func medianTime(fn func(), minDur time.Duration, repeats int) float64 {
	fn()
	times := make([]float64, repeats)
	for r := range times {
		calls := 0
		start := time.Now()
		for {
			fn()
			calls++
			if time.Since(start) >= minDur {
				break
			}
		}
		times[r] = time.Since(start).Seconds() / float64(calls)
	}
	slices.Sort(times)
	return times[len(times)/2]
}

func randVec(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x6d617267))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()*2 - 1
	}
	return v
}
