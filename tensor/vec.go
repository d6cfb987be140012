package tensor

import "github.com/margo-lab/margo/asm"

// Long vector reductions and steps on a Pool's threads. The elementwise
// kernels themselves (Dot, Axpy, Nrm2, Sign, the fused steps, …) are package
// asm's, called directly: tensor adds what they lack, the threads and the
// chunking that keeps results independent of the thread count.

// DotNorms returns Σ x_i·y_i over i < len(x) and the norms of x and of
// y[:len(x)] in one pass over both: Dot, AbsSum, Nrm2 and MaxAbs of each,
// with their semantics (asm.DotNorms). From 2^16 elements the vectors are
// cut into chunks that run on up to Threads() goroutines (reduce.go); the
// result is bitwise the same for every thread count. The ℓ∞ norms are
// exactly MaxAbs's; the dot product, ℓ1 and ℓ2 agree with asm.DotNorms to
// the usual reduction bound (sums in another order), not bitwise.
func DotNorms(x, y []float64) (dot float64, nx, ny asm.Norms) { return defaultPool.DotNorms(x, y) }

// DotNorms is the package-level DotNorms on up to p.Threads() goroutines.
func (p *Pool) DotNorms(x, y []float64) (dot float64, nx, ny asm.Norms) {
	if len(x) < reduceMin {
		return asm.DotNorms(x, y)
	}
	return dotNormsChunked(p, x, y, nil)
}

// ChunkStep is work on a range of the vectors that DotNormsThen reduces,
// such as an optimizer step that rewrites them.
type ChunkStep interface {
	// StepRange runs on elements [lo, hi) once they have been reduced;
	// chunk numbers the range (0 ≤ chunk < DotNormsRanges(len(x))) for
	// per-range results. Calls for different chunks may run concurrently on other
	// goroutines; they cover [0, len(x)) exactly once, and each comes after
	// its own range's reduction only.
	StepRange(chunk, lo, hi int)
}

// StepRanges runs s.StepRange over the ranges of DotNormsThen for vectors
// of n elements, without the reduction: an elementwise step on up to
// Threads() goroutines (the GEMM pool's), with the same range numbers.
func StepRanges(n int, s ChunkStep) { defaultPool.StepRanges(n, s) }

// StepRanges is the package-level StepRanges on up to p.Threads()
// goroutines.
func (p *Pool) StepRanges(n int, s ChunkStep) {
	if n < reduceMin {
		s.StepRange(0, 0, n)
		return
	}
	putDotNormsJob(runChunks(p, nil, nil, n, s))
}

// DotNormsRanges returns the number of ranges DotNormsThen cuts vectors of
// n elements into (1 below 2^16 elements, then one per 8192).
func DotNormsRanges(n int) int {
	if n < reduceMin {
		return 1
	}
	return reduceChunks(n)
}

// DotNormsThen returns DotNorms(x, y), bitwise, and runs s.StepRange on
// each of the ranges DotNorms reduces, right after that range's reduction:
// a step that rewrites x or y then finds the range in cache, so that the
// reduction and the step together read the vectors from memory once
// (steepest.Meter.MeasureStep: a training step's record and update in one
// pass). Below 2^16 elements the whole vectors are one range.
func DotNormsThen(x, y []float64, s ChunkStep) (dot float64, nx, ny asm.Norms) {
	return defaultPool.DotNormsThen(x, y, s)
}

// DotNormsThen is the package-level DotNormsThen on up to p.Threads()
// goroutines.
func (p *Pool) DotNormsThen(x, y []float64, s ChunkStep) (dot float64, nx, ny asm.Norms) {
	if len(x) < reduceMin {
		dot, nx, ny = asm.DotNorms(x, y)
		s.StepRange(0, 0, len(x))
		return dot, nx, ny
	}
	return dotNormsChunked(p, x, y, s)
}
