package nn

import (
	"fmt"
	"math"

	"github.com/margo-lab/margo/tensor"
)

// Dataset is a binary classification set: the rows of X (n×d) are the
// inputs x_i, Y holds their labels y_i ∈ {−1, +1}.
type Dataset struct {
	X *tensor.Dense
	Y []float64
}

// NewDataset checks x and y and returns the dataset that holds them (no
// copy). It reports an error for a nil or empty x, a matrix whose Data is
// too short for its shape and stride, len(y) ≠ rows, a NaN or infinite
// input, and a label other than −1 or +1.
func NewDataset(x *tensor.Dense, y []float64) (*Dataset, error) {
	if x == nil {
		return nil, fmt.Errorf("nn: dataset: nil input matrix")
	}
	if x.Rows < 1 || x.Cols < 1 {
		return nil, fmt.Errorf("nn: dataset: empty input matrix %d×%d", x.Rows, x.Cols)
	}
	if x.Stride < x.Cols || len(x.Data) < (x.Rows-1)*x.Stride+x.Cols {
		return nil, fmt.Errorf("nn: dataset: %d×%d matrix with stride %d needs %d elements, has %d",
			x.Rows, x.Cols, x.Stride, (x.Rows-1)*x.Stride+x.Cols, len(x.Data))
	}
	if len(y) != x.Rows {
		return nil, fmt.Errorf("nn: dataset: %d labels for %d samples", len(y), x.Rows)
	}
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("nn: dataset: x[%d][%d] = %v, want a finite number", i, j, v)
			}
		}
		if y[i] != 1 && y[i] != -1 {
			return nil, fmt.Errorf("nn: dataset: label y[%d] = %v, want −1 or +1", i, y[i])
		}
	}
	return &Dataset{X: x, Y: y}, nil
}

// Len returns the number of samples n.
func (d *Dataset) Len() int { return len(d.Y) }
