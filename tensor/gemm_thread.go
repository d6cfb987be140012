package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// GEMM threads are long-lived goroutines (gemmWorker). A call offers each
// extra thread its part of the product (a block of C, see chooseGrid) and
// computes its own part; the threads never wait for each other until the
// caller collects them at the end (join). Parts are whole C blocks with the
// full k sum, so no thread reads what another writes. The same workers run
// the parts of long reductions (DotNorms, reduce.go): a job is anything
// with parts (poolJob), and the protocol below does not depend on what a
// part computes.
//
// Waking a parked goroutine costs about 0.1 ms on the 2-vCPU machine this
// was tuned on (a futex wake of an idle virtual CPU), as long as a whole
// 100×784×128 product on one core. So a worker that finishes a part does
// not park at once: it polls for the next offer for up to workerSpin (a
// training loop calls Gemm back to back, microseconds apart), yielding the
// processor now and then so that other goroutines still run. And the
// caller does not wait for a worker that has not started: after its own
// part it takes over every part still on offer (ticket), so a late worker
// costs at most the time of the parts it did start. The caller polls for
// the workers' parts for up to joinSpin, then sleeps until the last one
// wakes it. Which goroutine computes which block never changes the result.
//
// Polling has a price on a machine busy with other processes: a polling
// worker takes a processor that the caller's thread may need, and 2-thread
// calls of small products can then be slower than 1-thread ones
// (docs/benchmarks.md, "GEMM design choices, measured").
//
// A call takes an idle worker (most recently idle first, the likeliest to
// still be polling) or starts a new one while the pool has fewer than
// Threads()-1 workers, which then stays in the pool: so once the pool is
// warm a call allocates nothing, and concurrent calls never wait for
// each other (a call that finds no idle worker computes its parts itself).

// poolJob is one call's work as the pool sees it: part(tid) computes part
// tid, finish counts it as done (partsDone) and is the last touch of the
// job by whoever computed the part. gemmJob and dotNormsJob implement it.
type poolJob interface {
	part(tid int)
	finish()
	failed() *partPanic
}

// partPanic keeps the first panic of a part computed by a pool worker, so
// that the caller re-raises it on its own goroutine once the parts are
// joined (where the program's recover can see it) instead of the worker
// crashing the process.
type partPanic struct {
	v atomic.Pointer[any]
}

func (p *partPanic) failed() *partPanic { return p }

// check re-raises a worker's panic in the caller.
func (p *partPanic) check() {
	if v := p.v.Load(); v != nil {
		p.v.Store(nil)
		panic(*v)
	}
}

// run computes part tid of j, keeping a panic for the caller.
func runPart(j poolJob, tid int) {
	defer func() {
		if r := recover(); r != nil {
			j.failed().v.CompareAndSwap(nil, &r)
		}
	}()
	j.part(tid)
}

// workerSpin is how long an idle worker polls before it parks.
const workerSpin = 200 * time.Microsecond

// Worker states.
const (
	workerBusy    int32 = iota // running a part, or handed one
	workerPolling              // idle, polling state
	workerParked               // idle, blocked on wake
)

// A worker is offered part tid of job under a ticket (unique per offer);
// it or the caller takes the part by swapping the ticket for 0, so exactly
// one of them computes it, even when the worker has finished an earlier
// part of the same call and been offered another one meanwhile. A worker
// that finds the part taken does not touch the job again: the caller may
// have returned and the job been reused.
type gemmWorker struct {
	state  atomic.Int32
	ticket atomic.Uint64
	job    poolJob
	tid    int
	wake   chan struct{}
	pool   *Pool // the pool whose idle list it returns to
}

var lastTicket atomic.Uint64

// Pool is a set of long-lived goroutines that Gemm, DotNorms, DotNormsThen
// and StepRanges share, with at most Threads() of them (the caller
// included) on one call. Results are bitwise the same for every pool size.
// A Pool is safe for concurrent use: calls that find no idle worker
// compute their parts themselves. A nil *Pool is a pool of one thread
// (the caller). Workers stay for the life of the process, parked when idle.
type Pool struct {
	threads int
	mu      sync.Mutex
	idle    []*gemmWorker // idle workers, the most recently idle last
	count   int           // workers started so far
}

// NewPool returns a pool of up to threads goroutines per call (at least 1).
func NewPool(threads int) *Pool { return &Pool{threads: max(threads, 1)} }

