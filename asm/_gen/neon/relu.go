package main

import . "github.com/margo-lab/margo/asm/_gen/arm64"

// relu writes asm/relu_arm64.s: reluNEON and reluMaskNEON.
func relu(f *File) {
	fn := f.Func("func reluNEON(dst, x []float64)",
		"Go loop: for i, v := range x { if v > 0 || v != v { dst[i] = v } else { dst[i] = 0 } }",
		"",
		"R0 = &x[i] (post-incremented), R1 = &dst[i] (post-incremented),",
		"R2 = elements left.",
		"V31    +0 in both lanes.",
		"V4-V7  x block, replaced by FMAX(x, +0).",
		"",
		"FMAX is exactly ReLU's semantics: it orders −0 below +0 (FMAX(−0, +0) =",
		"+0) and returns NaN when an input is NaN.",
		"Main loop: 8 elements per iteration. Pair loop: 2 elements. Scalar tail:",
		"at most 1 element (FMAXD). Each block of x is loaded before dst is",
		"stored, so dst may be x.")
	fn.I("MOVD", fn.Arg("dst_base"), R1)
	args(fn, R2, "x")
	fn.Zero(31)
	stream(fn, func(w Width) {
		fn.Load(w, true, R0, 4)
		Each(w, func(j int) { fn.W(FMAX(V(4+j), V(4+j), 31)) })
		fn.Store(w, true, R1, 4)
	}, func() {
		fn.I("FMOVD", "(R0)", "F4")
		fn.I("FMAXD", "F31", "F4").C("F4 = FMAX(F4, +0)")
		fn.I("FMOVD", "F4", "(R1)")
	})

	fn = f.Func("func reluMaskNEON(dst, g, z []float64)",
		"Go loop: for i := range g { if z[i] > 0 { dst[i] = g[i] } else { dst[i] = 0 } }",
		"",
		"R0 = &g[i], R3 = &z[i], R1 = &dst[i] (all post-incremented),",
		"R2 = elements left.",
		"V4-V7   g block, then g AND mask.",
		"V8-V11  z block, then the mask (z > 0): all ones where z > 0, zero",
		"        where z ≤ 0 or z is NaN (FCMGT against #0.0).",
		"",
		"A selection, not a multiplication: g's NaN and Inf are dropped where the",
		"mask is off, and the result there is +0.",
		"Main loop: 8 elements per iteration. Pair loop: 2 elements. Scalar tail:",
		"at most 1 element through the same instructions on one lane. Each block",
		"is loaded before dst is stored, so dst may be g (or z).")
	fn.I("MOVD", fn.Arg("dst_base"), R1)
	args(fn, R2, "g")
	fn.I("MOVD", fn.Arg("z_base"), R3)
	body := func(w Width) {
		fn.Load(w, true, R0, 4)
		fn.Load(w, true, R3, 8)
		Each(w, func(j int) { fn.W(FCMGTZ(V(8+j), V(8+j))) }, func(j int) {
			fn.I("VAND", V(8+j).B16(), V(4+j).B16(), V(4+j).B16()).C(First(j, "g AND mask"))
		})
		fn.Store(w, true, R1, 4)
	}
	stream(fn, body, func() { body(Lane0) })
}
