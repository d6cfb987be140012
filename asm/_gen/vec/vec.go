// Package vec holds what margo's avo generators share: the two amd64
// vector widths and the skeleton of an elementwise loop over float64
// slices (an unrolled main loop, a one-vector loop, and a tail that is a
// scalar loop on AVX2 and one masked vector on AVX-512).
package vec

import (
	"fmt"

	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// ISA is one vector width.
type ISA struct {
	Name   string // suffix of the kernel names: AVX2, AVX512
	Lanes  int    // float64 values per vector
	Masked bool   // the tail is one vector under a mask (AVX-512), else a scalar loop
}

var (
	// AVX2 works on ymm registers (4 float64) with FMA3.
	AVX2 = ISA{"AVX2", 4, false}
	// AVX512 works on zmm registers (8 float64) with AVX-512F masks.
	AVX512 = ISA{"AVX512", 8, true}
)

// Both is the order in which a generator emits its widths.
var Both = []ISA{AVX2, AVX512}

// Bytes is the width of a vector in bytes.
func (s ISA) Bytes() int { return 8 * s.Lanes }

var (
	ymm = []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}
	zmm = []reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
		reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
		reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
		reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31}
)

// V returns vector register i (Yi or Zi).
func (s ISA) V(i int) reg.VecPhysical {
	if s.Masked {
		return zmm[i]
	}
	return ymm[i]
}

// VName is the assembler name of vector register i, for comments.
func (s ISA) VName(i int) string {
	if s.Masked {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

// Const is the register that holds a broadcast scalar: Y15 or Z31 (the
// last one, out of the way of the numbered working registers).
func (s ISA) Const() reg.VecPhysical {
	if s.Masked {
		return reg.Z31
	}
	return reg.Y15
}

// At is the element at byte offset disp from index BX in the slice whose
// base is in r: disp(r)(BX*8).
func At(r reg.Register, disp int) Mem {
	return Mem{Base: r, Index: reg.RBX, Scale: 8, Disp: disp}
}

// Addr is the frame address of a scalar argument.
func Addr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// Loop is an elementwise loop over n = CX elements with index BX.
type Loop struct {
	ISA    ISA
	Unroll int // vectors per iteration of the main loop
	// Body emits one step on the vectors at the given byte offsets from
	// BX (Unroll of them in the main loop, one in the vector loop); vector
	// j of the step is register ISA.V(j).
	Body func(offs []int)
	// Scalar emits one element at BX (AVX2's tail, 0..Lanes−1 times).
	Scalar func()
	// Masked emits the tail vector at BX under mask K1 (AVX-512: the last
	// n mod Lanes elements; masked-off lanes must be neither read nor
	// written).
	Masked func()
}

// Emit writes the loop, VZEROUPPER and RET. It clobbers CX (on AVX-512),
// DX and AX.
func (l Loop) Emit() {
	s := l.ISA
	lb := newLabels(s, l.Unroll)
	step, main, vecLabel, offs := lb.step, lb.main, lb.vec, lb.offs
	XORQ(reg.RBX, reg.RBX)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-step), reg.RDX)

	Label(main)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(vecLabel))
	l.Body(offs)
	ADDQ(I32(step), reg.RBX)
	JMP(LabelRef(main))

	Label(vecLabel)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-s.Lanes), reg.RDX)

	emitOneAndTail(s, lb, func() { l.Body([]int{0}) }, l.Scalar, l.Masked)
}

// emitOneAndTail writes the one-vector loop (up to the bound in DX), the
// tail (a scalar loop up to n = CX, or one masked vector), VZEROUPPER and
// RET.
func emitOneAndTail(s ISA, lb labels, body, scalar, masked func()) {
	Label(lb.one)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(lb.tail))
	body()
	ADDQ(I32(s.Lanes), reg.RBX)
	JMP(LabelRef(lb.one))

	Label(lb.tail)
	if s.Masked {
		MaskTail()
		masked()
		VZEROUPPER()
		RET()
		return
	}
	CMPQ(reg.RBX, reg.RCX)
	JAE(LabelRef("done"))
	scalar()
	INCQ(reg.RBX)
	JMP(LabelRef("scalar"))

	Label("done")
	VZEROUPPER()
	RET()
}

// labels are the names of a loop's blocks and the byte offsets of the
// vectors of one main-loop iteration.
type labels struct {
	step                 int // elements per main-loop iteration
	main, vec, one, tail string
	offs                 []int
}

