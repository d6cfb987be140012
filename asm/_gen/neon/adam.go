package main

import . "github.com/margo-lab/margo/asm/_gen/arm64"

// adam writes asm/adam_arm64.s: adamNEON.
func adam(f *File) {
	fn := f.Func("func adamNEON(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)",
		"Go loop: adamGeneric (asm/adam.go) with m and v first scaled by r1 and r2,",
		"returning max|m'_i|, max|v'_i| and max|θ_i| after the update.",
		"",
		"R0 = &θ[i], R1 = &m[i], R2 = &v[i], R3 = &g[i], R4 = elements left.",
		"θ, m and v are loaded without moving the pointer and stored back with",
		"post-increment; g is loaded with post-increment.",
		"Constants, both lanes: V2 r1, V3 r2, V24 β1, V25 1−β1, V26 β2, V27 1−β2,",
		"V28 stepSize, V29 sqrtBC2, V30 ε, V31 +0.",
		"Running maxima (FMAX, which returns NaN when an input is NaN, so a NaN",
		"is never lost): V6 |m'|, V7 |v'|, V10 |θ|; V11 scratch for the FABS.",
		"Per vector j of a block (j = 0..1, 2 elements each):",
		"  Vj      θ, updated in place",
		"  V(4+j)  m, then r1·m     V(20+j) (1−β1)·g, then the new m'",
		"  V(8+j)  v, then r2·v, then d, then m'/d",
		"  V(12+j) g, then the mask (d = 0)",
		"  V(16+j) g², then (1−β2)·g², then the new v'",
		"",
		"Per element, with the roundings and fusions that Go 1.26 gives",
		"adamGeneric on arm64 (so that m' agrees closely with it even where",
		"β1·m and (1−β1)·g nearly cancel):",
		"  m' = β1·round(r1·m) + round((1−β1)·g)           FMUL, FMUL, FMLA (fused)",
		"  v' = β2·round(r2·v) + round((1−β2)·round(g·g))  FMUL ×3, FMLA (fused)",
		"  d  = √v' / sqrtBC2 + ε                          FSQRT, FDIV, FADD",
		"  q  = m'/d, set to +0 where d = 0                FDIV, FCMEQ mask, BIT from +0",
		"  θ  = θ − q·stepSize                             FMLS (fused; θ − 0 = θ, so θ",
		"                                                  does not move where d = 0)",
		"r·m and r·v are rounded on their own, as scalNEON rounds them.",
		"Main loop: 4 elements per iteration (two vectors: the running maxima and",
		"r1, r2 take the registers a third and fourth vector would need). Pair",
		"loop: 2 elements. Then the maxima are reduced into lane 0 (FMAXP, which",
		"zeroes lane 1); the last element (if n is odd) is loaded into lane 0 (a",
		"scalar load zeroes lane 1), sent through the same body and stored from",
		"lane 0: lane 1 holds nothing and is neither stored nor read.")
	args(fn, R4, "theta", "m", "v", "g")
	consts := []struct {
		arg string
		v   V
	}{{"r1", 2}, {"r2", 3}, {"beta1", 24}, {"beta2", 26}, {"stepSize", 28}, {"sqrtBC2", 29}, {"eps", 30}}
	for _, c := range consts {
		fn.I("FMOVD", fn.Arg(c.arg), c.v.F())
	}
	for _, c := range []struct {
		one, beta V
		text      string
	}{{25, 24, "1−β1"}, {27, 26, "1−β2"}} {
		fn.I("FMOVD", "$1.0", c.one.F())
		fn.I("FSUBD", c.beta.F(), c.one.F()).C(c.text)
	}
	fn.Dup(2, 3, 24, 25, 26, 27, 28, 29, 30)
	fn.Zero(31, 6, 7, 10)
	// keep folds |src| into the running maximum acc through V11.
	keep := func(src, acc V) {
		fn.W(FABS(11, src), FMAX(acc, acc, 11))
	}
	ops := []func(j int){
		func(j int) { fn.W(FMUL(V(20+j), V(12+j), 25)) },
		func(j int) { fn.W(FMUL(V(4+j), V(4+j), 2)) },
		func(j int) {
			fn.I("VFMLA", V(24).D2(), V(4+j).D2(), V(20+j).D2()).C(First(j, "m' = β1·(r1·m) + (1−β1)·g"))
		},
		func(j int) { fn.W(FMUL(V(16+j), V(12+j), V(12+j))) },
		func(j int) { fn.W(FMUL(V(16+j), V(16+j), 27)) },
		func(j int) { fn.W(FMUL(V(8+j), V(8+j), 3)) },
		func(j int) {
			fn.I("VFMLA", V(26).D2(), V(8+j).D2(), V(16+j).D2()).C(First(j, "v' = β2·(r2·v) + (1−β2)·g²"))
		},
		func(j int) { keep(V(20+j), 6); keep(V(16+j), 7) },
		func(j int) { fn.W(FSQRT(V(8+j), V(16+j))) },
		func(j int) { fn.W(FDIV(V(8+j), V(8+j), 29)) },
		func(j int) { fn.W(FADD(V(8+j), V(8+j), 30)) },
		func(j int) { fn.W(FCMEQZ(V(12+j), V(8+j))) },
		func(j int) { fn.W(FDIV(V(8+j), V(20+j), V(8+j))) },
		func(j int) {
			fn.I("VBIT", V(12+j).B16(), V(31).B16(), V(8+j).B16()).C(First(j, "m'/d = 0 where d = 0"))
		},
		func(j int) {
			fn.I("VFMLS", V(28).D2(), V(8+j).D2(), V(j).D2()).C(First(j, "θ −= (m'/d)·stepSize"))
		},
		func(j int) { keep(V(j), 10) },
	}
	body := func(w Width) func() {
		return func() {
			fn.Load(w, false, R0, 0)
			fn.Load(w, false, R1, 4)
			fn.Load(w, false, R2, 8)
			fn.Load(w, true, R3, 12)
			Each(w, ops...)
			fn.Store(w, true, R0, 0)
			fn.Store(w, true, R1, 20)
			fn.Store(w, true, R2, 16)
		}
	}
	maxima(fn, "", R4, 2, body, []V{6, 7, 10}, "maxM", "maxV", "maxTheta")
}
