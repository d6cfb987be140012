package nn

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// bitsEqual compares floats bit for bit.
var bitsEqual = cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })

func TestNewBatcherErrors(t *testing.T) {
	d, err := NewDataset(tensor.NewDense(5, 2), []float64{1, -1, 1, 1, -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		d    *Dataset
		b    int
		want string
	}{
		{nil, 1, "empty"},
		{&Dataset{}, 1, "empty"},
		{&Dataset{X: tensor.NewDense(4, 2), Y: d.Y}, 1, "4 inputs for 5 labels"},
		{d, 0, "batch size 0"},
		{d, 6, "batch size 6"},
		{d, -3, "batch size -3"},
	} {
		if _, err := NewBatcher(c.d, c.b, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewBatcher(B = %d): error %v, want one mentioning %q", c.b, err, c.want)
		}
	}
}

// Within each epoch the batches hold exactly B samples each, ascending,
// pairwise disjoint (without replacement), PerEpoch·B of them in all, and
// the rows and labels of the batch are the dataset's rows of its indices.
func TestBatcherEpochs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "n")
		b := rapid.IntRange(1, n).Draw(t, "B")
		d := drawData(t, n, rapid.IntRange(1, 4).Draw(t, "d"))
		bt, err := NewBatcher(d, b, rapid.Uint64().Draw(t, "seed"))
		if err != nil {
			t.Fatal(err)
		}
		if bt.Size() != b || bt.PerEpoch() != n/b {
			t.Fatalf("Size %d PerEpoch %d, want %d %d", bt.Size(), bt.PerEpoch(), b, n/b)
		}
		for e := range 3 {
			seen := make(map[int]bool)
			for k := range bt.PerEpoch() {
				batch := bt.Batch(e*bt.PerEpoch() + k)
				idx := bt.Indices()
				if len(idx) != b || batch.Len() != b || !slices.IsSorted(idx) {
					t.Fatalf("epoch %d batch %d: indices %v, %d rows, want %d ascending", e, k, idx, batch.Len(), b)
				}
				for r, i := range idx {
					if seen[i] {
						t.Fatalf("epoch %d: sample %d drawn twice", e, i)
					}
					seen[i] = true
					if diff := cmp.Diff(d.X.Row(i), batch.X.Row(r), bitsEqual); diff != "" || batch.Y[r] != d.Y[i] {
						t.Fatalf("epoch %d batch %d row %d is not sample %d:\n%s", e, k, r, i, diff)
					}
				}
			}
			if len(seen) != bt.PerEpoch()*b {
				t.Fatalf("epoch %d covers %d samples, want %d", e, len(seen), bt.PerEpoch()*b)
			}
		}
	})
}

// The batch of step t depends only on (seed, t): the same in any call
// order and from a fresh Batcher (a resumed run), different for another
// seed and from epoch to epoch.
func TestBatcherReproducible(t *testing.T) {
	x := tensor.NewDense(30, 2)
	for i := range x.Data {
		x.Data[i] = float64(i)
	}
	y := make([]float64, 30)
	for i := range y {
		y[i] = 1
	}
	d, err := NewDataset(x, y)
	if err != nil {
		t.Fatal(err)
	}
	const b, steps = 7, 20 // 4 batches per epoch, 2 samples left out
	indices := func(bt *Batcher, t int) []int { bt.Batch(t); return slices.Clone(bt.Indices()) }
	a, _ := NewBatcher(d, b, 42)
	var forward [][]int
	for s := range steps {
		forward = append(forward, indices(a, s))
	}
	back, _ := NewBatcher(d, b, 42)
	for s := steps - 1; s >= 0; s-- {
		if got := indices(back, s); !slices.Equal(got, forward[s]) {
			t.Fatalf("step %d backwards: %v, forwards %v", s, got, forward[s])
		}
	}
	resumed, _ := NewBatcher(d, b, 42)
	if got := indices(resumed, 13); !slices.Equal(got, forward[13]) {
		t.Fatalf("resumed at step 13: %v, want %v", got, forward[13])
	}
	other, _ := NewBatcher(d, b, 43)
	differ := 0
	for s := range steps {
		if !slices.Equal(indices(other, s), forward[s]) {
			differ++
		}
	}
	if differ < steps/2 {
		t.Errorf("seeds 42 and 43 agree on %d of %d batches", steps-differ, steps)
	}
	if slices.Equal(forward[0], forward[4]) && slices.Equal(forward[1], forward[5]) {
		t.Errorf("epochs 0 and 1 start with the same batches %v, %v", forward[0], forward[1])
	}
}

