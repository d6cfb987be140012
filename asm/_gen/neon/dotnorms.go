package main

import . "github.com/margo-lab/margo/asm/_gen/arm64"

// dotNorms writes asm/dotnorms_arm64.s: dotNormsSumsNEON.
func dotNorms(f *File) {
	fn := f.Func("func dotNormsSumsNEON(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)",
		"Go loop: dotNormsSums (asm/dotnorms.go).",
		"",
		"The fast pass of DotNorms (dotNormsSums in dotnorms.go): one read of x",
		"and y gives Σ x_i·y_i and, for each slice, Σ|·|, Σ(·)² and max|·|.",
		"R0 = &x[i], R1 = &y[i] (both post-incremented), R2 = elements left.",
		"Two accumulator sets of seven, 2 lanes each:",
		"",
		"\tset A  set B  value",
		"\t V0     V1    Σ x_i·y_i  (VFMLA)",
		"\t V2     V3    Σ |x_i|    (FABS, FADD)",
		"\t V4     V5    Σ x_i²     (VFMLA)",
		"\t V6     V7    max |x_i|  (FMAX: NaN wins, an empty slice gives +0)",
		"\t V8     V9    Σ |y_i|",
		"\t V10    V11   Σ y_i²",
		"\t V12    V13   max |y_i|",
		"",
		"V16, V17  x block (first pair into set A, second into set B), then |x|.",
		"V18, V19  y block, then |y|.",
		"",
		"Main loop: 4 pairs per iteration (2 V registers per slice); the products",
		"and squares are fused before FABS overwrites the blocks.",
		"Pair step: at most once, 2 pairs into set A.",
		"Reduction: B folded into A (FADD, FMAX), then the two lanes (FADDP,",
		"FMAXP) into the low lane of each set-A register.",
		"Scalar tail: at most 1 pair (FMADDD, FABSD, FADDD, FMAXD).",
		"The order of every sum depends only on len(x).")
	args(fn, R2, "x", "y")
	fn.Zero(Vs(0, 14)...)
	fma := func(n, m, acc V) func(j int) {
		return func(j int) { fn.I("VFMLA", (n + V(j)).D2(), (m + V(j)).D2(), (acc + V(j)).D2()) }
	}
	w3 := func(op func(d, n, m V) Inst, acc, src V) func(j int) {
		return func(j int) { fn.W(op(acc+V(j), acc+V(j), src+V(j))) }
	}
	abs := func(v V) func(j int) { return func(j int) { fn.W(FABS(v+V(j), v+V(j))) } }
	ops := []func(j int){
		fma(16, 18, 0), fma(16, 16, 4), fma(18, 18, 10), abs(16), abs(18),
		w3(FADD, 2, 16), w3(FADD, 8, 18), w3(FMAX, 6, 16), w3(FMAX, 12, 18),
	}
	body := func(w Width) func() {
		return func() {
			fn.Load(w, true, R0, 16)
			fn.Load(w, true, R1, 18)
			Each(w, ops...)
		}
	}
	fn.Blocks(Blocks{N: R2, Block: 4, Pairs: PairOnce, After: "reduce", Main: body(Vecs(2)), Pair: body(Vecs(1))})
	sets := []struct {
		a    V
		kind Kind
	}{{0, Sum}, {2, Sum}, {4, Sum}, {6, Max}, {8, Sum}, {10, Sum}, {12, Max}}
	for _, s := range sets {
		fn.W(s.kind.Op(s.a, s.a, s.a+1))
	}
	for _, s := range sets {
		fn.W(s.kind.Pair(s.a, s.a))
	}
	fn.Tail(R2, "done", func() {
		fn.I("FMOVD", "(R0)", "F16")
		fn.I("FMOVD", "(R1)", "F18")
		fn.I("FMADDD", "F16", "F0", "F18", "F0").C("F0 += F18·F16")
		fn.I("FMADDD", "F16", "F4", "F16", "F4").C("F4 += F16·F16")
		fn.I("FMADDD", "F18", "F10", "F18", "F10").C("F10 += F18·F18")
		fn.I("FABSD", "F16", "F16")
		fn.I("FABSD", "F18", "F18")
		fn.I("FADDD", "F16", "F2")
		fn.I("FADDD", "F18", "F8")
		fn.I("FMAXD", "F16", "F6")
		fn.I("FMAXD", "F18", "F12")
	})
	fn.Results([]V{0, 2, 4, 6, 8, 10, 12}, "dot", "l1x", "ssqx", "maxx", "l1y", "ssqy", "maxy")
	fn.I("RET")
}
