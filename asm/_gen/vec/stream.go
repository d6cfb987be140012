package vec

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// NTMinLen is the Go variable ·ntMinLen (asm/stubs_amd64.go): from that
// many elements on, a Stream loop writes dst with non-temporal stores.
var NTMinLen = Mem{Symbol: Symbol{Name: "·ntMinLen"}, Base: reg.StaticBase}

// Stream is an elementwise loop writing dst (base in DI) that switches to
// streaming stores (VMOVNTPD) for n ≥ ·ntMinLen. VMOVNTPD needs an aligned
// address, so the streaming path first peels the elements before dst's
// first vector-aligned address (a scalar loop on AVX2, one masked vector on
// AVX-512), streams whole iterations of the main loop, fences (SFENCE), and
// leaves the rest to the ordinary one-vector loop and tail. A dst that is
// not even 8-byte aligned never streams.
type Stream struct {
	ISA    ISA
	Unroll int
	// Body emits one step on the vectors at the byte offsets offs from BX
	// and stores vector j to dst at offs[j] with store (VMOVUPD or
	// VMOVNTPD).
	Body func(offs []int, store func(v reg.VecPhysical, off int))
	// Scalar emits one element at BX (AVX2: tail and peel).
	Scalar func()
	// Masked emits the vector at BX under mask K1 (AVX-512: tail and peel).
	Masked func()
}

// Width is the vector width of the loop.
func (l Stream) Width() ISA { return l.ISA }

// Doc describes the loop.
func (l Stream) Doc() []string {
	s := l.ISA
	d := []string{fmt.Sprintf("Loops: %d vectors (%d elements) per iteration, then one vector,", l.Unroll, l.Unroll*s.Lanes)}
	if s.Masked {
		d = append(d, "then the last n − i < 8 elements as one vector under mask K1 (AX scratch).",
			"Streaming path (n ≥ ntMinLen, dst 8-byte aligned): the 0..7 elements before",
			"dst's first 64-byte boundary as one masked vector (R9 saves n), the main",
			"loop with VMOVNTPD, SFENCE, then the one-vector loop and tail above.")
	} else {
		d = append(d, "then a scalar loop over the last n − i < 4 elements (in X registers).",
			"Streaming path (n ≥ ntMinLen, dst 8-byte aligned): the scalar loop until",
			"dst+8·i is 32-byte aligned (0..3 elements), the main loop with VMOVNTPD,",
			"SFENCE, then the one-vector loop and tail above.")
	}
	return d
}

// Emit writes the loop.
func (l Stream) Emit() {
	s := l.ISA
	lb := newLabels(s, l.Unroll)
	step, main, vecLabel, offs := lb.step, lb.main, lb.vec, lb.offs
	store := func(st func(v, m Op)) func(v reg.VecPhysical, off int) {
		return func(v reg.VecPhysical, off int) { st(v, At(reg.RDI, off)) }
	}
	movupd := func(v, m Op) { VMOVUPD(v, m) }
	// bound sets DX to i + the multiple of m elements left from i.
	bound := func(m int) {
		MOVQ(reg.RCX, reg.RDX)
		SUBQ(reg.RBX, reg.RDX)
		ANDQ(I32(-m), reg.RDX)
		ADDQ(reg.RBX, reg.RDX)
	}

	XORQ(reg.RBX, reg.RBX)
	CMPQ(reg.RCX, NTMinLen)
	JAE(LabelRef("nt"))

	Label("cached")
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-step), reg.RDX)

	Label(main)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(vecLabel))
	l.Body(offs, store(movupd))
	ADDQ(I32(step), reg.RBX)
	JMP(LabelRef(main))

	Label(vecLabel)
	bound(s.Lanes)

	emitOneAndTail(s, lb, func() { l.Body([]int{0}, store(movupd)) }, l.Scalar, l.Masked)

	Label("nt")
	TESTQ(I32(7), reg.RDI)
	JNZ(LabelRef("cached"))
	if s.Masked {
		// The peel: CX ← elements before the 64-byte boundary, K1 ← that
		// many low bits; the masked vector at i = 0; then i ← peel.
		MOVQ(reg.RCX, reg.R9)
		MOVQ(reg.RDI, reg.RCX)
		NEGQ(reg.RCX)
		ANDQ(I32(s.Bytes()-1), reg.RCX)
		SHRQ(U8(3), reg.RCX)
		maskCL()
		l.Masked()
		MOVQ(reg.RCX, reg.RBX)
		MOVQ(reg.R9, reg.RCX)
		bound(step)
	} else {
		MOVQ(reg.RDI, reg.RDX)
		NEGQ(reg.RDX)
		ANDQ(I32(s.Bytes()-1), reg.RDX)
		SHRQ(U8(3), reg.RDX)

		Label("ntpeel")
		CMPQ(reg.RBX, reg.RDX)
		JAE(LabelRef("ntmain"))
		l.Scalar()
		INCQ(reg.RBX)
		JMP(LabelRef("ntpeel"))

		Label("ntmain")
		bound(step)
	}

	Label("ntloop")
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef("ntdone"))
	l.Body(offs, store(VMOVNTPD))
	ADDQ(I32(step), reg.RBX)
	JMP(LabelRef("ntloop"))

	Label("ntdone")
	SFENCE()
	JMP(LabelRef(vecLabel))
}

// maskCL sets K1 to the low CX bits (CX ≤ 8; AX scratch).
func maskCL() {
	MOVQ(I32(1), reg.RAX)
	SHLQ(reg.CL, reg.RAX)
	DECQ(reg.RAX)
	KMOVW(reg.EAX, reg.K1)
}
