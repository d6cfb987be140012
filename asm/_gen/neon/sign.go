package main

import . "github.com/margo-lab/margo/asm/_gen/arm64"

// The sign as signNEON computes it, for vector j of a block of x in
// V(x+j): C = copysign(1, x) = (x AND signbit) OR 1.0 in V(8+j), |x| in
// V(abs+j) (then, in the step kernels, folded into a running maximum by
// keep), K = (|x| > 0) in V(12+j), then K ? C : |x| (BSL) in V(12+j):
// ±1, +0 for ±0, NaN for NaN. V28 holds 1.0, V29 the sign bit.
func signOps(f *File, x, abs V, name, res string, keep func(j int)) []func(j int) {
	ops := []func(j int){
		func(j int) {
			f.I("VAND", V(29).B16(), (x + V(j)).B16(), V(8+j).B16()).C(First(j, "C = "+name+" AND signbit"))
		},
		func(j int) {
			f.I("VORR", V(28).B16(), V(8+j).B16(), V(8+j).B16()).C(First(j, "C = copysign(1, "+name+")"))
		},
		func(j int) { f.W(FABS(abs+V(j), x+V(j))) },
	}
	if keep != nil {
		ops = append(ops, keep)
	}
	return append(ops,
		func(j int) { f.W(FCMGTZ(V(12+j), abs+V(j))) },
		func(j int) {
			f.I("VBSL", (abs + V(j)).B16(), V(8+j).B16(), V(12+j).B16()).C(First(j, res+" = K ? C : |"+name+"|"))
		})
}

// signConsts loads 1.0 into both lanes of V28 and the sign bit into both
// lanes of V29 (R4, R5 scratch).
func signConsts(fn *Func) {
	fn.I("MOVD", "$0x3ff0000000000000", R4).C("1.0")
	fn.I("VDUP", R4, V(28).D2())
	fn.I("MOVD", "$1", R5)
	fn.I("LSL", "$63", R5)
	fn.I("VDUP", R5, V(29).D2())
}

// sign writes asm/sign_arm64.s: signNEON.
func sign(f *File) {
	fn := f.Func("func signNEON(dst, x []float64)",
		"Go loop: for i, v := range x { dst[i] = sign(v) } (−1, +1, +0 for ±0, NaN for NaN).",
		"",
		"R0 = &x[i] (post-incremented), R1 = &dst[i] (post-incremented),",
		"R2 = elements left, R4/R5 scratch for the constants.",
		"V28    1.0 in both lanes.",
		"V29    the sign bit (0x8000000000000000) in both lanes.",
		"V4-V7  x block, then |x|.",
		"V8-V11 C = copysign(1, x) = (x AND signbit) OR 1.0.",
		"V12-V15 K = (|x| > 0), then the result K ? C : |x| (BSL).",
		"",
		"|x| > 0 is false exactly for ±0 and NaN, where |x| is the answer: +0 for",
		"±0, a NaN for NaN. Elsewhere the answer is ±1 with the sign of x.",
		"Main loop: 8 elements per iteration. Pair loop: 2 elements through the",
		"body at label one. Scalar tail: at most 1 element, loaded into lane 0 (a",
		"scalar load zeroes lane 1) and sent through the same body, which then",
		"branches to the scalar store. Each block of x is loaded before dst is",
		"stored, so dst may be x.")
	fn.I("MOVD", fn.Arg("dst_base"), R1)
	args(fn, R2, "x")
	signConsts(fn)
	ops := signOps(f, 4, 4, "x", "K", nil)
	fn.Blocks(Blocks{N: R2, Block: 8, Pairs: PairWhile, After: "tail",
		Main: func() {
			fn.Load(Vecs(4), true, R0, 4)
			Each(Vecs(4), ops...)
			fn.Store(Vecs(4), true, R1, 12)
		},
		Pair: func() {
			fn.Load(Vecs(1), true, R0, 4)
			fn.Label("one")
			Each(Vecs(1), ops...)
			fn.I("CMP", "$2", R2)
			fn.I("BLT", "store1").C("came from the scalar tail")
			fn.Store(Vecs(1), true, R1, 12)
		}})
	fn.Tail(R2, "done", func() {
		fn.Load(Lane0, false, R0, 4)
		fn.I("B", "one")
		fn.Label("store1")
		fn.Store(Lane0, false, R1, 12)
	})
	fn.I("RET")
}
