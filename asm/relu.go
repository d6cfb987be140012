package asm

//go:generate go -C _gen run ./relu -out ../relu_amd64.s
//go:generate go -C _gen run ./neon -family relu -out ../relu_arm64.s

// ReLU writes dst_i = max(x_i, 0) for i < len(x), with −0 → +0 and NaN kept.
// dst may be x.
func ReLU(dst, x []float64) {
	active.relu(dst[:len(x)], x)
}

// ReLUMask writes dst_i = g_i where z_i > 0 and +0 elsewhere, for i < len(g):
// the backward pass of ReLU with z the pre-activation. dst may be g.
func ReLUMask(dst, g, z []float64) {
	active.reluMask(dst[:len(g)], g, z[:len(g)])
}

func reluGeneric(dst, x []float64) {
	for i, v := range x {
		if v <= 0 {
			v = 0
		}
		dst[i] = v
	}
}

func reluMaskGeneric(dst, g, z []float64) {
	for i, v := range g {
		if !(z[i] > 0) {
			v = 0
		}
		dst[i] = v
	}
}
