package tensor

import (
	"math"
	"sync/atomic"

	"github.com/margo-lab/margo/asm"
)

// A product runs as a grid of blocks of C, one per thread (chooseGrid: row
// ranges in whole tiles, column ranges in multiples of the narrowest
// kernel width, the units of asm.GemmGrain), and each thread computes its
// block with asm.Gemm, with the full k sum and its own packed panels
// (asm.GemmWorkspace). asm.Gemm sums every element of C in an order fixed
// by k and the level alone, so the grid, and with it the thread count,
// never changes the result. Sharing the packed B block between threads
// instead would cost two barriers per k block, which on a 2-vCPU machine
// cost more than packing the smaller operand twice (measured:
// docs/benchmarks.md, "GEMM design choices, measured").

// gemmJob is one Gemm call shared by its threads, with the buffers it
// reuses from call to call (jobs are recycled through gemmJobs). The
// threads form a grid of tm row ranges × tn column ranges of C; thread
// tid computes block (tid / tn, tid % tn) with the full k sum (part).
type gemmJob struct {
	tA, tB      Op
	alpha, beta float64
	a, b, c     *Dense
	m, n, k     int
	tm, tn      int
	rowUnit     int // row ranges are cut at multiples of these (asm.GemmGrain)
	colUnit     int

	left  atomic.Int64  // parts not finished yet, plus callerAsleep (see join)
	sleep chan struct{} // wakes the caller asleep in join
	parts []gemmPart    // per thread
	partPanic
}

// gemmPart is one thread's block of the product: views of op(A)'s rows,
// op(B)'s columns and C's block, and its own packing buffers.
type gemmPart struct {
	worker  *gemmWorker // the worker offered this part, or nil
	ticket  uint64      // the offer's ticket
	a, b, c Dense
	ws      asm.GemmWorkspace
}

var gemmJobs = freeList[gemmJob]{fresh: func() *gemmJob { return new(gemmJob) }}

func putJob(j *gemmJob) {
	j.a, j.b, j.c = nil, nil, nil
	for i := range j.parts {
		p := &j.parts[i]
		p.a.Data, p.b.Data, p.c.Data = nil, nil, nil
	}
	gemmJobs.put(j)
}

// Below gemmParallelFlops (8 Mflop, about 85 µs of one core) a product
// runs on one thread: handing a part to even a polling worker, collecting
// it and packing the shared operand twice leave little of the saving, and
// a worker that is not polling costs more than the product (a conservative
// bound: on this shared machine the break-even could not be measured
// cleanly). A variable so that tests can send small products through the
// threaded path.
var gemmParallelFlops = float64(1 << 23)

func gemmBlocked(pool *Pool, tA, tB Op, alpha float64, a, b *Dense, beta float64, c *Dense, m, n, k int) {
	j := gemmJobs.get()
	*j = gemmJob{tA: tA, tB: tB, alpha: alpha, beta: beta, a: a, b: b, c: c, m: m, n: n, k: k,
		parts: j.parts, sleep: j.sleep}
	j.rowUnit, j.colUnit = asm.GemmGrain()

	t := pool.Threads()
	flops := 2 * float64(m) * float64(n) * float64(k)
	if flops < gemmParallelFlops {
		t = 1
	}
	j.tm, j.tn = j.chooseGrid(t)
	t = j.tm * j.tn
	for len(j.parts) < t {
		j.parts = append(j.parts, gemmPart{})
	}
	if j.sleep == nil {
		j.sleep = make(chan struct{}, 1)
	}
	j.left.Store(int64(t))
	for tid := range t {
		p := &j.parts[tid]
		p.worker = nil
		if tid > 0 {
			p.worker, p.ticket = pool.startWorker(j, tid)
		}
	}
	// The caller computes its own part, then every part whose worker has
	// not started yet (a parked worker wakes up ~0.1 ms late), then waits
	// for the parts that workers are computing.
	for tid := range t {
		j.claim(tid)
	}
	j.join()
	j.check()
	putJob(j)
}

// claim computes part tid unless its worker has taken it (the caller's
// side; gemmWorker.loop is the worker's).
func (j *gemmJob) claim(tid int) {
	p := &j.parts[tid]
	if p.worker == nil || p.worker.ticket.CompareAndSwap(p.ticket, 0) {
		j.part(tid)
		j.finish()
	}
}

// chooseGrid returns the thread grid tm×tn (tm·tn ≤ t) with the least
// work per thread (asm.GemmCost of its block: multiply-adds plus the
// packing it does, since each thread packs its own rows of op(A) and
// columns of op(B)). Splitting M duplicates the packing of op(B),
// splitting N that of op(A): the grid weighs that against the flops.
func (j *gemmJob) chooseGrid(t int) (tm, tn int) {
	mTiles, nUnits := ceilDiv(j.m, j.rowUnit), ceilDiv(j.n, j.colUnit)
	tm, tn = 1, 1
	best := math.Inf(1)
	for gm := 1; gm <= t && gm <= mTiles; gm++ {
		gn := min(t/gm, nUnits)
		rows := ceilDiv(mTiles, gm) * j.rowUnit
		cols := ceilDiv(nUnits, gn) * j.colUnit
		cost := asm.GemmCost(bool(j.tA), bool(j.tB), rows, cols, j.k, j.alpha, j.a.Stride, j.b.Stride)
		if cost < best {
			best, tm, tn = cost, gm, gn
		}
	}
	return tm, tn
}

// part computes thread tid's block of C with asm.Gemm.
func (j *gemmJob) part(tid int) {
	lo, hi := share(ceilDiv(j.m, j.rowUnit), j.tm, tid/j.tn)
	r0, r1 := lo*j.rowUnit, min(hi*j.rowUnit, j.m)
	lo, hi = share(ceilDiv(j.n, j.colUnit), j.tn, tid%j.tn)
	c0, c1 := lo*j.colUnit, min(hi*j.colUnit, j.n)
	p := &j.parts[tid]
	if j.tA == NoTrans {
		j.a.SliceInto(&p.a, r0, r1, 0, j.k)
	} else {
		j.a.SliceInto(&p.a, 0, j.k, r0, r1)
	}
	if j.tB == NoTrans {
		j.b.SliceInto(&p.b, 0, j.k, c0, c1)
	} else {
		j.b.SliceInto(&p.b, c0, c1, 0, j.k)
	}
	j.c.SliceInto(&p.c, r0, r1, c0, c1)
	asm.Gemm(bool(j.tA), bool(j.tB), r1-r0, c1-c0, j.k, j.alpha, p.a.Data, p.a.Stride, p.b.Data, p.b.Stride,
		j.beta, p.c.Data, p.c.Stride, &p.ws)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// share returns thread tid's part [lo, hi) of n items split over t threads.
func share(n, t, tid int) (lo, hi int) { return n * tid / t, n * (tid + 1) / t }
