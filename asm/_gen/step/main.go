// Command step generates asm/step_amd64.s: the fused optimizer steps
// SignStep (θ += a·sign(g)) and AxpyStep (θ += a·g, fused) for AVX2 and
// AVX-512, each returning max|g_i| and max|θ_i| after the update.
//
// The maxima are taken on bit patterns, as in maxAbs (norms_amd64.s): |x|
// as a signed 64-bit integer orders like the value, and every NaN (sign
// cleared) lies above +Inf, so an integer max of |x| is the exact max |x_i|,
// or a NaN whenever one is present, and it never loses a NaN.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

var absmask, signbit, one Mem

func main() {
	ConstraintExpr("!purego")
	absmask = GLOBL("absmask", RODATA|NOPTR)
	DATA(0, U64(0x7fffffffffffffff))
	signbit = GLOBL("signbit", RODATA|NOPTR)
	DATA(0, U64(0x8000000000000000))
	one = GLOBL("one", RODATA|NOPTR)
	DATA(0, U64(0x3ff0000000000000)) // 1.0
	for _, s := range vec.Both {
		step(regsFor(s), true)
		step(regsFor(s), false)
	}
	Generate()
}

// regs are the register roles of one width. Each of the two vectors in
// flight has R = g (then sign(g) in the sign step), A and M scratch (M
// only on AVX2: AVX-512 compares into K2), T = θ (then the new θ).
type regs struct {
	s                       vec.ISA
	r, a, m, t              [2]reg.VecPhysical
	maxG, maxT              reg.VecPhysical // running maxima of |g| and |θ| (bits)
	zero, one, sign, abs, k reg.VecPhysical // 0, 1.0, sign bit, absmask, a
}

func regsFor(s vec.ISA) regs {
	v := s.V
	if s.Masked {
		return regs{s: s, r: [2]reg.VecPhysical{v(0), v(3)}, a: [2]reg.VecPhysical{v(1), v(4)},
			t: [2]reg.VecPhysical{v(2), v(5)}, maxG: v(24), maxT: v(25),
			zero: v(27), one: v(28), sign: v(29), abs: v(30), k: v(31)}
	}
	return regs{s: s, r: [2]reg.VecPhysical{v(0), v(4)}, a: [2]reg.VecPhysical{v(1), v(5)},
		m: [2]reg.VecPhysical{v(2), v(6)}, t: [2]reg.VecPhysical{v(3), v(7)}, maxG: v(8), maxT: v(9),
		zero: v(11), one: v(12), sign: v(13), abs: v(14), k: v(15)}
}

// foldMax folds |x| into acc (bits): AVX2 by compare and blend, AVX-512
// by VPMAXSQ in the lanes of mask k.
func (g regs) foldMax(x, acc reg.VecPhysical, j int, k reg.OpmaskPhysical) {
	if g.s.Masked {
		VPANDQ(g.abs, x, g.a[j])
		VPMAXSQ(g.a[j], acc, k, acc)
		return
	}
	VANDPD(g.abs, x, g.a[j])
	VPCMPGTQ(acc, g.a[j], g.m[j])
	VBLENDVPD(g.m[j], g.a[j], acc, acc)
}

// op is one vector of the step: fold |g| into maxG; for the sign step
// R = sign(g) as Sign computes it (A = (g AND signbit) OR 1.0, the mask
// g ≠ 0 and ordered by VCMPPD 0x0c, R = g + 0, which is +0 for ±0 and NaN
// for NaN, then A where the mask is set); T = a·R + T (VFMADD231PD: a·sign(g)
// is exact, so this is also the separately rounded sum; for the axpy step
// the one rounding of Axpy); fold |T| into maxT.
func (g regs) op(sign bool, j int, k reg.OpmaskPhysical) {
	r, a, t := g.r[j], g.a[j], g.t[j]
	g.foldMax(r, g.maxG, j, k)
	if sign {
		if g.s.Masked {
			VPANDQ(g.sign, r, a)
			VPORQ(g.one, a, a)
			VCMPPD(U8(0x0c), g.zero, r, reg.K2)
			VADDPD(g.zero, r, r)
			VMOVAPD(a, reg.K2, r)
		} else {
			VANDPD(g.sign, r, a)
			VORPD(g.one, a, a)
			VCMPPD(U8(0x0c), g.zero, r, g.m[j])
			VADDPD(g.zero, r, r)
			VBLENDVPD(g.m[j], a, r, r)
		}
	}
	VFMADD231PD(r, g.k, t)
	g.foldMax(t, g.maxT, j, k)
}

