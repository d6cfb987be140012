package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/margo-lab/margo/tensor"
)

func TestNewDataset(t *testing.T) {
	ok := tensor.DenseOf(2, 3, []float64{1, 2, 3, 4, 5, 6})
	if d, err := NewDataset(ok, []float64{1, -1}); err != nil || d.Len() != 2 {
		t.Fatalf("valid dataset: %v, %v", d, err)
	}
	// A strided view is fine as long as its Data covers it.
	big := tensor.DenseOf(3, 4, make([]float64, 12))
	if _, err := NewDataset(big.Slice(0, 3, 1, 3), []float64{1, 1, -1}); err != nil {
		t.Fatalf("strided view: %v", err)
	}
	with := func(i int, v float64) *tensor.Dense {
		x := tensor.DenseOf(2, 3, []float64{1, 2, 3, 4, 5, 6})
		x.Data[i] = v
		return x
	}
	bad := []struct {
		name string
		x    *tensor.Dense
		y    []float64
		want string
	}{
		{"nil", nil, nil, "nil"},
		{"no rows", tensor.NewDense(0, 3), nil, "empty"},
		{"no columns", tensor.NewDense(2, 0), []float64{1, 1}, "empty"},
		{"short data", &tensor.Dense{Rows: 2, Cols: 3, Stride: 3, Data: make([]float64, 5)}, []float64{1, 1}, "elements"},
		{"stride < cols", &tensor.Dense{Rows: 2, Cols: 3, Stride: 2, Data: make([]float64, 6)}, []float64{1, 1}, "stride"},
		{"labels count", ok, []float64{1}, "labels"},
		{"label 0", ok, []float64{1, 0}, "label"},
		{"label 2", ok, []float64{2, 1}, "label"},
		{"label NaN", ok, []float64{1, math.NaN()}, "label"},
		{"NaN input", with(4, math.NaN()), []float64{1, 1}, "x[1][1]"},
		{"Inf input", with(0, math.Inf(-1)), []float64{1, 1}, "finite"},
	}
	for _, c := range bad {
		if _, err := NewDataset(c.x, c.y); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}
