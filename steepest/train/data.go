package train

import (
	"fmt"
	"io"
	"math"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
	"github.com/margo-lab/margo/tensor/npz"
)

// LoadDataset reads X [n,d] and y [n] from an NPZ file and validates them
// (finite inputs, labels ±1).
func LoadDataset(path string) (*nn.Dataset, error) {
	a, err := npz.Read(path)
	if err != nil {
		return nil, err
	}
	x, ok := a.Arrays["X"]
	if !ok {
		return nil, fmt.Errorf("%s: no array named X (have %v)", path, a.Order)
	}
	y, ok := a.Arrays["y"]
	if !ok {
		return nil, fmt.Errorf("%s: no array named y (have %v)", path, a.Order)
	}
	if len(x.Shape) != 2 || x.Shape[0] < 1 || x.Shape[1] < 1 {
		return nil, fmt.Errorf("%s: X has shape %v, want [n,d] with n, d ≥ 1", path, x.Shape)
	}
	if len(y.Shape) != 1 || y.Shape[0] != x.Shape[0] {
		return nil, fmt.Errorf("%s: y has shape %v, want [%d] to match X %v", path, y.Shape, x.Shape[0], x.Shape)
	}
	return NewDataset(path, x.Shape[0], x.Shape[1], x.Data, y.Data)
}

// NewDataset validates and wraps n row-major inputs of d features and their
// labels; name is used in error messages.
func NewDataset(name string, n, d int, x, y []float64) (*nn.Dataset, error) {
	if n < 1 || d < 1 || len(x) != n*d || len(y) != n {
		return nil, fmt.Errorf("%s: %d values and %d labels for %d points of %d features", name, len(x), len(y), n, d)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: X[%d][%d] = %v, want a finite number", name, i/d, i%d, v)
		}
	}
	for i, v := range y {
		if v != 1 && v != -1 {
			return nil, fmt.Errorf("%s: label y[%d] = %v, want +1 or −1", name, i, v)
		}
	}
	ds, err := nn.NewDataset(tensor.DenseOf(n, d, x), y)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ds, nil
}

// SaveDataset writes d as X and y to an NPZ file (atomically).
func SaveDataset(path string, d *nn.Dataset) error {
	x := make([]float64, 0, d.X.Rows*d.X.Cols)
	for i := range d.X.Rows {
		x = append(x, d.X.Row(i)...)
	}
	mem := []npz.Member{
		{Name: "X", Array: &npz.Array{Shape: []int{d.X.Rows, d.X.Cols}, Data: x}},
		{Name: "y", Array: &npz.Array{Shape: []int{len(d.Y)}, Data: d.Y}},
	}
	return WriteFile(path, func(w io.Writer) error { return npz.Encode(w, mem) })
}

// ParamArrays returns θ (and the frozen last layer) as the arrays W1, …,
// WD of shapes [out, in], and the hidden biases of a model with them as
// b1, …, b(D−1): copies of θ's values.
func ParamArrays(m *nn.MLP, theta []float64) []npz.Member {
	lay := m.Layout()
	var out []npz.Member
	for l := 0; l < lay.Layers(); l++ {
		s := lay.Shape(l)
		v := lay.View(theta, l)
		out = append(out, npz.Member{Name: fmt.Sprintf("W%d", l+1),
			Array: &npz.Array{Shape: []int{s.Out, s.In}, Data: append([]float64(nil), v.Data...)}})
	}
	if fr := m.Frozen(); fr != nil {
		out = append(out, npz.Member{Name: fmt.Sprintf("W%d", m.Depth()),
			Array: &npz.Array{Shape: []int{1, len(fr)}, Data: append([]float64(nil), fr...)}})
	}
	for i := range lay.Biases() {
		b := lay.Bias(theta, i)
		out = append(out, npz.Member{Name: fmt.Sprintf("b%d", i+1),
			Array: &npz.Array{Shape: []int{len(b)}, Data: append([]float64(nil), b...)}})
	}
	return out
}

// SaveParams writes θ and the frozen layer as W1, …, WD to an NPZ file
// (atomically); LoadParams reads it back.
func SaveParams(path string, m *nn.MLP, theta []float64) error {
	mem := ParamArrays(m, theta)
	return WriteFile(path, func(w io.Writer) error { return npz.Encode(w, mem) })
}

// LoadParams reads W1, …, WD from an NPZ file into θ and the frozen layer,
// checking every shape against the model.
func LoadParams(path string, m *nn.MLP, theta []float64) error {
	a, err := npz.Read(path)
	if err != nil {
		return err
	}
	return SetParams(path, a, m, theta)
}

// SetParams copies W1, …, WD of an archive into θ and the frozen layer;
// name is used in error messages.
func SetParams(name string, a *npz.Archive, m *nn.MLP, theta []float64) error {
	lay := m.Layout()
	if len(theta) != lay.Size() {
		return fmt.Errorf("%s: θ has %d values, the model %d", name, len(theta), lay.Size())
	}
	want := func(l int) (nn.Shape, []float64) {
		if l < lay.Layers() {
			return lay.Shape(l), lay.View(theta, l).Data
		}
		return nn.Shape{Out: 1, In: len(m.Frozen())}, m.Frozen()
	}
	for l := 0; l < m.Depth(); l++ {
		key := fmt.Sprintf("W%d", l+1)
		arr, ok := a.Arrays[key]
		s, dst := want(l)
		if !ok {
			return fmt.Errorf("%s: no array %s (want shape [%d,%d])", name, key, s.Out, s.In)
		}
		if len(arr.Shape) != 2 || arr.Shape[0] != s.Out || arr.Shape[1] != s.In {
			return fmt.Errorf("%s: %s has shape %v, the model needs [%d,%d]", name, key, arr.Shape, s.Out, s.In)
		}
		for i, v := range arr.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: %s[%d] = %v, want a finite number", name, key, i, v)
			}
		}
		copy(dst, arr.Data)
	}
	if extra := fmt.Sprintf("W%d", m.Depth()+1); a.Arrays[extra].Data != nil {
		return fmt.Errorf("%s: has %s but the model has %d layers", name, extra, m.Depth())
	}
	for i := range lay.Biases() {
		key, dst := fmt.Sprintf("b%d", i+1), lay.Bias(theta, i)
		arr, ok := a.Arrays[key]
		if !ok || len(arr.Shape) != 1 || arr.Shape[0] != len(dst) {
			return fmt.Errorf("%s: the model has hidden biases: want %s of shape [%d]", name, key, len(dst))
		}
		for j, v := range arr.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: %s[%d] = %v, want a finite number", name, key, j, v)
			}
		}
		copy(dst, arr.Data)
	}
	if _, ok := a.Arrays["b1"]; ok && lay.Biases() == 0 {
		return fmt.Errorf("%s: has biases b1, … but the model has none (use --bias)", name)
	}
	return nil
}