func newLabels(s ISA, unroll int) labels {
	l := labels{step: unroll * s.Lanes, vec: fmt.Sprintf("vec%d", s.Lanes),
		one: fmt.Sprintf("loop%d", s.Lanes), tail: "scalar"}
	l.main = fmt.Sprintf("loop%d", l.step)
	if s.Masked {
		l.tail = "tail"
	}
	for j := 0; j < unroll; j++ {
		l.offs = append(l.offs, j*s.Bytes())
	}
	return l
}

// MapBody is the Stream body of a kernel dst = op(x) with x's base in src:
// load the vectors, apply op to each (vector j is ISA.V(j)), store them.
func MapBody(s ISA, src reg.Register, op func(v reg.VecPhysical, j int)) func(offs []int, store func(reg.VecPhysical, int)) {
	return func(offs []int, store func(reg.VecPhysical, int)) {
		for j, o := range offs {
			VMOVUPD(At(src, o), s.V(j))
		}
		for j := range offs {
			op(s.V(j), j)
		}
		for j, o := range offs {
			store(s.V(j), o)
		}
	}
}

// MaskTail sets K1 to the low n−i bits, n = CX, i = BX (0 ≤ n−i < 8):
// CX ← n−i, AX ← 2^(n−i) − 1.
func MaskTail() {
	SUBQ(reg.RBX, reg.RCX)
	maskCL()
}

// Slice is a slice argument of a kernel and the register holding its base.
type Slice struct {
	Param string
	Reg   reg.Register
}

// Looper is a loop skeleton: Doc describes it for the comment at the top
// of the TEXT block, Emit writes it with VZEROUPPER and RET.
type Looper interface {
	Width() ISA
	Doc() []string
	Emit()
}

// Width is the vector width of the loop.
func (l Loop) Width() ISA { return l.ISA }

// Doc describes the loop.
func (l Loop) Doc() []string {
	s := l.ISA
	d := []string{fmt.Sprintf("Loops: %d vectors (%d elements) per iteration, then one vector,", l.Unroll, l.Unroll*s.Lanes)}
	if s.Masked {
		return append(d, "then the last n mod 8 elements as one vector under mask K1",
			"(zero-masked loads, masked stores: nothing outside the slices is touched).")
	}
	return append(d, "then a scalar loop over the last n mod 4 elements (in X registers).")
}

// Kernel is an elementwise kernel on one width: its signature, the Go loop
// it implements and its register roles (written as comments at the top of
// the TEXT block), the scalar argument broadcast into ISA.Const(), the
// slices whose bases are loaded (the first one named in Len gives n), any
// further setup, and its loop.
type Kernel struct {
	Name      string // without the width suffix
	Signature string
	GoLoop    string   // the meaning, as a Go loop
	Regs      []string // register roles beyond the common ones
	Broadcast string   // scalar argument put in ISA.Const(), "" for none
	Slices    []Slice
	Len       string // the slice whose length is n (default: the first)
	Setup     func() // after the arguments are loaded; may be nil
	Loop      Looper
}

// Emit writes the TEXT block of k.
func (k Kernel) Emit() {
	s := k.Loop.Width()
	TEXT(k.Name+s.Name, NOSPLIT, k.Signature)
	n := k.Len
	if n == "" {
		n = k.Slices[0].Param
	}
	lines := []string{"Go loop: " + k.GoLoop, "Registers:"}
	if k.Broadcast != "" {
		lines = append(lines, fmt.Sprintf("  %s = %s (broadcast)", s.Const().Asm(), k.Broadcast))
	}
	for _, a := range k.Slices {
		lines = append(lines, fmt.Sprintf("  %s = &%s[0]", a.Reg.Asm(), a.Param))
	}
	lines = append(lines, fmt.Sprintf("  CX = n = len(%s), BX = i, DX = loop bound", n))
	for _, r := range k.Regs {
		lines = append(lines, "  "+r)
	}
	Comment(append(lines, k.Loop.Doc()...)...)
	if k.Broadcast != "" {
		VBROADCASTSD(Addr(k.Broadcast), s.Const())
	}
	for _, a := range k.Slices {
		Load(Param(a.Param).Base(), a.Reg)
		if a.Param == n {
			Load(Param(a.Param).Len(), reg.RCX)
		}
	}
	if k.Setup != nil {
		k.Setup()
	}
	k.Loop.Emit()
}

// Write writes a generated file of Go assembly (build tag !purego):
// each kernel family in order, at both widths, AVX2 first.
func Write(families ...func(ISA) Kernel) {
	ConstraintExpr("!purego")
	for _, f := range families {
		for _, s := range Both {
			f(s).Emit()
		}
	}
	build.Generate()
}
