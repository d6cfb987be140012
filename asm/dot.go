package asm

//go:generate go -C _gen run ./dot -out ../dot_amd64.s
//go:generate go -C _gen run ./neon -family dot -out ../dot_arm64.s

// Dot returns Σ x_i·y_i over i < len(x).
func Dot(x, y []float64) float64 {
	return active.dot(x, y[:len(x)])
}

func dotGeneric(x, y []float64) float64 {
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
