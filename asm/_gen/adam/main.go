// Command adam generates asm/adam_amd64.s: one fused Adam step for AVX2
// and AVX-512 (m, v and θ in one pass, the moments rescaled by r1, r2 on
// the way, returning the maxima of |m'|, |v'| and |θ| after it).
//
// Per vector (A..D scratch; c1 = 1−β1, c2 = 1−β2):
//
//	A = g;  B = c1·g;  C = β1·(r1·m);  B = C + B     (m')
//	A = g²; A = c2·A;  C = β2·(r2·v);  A = C + A     (v')
//	store m', v'; fold |m'|, |v'| into their maxima
//	C = √v' · (1/sqrtBC2) + ε                        (the denominator d)
//	B = m'/d where d ≠ 0 (VCMPPD 0x04, NEQ_UQ), else +0
//	B = step·B;  A = θ − B;  store θ; fold |θ|
//
// m' and v' are computed as adamGeneric does, one rounding per operation
// in the same order (no FMA), so they agree with it bitwise; r1·m is
// rounded on its own, as Scal(r1, m) rounds it. θ differs by a few ulps of
// the step: the division by sqrtBC2 is a multiplication by its reciprocal
// (one rounding more in d), which takes one of the three divider
// operations (VSQRTPD, VDIVPD, VDIVPD) per vector off the loop's critical
// resource. The maxima are integer maxima of the bit patterns of |x|, as in
// maxAbs (norms_amd64.s): exact, and a NaN is never lost.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

var one, absmask Mem

func main() {
	ConstraintExpr("!purego")
	one = GLOBL("one", RODATA|NOPTR)
	DATA(0, U64(0x3ff0000000000000)) // 1.0
	absmask = GLOBL("absmask", RODATA|NOPTR)
	DATA(0, U64(0x7fffffffffffffff))
	for _, s := range vec.Both {
		adam(s)
	}
	Generate()
}

const signature = "func(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)"

// consts are the operands of the constants: registers, or on AVX2 (whose
// sixteen ymm registers hold the scratch of two vectors in flight, four
// constants, the three maxima and absmask) 4-lane vectors in the frame,
// read as memory operands.
type consts struct {
	beta1, c1, beta2, c2           Op
	r1, r2, step, invBC, eps, zero Op
	maxM, maxV, maxT, abs          reg.VecPhysical
}

// core is the update of one vector (or of lane 0 of one, in the AVX2
// scalar tail). g is in a (loaded by load when gMem is set), m and v are
// read from mSrc and vSrc (memory, or registers cm and cv holding them);
// st and ld store and load vectors of m, v and θ; fold folds |x| into
// maximum i (0: m', 1: v', 2: θ); cd receives d and, on AVX-512, cmpK
// (nil: none) masks the compare d ≠ 0 whose result goes to dm, a register
// (AVX2) or a mask (AVX-512).
type core struct {
	c                consts
	a, b, cm, cv, cd reg.VecPhysical
	dm               Op
	zmask            bool // dm is a mask register and the division is zero-masked by it
	cmpK             Op
	mSrc, vSrc       Op
	gMem, mMem, vMem Mem
	tMem             Mem
	loadG            bool
	ld               func(m Mem, r reg.VecPhysical)
	st               func(r reg.VecPhysical, m Mem)
	fold             func(x reg.VecPhysical, i int)
}

// scale sets dst = r·src: with r in a register, r·src in one VMULPD; with r
// in the frame, src loaded into dst first where it is not there.
func scale(dst reg.VecPhysical, r, src Op) {
	if _, isReg := r.(reg.VecPhysical); isReg {
		VMULPD(src, r, dst)
		return
	}
	if src != Op(dst) {
		VMOVUPD(src, dst)
	}
	VMULPD(r, dst, dst)
}

