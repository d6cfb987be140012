// Command dot generates asm/dot_amd64.s: Dot (Σ x_i·y_i) for AVX2 and
// AVX-512 from one description parameterised by the vector width.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

func main() {
	for _, s := range vec.Both {
		dot(s)
	}
	ConstraintExpr("!purego")
	Generate()
}

// dot sums in an order that depends only on n: four accumulators V0..V3
// over the main loop (4 vectors per iteration), the one-vector loop into
// V0, on AVX-512 the masked tail (the last n mod 8 elements, zero-masked so
// nothing past the slices is read) into V1; then (V0+V1)+(V2+V3), a
// horizontal sum into X0, and on AVX2 the scalar tail (n mod 4 elements)
// added with VFMADD231SD.
func dot(s vec.ISA) {
	TEXT("dot"+s.Name, NOSPLIT, "func(x, y []float64) float64")
	lanes, step := s.Lanes, 4*s.Lanes
	acc := func(j int) reg.VecPhysical { return s.V(j) }
	ld := func(j int) reg.VecPhysical { return s.V(4 + j) }
	lines := []string{
		"Go loop: for i := range x { sum += x[i] * y[i] }, in the order below (it depends only on n).",
		"Registers:",
		"  SI = &x[0], DI = &y[0], CX = n = len(x), BX = i, DX = loop bound",
		fmt.Sprintf("  %s..%s = four accumulators, %s..%s = loaded x", s.VName(0), s.VName(3), s.VName(4), s.VName(7)),
		fmt.Sprintf("Loops: 4 vectors (%d elements) per iteration with VFMADD231PD into the four", step),
		fmt.Sprintf("accumulators, then one vector (%d elements) into %s;", lanes, s.VName(0)),
	}
	if s.Masked {
		lines = append(lines, "the masked tail (the last n mod 8 elements, zero-masked loads under",
			"K1 = 2^(n mod 8)−1, AX scratch) into Z1; then (Z0+Z1)+(Z2+Z3) and a",
			"horizontal sum into X0.")
	} else {
		lines = append(lines, "then (Y0+Y1)+(Y2+Y3), a horizontal sum into X0, and the scalar tail",
			"(n mod 4 elements) added with VFMADD231SD.")
	}
	Comment(lines...)
	Load(Param("x").Base(), reg.RSI)
	Load(Param("x").Len(), reg.RCX)
	Load(Param("y").Base(), reg.RDI)
	for j := 0; j < 4; j++ {
		if s.Masked {
			VPXORQ(acc(j), acc(j), acc(j))
		} else {
			VXORPD(acc(j), acc(j), acc(j))
		}
	}
	XORQ(reg.RBX, reg.RBX)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-step), reg.RDX)

	main, vecL, one := fmt.Sprintf("loop%d", step), fmt.Sprintf("vec%d", lanes), fmt.Sprintf("loop%d", lanes)
	after := "reduce"
	if s.Masked {
		after = "tail"
	}
	Label(main)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(vecL))
	for j := 0; j < 4; j++ {
		VMOVUPD(vec.At(reg.RSI, j*s.Bytes()), ld(j))
	}
	for j := 0; j < 4; j++ {
		VFMADD231PD(vec.At(reg.RDI, j*s.Bytes()), ld(j), acc(j))
	}
	ADDQ(I32(step), reg.RBX)
	JMP(LabelRef(main))

	Label(vecL)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-lanes), reg.RDX)

	Label(one)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(after))
	VMOVUPD(vec.At(reg.RSI, 0), ld(0))
	VFMADD231PD(vec.At(reg.RDI, 0), ld(0), acc(0))
	ADDQ(I32(lanes), reg.RBX)
	JMP(LabelRef(one))

	if s.Masked {
		Label("tail")
		vec.MaskTail()
		VMOVUPD_Z(vec.At(reg.RSI, 0), reg.K1, ld(0))
		VMOVUPD_Z(vec.At(reg.RDI, 0), reg.K1, ld(1))
		VFMADD231PD(ld(1), ld(0), acc(1))
		reduce(s)
		VZEROUPPER()
		VMOVSD(reg.X0, NewParamAddr("ret", 48))
		RET()
		return
	}
	Label("reduce")
	reduce(s)

	Label("scalar")
	CMPQ(reg.RBX, reg.RCX)
	JAE(LabelRef("done"))
	VMOVSD(vec.At(reg.RSI, 0), reg.X1)
	VFMADD231SD(vec.At(reg.RDI, 0), reg.X1, reg.X0)
	INCQ(reg.RBX)
	JMP(LabelRef("scalar"))

	Label("done")
	VZEROUPPER()
	VMOVSD(reg.X0, NewParamAddr("ret", 48))
	RET()
}

// reduce sets X0 to the sum (V0+V1)+(V2+V3) of the accumulators, halving
// the width down to one lane.
func reduce(s vec.ISA) {
	VADDPD(s.V(1), s.V(0), s.V(0))
	VADDPD(s.V(3), s.V(2), s.V(2))
	VADDPD(s.V(2), s.V(0), s.V(0))
	if s.Masked {
		VEXTRACTF64X4(U8(1), reg.Z0, reg.Y1)
		VADDPD(reg.Y1, reg.Y0, reg.Y0)
	}
	VEXTRACTF128(U8(1), reg.Y0, reg.X1)
	VADDPD(reg.X1, reg.X0, reg.X0)
	VPERMILPD(U8(1), reg.X0, reg.X1)
	VADDSD(reg.X1, reg.X0, reg.X0)
}
