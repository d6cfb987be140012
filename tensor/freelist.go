package tensor

import "sync"

// freeList recycles the jobs of GEMM and of the chunked reductions with
// their buffers, so that a warm call allocates nothing. Unlike sync.Pool
// it keeps its items across garbage collections.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
	fresh func() *T // a new item when the list is empty
}

// get returns the most recently freed item, or a fresh one.
func (f *freeList[T]) get() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.items); n > 0 {
		x := f.items[n-1]
		f.items = f.items[:n-1]
		return x
	}
	return f.fresh()
}

// put returns x to the list; the caller has dropped x's references to
// caller-owned data.
func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	f.items = append(f.items, x)
	f.mu.Unlock()
}
