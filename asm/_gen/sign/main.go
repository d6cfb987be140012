// Command sign generates asm/sign_amd64.s: Sign (dst = sign(x): −1, +1,
// +0 for ±0, NaN for NaN) for AVX2 and AVX-512, on the streaming
// elementwise loop of package vec.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

var signbit, one Mem

func main() {
	signbit = GLOBL("signbit", RODATA|NOPTR)
	DATA(0, U64(0x8000000000000000))
	one = GLOBL("one", RODATA|NOPTR)
	DATA(0, U64(0x3ff0000000000000)) // 1.0
	vec.Write(sign)
}

// sign computes, per vector R = x:
//
//	S = (x AND signbit) OR 1.0   = ±1 with x's sign
//	M = x ≠ 0 and ordered        (VCMPPD predicate 0x0c, NEQ_OQ)
//	R = x + 0                    (+0 for ±0, NaN for NaN)
//	R = M ? S : R
//
// AVX2: S = Y10, M = Y11, the select by VBLENDVPD; constants Y13 = 0,
// Y14 = 1.0, Y15 = sign bit. AVX-512: S = Z28, M = K2 (the compare under a
// mask: K3 = all ones for full vectors, K1 in the tail and peel), the
// select a merge-masked VMOVAPD; Z29 = 0, Z30 = 1.0, Z31 = sign bit.
func sign(s vec.ISA) vec.Kernel {
	zero, onev, sb := s.V(13), s.V(14), s.V(15)
	scratch := s.V(10)
	if s.Masked {
		zero, onev, sb, scratch = s.V(29), s.V(30), s.V(31), s.V(28)
	}
	op := func(v reg.VecPhysical, m reg.OpmaskPhysical) {
		if s.Masked {
			VPANDQ(sb, v, scratch)
			VPORQ(onev, scratch, scratch)
			VCMPPD(U8(0x0c), zero, v, m, reg.K2)
			VADDPD(zero, v, v)
			VMOVAPD(scratch, reg.K2, v)
			return
		}
		VANDPD(sb, v, scratch)
		VORPD(onev, scratch, scratch)
		VCMPPD(U8(0x0c), zero, v, s.V(11))
		VADDPD(zero, v, v)
		VBLENDVPD(s.V(11), scratch, v, v)
	}
	x, dst := vec.At(reg.RSI, 0), vec.At(reg.RDI, 0)
	regs := []string{"Y0..Y3 = values, Y10..Y11 scratch, Y13 = 0, Y14 = 1.0, Y15 = sign bit"}
	if s.Masked {
		regs = []string{"Z0..Z3 = values, Z28 and K2 scratch, Z29 = 0, Z30 = 1.0, Z31 = sign bit,",
			"K3 = all ones (the mask of full vectors)"}
	}
	return vec.Kernel{
		Name:      "sign",
		Signature: "func(dst, x []float64)",
		GoLoop:    "for i, v := range x { dst[i] = sign(v) } (−1, +1, +0 for ±0, NaN for NaN; dst may be x)",
		Regs:      regs,
		Slices:    []vec.Slice{{Param: "dst", Reg: reg.RDI}, {Param: "x", Reg: reg.RSI}},
		Len:       "x",
		Setup: func() {
			VBROADCASTSD(signbit, sb)
			VBROADCASTSD(one, onev)
			if s.Masked {
				VPXORQ(zero, zero, zero)
				KXNORW(reg.K3, reg.K3, reg.K3)
			} else {
				VXORPD(zero, zero, zero)
			}
		},
		Loop: vec.Stream{
			ISA:    s,
			Unroll: 4,
			Body:   vec.MapBody(s, reg.RSI, func(v reg.VecPhysical, _ int) { op(v, reg.K3) }),
			Scalar: func() {
				VMOVSD(x, reg.X0)
				op(s.V(0), nil)
				VMOVSD(reg.X0, dst)
			},
			Masked: func() {
				VMOVUPD_Z(x, reg.K1, s.V(0))
				op(s.V(0), reg.K1)
				VMOVUPD(s.V(0), reg.K1, dst)
			},
		},
	}
}