func (k core) emit() {
	c, a, b := k.c, k.a, k.b
	if k.loadG {
		k.ld(k.gMem, a)
	}
	VMULPD(a, c.c1, b)
	scale(k.cm, c.r1, k.mSrc)
	VMULPD(k.cm, c.beta1, k.cm)
	VADDPD(b, k.cm, b)
	VMULPD(a, a, a)
	VMULPD(a, c.c2, a)
	scale(k.cv, c.r2, k.vSrc)
	VMULPD(k.cv, c.beta2, k.cv)
	VADDPD(a, k.cv, a)
	k.st(b, k.mMem)
	k.st(a, k.vMem)
	k.fold(b, 0)
	k.fold(a, 1)
	VSQRTPD(a, k.cd)
	VMULPD(c.invBC, k.cd, k.cd)
	VADDPD(c.eps, k.cd, k.cd)
	if m := k.dm; k.zmask {
		if k.cmpK != nil {
			VCMPPD(U8(0x04), c.zero, k.cd, k.cmpK, m)
		} else {
			VCMPPD(U8(0x04), c.zero, k.cd, m)
		}
		VDIVPD_Z(k.cd, b, m, b)
	} else {
		VCMPPD(U8(0x04), c.zero, k.cd, k.dm)
		VDIVPD(k.cd, b, b)
		VANDPD(k.dm, b, b)
	}
	if _, isReg := c.step.(reg.VecPhysical); isReg {
		VMULPD(b, c.step, b)
	} else {
		VMULPD(c.step, b, b)
	}
	k.ld(k.tMem, a)
	VSUBPD(b, a, a)
	k.st(a, k.tMem)
	k.fold(a, 2)
}

// Base registers: θ DI, m R9, v R10, g R11.
func at(r reg.Register, off int) Mem { return vec.At(r, off) }

