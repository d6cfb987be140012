// Command axpy generates asm/axpy_amd64.s: Axpy (y += a·x, fused) and
// Scal (x *= a) for AVX2 and AVX-512, from one loop parameterised by the
// vector width (see package vec).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

func main() { vec.Write(axpy, scal) }

// axpy: 32 elements per main-loop iteration on both widths (8 ymm, 4 zmm).
func axpy(s vec.ISA) vec.Kernel {
	a := s.Const()
	u := 32 / s.Lanes
	x, y := vec.At(reg.RSI, 0), vec.At(reg.RDI, 0)
	return vec.Kernel{
		Name:      "axpy",
		Signature: "func(a float64, x, y []float64)",
		GoLoop:    "for i := range x { y[i] = math.FMA(a, x[i], y[i]) } (one rounding)",
		Regs:      []string{fmt.Sprintf("%s..%s = y, then y+a·x", s.VName(0), s.VName(u-1))},
		Broadcast: "a",
		Slices:    []vec.Slice{{Param: "x", Reg: reg.RSI}, {Param: "y", Reg: reg.RDI}},
		Loop: vec.Loop{
			ISA:    s,
			Unroll: u,
			Body: func(offs []int) {
				for j, o := range offs {
					VMOVUPD(vec.At(reg.RDI, o), s.V(j))
				}
				for j, o := range offs {
					VFMADD231PD(vec.At(reg.RSI, o), a, s.V(j))
				}
				for j, o := range offs {
					VMOVUPD(s.V(j), vec.At(reg.RDI, o))
				}
			},
			Scalar: func() {
				VMOVSD(y, reg.X0)
				VFMADD231SD(x, reg.X15, reg.X0)
				VMOVSD(reg.X0, y)
			},
			Masked: func() {
				VMOVUPD_Z(y, reg.K1, s.V(0))
				VMOVUPD_Z(x, reg.K1, s.V(1))
				VFMADD231PD(s.V(1), a, s.V(0))
				VMOVUPD(s.V(0), reg.K1, y)
			},
		},
	}
}

// scal: 4 vectors per main-loop iteration (16 elements on AVX2, 32 on
// AVX-512).
func scal(s vec.ISA) vec.Kernel {
	a := s.Const()
	x := vec.At(reg.RSI, 0)
	return vec.Kernel{
		Name:      "scal",
		Signature: "func(a float64, x []float64)",
		GoLoop:    "for i := range x { x[i] *= a } (one multiplication, exact as the generic loop)",
		Regs:      []string{fmt.Sprintf("%s..%s = products", s.VName(0), s.VName(3))},
		Broadcast: "a",
		Slices:    []vec.Slice{{Param: "x", Reg: reg.RSI}},
		Loop: vec.Loop{
			ISA:    s,
			Unroll: 4,
			Body: func(offs []int) {
				for j, o := range offs {
					VMULPD(vec.At(reg.RSI, o), a, s.V(j))
				}
				for j, o := range offs {
					VMOVUPD(s.V(j), vec.At(reg.RSI, o))
				}
			},
			Scalar: func() {
				VMULSD(x, reg.X15, reg.X0)
				VMOVSD(reg.X0, x)
			},
			Masked: func() {
				VMOVUPD_Z(x, reg.K1, s.V(0))
				VMULPD(s.V(0), a, s.V(0))
				VMOVUPD(s.V(0), reg.K1, x)
			},
		},
	}
}
