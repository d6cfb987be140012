package teacher

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTeacherShapeAndSparsity(t *testing.T) {
	tc, err := New(2048, 64, 3, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	for j, idx := range tc.Index {
		s := slices.Clone(idx)
		slices.Sort(s)
		if len(slices.Compact(s)) != 3 {
			t.Fatalf("neuron %d reads %v: want 3 distinct coordinates", j, idx)
		}
		for _, i := range idx {
			if i < 0 || i >= 2048 {
				t.Fatalf("coordinate %d out of range", i)
			}
		}
	}
	if _, err := New(2, 4, 3, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Fatal("3 active coordinates out of 2 accepted")
	}
}

func TestLabelsMatchTeacherAndBalance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	tc, _ := New(100, 64, 3, rng)
	n := 4000
	x, y := tc.Sample(n, rng)
	pos := 0
	for i := 0; i < n; i++ {
		row := x[i*100 : (i+1)*100]
		// Recompute the teacher from its definition with a dense weight row.
		s := 0.0
		for j := range tc.Index {
			w := make([]float64, 100)
			for a, c := range tc.Index[j] {
				w[c] = tc.W[j][a]
			}
			z := 0.0
			for k := range w {
				z += w[k] * row[k]
			}
			s += tc.U[j] * math.Max(z, 0)
		}
		want := 1.0
		if s < 0 {
			want = -1
		}
		if y[i] != want {
			t.Fatalf("point %d: label %v, teacher says %v", i, y[i], want)
		}
		if y[i] == 1 {
			pos++
		}
	}
	// By the ± symmetry of u the labels are fair coin flips for a random
	// teacher; for one fixed teacher the balance can differ. 4000 points:
	// we only check both classes are well represented (10%–90%).
	if pos < n/10 || pos > 9*n/10 {
		t.Fatalf("%d of %d labels are +1", pos, n)
	}
}

func TestSeeded(t *testing.T) {
	draw := func() []float64 {
		rng := rand.New(rand.NewPCG(3, 4))
		tc, _ := New(50, 8, 3, rng)
		x, y := tc.Sample(10, rng)
		return append(x, y...)
	}
	if !slices.Equal(draw(), draw()) {
		t.Fatal("same seed, different data")
	}
}
