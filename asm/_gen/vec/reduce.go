package vec

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The maxima of |x| that several kernels return are taken on bit patterns:
// |x| as a signed 64-bit integer orders like the value, and every NaN (sign
// cleared) lies above +Inf, so an integer max is the exact max |x_i|, or a
// NaN whenever one is present.

// ReduceMax256 reduces the four lanes of the running maximum y (bits; x is
// its low half) into the general register gp (X1, X2 scratch).
func ReduceMax256(y, x reg.VecPhysical, gp reg.Register) {
	VEXTRACTF128(U8(1), y, reg.X1)
	VPCMPGTQ(x, reg.X1, reg.X2)
	VBLENDVPD(reg.X2, reg.X1, x, x)
	VPERMILPD(U8(1), x, reg.X1)
	VPCMPGTQ(x, reg.X1, reg.X2)
	VBLENDVPD(reg.X2, reg.X1, x, x)
	VMOVQ(x, gp)
}

// ReduceMax512 reduces the eight lanes of the running maximum z (bits)
// into every lane of dst (zmm shuffles only: AVX-512VL is not assumed);
// scratch is clobbered. dst may be z.
func ReduceMax512(z, dst, scratch reg.VecPhysical) {
	VSHUFI64X2(U8(0x4e), z, z, scratch)
	VPMAXSQ(scratch, z, dst)
	VSHUFI64X2(U8(0xb1), dst, dst, scratch)
	VPMAXSQ(scratch, dst, dst)
	VPSHUFD(U8(0x4e), dst, scratch)
	VPMAXSQ(scratch, dst, dst)
}

// Zero clears the vector registers (VPXORQ on AVX-512, VXORPD on AVX2).
func (s ISA) Zero(vs ...reg.VecPhysical) {
	for _, v := range vs {
		if s.Masked {
			VPXORQ(v, v, v)
		} else {
			VXORPD(v, v, v)
		}
	}
}

// PairLoop writes the loop of the reductions with two vectors in flight:
// pair (two vectors at i) per iteration while 2·Lanes elements are left,
// then single (one vector) once if Lanes are left, then falls through to
// the label after (which the caller places: the tail). The labels are
// prefix+"loop<2·Lanes>" and prefix+"vec<Lanes>". BX = i (cleared here),
// CX = n, DX the bound.
func PairLoop(s ISA, prefix, after string, pair, single func()) {
	lanes := s.Lanes
	mainL, vecL := fmt.Sprintf("%sloop%d", prefix, 2*lanes), fmt.Sprintf("%svec%d", prefix, lanes)
	XORQ(reg.RBX, reg.RBX)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-2*lanes), reg.RDX)

	Label(mainL)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(vecL))
	pair()
	ADDQ(I32(2*lanes), reg.RBX)
	JMP(LabelRef(mainL))

	Label(vecL)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-lanes), reg.RDX)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(after))
	single()
	ADDQ(I32(lanes), reg.RBX)
}

// FMALoop writes the body of an FMA throughput loop: CX = n iterations of
// V(j) += x·y for j < chains (one VFMADD231PD each, independent chains),
// then VZEROUPPER and RET. n ≤ 0 runs no iteration.
func FMALoop(s ISA, chains int, x, y reg.VecPhysical) {
	TESTQ(reg.RCX, reg.RCX)
	JLE(LabelRef("done"))

	Label("loop")
	for j := 0; j < chains; j++ {
		VFMADD231PD(x, y, s.V(j))
	}
	DECQ(reg.RCX)
	JNZ(LabelRef("loop"))

	Label("done")
	VZEROUPPER()
	RET()
}
