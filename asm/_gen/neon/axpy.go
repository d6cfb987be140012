package main

import . "github.com/margo-lab/margo/asm/_gen/arm64"

// axpy writes asm/axpy_arm64.s: axpyNEON and scalNEON.
func axpy(f *File) {
	fn := f.Func("func axpyNEON(a float64, x, y []float64)",
		"Go loop: for i := range x { y[i] = math.FMA(a, x[i], y[i]) } (one rounding).",
		"",
		"R0 = &x[i], R1 = &y[i] for loads, R3 = &y[i] for stores (all three",
		"post-incremented), R2 = elements left.",
		"V0     a in both lanes.",
		"V4-V7  x block, V8-V11 y block (updated in place, then stored).",
		"",
		"Main loop: 8 elements per iteration, y += a·x fused (FMLA).",
		"Pair loop: 2 elements per iteration. Scalar tail: at most 1 (FMADD).",
		"Each block of y is loaded before it is stored, so y may alias x.")
	broadcast(fn, "a", 0)
	args(fn, R2, "x", "y")
	fn.I("MOVD", R1, R3)
	stream(fn, func(w Width) {
		fn.Load(w, true, R0, 4)
		fn.Load(w, true, R1, 8)
		Each(w, func(j int) { fn.I("VFMLA", V(0).D2(), V(4+j).D2(), V(8+j).D2()) })
		fn.Store(w, true, R3, 8)
	}, func() {
		fn.I("FMOVD", "(R0)", "F4")
		fn.I("FMOVD", "(R1)", "F8")
		fn.I("FMADDD", "F4", "F8", "F0", "F8").C("F8 += F0·F4")
		fn.I("FMOVD", "F8", "(R3)")
	})

	fn = f.Func("func scalNEON(a float64, x []float64)",
		"Go loop: for i := range x { x[i] *= a }.",
		"",
		"R0 = &x[i] for loads, R3 = &x[i] for stores (both post-incremented),",
		"R2 = elements left.",
		"V0     a in both lanes.",
		"V4-V7  x block, multiplied in place.",
		"",
		"Main loop: 8 elements per iteration (FMUL, one rounding as in Go).",
		"Pair loop: 2 elements per iteration. Scalar tail: at most 1 (FMULD).")
	broadcast(fn, "a", 0)
	args(fn, R2, "x")
	fn.I("MOVD", R0, R3)
	stream(fn, func(w Width) {
		fn.Load(w, true, R0, 4)
		Each(w, func(j int) { fn.W(FMUL(V(4+j), V(4+j), 0)) })
		fn.Store(w, true, R3, 4)
	}, func() {
		fn.I("FMOVD", "(R0)", "F4")
		fn.I("FMULD", "F0", "F4")
		fn.I("FMOVD", "F4", "(R3)")
	})
}
