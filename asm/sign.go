package asm

//go:generate go -C _gen run ./sign -out ../sign_amd64.s
//go:generate go -C _gen run ./neon -family sign -out ../sign_arm64.s

// Sign writes dst_i = sign(x_i) for i < len(x): −1, +1, +0 for ±0, NaN for
// NaN. dst may be x.
func Sign(dst, x []float64) {
	active.sign(dst[:len(x)], x)
}

func signGeneric(dst, x []float64) {
	for i, v := range x {
		switch {
		case v > 0:
			dst[i] = 1
		case v < 0:
			dst[i] = -1
		case v == 0:
			dst[i] = 0
		default:
			dst[i] = v // NaN
		}
	}
}