func adam(s vec.ISA) {
	TEXT("adam"+s.Name, NOSPLIT, signature)
	lines := []string{
		"Go loop: adamGeneric (asm/adam.go) with m and v first scaled by r1 and r2;",
		"the update per vector is in asm/_gen/adam/main.go's package comment.",
		"Registers:",
		"  DI = &θ[0], R9 = &m[0], R10 = &v[0], R11 = &g[0], CX = n = len(θ), BX = i, DX = loop bound",
	}
	var c consts
	if s.Masked {
		z := s.V
		c = consts{beta1: z(20), c1: z(21), beta2: z(22), c2: z(23), step: z(24), invBC: z(25),
			eps: z(26), zero: z(27), r1: z(28), r2: z(29), maxM: z(16), maxV: z(17), maxT: z(18), abs: z(19)}
		lines = append(lines,
			"  Z16..Z18 = running maxima of |m'|, |v'|, |θ| (bits), Z19 = absmask, Z20 = β1,",
			"  Z21 = 1−β1, Z22 = β2, Z23 = 1−β2, Z24 = stepSize, Z25 = 1/sqrtBC2, Z26 = ε,",
			"  Z27 = 0, Z28 = r1, Z29 = r2; Z0..Z7 and K2, K4 = scratch for two vectors in",
			"  flight (the mask d ≠ 0 zero-masks the division); K1 = tail mask, K3 = all ones, AX scratch",
			"Loops: 2 vectors (16 elements) per iteration, then at most one vector, then the",
			"masked tail (n mod 8: zero-masked loads of g, m, v, θ, masked stores and maxima",
			"under K1); the maxima are reduced last.")
	} else {
		frame := AllocLocal(192)
		c = consts{r1: frame.Offset(0), r2: frame.Offset(32), step: frame.Offset(64), invBC: frame.Offset(96),
			eps: frame.Offset(128), zero: frame.Offset(160),
			beta1: reg.Y8, c1: reg.Y9, beta2: reg.Y10, c2: reg.Y11, maxM: reg.Y12, maxV: reg.Y13, maxT: reg.Y14, abs: reg.Y15}
		lines = append(lines,
			"  Y8 = β1, Y9 = 1−β1, Y10 = β2, Y11 = 1−β2, Y12..Y14 = running maxima of |m'|, |v'|,",
			"  |θ| (bits), Y15 = absmask, Y0..Y7 = scratch for two vectors in flight; frame: r1,",
			"  r2, stepSize, 1/sqrtBC2, ε, 0 as 4-lane vectors at 0, 32, …, 160(SP).",
			"  Scalar tail: R12, R13, R8 = the maxima (bits), SI = absmask, AX scratch",
			"Loops: 2 vectors (8 elements) per iteration (independent iterations, bound by",
			"VSQRTPD/VDIVPD throughput in cache and by memory beyond, so a deeper unroll does not",
			"help), then at most one vector; the maxima reduced into R12, R13, R8; the scalar",
			"tail (n mod 4) runs the same sequence on lane 0 of X registers loaded with VMOVSD.")
	}
	Comment(lines...)
	Load(Param("theta").Base(), reg.RDI)
	Load(Param("theta").Len(), reg.RCX)
	Load(Param("m").Base(), reg.R9)
	Load(Param("v").Base(), reg.R10)
	Load(Param("g").Base(), reg.R11)
	if s.Masked {
		VMOVSD(one, reg.X0)
		betas(c)
		VBROADCASTSD(vec.Addr("stepSize"), c.step)
		VDIVSD(vec.Addr("sqrtBC2"), reg.X0, reg.X3)
		VBROADCASTSD(reg.X3, c.invBC)
		VBROADCASTSD(vec.Addr("eps"), c.eps)
		VPXORQ(c.zero, c.zero, c.zero)
		VBROADCASTSD(vec.Addr("r1"), c.r1)
		VBROADCASTSD(vec.Addr("r2"), c.r2)
		VBROADCASTSD(absmask, c.abs)
		for _, m := range []reg.VecPhysical{c.maxM, c.maxV, c.maxT} {
			VPXORQ(m, m, m)
		}
		KXNORW(reg.K3, reg.K3, reg.K3)
	} else {
		for _, p := range []struct {
			arg string
			dst Op
		}{{"r1", c.r1}, {"r2", c.r2}, {"stepSize", c.step}} {
			VBROADCASTSD(vec.Addr(p.arg), reg.Y0)
			VMOVUPD(reg.Y0, p.dst)
		}
		VMOVSD(one, reg.X0)
		VDIVSD(vec.Addr("sqrtBC2"), reg.X0, reg.X3)
		VBROADCASTSD(reg.X3, reg.Y3)
		VMOVUPD(reg.Y3, c.invBC)
		VBROADCASTSD(vec.Addr("eps"), reg.Y3)
		VMOVUPD(reg.Y3, c.eps)
		VXORPD(reg.Y3, reg.Y3, reg.Y3)
		VMOVUPD(reg.Y3, c.zero)
		betas(c)
		for _, m := range []reg.VecPhysical{c.maxM, c.maxV, c.maxT} {
			VXORPD(m, m, m)
		}
		VBROADCASTSD(absmask, c.abs)
	}
	maxima := []reg.VecPhysical{c.maxM, c.maxV, c.maxT}
	movupd := func(r reg.VecPhysical, m Mem) { VMOVUPD(r, m) }
	loadupd := func(m Mem, r reg.VecPhysical) { VMOVUPD(m, r) }
	// body is the full-vector update j (0 or 1) at byte offset off.
	body := func(j, off int) {
		v := func(i int) reg.VecPhysical { return s.V(4*j + i) }
		k := core{c: c, a: v(0), b: v(1), cm: v(2), cv: v(2), cd: v(2),
			mSrc: at(reg.R9, off), vSrc: at(reg.R10, off),
			gMem: at(reg.R11, off), mMem: at(reg.R9, off), vMem: at(reg.R10, off), tMem: at(reg.RDI, off),
			loadG: true, ld: loadupd, st: movupd}
		if s.Masked {
			km := []reg.OpmaskPhysical{reg.K2, reg.K4}[j]
			k.dm, k.zmask = km, true
			k.fold = func(x reg.VecPhysical, i int) { max512(c, x, maxima[i], v(2), reg.K3) }
		} else {
			k.dm = v(3)
			k.fold = func(x reg.VecPhysical, i int) { max256(c, x, maxima[i], v(2), v(3)) }
		}
		k.emit()
	}
	after := "reduce"
	if s.Masked {
		after = "tail"
	}
	vec.PairLoop(s, "", after, func() {
		body(0, 0)
		body(1, s.Bytes())
	}, func() { body(0, 0) })

	if s.Masked {
		Label("tail")
		SUBQ(reg.RBX, reg.RCX)
		JZ(LabelRef("reduce"))
		MOVQ(I32(1), reg.RAX)
		SHLQ(reg.CL, reg.RAX)
		DECQ(reg.RAX)
		KMOVW(reg.EAX, reg.K1)
		VMOVUPD_Z(at(reg.R11, 0), reg.K1, reg.Z0)
		VMOVUPD_Z(at(reg.R9, 0), reg.K1, reg.Z4)
		VMOVUPD_Z(at(reg.R10, 0), reg.K1, reg.Z5)
		core{c: c, a: reg.Z0, b: reg.Z1, cm: reg.Z4, cv: reg.Z5, cd: reg.Z2, dm: reg.K2, zmask: true, cmpK: reg.K1,
			mSrc: reg.Z4, vSrc: reg.Z5, mMem: at(reg.R9, 0), vMem: at(reg.R10, 0), tMem: at(reg.RDI, 0),
			ld:   func(m Mem, r reg.VecPhysical) { VMOVUPD_Z(m, reg.K1, r) },
			st:   func(r reg.VecPhysical, m Mem) { VMOVUPD(r, reg.K1, m) },
			fold: func(x reg.VecPhysical, i int) { max512(c, x, maxima[i], reg.Z2, reg.K1) },
		}.emit()

		Label("reduce")
		for i, name := range []string{"maxM", "maxV", "maxTheta"} {
			vec.ReduceMax512(maxima[i], reg.Z0, reg.Z1)
			VMOVSD(reg.X0, NewParamAddr(name, 152+8*i))
		}
		VZEROUPPER()
		RET()
		return
	}
	Label("reduce")
	gps := []reg.Register{reg.R12, reg.R13, reg.R8}
	for i, x := range []reg.VecPhysical{reg.X12, reg.X13, reg.X14} {
		vec.ReduceMax256(maxima[i], x, gps[i])
	}
	MOVQ(U64(0x7fffffffffffffff), reg.RSI)

	Label("scalar")
	CMPQ(reg.RBX, reg.RCX)
	JAE(LabelRef("done"))
	VMOVSD(at(reg.R11, 0), reg.X0)
	VMOVSD(at(reg.R9, 0), reg.X4)
	VMOVSD(at(reg.R10, 0), reg.X5)
	// Lane 0 of X registers: the constants' low halves.
	cx := c
	cx.beta1, cx.c1, cx.beta2, cx.c2 = reg.X8, reg.X9, reg.X10, reg.X11
	core{c: cx, a: reg.X0, b: reg.X1, cm: reg.X4, cv: reg.X5, cd: reg.X2, dm: reg.X3,
		mSrc: reg.X4, vSrc: reg.X5, mMem: at(reg.R9, 0), vMem: at(reg.R10, 0), tMem: at(reg.RDI, 0),
		ld:   func(m Mem, r reg.VecPhysical) { VMOVSD(m, r) },
		st:   func(r reg.VecPhysical, m Mem) { VMOVSD(r, m) },
		fold: func(x reg.VecPhysical, i int) { scalarMax(x, gps[i]) },
	}.emit()
	INCQ(reg.RBX)
	JMP(LabelRef("scalar"))

	Label("done")
	VZEROUPPER()
	for i, name := range []string{"maxM", "maxV", "maxTheta"} {
		MOVQ(gps[i], NewParamAddr(name, 152+8*i))
	}
	RET()
}

