package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// GEMM threads are long-lived goroutines (gemmWorker). A call hands each
// extra thread its part of the product (gemmJob.part) and then computes its
// own part; the threads never wait for each other until the caller collects
// them at the end (gemmJob.join). Parts are whole C blocks with the full k
// sum, so no thread ever reads what another writes.
//
// Waking a parked goroutine costs about 0.1 ms on the 2-vCPU machine this
// was tuned on (a futex wake of an idle virtual CPU), as long as a whole
// 100×784×128 product on one core. So a worker that finishes a part does
// not park at once: it polls for the next part for up to workerSpin (a
// training loop calls Gemm back to back, a few µs apart), yielding the
// processor every few polls so that other goroutines still run. Products
// too small to pay for a wake-up (below gemmColdFlops) only use workers
// that are polling at that moment and run on the caller alone otherwise,
// while they wake one in the background for the next call (kick). The
// split never changes the result, only which goroutine writes which block.
//
// A call takes an idle worker (most recently idle first, the likeliest to
// still be polling) or starts a new one, which then stays in the pool: so
// concurrent Gemm calls never wait on each other's workers, and once the
// pool is warm a call allocates nothing.

// workerSpin is how long an idle worker polls before it parks.
const workerSpin = 500 * time.Microsecond

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
	job    *gemmJob
	tid    int
	wake   chan struct{}
}

var lastTicket atomic.Uint64

var (
	poolMu    sync.Mutex
	poolIdle  []*gemmWorker // idle workers, the most recently idle last
	poolCount int           // workers started so far
)

// takeWorker removes and returns the most recently idle worker, or nil.
func takeWorker() *gemmWorker {
	poolMu.Lock()
	defer poolMu.Unlock()
	n := len(poolIdle)
	if n == 0 {
		return nil
	}
	w := poolIdle[n-1]
	poolIdle = poolIdle[:n-1]
	return w
}

// startWorker offers part tid of j to an idle worker, or to a new one while
// the pool has fewer than Threads()-1 workers, and returns it with the
// offer's ticket; otherwise it returns nil and the caller computes the part
// (a worker still finishing its previous part, or concurrent Gemm calls,
// are not worth a new goroutine each).
func startWorker(j *gemmJob, tid int) (*gemmWorker, uint64) {
	w := takeWorker()
	if w == nil {
		poolMu.Lock()
		full := poolCount >= threads-1
		if !full {
			poolCount++
		}
		poolMu.Unlock()
		if full {
			return nil, 0
		}
		w = &gemmWorker{wake: make(chan struct{}, 1)}
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
			j.part(tid)
		}
		// Idle again before the part counts as finished, so that the
		// caller's next Gemm finds this worker instead of starting one.
		w.state.Store(workerPolling)
		poolMu.Lock()
		poolIdle = append(poolIdle, w)
		poolMu.Unlock()
		if done {
			j.left.Add(-1) // the worker's last touch of j
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

// join waits until every part of j is finished: polling first (a part
// usually ends within microseconds of the caller's), then yielding the
// processor between polls.
func (j *gemmJob) join() {
	for i := 0; j.left.Load() != 0; i++ {
		if i > 1000 {
			runtime.Gosched()
		}
	}
}
