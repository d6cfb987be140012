package main

import (
	"fmt"
	"math"

	"github.com/margo-lab/margo/cmd/margo/internal/npzfile"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// loadDataset reads X [n,d] and y [n] from an .npz file and validates them
// (finite inputs, labels ±1).
func loadDataset(path string) (*nn.Dataset, error) {
	a, err := npzfile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("read %s", oneLine(err.Error()))
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
	return newDataset(path, x.Shape[0], x.Shape[1], x.Data, y.Data)
}

// newDataset validates and wraps row-major inputs and labels.
func newDataset(name string, n, d int, x, y []float64) (*nn.Dataset, error) {
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

// paramMembers returns θ (and the frozen last layer) as W1, …, WD arrays.
func paramMembers(m *nn.MLP, theta []float64) []npzfile.Member {
	lay := m.Layout()
	var out []npzfile.Member
	for l := 0; l < lay.Layers(); l++ {
		s := lay.Shape(l)
		v := lay.View(theta, l)
		out = append(out, npzfile.Member{Name: fmt.Sprintf("W%d", l+1),
			Array: &npzfile.Array{Shape: []int{s.Out, s.In}, Data: append([]float64(nil), v.Data...)}})
	}
	if fr := m.Frozen(); fr != nil {
		out = append(out, npzfile.Member{Name: fmt.Sprintf("W%d", m.Depth()),
			Array: &npzfile.Array{Shape: []int{1, len(fr)}, Data: append([]float64(nil), fr...)}})
	}
	return out
}

// loadParams reads W1, …, WD from path into θ and the frozen layer, checking
// every shape against the model.
func loadParams(path string, m *nn.MLP, theta []float64) error {
	a, err := npzfile.Read(path)
	if err != nil {
		return fmt.Errorf("read %s", oneLine(err.Error()))
	}
	return setParams(path, a, m, theta)
}

func setParams(path string, a *npzfile.Archive, m *nn.MLP, theta []float64) error {
	lay := m.Layout()
	want := func(l int) (nn.Shape, []float64) {
		if l < lay.Layers() {
			return lay.Shape(l), lay.View(theta, l).Data
		}
		return nn.Shape{Out: 1, In: len(m.Frozen())}, m.Frozen()
	}
	for l := 0; l < m.Depth(); l++ {
		name := fmt.Sprintf("W%d", l+1)
		arr, ok := a.Arrays[name]
		s, dst := want(l)
		if !ok {
			return fmt.Errorf("%s: no array %s (want shape [%d,%d])", path, name, s.Out, s.In)
		}
		if len(arr.Shape) != 2 || arr.Shape[0] != s.Out || arr.Shape[1] != s.In {
			return fmt.Errorf("%s: %s has shape %v, the model needs [%d,%d]", path, name, arr.Shape, s.Out, s.In)
		}
		for i, v := range arr.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: %s[%d] = %v, want a finite number", path, name, i, v)
			}
		}
		copy(dst, arr.Data)
	}
	if extra := fmt.Sprintf("W%d", m.Depth()+1); a.Arrays[extra].Data != nil {
		return fmt.Errorf("%s: has %s but the model has %d layers", path, extra, m.Depth())
	}
	return nil
}
