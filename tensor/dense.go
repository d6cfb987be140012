package tensor

import "fmt"

// Dense is a row-major float64 matrix: element (i, j) is Data[i*Stride+j].
// A view (Slice) shares Data with its parent and keeps its Stride.
type Dense struct {
	Rows, Cols int
	Stride     int
	Data       []float64
}

// NewDense returns a zeroed rows×cols matrix with Stride = cols.
func NewDense(rows, cols int) *Dense {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("tensor: negative shape %d×%d", rows, cols))
	}
	return &Dense{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
}

// DenseOf wraps data as a rows×cols matrix with Stride = cols, without
// copying. len(data) must be at least rows·cols.
func DenseOf(rows, cols int, data []float64) *Dense {
	if rows < 0 || cols < 0 || len(data) < rows*cols {
		panic(fmt.Sprintf("tensor: %d elements cannot hold %d×%d", len(data), rows, cols))
	}
	return &Dense{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

// At returns element (i, j).
func (m *Dense) At(i, j int) float64 { return m.Data[i*m.Stride+j] }

// Set sets element (i, j) to v.
func (m *Dense) Set(i, j int, v float64) { m.Data[i*m.Stride+j] = v }

// Row returns row i as a slice of Data (no copy).
func (m *Dense) Row(i int) []float64 { return m.Data[i*m.Stride : i*m.Stride+m.Cols] }

// Slice returns the view of rows [i0, i1) and columns [j0, j1), sharing Data.
func (m *Dense) Slice(i0, i1, j0, j1 int) *Dense {
	v := new(Dense)
	m.SliceInto(v, i0, i1, j0, j1)
	return v
}

// SliceInto makes v the view that Slice returns, without allocating: for
// views taken again and again (a header kept by the caller).
func (m *Dense) SliceInto(v *Dense, i0, i1, j0, j1 int) {
	if i0 < 0 || i1 < i0 || i1 > m.Rows || j0 < 0 || j1 < j0 || j1 > m.Cols {
		panic(fmt.Sprintf("tensor: slice [%d:%d, %d:%d] of %d×%d", i0, i1, j0, j1, m.Rows, m.Cols))
	}
	*v = Dense{Rows: i1 - i0, Cols: j1 - j0, Stride: m.Stride}
	if v.Rows > 0 && v.Cols > 0 {
		v.Data = m.Data[i0*m.Stride+j0 : (i1-1)*m.Stride+j1]
	}
}

// Contiguous reports whether the matrix's elements are one unbroken run of
// Data (Stride == Cols, or a single row), so that vector kernels can treat
// it as one slice.
func (m *Dense) Contiguous() bool { return m.Stride == m.Cols || m.Rows <= 1 }

// Copy copies src into m; the shapes must match.
func (m *Dense) Copy(src *Dense) {
	if m.Rows != src.Rows || m.Cols != src.Cols {
		panic(fmt.Sprintf("tensor: copy %d×%d into %d×%d", src.Rows, src.Cols, m.Rows, m.Cols))
	}
	for i := 0; i < m.Rows; i++ {
		copy(m.Row(i), src.Row(i))
	}
}
