// Package teacher generates the paper's teacher–student data
// (shared/paper.md 5.1): Gaussian inputs labelled by a sparse, bias-free
// one-hidden-layer ReLU teacher y = sign(Σ_j u_j relu(⟨w_j, x⟩)).
//
// The paper does not say how the teacher's nonzero weights are drawn. Here:
// each of the K neurons reads Active distinct input coordinates drawn
// uniformly without replacement, with weights N(0, 1); the output weights are
// u_j = +1 for even j and −1 for odd j, so that both labels are equally
// likely (all-positive u would label every point +1). A point whose teacher
// output is exactly 0 (every neuron inactive) is labelled +1.
package teacher

import (
	"fmt"
	"math/rand/v2"
)

// Teacher is a sparse bias-free ReLU network with one hidden layer.
type Teacher struct {
	D     int
	Index [][]int     // Index[j]: the input coordinates neuron j reads
	W     [][]float64 // W[j][a]: the weight of coordinate Index[j][a]
	U     []float64   // output weights
}

// New draws a teacher with k neurons over d inputs, each reading active
// coordinates.
func New(d, k, active int, rng *rand.Rand) (*Teacher, error) {
	if d < 1 || k < 1 || active < 1 || active > d {
		return nil, fmt.Errorf("teacher: invalid d=%d k=%d active=%d", d, k, active)
	}
	t := &Teacher{D: d, Index: make([][]int, k), W: make([][]float64, k), U: make([]float64, k)}
	for j := 0; j < k; j++ {
		t.Index[j] = distinct(d, active, rng)
		t.W[j] = make([]float64, active)
		for a := range t.W[j] {
			t.W[j][a] = rng.NormFloat64()
		}
		t.U[j] = 1
		if j%2 == 1 {
			t.U[j] = -1
		}
	}
	return t, nil
}

// distinct draws m distinct integers from [0, n) (partial Fisher–Yates on a
// map, so memory is O(m) whatever n is), in draw order.
func distinct(n, m int, rng *rand.Rand) []int {
	swapped := map[int]int{}
	get := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, m)
	for i := 0; i < m; i++ {
		j := i + rng.IntN(n-i)
		out[i] = get(j)
		swapped[j] = get(i)
	}
	return out
}

// Output returns the teacher's real-valued output at x.
func (t *Teacher) Output(x []float64) float64 {
	s := 0.0
	for j, idx := range t.Index {
		z := 0.0
		for a, i := range idx {
			z += t.W[j][a] * x[i]
		}
		if z > 0 {
			s += t.U[j] * z
		}
	}
	return s
}

// Label returns sign(Output(x)) with sign(0) = +1.
func (t *Teacher) Label(x []float64) float64 {
	if t.Output(x) < 0 {
		return -1
	}
	return 1
}

// Sample draws n points x ~ N(0, I_d) (row-major n×d) and their labels.
func (t *Teacher) Sample(n int, rng *rand.Rand) (x, y []float64) {
	x = make([]float64, n*t.D)
	y = make([]float64, n)
	for i := 0; i < n; i++ {
		row := x[i*t.D : (i+1)*t.D]
		for k := range row {
			row[k] = rng.NormFloat64()
		}
		y[i] = t.Label(row)
	}
	return x, y
}
