package asm

//go:generate go -C _gen run ./axpy -out ../axpy_amd64.s
//go:generate go -C _gen run ./neon -family axpy -out ../axpy_arm64.s

// Axpy computes y_i += a·x_i for i < len(x). SIMD levels fuse the multiply
// and add (one rounding instead of two).
func Axpy(a float64, x, y []float64) {
	active.axpy(a, x, y[:len(x)])
}

// Scal computes x_i *= a.
func Scal(a float64, x []float64) {
	active.scal(a, x)
}

func axpyGeneric(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

func scalGeneric(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}
