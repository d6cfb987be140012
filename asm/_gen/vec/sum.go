package vec

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Sum is a reduction into four vector accumulators V0..V3 in an order that
// depends only on n = CX: Unroll = 4 vectors per main-loop iteration (one
// per accumulator), the one-vector loop into V0, on AVX-512 the masked tail
// into V1; then (V0+V1)+(V2+V3), a horizontal sum into X0, on AVX2 the
// scalar tail added to X0, and X0 is returned (result at frame offset Ret).
type Sum struct {
	ISA ISA
	// Setup runs before the accumulators are cleared (constants).
	Setup func()
	// Body accumulates the vectors at the byte offsets offs from BX,
	// vector j into accumulator V(j), with V(4+j) as its scratch.
	Body func(offs []int)
	// Masked accumulates the tail vector at BX under mask K1 into V1
	// (AVX-512; scratch V4, V5).
	Masked func()
	// Scalar adds the element at BX to X0 (AVX2; scratch X1).
	Scalar func()
	// Ret is the frame offset of the float64 result.
	Ret int
	// Reduce, if set, replaces SumAcc: it combines the accumulators into
	// the result (AVX2: before the scalar tail).
	Reduce func()
	// Store, if set, replaces the store of X0 to the result.
	Store func(ret Mem)
	// IntZero clears the AVX2 accumulators with VPXOR (integer data).
	IntZero bool
}

// Emit writes the reduction with VZEROUPPER, the result store and RET.
func (l Sum) Emit() {
	s := l.ISA
	if l.Setup != nil {
		l.Setup()
	}
	if l.IntZero && !s.Masked {
		for j := 0; j < 4; j++ {
			VPXOR(s.V(j), s.V(j), s.V(j))
		}
	} else {
		s.Zero(s.V(0), s.V(1), s.V(2), s.V(3))
	}
	reduce, store := l.Reduce, l.Store
	if reduce == nil {
		reduce = func() { SumAcc(s) }
	}
	if store == nil {
		store = func(ret Mem) { VMOVSD(reg.X0, ret) }
	}
	lb := newLabels(s, 4)
	XORQ(reg.RBX, reg.RBX)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-lb.step), reg.RDX)
	after := "reduce"
	if s.Masked {
		after = "tail"
	}
	Label(lb.main)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(lb.vec))
	l.Body(lb.offs)
	ADDQ(I32(lb.step), reg.RBX)
	JMP(LabelRef(lb.main))

	Label(lb.vec)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-s.Lanes), reg.RDX)

	Label(lb.one)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(after))
	l.Body([]int{0})
	ADDQ(I32(s.Lanes), reg.RBX)
	JMP(LabelRef(lb.one))

	ret := NewParamAddr("ret", l.Ret)
	if s.Masked {
		Label("tail")
		MaskTail()
		l.Masked()
		reduce()
		VZEROUPPER()
		store(ret)
		RET()
		return
	}
	Label("reduce")
	reduce()

	Label("scalar")
	CMPQ(reg.RBX, reg.RCX)
	JAE(LabelRef("done"))
	l.Scalar()
	INCQ(reg.RBX)
	JMP(LabelRef("scalar"))

	Label("done")
	VZEROUPPER()
	store(ret)
	RET()
}

// Doc describes the loops of a Sum whose per-element work is what.
func (l Sum) Doc(what string) []string {
	s := l.ISA
	d := []string{
		fmt.Sprintf("Loops: 4 vectors (%d elements) per iteration, %s into the four", 4*s.Lanes, what),
		fmt.Sprintf("accumulators, then one vector (%d elements) into %s;", s.Lanes, s.VName(0)),
	}
	if s.Masked {
		return append(d, "the masked tail (the last n mod 8 elements, zero-masked loads under",
			"K1 = 2^(n mod 8)−1, AX scratch) into Z1; then (Z0+Z1)+(Z2+Z3) and a",
			"horizontal sum into X0.")
	}
	return append(d, "then (Y0+Y1)+(Y2+Y3), a horizontal sum into X0, and the scalar tail",
		"(n mod 4 elements) added in order.")
}

// SumAcc sets X0 to (V0+V1)+(V2+V3), halving the width down to one lane
// (X1, Y1 scratch).
func SumAcc(s ISA) {
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
