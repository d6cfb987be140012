package tensor

import (
	"sync"
	"sync/atomic"
)

// GEMM threads are long-lived goroutines parked on gemmWork. A call hands
// each extra thread its task with a non-blocking send: an idle worker takes
// it, and if none is idle a new worker starts (it stays in the pool
// afterwards). So concurrent Gemm calls never wait on each other's workers,
// and once the pool is warm a call allocates nothing.

type gemmTask struct {
	job *gemmJob
	tid int
}

var gemmWork = make(chan gemmTask)

func startWorker(j *gemmJob, tid int) {
	select {
	case gemmWork <- gemmTask{j, tid}:
	default:
		go gemmWorker(gemmTask{j, tid})
	}
}

func gemmWorker(t gemmTask) {
	for {
		t.job.run(t.tid)
		t.job.done.Done()
		t = <-gemmWork
	}
}

// barrier blocks each of n goroutines in wait until all n have arrived;
// it can be reused right away (generation counting). A waiter first spins
// briefly on the generation (the other threads usually arrive within
// microseconds, and parking costs a futex wake-up of tens of µs), then
// sleeps on the condition variable.
type barrier struct {
	mu   sync.Mutex
	cond sync.Cond
	n    int
	left atomic.Int64
	gen  atomic.Uint64
}

// barrierSpin is how many times a waiter polls before it sleeps (a few µs).
const barrierSpin = 4000

func (b *barrier) reset(n int) {
	b.cond.L = &b.mu
	b.n = n
	b.left.Store(int64(n))
}

func (b *barrier) wait() {
	if b.n == 1 {
		return
	}
	gen := b.gen.Load()
	if b.left.Add(-1) == 0 {
		// Last to arrive: re-arm, then release the others. Nobody touches
		// left again before seeing the new generation.
		b.left.Store(int64(b.n))
		b.mu.Lock()
		b.gen.Add(1)
		b.mu.Unlock()
		b.cond.Broadcast()
		return
	}
	for range barrierSpin {
		if b.gen.Load() != gen {
			return
		}
	}
	b.mu.Lock()
	for b.gen.Load() == gen {
		b.cond.Wait()
	}
	b.mu.Unlock()
}