// The shuffle is uniform: over 3000 epochs of n = 10, B = 3, each sample is
// in the first batch with probability 3/10, 900 times in expectation with
// standard deviation √(3000·0.3·0.7) ≈ 25; each count must be within 150
// (6 standard deviations; a shuffle that favours some samples, or none at
// all, is far outside).
func TestBatcherUniform(t *testing.T) {
	d, err := NewDataset(tensor.NewDense(10, 1), slices.Repeat([]float64{1}, 10))
	if err != nil {
		t.Fatal(err)
	}
	bt, _ := NewBatcher(d, 3, 7)
	count := make([]int, 10)
	for e := range 3000 {
		bt.Batch(e * bt.PerEpoch())
		for _, i := range bt.Indices() {
			count[i]++
		}
	}
	for i, c := range count {
		if c < 750 || c > 1050 {
			t.Errorf("sample %d in the first batch %d times of 3000, want 900 ± 150 (all: %v)", i, c, count)
		}
	}
}

// B = n is exactly the full batch: Evaluate on every step's batch gives
// bitwise the Eval of the whole dataset. Gathering all rows in order into
// the Batcher's contiguous storage (which B = n skips) gives the same bits
// too, from a strided dataset as well.
func TestBatcherFullBatchBitwise(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, theta := drawModel(t)
		n := rapid.IntRange(1, 12).Draw(t, "n")
		d, obj, ws, want := drawEvaluation(t, m, theta, n)
		bt, err := NewBatcher(d, n, rapid.Uint64().Draw(t, "seed"))
		if err != nil {
			t.Fatal(err)
		}
		for s := range 3 {
			got := NewEval(n, len(theta))
			m.Evaluate(ws, theta, bt.Batch(s), obj, got, true)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(Eval{}), bitsEqual); diff != "" {
				t.Fatalf("step %d: B = n differs from the full batch:\n%s", s, diff)
			}
		}
		g := &Batcher{d: d, x: tensor.Dense{Rows: n, Cols: m.In(), Stride: m.In(), Data: make([]float64, n*m.In())}, y: make([]float64, n)}
		g.batch = Dataset{X: &g.x, Y: g.y}
		g.gather(bt.Indices())
		got := NewEval(n, len(theta))
		m.Evaluate(ws, theta, &g.batch, obj, got, true)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Eval{}), bitsEqual); diff != "" {
			t.Fatalf("all rows gathered differ from the full batch:\n%s", diff)
		}
	})
}

// A batch is evaluated as the sub-dataset of its rows: the Eval of a batch
// equals, bit for bit, that of a Dataset built by hand from the same rows.
func TestBatcherEvaluateMatchesSubset(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, theta := drawModel(t)
		n := rapid.IntRange(2, 20).Draw(t, "n")
		d := drawData(t, n, m.In())
		bt, err := NewBatcher(d, rapid.IntRange(1, n-1).Draw(t, "B"), rapid.Uint64().Draw(t, "seed"))
		if err != nil {
			t.Fatal(err)
		}
		step := rapid.IntRange(0, 50).Draw(t, "step")
		batch := bt.Batch(step)
		x := tensor.NewDense(bt.Size(), m.In())
		y := make([]float64, bt.Size())
		for r, i := range bt.Indices() {
			copy(x.Row(r), d.X.Row(i))
			y[r] = d.Y[i]
		}
		sub, err := NewDataset(x, y)
		if err != nil {
			t.Fatal(err)
		}
		obj := Objective{Loss: Logistic}
		want, got := NewEval(0, 0), NewEval(0, 0)
		m.Evaluate(m.NewWorkspace(1), theta, sub, obj, want, true)
		m.Evaluate(m.NewWorkspace(1), theta, batch, obj, got, true)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Eval{}), bitsEqual); diff != "" {
			t.Fatalf("batch differs from its rows as a dataset:\n%s", diff)
		}
	})
}

// A training loop that evaluates a batch each step and the full set for
// its records, with one Workspace and one Eval, allocates nothing after
// the first call, across epoch boundaries too (one thread, as in
// TestEvaluateAllocs).
func TestBatcherAllocs(t *testing.T) {
	defer tensor.SetThreads(tensor.Threads())
	tensor.SetThreads(1)
	m := mustMLP(t, Config{In: 5, Widths: []int{7}, Bias: true})
	n := 23
	x := tensor.NewDense(n, 5)
	for i := range x.Data {
		x.Data[i] = math.Sin(float64(i))
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(1 - 2*(i%2))
	}
	d, err := NewDataset(x, y)
	if err != nil {
		t.Fatal(err)
	}
	theta := make([]float64, m.Layout().Size())
	for i := range theta {
		theta[i] = math.Cos(float64(3 * i))
	}
	bt, err := NewBatcher(d, 5, 9)
	if err != nil {
		t.Fatal(err)
	}
	ws := m.NewWorkspace(n)
	ev := NewEval(n, len(theta))
	step := 0
	run := func() {
		m.Evaluate(ws, theta, bt.Batch(step), Objective{Loss: Exp}, ev, true)
		m.Evaluate(ws, theta, d, Objective{Loss: Exp}, ev, true)
		step++
	}
	run()
	if a := testing.AllocsPerRun(20, run); a != 0 {
		t.Errorf("a batch step and a full evaluation allocate %v times per step", a)
	}
}
