package main

import . "github.com/margo-lab/margo/asm/_gen/arm64"

// norms writes asm/norms_arm64.s: absSumNEON, sumSqNEON, maxAbsNEON,
// firstAbsAboveNEON.
func norms(f *File) {
	abs := func(j int) { f.W(FABS(V(4+j), V(4+j))) }
	scalarAbs := func(op string) func() {
		return func() {
			f.I("FMOVD", "(R0)", "F4")
			f.I("FABSD", "F4", "F4")
			f.I(op, "F4", "F0")
		}
	}
	reduction(f, "func absSumNEON(x []float64) float64", []string{
		"Go loop: for _, v := range x { sum += math.Abs(v) }, in the order below.",
		"",
		"R0 = &x[i] (post-incremented), R2 = elements left.",
		"V0-V3  four accumulators, 2 lanes each: 8 partial sums.",
		"V4-V7  x block, replaced by |x| (FABS).",
		"",
		"Main loop: 8 elements per iteration, V0..V3 += |x|.",
		"Pair loop: 2 elements per iteration into V0.",
		"Reduction: (V0+V1) + (V2+V3), then the two lanes (FADDP).",
		"Scalar tail: at most 1 element. The order depends only on len(x).",
	}, Sum, []string{"x"}, scalarAbs("FADDD"), abs, func(j int) { f.W(FADD(V(j), V(j), V(4+j))) })
	reduction(f, "func sumSqNEON(x []float64) float64", []string{
		"Go loop: for _, v := range x { sum += v * v } (fused), in the order below.",
		"",
		"R0 = &x[i] (post-incremented), R2 = elements left.",
		"V0-V3  four accumulators, 2 lanes each: 8 partial sums.",
		"V4-V7  x block.",
		"",
		"Main loop: 8 elements per iteration, V0..V3 += x·x fused (FMLA).",
		"Pair loop: 2 elements per iteration into V0.",
		"Reduction: (V0+V1) + (V2+V3), then the two lanes (FADDP).",
		"Scalar tail: at most 1 element (FMADD). The order depends only on len(x).",
	}, Sum, []string{"x"}, func() {
		f.I("FMOVD", "(R0)", "F4")
		f.I("FMADDD", "F4", "F0", "F4", "F0").C("F0 += F4·F4")
	}, func(j int) { f.I("VFMLA", V(4+j).D2(), V(4+j).D2(), V(j).D2()) })
	reduction(f, "func maxAbsNEON(x []float64) float64", []string{
		"Go loop: for _, v := range x { m = max(m, math.Abs(v)) } (NaN wins).",
		"",
		"R0 = &x[i] (post-incremented), R2 = elements left.",
		"V0-V3  four running maxima, 2 lanes each, starting at +0.",
		"V4-V7  x block, replaced by |x| (FABS).",
		"",
		"Main loop: 8 elements per iteration, V0..V3 = FMAX(V0..V3, |x|).",
		"Pair loop: 2 elements per iteration into V0.",
		"Reduction: FMAX(FMAX(V0, V1), FMAX(V2, V3)), then the lanes (FMAXP).",
		"Scalar tail: at most 1 element (FMAXD).",
		"FMAX (unlike FMAXNM) returns NaN when either input is NaN, so one NaN",
		"anywhere makes the result NaN; an empty slice gives +0.",
	}, Max, []string{"x"}, scalarAbs("FMAXD"), abs, func(j int) { f.W(FMAX(V(j), V(j), V(4+j))) })
	firstAbsAbove(f, abs)
}

// firstAbsAbove writes firstAbsAboveNEON: 8 elements per step compared at
// once, the scalar loop from the block with a hit.
func firstAbsAbove(f *File, abs func(j int)) {
	fn := f.Func("func firstAbsAboveNEON(x []float64, t float64) int",
		"Go loop: for i, v := range x { if !(math.Abs(v) <= t) { return i } }; return len(x).",
		"",
		"R0 = &x[i], R5 = &x[0], R2 = elements left, R6/R7 scratch.",
		"V0     t in both lanes.",
		"V4-V7  x block: |x|, then the masks (t ≥ |x|) (FCMGE: all ones where",
		"       true, zero where false or where x is NaN).",
		"",
		"Main loop: 8 elements per iteration. The 4 masks are ANDed and the two",
		"lanes moved to R6, R7; if their AND is not all ones some element of the",
		"block is a hit, and the scalar loop finds the first one from the block's",
		"start (R0 is advanced only past blocks without a hit).",
		"Scalar loop: one element per step; FCMP sets HI for |x| > t and for",
		"unordered (x NaN), which is a hit. It also serves the tail of at most 7 elements.",
		"Returns (R0 − R5)/8: the hit's index, or len(x) if there is none.")
	args(fn, R2, "x")
	fn.I("FMOVD", fn.Arg("t"), "F0")
	fn.Dup(0)
	fn.I("MOVD", R0, R5)
	fn.Loop(R2, 8, "loop8", "scalar", func() {
		fn.Load(Vecs(4), false, R0, 4)
		Each(Vecs(4), abs, func(j int) { fn.W(FCMGE(V(4+j), 0, V(4+j))) })
		fn.I("VAND", V(5).B16(), V(4).B16(), V(4).B16())
		fn.I("VAND", V(7).B16(), V(6).B16(), V(6).B16())
		fn.I("VAND", V(6).B16(), V(4).B16(), V(4).B16())
		fn.I("VMOV", V(4).Lane(0), R6)
		fn.I("VMOV", V(4).Lane(1), R7)
		fn.I("AND", R6, R7)
		fn.I("CMN", "$1", R7)
		fn.I("BNE", "scalar").C("a hit in this block")
		fn.I("ADD", "$64", R0)
	})
	fn.Label("scalar")
	fn.Tail(R2, "done", func() {
		fn.I("FMOVD", "(R0)", "F4")
		fn.I("FABSD", "F4", "F4")
		fn.I("FCMPD", "F0", "F4").C("flags of |x| against t")
		fn.I("BHI", "done").C("|x| > t, or unordered (x is NaN): a hit")
		fn.I("ADD", "$8", R0)
		fn.I("SUB", "$1", R2)
		fn.I("B", "scalar")
	})
	fn.I("SUB", R5, R0)
	fn.I("LSR", "$3", R0)
	fn.I("MOVD", R0, fn.Arg("ret"))
	fn.I("RET")
}
