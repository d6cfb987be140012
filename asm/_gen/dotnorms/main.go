// Command dotnorms generates asm/dotnorms_amd64.s: the fast pass of
// DotNorms, one read of x and y giving the dot product and, for each
// slice, Σ|·|, Σ(·)² and max|·| (see dotNormsSums in asm/dotnorms.go),
// for AVX2 and AVX-512.
//
// Both widths use the same accumulator layout, two sets of seven:
//
//	set A  set B  value
//	  0      1    Σ x_i·y_i   (VFMADD231PD)
//	  2      3    Σ |x_i|     (the abs mask, VADDPD)
//	  4      5    Σ x_i²      (VFMADD231PD)
//	  6      7    max |x_i|
//	  8      9    Σ |y_i|
//	 10     11    Σ y_i²
//	 12     13    max |y_i|
//
// Each value's partial sums are combined as A+B, then across lanes
// (halving the width down to one lane); the order depends only on len(x).
// AVX2's maxima are VMAXPD, which does not carry NaN along (the Go side
// restores NaN from Σ|x_i|, finishNorms); AVX-512's are VPMAXSQ on the bits
// of |·|, exact, a NaN winning (as in maxAbs).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

var absmask Mem

var results = []string{"dot", "l1x", "ssqx", "maxx", "l1y", "ssqy", "maxy"}

func main() {
	ConstraintExpr("!purego")
	absmask = GLOBL("absmask4", RODATA|NOPTR)
	for i := 0; i < 4; i++ {
		DATA(8*i, U64(0x7fffffffffffffff))
	}
	for _, s := range vec.Both {
		dotNorms(s)
	}
	Generate()
}

// fold folds the pairs in tx (x) and ty (y) into accumulator set b (0 =
// A, 1 = B): the product and squares fused before the abs mask overwrites
// tx and ty.
func fold(s vec.ISA, tx, ty reg.VecPhysical, b int) {
	acc := func(v int) reg.VecPhysical { return s.V(2*v + b) }
	VFMADD231PD(ty, tx, acc(0))
	VFMADD231PD(tx, tx, acc(2))
	VFMADD231PD(ty, ty, acc(5))
	if s.Masked {
		VPANDQ(tx, reg.Z31, tx)
		VPANDQ(ty, reg.Z31, ty)
	} else {
		VANDPD(absmask, tx, tx) // memory operand: all 16 ymm are taken
		VANDPD(absmask, ty, ty)
	}
	VADDPD(tx, acc(1), acc(1))
	VADDPD(ty, acc(4), acc(4))
	if s.Masked {
		VPMAXSQ(tx, acc(3), acc(3))
		VPMAXSQ(ty, acc(6), acc(6))
	} else {
		VMAXPD(tx, acc(3), acc(3))
		VMAXPD(ty, acc(6), acc(6))
	}
}

// isMax tells the maxima (values 3 and 6) from the sums.
func isMax(v int) bool { return v == 3 || v == 6 }

