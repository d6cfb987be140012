// Command dot generates asm/dot_amd64.s: Dot (Σ x_i·y_i) for AVX2 and
// AVX-512, a vec.Sum reduction.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
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

func dot(s vec.ISA) {
	TEXT("dot"+s.Name, NOSPLIT, "func(x, y []float64) float64")
	l := vec.Sum{
		ISA: s,
		Ret: 48,
		Body: func(offs []int) {
			for j, o := range offs {
				VMOVUPD(vec.At(reg.RSI, o), s.V(4+j))
			}
			for j, o := range offs {
				VFMADD231PD(vec.At(reg.RDI, o), s.V(4+j), s.V(j))
			}
		},
		Masked: func() {
			VMOVUPD_Z(vec.At(reg.RSI, 0), reg.K1, s.V(4))
			VMOVUPD_Z(vec.At(reg.RDI, 0), reg.K1, s.V(5))
			VFMADD231PD(s.V(5), s.V(4), s.V(1))
		},
		Scalar: func() {
			VMOVSD(vec.At(reg.RSI, 0), reg.X1)
			VFMADD231SD(vec.At(reg.RDI, 0), reg.X1, reg.X0)
		},
	}
	Comment(append([]string{
		"Go loop: for i := range x { sum += x[i] * y[i] }, in the order below (it depends only on n).",
		"Registers:",
		"  SI = &x[0], DI = &y[0], CX = n = len(x), BX = i, DX = loop bound",
		fmt.Sprintf("  %s..%s = four accumulators, %s..%s = loaded x", s.VName(0), s.VName(3), s.VName(4), s.VName(7)),
	}, l.Doc("VFMADD231PD")...)...)
	Load(Param("x").Base(), reg.RSI)
	Load(Param("x").Len(), reg.RCX)
	Load(Param("y").Base(), reg.RDI)
	l.Emit()
}