// betas broadcasts β1, 1−β1, β2, 1−β2 (X0 = 1.0; X1, X2 scratch).
func betas(c consts) {
	VSUBSD(vec.Addr("beta1"), reg.X0, reg.X1)
	VSUBSD(vec.Addr("beta2"), reg.X0, reg.X2)
	VBROADCASTSD(vec.Addr("beta1"), c.beta1)
	VBROADCASTSD(reg.X1, c.c1)
	VBROADCASTSD(vec.Addr("beta2"), c.beta2)
	VBROADCASTSD(reg.X2, c.c2)
}

// max256 folds |x| into acc (bits) by compare and blend; a, m scratch.
func max256(c consts, x, acc, a, m reg.VecPhysical) {
	VANDPD(c.abs, x, a)
	VPCMPGTQ(acc, a, m)
	VBLENDVPD(m, a, acc, acc)
}

// max512 folds |x| into acc (bits) in the lanes of k; a scratch.
func max512(c consts, x, acc, a reg.VecPhysical, k reg.OpmaskPhysical) {
	VPANDQ(c.abs, x, a)
	VPMAXSQ(a, acc, k, acc)
}

// scalarMax folds the |x| of lane 0 of x into the general-register
// maximum acc (bits); SI = absmask, AX scratch.
func scalarMax(x reg.VecPhysical, acc reg.Register) {
	VMOVQ(x, reg.RAX)
	ANDQ(reg.RSI, reg.RAX)
	CMPQ(reg.RAX, acc)
	CMOVQGT(reg.RAX, acc)
}
