package main

import . "github.com/margo-lab/margo/asm/_gen/arm64"

// dot writes asm/dot_arm64.s: dotNEON.
func dot(f *File) {
	f.Blank()
	f.Comment("Go mnemonics keep Go's operand order (destination last).")
	reduction(f, "func dotNEON(x, y []float64) float64", []string{
		"Go loop: for i := range x { sum += x[i] * y[i] }, in the order below.",
		"",
		"R0 = &x[i], R1 = &y[i] (both post-incremented), R2 = elements left.",
		"V0-V3  four accumulators, 2 lanes each: 8 partial sums.",
		"V4-V7  x block, V8-V11 y block.",
		"",
		"Main loop: 8 elements per iteration, V0..V3 += x·y fused (FMLA).",
		"Pair loop: 2 elements per iteration into V0.",
		"Reduction: (V0+V1) + (V2+V3), then the two lanes (FADDP).",
		"Scalar tail: at most 1 element, fused (FMADD) into the sum.",
		"The order of the additions depends only on len(x).",
	}, Sum, []string{"x", "y"}, func() {
		f.I("FMOVD", "(R0)", "F4")
		f.I("FMOVD", "(R1)", "F8")
		f.I("FMADDD", "F4", "F0", "F8", "F0").C("F0 += F8·F4")
	}, func(j int) { f.I("VFMLA", V(4+j).D2(), V(8+j).D2(), V(j).D2()) })
}