// Threads returns the pool's thread count (1 for a nil pool).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// takeWorker removes and returns the most recently idle worker, or nil.
func (p *Pool) takeWorker() *gemmWorker {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	w := p.idle[n-1]
	p.idle = p.idle[:n-1]
	return w
}

// startWorker offers part tid of j to an idle worker, or to a new one while
// the pool has fewer than Threads()-1 workers, and returns it with the
// offer's ticket; otherwise it returns nil and the caller computes the part
// (a worker still finishing its previous part, or concurrent calls, are
// not worth a new goroutine each).
func (p *Pool) startWorker(j poolJob, tid int) (*gemmWorker, uint64) {
	if p == nil {
		return nil, 0
	}
	w := p.takeWorker()
	if w == nil {
		p.mu.Lock()
		full := p.count >= p.threads-1
		if !full {
			p.count++
		}
		p.mu.Unlock()
		if full {
			return nil, 0
		}
		w = &gemmWorker{wake: make(chan struct{}, 1), pool: p}
		t := lastTicket.Add(1)
		w.job, w.tid = j, tid
		w.ticket.Store(t)
		w.state.Store(workerBusy)
		go w.loop()
		return w, t
	}
	t := lastTicket.Add(1)
	w.job, w.tid = j, tid
	w.ticket.Store(t)
	// The worker is polling (it sees busy and runs the part) or has parked
	// (its CompareAndSwap to parked won): then it needs the wake signal.
	if !w.state.CompareAndSwap(workerPolling, workerBusy) {
		w.state.Store(workerBusy)
		w.wake <- struct{}{}
	}
	return w, t
}

func (w *gemmWorker) loop() {
	for {
		j, tid, t := w.job, w.tid, w.ticket.Load()
		w.job = nil
		done := t != 0 && w.ticket.CompareAndSwap(t, 0)
		if done {
			runPart(j, tid)
		}
		// Idle again before the part counts as finished, so that the
		// caller's next Gemm finds this worker instead of starting one.
		w.state.Store(workerPolling)
		w.pool.mu.Lock()
		w.pool.idle = append(w.pool.idle, w)
		w.pool.mu.Unlock()
		if done {
			j.finish() // the worker's last touch of j
		}
		start := time.Now()
		for i := 0; w.state.Load() == workerPolling; i++ {
			if i%1024 != 1023 {
				continue
			}
			if time.Since(start) > workerSpin {
				if w.state.CompareAndSwap(workerPolling, workerParked) {
					<-w.wake
				}
				break
			}
			runtime.Gosched()
		}
	}
}

// callerAsleep is added to a job's count of parts left when the caller
// sleeps in joinParts.
const callerAsleep = 1 << 32

// offer is the caller's record of a part offered to a worker (nil: not
// offered, the caller computes it).
type offer struct {
	worker *gemmWorker
	ticket uint64
}

// take reports whether the caller computes the part: it was not offered,
// or the caller took it back before the worker started it.
func (o *offer) take() bool {
	return o.worker == nil || o.worker.ticket.CompareAndSwap(o.ticket, 0)
}

// finish counts one part of j as done and wakes the caller if it was the
// last and the caller sleeps. A worker does not touch j afterwards: once
// left reaches 0 the caller may return and j be reused.
func (j *gemmJob) finish() { partsDone(&j.left, j.sleep) }

// join waits until every part of j is finished (joinParts).
func (j *gemmJob) join() { joinParts(&j.left, j.sleep) }

// partsDone counts one part of a job as done: left is the job's count of
// parts not finished (plus callerAsleep), sleep wakes its caller.
func partsDone(left *atomic.Int64, sleep chan struct{}) {
	if left.Add(-1) == callerAsleep {
		sleep <- struct{}{}
	}
}

// joinSpin is how long the caller polls for the workers' parts before it
// sleeps: long enough for the usual imbalance between parts, short
// enough not to take a busy machine's processor from a worker.
const joinSpin = 50 * time.Microsecond

// joinParts waits until every part of a job is finished: polling first (a
// part usually ends within microseconds of the caller's), then asleep on
// sleep, woken by the last partsDone.
func joinParts(left *atomic.Int64, sleep chan struct{}) {
	if left.Load() == 0 {
		return
	}
	start := time.Now()
	for i := 1; left.Load() != 0; i++ {
		if i%256 == 0 && time.Since(start) > joinSpin {
			if left.Add(callerAsleep) != callerAsleep {
				<-sleep
			}
			left.Store(0)
			return
		}
	}
}