func step(g regs, sign bool) {
	s := g.s
	name, meaning, p := "axpyStep", "theta[i] = math.FMA(a, g[i], theta[i])", "a"
	if sign {
		name, meaning, p = "signStep", "theta[i] += a * sign(g[i])", "s"
	}
	if s.Masked {
		p = "z" + p
	}
	TEXT(name+s.Name, NOSPLIT, "func(a float64, g, theta []float64) (maxG, maxTheta float64)")
	lanes := s.Lanes
	lines := []string{
		fmt.Sprintf("Go loop: for i := range g { %s }, returning max|g_i| and max|θ_i| after it.", meaning),
		"g is read before θ is stored in every block, so g may be θ itself.",
		"Registers:",
		"  SI = &g[0], DI = &θ[0], CX = n = len(g), BX = i, DX = loop bound, AX scratch",
	}
	if s.Masked {
		lines = append(lines,
			"  Z0..Z2, Z3..Z5 = two vectors in flight (R = g, A scratch, T = θ)",
			"  Z24, Z25 = running maxima of |g|, |θ| (bits); Z27 = 0, Z28 = 1.0, Z29 = sign bit,",
			"  Z30 = absmask, Z31 = a; K1 = tail mask, K2 scratch, K3 = all ones",
			fmt.Sprintf("Loops: 2 vectors (%d elements) per iteration, then at most one vector, then the", 2*lanes),
			"masked tail (n mod 8: zero-masked loads, maxima and store under K1, so zero lanes",
			"do not count: with a = ±Inf they would give 0·Inf = NaN); the maxima reduced.")
	} else {
		lines = append(lines,
			"  Y0..Y3, Y4..Y7 = two vectors in flight (R = g, A and M scratch, T = θ)",
			"  Y8, Y9 = running maxima of |g|, |θ| (bits); Y11 = 0, Y12 = 1.0, Y13 = sign bit,",
			"  Y14 = absmask, Y15 = a; after the vectors DX, R8 = the maxima, R9 = absmask",
			fmt.Sprintf("Loops: 2 vectors (%d elements) per iteration (memory-bound on large slices, where", 2*lanes),
			"a deeper unroll does not help), then at most one vector; the maxima reduced into",
			"DX and R8; the scalar tail (n mod 4) runs the vector step on lane 0 of a VMOVSD",
			"load (the other lanes are dead) and folds |g| and |θ| into DX and R8 with CMOV.")
	}
	Comment(lines...)
	VBROADCASTSD(vec.Addr("a"), g.k)
	Load(Param("g").Base(), reg.RSI)
	Load(Param("g").Len(), reg.RCX)
	Load(Param("theta").Base(), reg.RDI)
	VBROADCASTSD(absmask, g.abs)
	if sign {
		VBROADCASTSD(signbit, g.sign)
		VBROADCASTSD(one, g.one)
		s.Zero(g.zero)
	}
	s.Zero(g.maxG)
	s.Zero(g.maxT)
	if s.Masked {
		KXNORW(reg.K3, reg.K3, reg.K3)
	}
	after := p + "reduce"
	if s.Masked {
		after = p + "tail"
	}
	vec.PairLoop(s, p, after, func() {
		VMOVUPD(vec.At(reg.RSI, 0), g.r[0])
		VMOVUPD(vec.At(reg.RSI, s.Bytes()), g.r[1])
		VMOVUPD(vec.At(reg.RDI, 0), g.t[0])
		VMOVUPD(vec.At(reg.RDI, s.Bytes()), g.t[1])
		g.op(sign, 0, reg.K3)
		g.op(sign, 1, reg.K3)
		VMOVUPD(g.t[0], vec.At(reg.RDI, 0))
		VMOVUPD(g.t[1], vec.At(reg.RDI, s.Bytes()))
	}, func() {
		VMOVUPD(vec.At(reg.RSI, 0), g.r[0])
		VMOVUPD(vec.At(reg.RDI, 0), g.t[0])
		g.op(sign, 0, reg.K3)
		VMOVUPD(g.t[0], vec.At(reg.RDI, 0))
	})

	if s.Masked {
		Label(after)
		vec.MaskTail()
		VMOVUPD_Z(vec.At(reg.RSI, 0), reg.K1, g.r[0])
		VMOVUPD_Z(vec.At(reg.RDI, 0), reg.K1, g.t[0])
		g.op(sign, 0, reg.K1)
		VMOVUPD(g.t[0], reg.K1, vec.At(reg.RDI, 0))
		vec.ReduceMax512(g.maxG, reg.Z0, reg.Z1)
		VMOVSD(reg.X0, NewParamAddr("maxG", 56))
		vec.ReduceMax512(g.maxT, reg.Z0, reg.Z1)
		VMOVSD(reg.X0, NewParamAddr("maxTheta", 64))
		VZEROUPPER()
		RET()
		return
	}
	Label(after)
	vec.ReduceMax256(reg.Y8, reg.X8, reg.RDX)
	vec.ReduceMax256(reg.Y9, reg.X9, reg.R8)
	MOVQ(U64(0x7fffffffffffffff), reg.R9)

	Label(p + "scalar")
	CMPQ(reg.RBX, reg.RCX)
	JAE(LabelRef(p + "done"))
	MOVQ(vec.At(reg.RSI, 0), reg.RAX)
	scalarMax(reg.RAX, reg.RDX)
	if sign {
		VMOVSD(vec.At(reg.RSI, 0), reg.X0)
		VMOVSD(vec.At(reg.RDI, 0), reg.X3)
		g.op(sign, 0, nil)
	} else {
		VMOVSD(vec.At(reg.RDI, 0), reg.X3)
		VFMADD231SD(vec.At(reg.RSI, 0), reg.X15, reg.X3)
	}
	VMOVSD(reg.X3, vec.At(reg.RDI, 0))
	VMOVQ(reg.X3, reg.RAX)
	scalarMax(reg.RAX, reg.R8)
	INCQ(reg.RBX)
	JMP(LabelRef(p + "scalar"))

	Label(p + "done")
	VZEROUPPER()
	MOVQ(reg.RDX, NewParamAddr("maxG", 56))
	MOVQ(reg.R8, NewParamAddr("maxTheta", 64))
	RET()
}

// scalarMax folds the |x| of the bits in src (clobbered) into the
// general-register maximum acc; R9 = absmask.
func scalarMax(src, acc reg.Register) {
	ANDQ(reg.R9, src)
	CMPQ(src, acc)
	CMOVQGT(src, acc)
}
