package main

import . "github.com/margo-lab/margo/asm/_gen/arm64"

// step writes asm/step_arm64.s: signStepNEON and axpyStepNEON.
func step(f *File) {
	f.Blank()
	f.Comment(
		"Both kernels: R0 = &g[i] (post-incremented), R1 = &θ[i] (loaded in",
		"place, stored with post-increment), R2 = elements left, R4/R5 scratch",
		"for the constants. g is read before θ is stored in every block, so g may",
		"be θ itself.",
		"V24     a in both lanes.",
		"V26     running max |g| (FMAX, which unlike FMAXNM returns NaN when an",
		"        input is NaN, so a NaN is never lost), V27 running max |θ|.",
		"V0-V3   θ block, updated in place.",
		"V4-V7   g block.",
		"V16-V19 |g|, then |θ| after the update.",
		"Main loop: 8 elements per iteration (4 vectors). Pair loop: 2 elements.",
		"Then the maxima are reduced into lane 0 (FMAXP, which zeroes lane 1), and",
		"the last element (if n is odd) is loaded into lane 0 (a scalar load",
		"zeroes lane 1) and sent through the same body: lane 0 of the maxima and",
		"of θ is what is kept, lane 1 holds nothing and is not stored or read.")
	keepG := func(j int) { f.W(FMAX(26, 26, V(16+j))) }
	keepTheta := []func(j int){
		func(j int) { f.W(FABS(V(16+j), V(j))) },
		func(j int) { f.W(FMAX(27, 27, V(16+j))) },
	}
	fma := func(src V, comment string) func(j int) {
		return func(j int) { f.I("VFMLA", V(24).D2(), (src + V(j)).D2(), V(j).D2()).C(First(j, comment)) }
	}

	fn := f.Func("func signStepNEON(a float64, g, theta []float64) (maxG, maxTheta float64)",
		"Go loop: for i := range g { theta[i] += a * sign(g[i]) }, returning max|g_i| and max|θ_i| after it.",
		"",
		"θ_i += a·sign(g_i), the sign as signNEON computes it (sign_arm64.s):",
		"V8-V11  C = copysign(1, g) = (g AND signbit) OR 1.0.",
		"V12-V15 K = (|g| > 0), then s = K ? C : |g| (BSL): ±1, +0 for ±0, NaN",
		"        for NaN.",
		"θ += a·s with FMLA (a·s is exact: the fused and the separate sum agree).",
		"V28 1.0, V29 the sign bit, both lanes.")
	ops := append(signOps(f, 4, 16, "g", "s", keepG), fma(12, "θ += a·s"))
	update(fn, "s", signConsts, append(ops, keepTheta...))

	fn = f.Func("func axpyStepNEON(a float64, g, theta []float64) (maxG, maxTheta float64)",
		"Go loop: for i := range g { theta[i] = math.FMA(a, g[i], theta[i]) }, returning max|g_i| and max|θ_i| after it.",
		"",
		"θ_i += a·g_i with FMLA (fused: the rounding of axpyNEON); registers and",
		"loops as signStepNEON, without V8-V15, V28, V29.")
	ops = []func(j int){func(j int) { f.W(FABS(V(16+j), V(4+j))) }, keepG, fma(4, "θ += a·g")}
	update(fn, "a", nil, append(ops, keepTheta...))
}

// update writes the body of a step kernel: the arguments, consts (if not
// nil), the loops with ops on the blocks of g (V4..) and θ (V0..), the
// reduction of the maxima V26, V27 and the last element through ops in
// lane 0. Labels start with prefix.
func update(fn *Func, prefix string, consts func(*Func), ops []func(j int)) {
	broadcast(fn, "a", 24)
	args(fn, R2, "g", "theta")
	if consts != nil {
		consts(fn)
	}
	fn.Zero(26, 27)
	body := func(w Width) func() {
		return func() {
			fn.Load(w, true, R0, 4)
			fn.Load(w, false, R1, 0)
			Each(w, ops...)
			fn.Store(w, true, R1, 0)
		}
	}
	maxima(fn, prefix, R2, 4, body, []V{26, 27}, "maxG", "maxTheta")
}

// maxima writes the loops of the kernels that keep running maxima: vecs
// vectors per main iteration, pairs, the reduction of the maxima (FMAXP),
// the last element through body(Lane0), the results and RET.
func maxima(fn *Func, prefix string, n R, vecs int, body func(Width) func(), acc []V, results ...string) {
	fn.Blocks(Blocks{N: n, Block: 2 * vecs, Prefix: prefix, Pairs: PairWhile, After: "reduce",
		Main: body(Vecs(vecs)), Pair: body(Vecs(1))})
	for _, v := range acc {
		fn.W(FMAXP(v, v))
	}
	fn.Tail(n, prefix+"done", body(Lane0))
	fn.Results(acc, results...)
	fn.I("RET")
}
