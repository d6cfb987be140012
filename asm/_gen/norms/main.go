// Command norms generates asm/norms_amd64.s: AbsSum (Σ|x_i|), the plain
// sum of squares behind Nrm2's fast path (Σ x_i², see nrm2AVX2) and MaxAbs
// (max |x_i|), for AVX2 and AVX-512, as vec.Sum reductions, and ArgMaxAbs
// (argmax.go).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

var absmask Mem

func main() {
	ConstraintExpr("!purego")
	absmask = GLOBL("absmask", RODATA|NOPTR)
	DATA(0, U64(0x7fffffffffffffff))
	for _, s := range vec.Both {
		absSum(s)
	}
	for _, s := range vec.Both {
		sumSq(s)
	}
	for _, s := range vec.Both {
		maxAbs(s)
	}
	argMaxData()
	for _, s := range vec.Both {
		argMaxAbs(s)
	}
	Generate()
}

func header(s vec.ISA, name, goLoop, regs, what string, l vec.Sum) {
	TEXT(name+s.Name, NOSPLIT, "func(x []float64) float64")
	Comment(append([]string{
		"Go loop: " + goLoop + ", in the order below (it depends only on n).",
		"Registers:",
		"  SI = &x[0], CX = n = len(x), BX = i, DX = loop bound",
		fmt.Sprintf("  %s..%s = four accumulators, %s..%s = %s", s.VName(0), s.VName(3), s.VName(4), s.VName(7), regs),
	}, l.Doc(what)...)...)
	Load(Param("x").Base(), reg.RSI)
	Load(Param("x").Len(), reg.RCX)
	l.Emit()
}

// and is |x| of the vector at m into v: x AND absmask (VANDPD on AVX2,
// VPANDQ on AVX-512; the mask broadcast in the constant register).
func and(s vec.ISA, m Op, v reg.VecPhysical) {
	if s.Masked {
		VPANDQ(m, s.Const(), v)
	} else {
		VANDPD(m, s.Const(), v)
	}
}

func absSum(s vec.ISA) {
	c := s.Const()
	header(s, "absSum", "for _, v := range x { sum += math.Abs(v) }",
		fmt.Sprintf("|x|; %s = absmask", c.Asm()), "the abs mask then VADDPD", vec.Sum{
			ISA:   s,
			Ret:   24,
			Setup: func() { VBROADCASTSD(absmask, c) },
			Body: func(offs []int) {
				for j, o := range offs {
					and(s, vec.At(reg.RSI, o), s.V(4+j))
				}
				for j := range offs {
					VADDPD(s.V(4+j), s.V(j), s.V(j))
				}
			},
			Masked: func() {
				VMOVUPD_Z(vec.At(reg.RSI, 0), reg.K1, s.V(4))
				VPANDQ(s.V(4), c, s.V(4))
				VADDPD(s.V(4), s.V(1), s.V(1))
			},
			Scalar: func() {
				VMOVSD(vec.At(reg.RSI, 0), reg.X1)
				VANDPD(reg.X15, reg.X1, reg.X1)
				VADDSD(reg.X1, reg.X0, reg.X0)
			},
		})
}

func sumSq(s vec.ISA) {
	header(s, "sumSq", "for _, v := range x { sum += v * v } (fused)", "loaded x", "VFMADD231PD x·x", vec.Sum{
		ISA: s,
		Ret: 24,
		Body: func(offs []int) {
			for j, o := range offs {
				VMOVUPD(vec.At(reg.RSI, o), s.V(4+j))
			}
			for j := range offs {
				VFMADD231PD(s.V(4+j), s.V(4+j), s.V(j))
			}
		},
		Masked: func() {
			VMOVUPD_Z(vec.At(reg.RSI, 0), reg.K1, s.V(4))
			VFMADD231PD(s.V(4), s.V(4), s.V(1))
		},
		Scalar: func() {
			VMOVSD(vec.At(reg.RSI, 0), reg.X1)
			VFMADD231SD(reg.X1, reg.X1, reg.X0)
		},
	})
}

// maxAbs takes max |x_i| on the bit patterns (see vec.ReduceMax256): exact,
// a NaN whenever one is present, 0 for n = 0. AVX2 folds by VPCMPGTQ and
// VBLENDVPD (Y8..Y11 the compare results) and finishes with a CMOV scalar
// tail in DX (R8 = absmask, AX scratch); AVX-512 by VPMAXSQ, the masked
// tail's zero lanes never winning.
func maxAbs(s vec.ISA) {
	c := s.Const()
	l := vec.Sum{
		ISA:     s,
		Ret:     24,
		IntZero: true,
		Setup:   func() { VBROADCASTSD(absmask, c) },
		Body: func(offs []int) {
			for j, o := range offs {
				and(s, vec.At(reg.RSI, o), s.V(4+j))
			}
			if s.Masked {
				for j := range offs {
					VPMAXSQ(s.V(4+j), s.V(j), s.V(j))
				}
				return
			}
			for j := range offs {
				VPCMPGTQ(s.V(j), s.V(4+j), s.V(8+j))
			}
			for j := range offs {
				VBLENDVPD(s.V(8+j), s.V(4+j), s.V(j), s.V(j))
			}
		},
		Masked: func() {
			VMOVUPD_Z(vec.At(reg.RSI, 0), reg.K1, s.V(4))
			VPANDQ(s.V(4), c, s.V(4))
			VPMAXSQ(s.V(4), s.V(1), s.V(1))
		},
		Scalar: func() {
			MOVQ(vec.At(reg.RSI, 0), reg.RAX)
			ANDQ(reg.R8, reg.RAX)
			CMPQ(reg.RAX, reg.RDX)
			CMOVQGT(reg.RAX, reg.RDX)
		},
		Reduce: func() {
			if s.Masked {
				VPMAXSQ(reg.Z1, reg.Z0, reg.Z0)
				VPMAXSQ(reg.Z3, reg.Z2, reg.Z2)
				VPMAXSQ(reg.Z2, reg.Z0, reg.Z0)
				vec.ReduceMax512(reg.Z0, reg.Z0, reg.Z1)
				return
			}
			maxBlend(reg.Y0, reg.Y1, reg.Y8)
			maxBlend(reg.Y2, reg.Y3, reg.Y9)
			maxBlend(reg.Y0, reg.Y2, reg.Y8)
			VEXTRACTF128(U8(1), reg.Y0, reg.X1)
			maxBlend(reg.X0, reg.X1, reg.X8)
			VPERMILPD(U8(1), reg.X0, reg.X1)
			maxBlend(reg.X0, reg.X1, reg.X8)
			VMOVQ(reg.X0, reg.RDX)
			MOVQ(U64(0x7fffffffffffffff), reg.R8)
		},
		Store: func(ret Mem) {
			if s.Masked {
				VMOVSD(reg.X0, ret)
			} else {
				MOVQ(reg.RDX, ret)
			}
		},
	}
	header(s, "maxAbs", "for _, v := range x { m = max(m, math.Abs(v)) } (NaN wins)",
		fmt.Sprintf("|x| bits; %s = absmask", c.Asm()), "the abs mask then the integer max", l)
}

// maxBlend sets acc to the integer maximum of acc and x, lane by lane
// (m scratch).
func maxBlend(acc, x, m reg.VecPhysical) {
	VPCMPGTQ(acc, x, m)
	VBLENDVPD(m, x, acc, acc)
}
