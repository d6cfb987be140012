package tensor

import "sync"

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
// it can be reused right away (generation counting).
type barrier struct {
	mu      sync.Mutex
	cond    sync.Cond
	n, left int
	gen     uint64
}

func (b *barrier) reset(n int) {
	b.cond.L = &b.mu
	b.n, b.left = n, n
}

func (b *barrier) wait() {
	if b.n == 1 {
		return
	}
	b.mu.Lock()
	gen := b.gen
	b.left--
	if b.left == 0 {
		b.left = b.n
		b.gen++
		b.mu.Unlock()
		b.cond.Broadcast()
		return
	}
	for gen == b.gen {
		b.cond.Wait()
	}
	b.mu.Unlock()
}
