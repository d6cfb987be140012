// Command relu generates asm/relu_amd64.s: ReLU (dst = max(x, +0), NaN
// kept) and ReLUMask (dst = g where z > 0, else +0) for AVX2 and AVX-512,
// on the streaming elementwise loop of package vec.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

var kmask = []reg.OpmaskPhysical{reg.K2, reg.K3, reg.K4, reg.K5}

func main() { vec.Write(relu, reluMask) }

// zero sets the constant register to +0.
func zero(s vec.ISA) func() {
	return func() {
		if s.Masked {
			VPXORQ(s.Const(), s.Const(), s.Const())
		} else {
			VXORPD(s.Const(), s.Const(), s.Const())
		}
	}
}

// relu: AVX2 computes M = x NLE_US 0 (VCMPPD predicate 0x06, "not less or
// equal": true for x > 0 and for NaN) and x AND M, so −0 and negatives
// become +0; AVX-512 the same compare into a mask register and a
// zero-masked move.
func relu(s vec.ISA) vec.Kernel {
	z := s.Const()
	x, dst := vec.At(reg.RSI, 0), vec.At(reg.RDI, 0)
	op := func(v reg.VecPhysical, j int) {
		if s.Masked {
			VCMPPD(U8(0x06), z, v, kmask[j])
			VMOVAPD_Z(v, kmask[j], v)
		} else {
			VCMPPD(U8(0x06), z, v, s.V(4+j))
			VANDPD(s.V(4+j), v, v)
		}
	}
	regs := []string{"Y0..Y3 = x, Y4..Y7 = masks, Y15 = 0"}
	if s.Masked {
		regs = []string{"Z0..Z3 = x, K2..K5 = masks, Z31 = 0"}
	}
	return vec.Kernel{
		Name:      "relu",
		Signature: "func(dst, x []float64)",
		GoLoop:    "for i, v := range x { if v > 0 || v != v { dst[i] = v } else { dst[i] = 0 } }",
		Regs:      regs,
		Slices:    []vec.Slice{{Param: "dst", Reg: reg.RDI}, {Param: "x", Reg: reg.RSI}},
		Len:       "x",
		Setup:     zero(s),
		Loop: vec.Stream{
			ISA:    s,
			Unroll: 4,
			Body:   vec.MapBody(s, reg.RSI, op),
			Scalar: func() {
				VMOVSD(x, reg.X0)
				op(s.V(0), 0)
				VMOVSD(reg.X0, dst)
			},
			Masked: func() {
				VMOVUPD_Z(x, reg.K1, s.V(0))
				VCMPPD(U8(0x06), z, s.V(0), reg.K1, reg.K2)
				VMOVAPD_Z(s.V(0), reg.K2, s.V(0))
				VMOVUPD(s.V(0), reg.K1, dst)
			},
		},
	}
}

// reluMask: a selection, so NaN or Inf in g is dropped where the mask is
// off. AVX2: g AND (z GT_OQ 0) (VCMPPD predicate 0x1e, false for NaN z);
// AVX-512: K = 0 LT_OQ z (predicate 0x11, z from memory), then g loaded
// zero-masked under K, so g is not even read where the mask is off.
func reluMask(s vec.ISA) vec.Kernel {
	zero0 := s.Const()
	g, zz, dst := vec.At(reg.RSI, 0), vec.At(reg.R8, 0), vec.At(reg.RDI, 0)
	regs := []string{"Y0..Y3 = z, then masks, then results; Y15 = 0"}
	if s.Masked {
		regs = []string{"Z0..Z3 = selected g, K2..K5 = masks, Z31 = 0"}
	}
	return vec.Kernel{
		Name:      "reluMask",
		Signature: "func(dst, g, z []float64)",
		GoLoop:    "for i := range g { if z[i] > 0 { dst[i] = g[i] } else { dst[i] = 0 } }",
		Regs:      regs,
		Slices:    []vec.Slice{{Param: "dst", Reg: reg.RDI}, {Param: "g", Reg: reg.RSI}, {Param: "z", Reg: reg.R8}},
		Len:       "g",
		Setup:     zero(s),
		Loop: vec.Stream{
			ISA:    s,
			Unroll: 4,
			Body: func(offs []int, store func(reg.VecPhysical, int)) {
				for j, o := range offs {
					if s.Masked {
						VCMPPD(U8(0x11), vec.At(reg.R8, o), zero0, kmask[j])
						VMOVUPD_Z(vec.At(reg.RSI, o), kmask[j], s.V(j))
					} else {
						VMOVUPD(vec.At(reg.R8, o), s.V(j))
						VCMPPD(U8(0x1e), zero0, s.V(j), s.V(j))
						VANDPD(vec.At(reg.RSI, o), s.V(j), s.V(j))
					}
				}
				for j, o := range offs {
					store(s.V(j), o)
				}
			},
			Scalar: func() {
				VMOVSD(zz, reg.X0)
				VMOVSD(g, reg.X1)
				VCMPPD(U8(0x1e), reg.X15, reg.X0, reg.X0)
				VANDPD(reg.X1, reg.X0, reg.X0)
				VMOVSD(reg.X0, dst)
			},
			Masked: func() {
				VMOVUPD_Z(zz, reg.K1, s.V(1))
				VCMPPD(U8(0x11), s.V(1), zero0, reg.K1, reg.K2)
				VMOVUPD_Z(g, reg.K2, s.V(0))
				VMOVUPD(s.V(0), reg.K1, dst)
			},
		},
	}
}
