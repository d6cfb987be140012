package tensor

import (
	"sync/atomic"

	"github.com/margo-lab/margo/asm"
)

// Long reductions on the GEMM's threads. A training step's metrics
// (steepest.Meter) read θ and the gradient once with DotNorms, right after
// the gradient GEMM, when the pool's workers are still polling: one core
// streaming two long slices while the others wait was the largest part of
// the metrics' cost once the GEMM ran on every core.
//
// Determinism: a vector of n ≥ reduceMin elements is cut into chunks whose
// boundaries depend on n alone (reduceChunks, chunkBounds), each chunk is
// reduced by asm.DotNorms, and the chunks' results are combined in chunk
// order by the caller. Threads only decide who computes which chunks, so
// the result is bitwise the same for every thread count (margo's metrics
// files are byte-identical whatever the thread count). It is not bitwise
// asm.DotNorms's on the whole vector: the sums run in another order (see
// DotNorms).

// reduceMin is the length from which DotNorms cuts its vectors into
// chunks and shares them among threads; below it one asm pass. 2^16
// elements (1 MB for both slices) is where the vectors leave one core's L2
// and a second thread starts to pay (measured: docs/benchmarks.md, "GEMM
// design choices, measured").
const reduceMin = 1 << 16

// reduceChunkMin is the chunk length: a vector of n ≥ reduceMin elements
// is cut into n/reduceChunkMin chunks (at least 8), enough to share among a
// few threads evenly, each long enough that its fixed cost (a call, two
// square roots) stays small, and short enough that a step run on the
// chunk right after its reduction (DotNormsThen) still finds it in cache:
// θ and g of a chunk take 128 KB. The number of chunks is not capped: a
// cap made the chunks of large models too big for L2 and the training step
// slower (docs/benchmarks.md).
const reduceChunkMin = 1 << 13

// reduceChunks returns the number of chunks of a vector of n ≥ reduceMin
// elements (at least 8).
func reduceChunks(n int) int { return n / reduceChunkMin }

// chunkBounds returns chunk i's range [lo, hi) of n elements cut into c
// chunks: about n/c elements each, every boundary a multiple of 8 elements
// (64 bytes: a chunk starts as aligned as the vector), the last chunk
// ending at n.
func chunkBounds(n, c, i int) (lo, hi int) {
	u := n / 8
	lo, hi = 8*(u*i/c), 8*(u*(i+1)/c)
	if i == c-1 {
		hi = n
	}
	return lo, hi
}

// dotNormsJob is one chunked DotNorms call: part tid reduces a contiguous
// run of chunks into the per-chunk results, which the caller combines.
// Jobs are recycled through dotNormsJobs (no allocation once warm).
type dotNormsJob struct {
	x, y   []float64 // nil for StepRanges (no reduction)
	n      int       // the vectors' length
	then   ChunkStep // run on each chunk after its reduction, or nil
	chunks int       // number of chunks
	t      int       // number of parts
	left   atomic.Int64
	sleep  chan struct{}
	offers []offer
	partPanic
	dot     []float64 // per chunk (grown, kept with the job)
	nx, ny  []asm.Norms
	l2, inf []float64 // one norm of every chunk, for combine
}

var dotNormsJobs = freeList[dotNormsJob]{fresh: func() *dotNormsJob { return &dotNormsJob{sleep: make(chan struct{}, 1)} }}

func putDotNormsJob(j *dotNormsJob) {
	j.x, j.y, j.then = nil, nil, nil
	dotNormsJobs.put(j)
}

// part reduces part tid's chunks, each with asm.DotNorms, each followed
// by the chunk's step when there is one.
func (j *dotNormsJob) part(tid int) {
	n := j.n
	lo, hi := share(j.chunks, j.t, tid)
	for c := lo; c < hi; c++ {
		a, b := chunkBounds(n, j.chunks, c)
		if j.x != nil {
			j.dot[c], j.nx[c], j.ny[c] = asm.DotNorms(j.x[a:b], j.y[a:b])
		}
		if j.then != nil {
			j.then.StepRange(c, a, b)
		}
	}
}

func (j *dotNormsJob) finish() { partsDone(&j.left, j.sleep) }

// dotNormsChunked is DotNorms for len(x) ≥ reduceMin: the chunks shared
// among up to Threads() goroutines (the caller and polling pool workers),
// then combined in chunk order; then, if not nil, runs on each chunk after
// its reduction (DotNormsThen).
func dotNormsChunked(pool *Pool, x, y []float64, then ChunkStep) (dot float64, nx, ny asm.Norms) {
	j := runChunks(pool, x, y[:len(x)], len(x), then)
	for c := range j.chunks {
		dot += j.dot[c]
	}
	nx, ny = j.combine(j.nx[:j.chunks]), j.combine(j.ny[:j.chunks])
	putDotNormsJob(j)
	return dot, nx, ny
}

// runChunks cuts n ≥ reduceMin elements into chunks and runs them (each
// chunk's reduction of x and y unless x is nil, then its step if there is
// one) on up to Threads() goroutines: the caller's own part, then, as in
// gemmBlocked, every part whose worker has not started, then the workers'
// parts. The caller reads the per-chunk results and puts the job back.
func runChunks(pool *Pool, x, y []float64, n int, then ChunkStep) *dotNormsJob {
	j := dotNormsJobs.get()
	j.x, j.y, j.n, j.then = x, y, n, then
	j.chunks = reduceChunks(n)
	if len(j.dot) < j.chunks {
		j.dot, j.l2, j.inf = make([]float64, j.chunks), make([]float64, j.chunks), make([]float64, j.chunks)
		j.nx, j.ny = make([]asm.Norms, j.chunks), make([]asm.Norms, j.chunks)
	}
	j.t = min(pool.Threads(), j.chunks)
	for len(j.offers) < j.t {
		j.offers = append(j.offers, offer{})
	}
	j.left.Store(int64(j.t))
	for tid := range j.t {
		j.offers[tid] = offer{}
		if tid > 0 {
			j.offers[tid].worker, j.offers[tid].ticket = pool.startWorker(j, tid)
		}
	}
	for tid := range j.t {
		if j.offers[tid].take() {
			j.part(tid)
			j.finish()
		}
	}
	joinParts(&j.left, j.sleep)
	j.check()
	return j
}

// combine returns the norms of a vector from those of its chunks ns, in
// chunk order: ℓ1 the sum; ℓ2 asm.Nrm2 of the chunks' ℓ2 norms (√Σ‖·‖₂²
// free of overflow and underflow, NaN if a chunk's is NaN, else +Inf if
// one is infinite: the whole vector's rules); ℓ∞ asm.MaxAbs of the chunks'
// (exact, NaN if a chunk's is NaN, as the whole vector's).
func (j *dotNormsJob) combine(ns []asm.Norms) asm.Norms {
	var r asm.Norms
	for c, v := range ns {
		r.L1 += v.L1
		j.l2[c], j.inf[c] = v.L2, v.Linf
	}
	r.L2 = asm.Nrm2(j.l2[:len(ns)])
	r.Linf = asm.MaxAbs(j.inf[:len(ns)])
	return r
}
