package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/margo-lab/margo/tensor"
)

// Batcher cuts a dataset into the mini-batches of stochastic training.
// Each epoch is a fresh random permutation of the n samples, cut into
// PerEpoch = ⌊n/B⌋ consecutive batches of exactly B samples; the n mod B
// samples at the end of the permutation sit that epoch out (other ones
// each epoch), so that every step sees B samples and none twice within an
// epoch. The permutation of epoch e is a Fisher–Yates shuffle drawn from
// math/rand/v2's PCG seeded with (seed, e), so the batch of step t depends
// on (seed, t) alone: a trainer that resumes at step t needs no other state,
// and Batch can be called for any step in any order.
//
// A batch's indices are sorted ascending and its rows gathered in that
// order into a Dataset the Batcher owns (allocated once: no allocation per
// step). With B = n the batch is the dataset itself, in its own order, with
// nothing drawn or copied, so every step is bitwise the full-batch step.
//
// The loss Evaluate reports on a batch is the batch's own: with the sum
// objective, LogLoss + log(n/B) is the log of the unbiased estimate of the
// full sum (the mean objective needs no correction). A Batcher is not safe
// for concurrent use.
type Batcher struct {
	d        *Dataset
	b        int
	seed     uint64
	perEpoch int
	epoch    int   // the epoch whose permutation perm holds (−1: none yet)
	perm     []int // the permutation of epoch
	idx      []int // the indices of the last batch, ascending
	pcg      rand.PCG
	rng      *rand.Rand
	x        tensor.Dense // B×d, the gathered rows
	y        []float64
	batch    Dataset // {&x, y}
}

// NewBatcher returns a Batcher of batches of b samples of d drawn from
// seed. It reports an error for a nil or empty d, one whose inputs and
// labels differ in number, and b outside [1, n].
func NewBatcher(d *Dataset, b int, seed uint64) (*Batcher, error) {
	if d == nil || d.X == nil || d.Len() == 0 {
		return nil, fmt.Errorf("nn: batcher: empty dataset")
	}
	n := d.Len()
	if d.X.Rows != n {
		return nil, fmt.Errorf("nn: batcher: %d inputs for %d labels", d.X.Rows, n)
	}
	if b < 1 || b > n {
		return nil, fmt.Errorf("nn: batcher: batch size %d, want 1 ≤ B ≤ n = %d", b, n)
	}
	bt := &Batcher{d: d, b: b, seed: seed, perEpoch: n / b, epoch: -1, idx: make([]int, b)}
	if b == n {
		for i := range bt.idx {
			bt.idx[i] = i
		}
		return bt, nil
	}
	bt.perm = make([]int, n)
	bt.rng = rand.New(&bt.pcg)
	cols := d.X.Cols
	bt.x = tensor.Dense{Rows: b, Cols: cols, Stride: cols, Data: make([]float64, b*cols)}
	bt.y = make([]float64, b)
	bt.batch = Dataset{X: &bt.x, Y: bt.y}
	return bt, nil
}

// Size returns the batch size B.
func (bt *Batcher) Size() int { return bt.b }

// PerEpoch returns the number of batches per epoch, ⌊n/B⌋.
func (bt *Batcher) PerEpoch() int { return bt.perEpoch }

// Batch returns the batch of step t (0-based): batch t mod PerEpoch of
// epoch t / PerEpoch. The Dataset is the Batcher's own storage (the full
// dataset when B = n), valid until the next call; Indices says which
// samples it holds. Batch panics for t < 0 (a programming error).
func (bt *Batcher) Batch(t int) *Dataset {
	if t < 0 {
		panic(fmt.Sprintf("nn: batcher: step %d < 0", t))
	}
	if bt.b == bt.d.Len() {
		return bt.d
	}
	if e := t / bt.perEpoch; e != bt.epoch {
		bt.shuffle(e)
	}
	k := t % bt.perEpoch
	copy(bt.idx, bt.perm[k*bt.b:(k+1)*bt.b])
	slices.Sort(bt.idx)
	bt.gather(bt.idx)
	return &bt.batch
}

// Indices returns the sample indices of the last batch, ascending (0, …,
// n−1 when B = n). The slice is the Batcher's own and changes with the
// next Batch.
func (bt *Batcher) Indices() []int { return bt.idx }

// shuffle draws the permutation of epoch e into perm: Fisher–Yates with
// j uniform in [0, i] for i = n−1, …, 1, from PCG(seed, e).
func (bt *Batcher) shuffle(e int) {
	for i := range bt.perm {
		bt.perm[i] = i
	}
	bt.pcg.Seed(bt.seed, uint64(e))
	for i := len(bt.perm) - 1; i > 0; i-- {
		j := bt.rng.IntN(i + 1)
		bt.perm[i], bt.perm[j] = bt.perm[j], bt.perm[i]
	}
	bt.epoch = e
}

// gather copies the rows and labels idx of the dataset into the batch.
func (bt *Batcher) gather(idx []int) {
	cols := bt.x.Cols
	for k, i := range idx {
		copy(bt.x.Data[k*cols:(k+1)*cols], bt.d.X.Row(i))
		bt.y[k] = bt.d.Y[i]
	}
}