func dotNorms(s vec.ISA) {
	TEXT("dotNormsSums"+s.Name, NOSPLIT, "func(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)")
	lines := []string{
		"Go loop: dotNormsSums (asm/dotnorms.go); accumulators as in the table of asm/_gen/dotnorms.",
		"Registers:",
		"  SI = &x[0], DI = &y[0], CX = n = len(x), BX = i, DX = loop bound",
		fmt.Sprintf("  %s..%s = the two accumulator sets (maxima start at +0)", s.VName(0), s.VName(13)),
	}
	if s.Masked {
		lines = append(lines,
			"  Z16/Z17 = x/y of the first block, Z18/Z19 of the second; Z31 = abs mask;",
			"  K1 = tail mask, AX its scratch; Z15 = reduction scratch",
			"Loops: 2 vectors per slice (16 pairs) per iteration, the first into set A, the",
			"second into set B; at most one more vector into A; the masked tail (the last",
			"n mod 8 pairs, zero-masked under K1: their zeros add nothing and never win a",
			"maximum) into B; B folded into A and each value reduced into its low lane.")
	} else {
		lines = append(lines,
			"  Y14 = x block, Y15 = y block; in the scalar tail X1 = abs mask, X14/X15 = x_i/y_i",
			"Loops: 2 vectors per slice (8 pairs) per iteration, the first into set A, the",
			"second into set B; at most one more vector into A; B folded into A and each",
			"value reduced into its low lane; the scalar tail (0..3 pairs) with VFMADD231SD,",
			"VADDSD, VMAXSD.")
	}
	Comment(lines...)
	Load(Param("x").Base(), reg.RSI)
	Load(Param("x").Len(), reg.RCX)
	Load(Param("y").Base(), reg.RDI)
	if s.Masked {
		VBROADCASTSD(absmask, reg.Z31)
	}
	for j := 0; j < 14; j++ {
		if s.Masked {
			VPXORQ(s.V(j), s.V(j), s.V(j))
		} else {
			VXORPD(s.V(j), s.V(j), s.V(j))
		}
	}
	after := "reduce"
	tx, ty := reg.Y14, reg.Y15
	if s.Masked {
		after = "tail"
		tx, ty = reg.Z16, reg.Z17
	}
	vec.PairLoop(s, "", after, func() {
		if s.Masked {
			VMOVUPD(vec.At(reg.RSI, 0), reg.Z16)
			VMOVUPD(vec.At(reg.RDI, 0), reg.Z17)
			VMOVUPD(vec.At(reg.RSI, 64), reg.Z18)
			VMOVUPD(vec.At(reg.RDI, 64), reg.Z19)
			fold(s, reg.Z16, reg.Z17, 0)
			fold(s, reg.Z18, reg.Z19, 1)
			return
		}
		for b := 0; b < 2; b++ {
			VMOVUPD(vec.At(reg.RSI, 32*b), tx)
			VMOVUPD(vec.At(reg.RDI, 32*b), ty)
			fold(s, tx, ty, b)
		}
	}, func() {
		VMOVUPD(vec.At(reg.RSI, 0), tx)
		VMOVUPD(vec.At(reg.RDI, 0), ty)
		fold(s, tx, ty, 0)
	})

	if s.Masked {
		Label("tail")
		vec.MaskTail()
		VMOVUPD_Z(vec.At(reg.RSI, 0), reg.K1, tx)
		VMOVUPD_Z(vec.At(reg.RDI, 0), reg.K1, ty)
		fold(s, tx, ty, 1)
		reduce(s)
		VZEROUPPER()
		store()
		RET()
		return
	}
	Label("reduce")
	reduce(s)
	VMOVSD(absmask, reg.X1)

	Label("scalar")
	CMPQ(reg.RBX, reg.RCX)
	JAE(LabelRef("done"))
	VMOVSD(vec.At(reg.RSI, 0), reg.X14)
	VMOVSD(vec.At(reg.RDI, 0), reg.X15)
	VFMADD231SD(reg.X15, reg.X14, reg.X0)
	VFMADD231SD(reg.X14, reg.X14, reg.X4)
	VFMADD231SD(reg.X15, reg.X15, reg.X10)
	VANDPD(reg.X1, reg.X14, reg.X14)
	VANDPD(reg.X1, reg.X15, reg.X15)
	VADDSD(reg.X14, reg.X2, reg.X2)
	VADDSD(reg.X15, reg.X8, reg.X8)
	VMAXSD(reg.X14, reg.X6, reg.X6)
	VMAXSD(reg.X15, reg.X12, reg.X12)
	INCQ(reg.RBX)
	JMP(LabelRef("scalar"))

	Label("done")
	VZEROUPPER()
	store()
	RET()
}

var xmm = []reg.VecPhysical{reg.X0, reg.X1, reg.X2, reg.X3, reg.X4, reg.X5, reg.X6, reg.X7,
	reg.X8, reg.X9, reg.X10, reg.X11, reg.X12, reg.X13}
var ymm = []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
	reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13}

// reduce folds set B into set A and each value of A across lanes into its
// low lane (scratch register 15).
func reduce(s vec.ISA) {
	for v := 0; v < 7; v++ {
		a, b := s.V(2*v), s.V(2*v+1)
		switch {
		case isMax(v) && s.Masked:
			VPMAXSQ(b, a, a)
		case isMax(v):
			VMAXPD(b, a, a)
		default:
			VADDPD(b, a, a)
		}
	}
	for v := 0; v < 7; v++ {
		r := 2 * v
		if s.Masked {
			if isMax(v) {
				vec.ReduceMax512(s.V(r), s.V(r), reg.Z15)
				continue
			}
			VEXTRACTF64X4(U8(1), s.V(r), reg.Y15)
			VADDPD(reg.Y15, ymm[r], ymm[r])
		}
		x := xmm[r]
		VEXTRACTF128(U8(1), ymm[r], reg.X15)
		if isMax(v) {
			VMAXPD(reg.X15, x, x)
			VPERMILPD(U8(1), x, reg.X15)
			VMAXSD(reg.X15, x, x)
		} else {
			VADDPD(reg.X15, x, x)
			VPERMILPD(U8(1), x, reg.X15)
			VADDSD(reg.X15, x, x)
		}
	}
}

// store writes the seven results from the low lanes of the set-A registers.
func store() {
	for v, name := range results {
		VMOVSD(xmm[2*v], NewParamAddr(name, 48+8*v))
	}
}
