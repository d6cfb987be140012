package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

// The registers of the transposing pack.
var (
	srcLo  = reg.RSI // src rows 0-3, advancing 64 bytes per block
	srcHi  = reg.R11 // src rows 4-7 (srcLo + 4·s·8)
	s8     = reg.R9  // s·8
	s24    = reg.R10 // 3·s·8
	outLo  = reg.RDI // out rows p = 0-3 of the block, advancing 8·ld·8
	outHi  = reg.R13 // out rows p = 4-7 (outLo + 4·ld·8)
	ld8    = reg.R8  // ld·8
	ld24   = reg.R12 // 3·ld·8
	blocks = reg.RCX // blocks left
)

// quad is row q < 4 of four rows spaced by one (with three = 3·one) from
// base, disp bytes in: disp(base), disp(base)(one*1), disp(base)(one*2),
// disp(base)(three*1).
func quad(base, one, three reg.Register, q, disp int) Mem {
	switch q {
	case 0:
		return Mem{Base: base, Disp: disp}
	case 3:
		return Mem{Base: base, Index: three, Scale: 1, Disp: disp}
	}
	return Mem{Base: base, Index: one, Scale: uint8(q), Disp: disp}
}

// srcRow is row r < 8 of the source block, disp bytes in.
func srcRow(r, disp int) Mem {
	if r < 4 {
		return quad(srcLo, s8, s24, r, disp)
	}
	return quad(srcHi, s8, s24, r-4, disp)
}

// pack8Doc is the comment that both widths of the transposing pack share.
var pack8Doc = []string{
	"The transposing pack of tensor's GEMM, eight columns of p at a time. Go loop",
	"(gemmPack8Generic):",
	"  for r < 8, p < 8·blocks { out[p·ld+r] = src[r·s+p] }",
	"(eight stored rows of length ≥ 8·blocks become 8·blocks packed rows of eight). The",
	"caller (transpose8) guarantees blocks ≥ 1 and in-bounds slices; it packs the p tail",
	"(< 8) itself. Pure data movement: the values are copied bit for bit.",
	"Registers:",
	"  SI  rows 0-3 (src, advancing 64 bytes per block)   R9  s·8   R10 3·s·8",
	"  R11 rows 4-7 (SI + 4·s·8)",
	"  DI  out rows p = 0-3 of the block (advancing 8·ld·8) R8  ld·8  R12 3·ld·8",
	"  R13 out rows p = 4-7 (DI + 4·ld·8)                  CX  blocks left",
}

// pack8 writes gemmPack8AVX512 or gemmPack8AVX2.
func pack8(s vec.ISA) {
	TEXT("gemmPack8"+s.Name, NOSPLIT, "func(out *float64, ld int, src *float64, s int, blocks int)")
	lines := append([]string(nil), pack8Doc...)
	if s.Masked {
		lines = append(lines,
			"  Z0-Z7 the eight source rows, Z8-Z15 and Z16-Z23 the transpose stages.",
			"Loop (one 8×8 block per iteration): load row r into Zr; stage 1, VUNPCKLPD/VUNPCKHPD",
			"of row pairs (0,1), (2,3), (4,5), (6,7) give [x0 y0 x2 y2 x4 y4 x6 y6] and",
			"[x1 y1 x3 y3 …]; stage 2, VSHUFF64X2 $0x88 and $0xDD of the (01, 23) and (45, 67)",
			"results gather the 128-bit lanes 0,2 and 1,3 of each; stage 3, the same two shuffles",
			"across the (0123, 4567) results give columns 0/4, 2/6 (even) and 1/5, 3/7 (odd),",
			"each [r0 r1 … r7], stored at out + p·ld.")
	} else {
		lines = append(lines,
			"Each block of eight p is two halves of four. A half loads rows 0-7 (four doubles",
			"each, Y0-Y7) and transposes rows 0-3 and rows 4-7 as two 4×4 blocks:",
			"VUNPCKLPD/VUNPCKHPD of row pairs give [x0 y0 x2 y2] and [x1 y1 x3 y3] (Y8-Y11,",
			"Y12-Y15), then VPERM2F128 $0x20 and $0x31 join their low and high 128-bit halves",
			"into columns p = 0, 2 and 1, 3, each [r0 r1 r2 r3] (stored at out + p·ld) and",
			"[r4 r5 r6 r7] (at out + p·ld + 32 bytes).")
	}
	Comment(lines...)
	args(arg{"out", outLo, 0}, arg{"ld", ld8, 3}, arg{"src", srcLo, 0}, arg{"s", s8, 3}, arg{"blocks", blocks, 0})
	LEAQ(Mem{Base: s8, Index: s8, Scale: 2}, s24)
	LEAQ(Mem{Base: srcLo, Index: s8, Scale: 4}, srcHi)
	LEAQ(Mem{Base: ld8, Index: ld8, Scale: 2}, ld24)
	LEAQ(Mem{Base: outLo, Index: ld8, Scale: 4}, outHi)

	Label("loop")
	if s.Masked {
		transpose8x8()
	} else {
		for h, out := range []reg.Register{outLo, outHi} {
			Comment(fmt.Sprintf("half %d: p = %d-%d of the block", h, 4*h, 4*h+3))
			transpose4x4x2(32*h, out)
		}
	}
	ADDQ(U8(64), srcLo)
	ADDQ(U8(64), srcHi)
	LEAQ(Mem{Base: outLo, Index: ld8, Scale: 8}, outLo)
	LEAQ(Mem{Base: outHi, Index: ld8, Scale: 8}, outHi)
	DECQ(blocks)
	JNZ(LabelRef("loop"))
	VZEROUPPER()
	RET()
}

// unpack is stage 1 of both transposes: for each row pair (2q, 2q+1) of
// V0-V7, V(8+2q) = the low and V(9+2q) the high elements of each 128-bit
// lane, interleaved.
func unpack(s vec.ISA) {
	for q := 0; q < 4; q++ {
		VUNPCKLPD(s.V(2*q+1), s.V(2*q), s.V(8+2*q))
		VUNPCKHPD(s.V(2*q+1), s.V(2*q), s.V(9+2*q))
	}
}

// transpose8x8 is one block of gemmPack8AVX512.
func transpose8x8() {
	s := vec.AVX512
	for r := 0; r < 8; r++ {
		VMOVUPD(srcRow(r, 0), s.V(r))
	}
	Comment("stage 1: Z8 = lo(0,1), Z9 = hi(0,1), Z10 = lo(2,3), Z11 = hi(2,3), …")
	unpack(s)
	Comment("stage 2: lanes (0,2) and (1,3) of the 01 result, then of the 23",
		"result: Z16 = [01 p0, 01 p4, 23 p0, 23 p4], Z17 = same for p2/p6, …")
	// shuffle writes the two 128-bit-lane gathers of (x, y) into dst, dst+1.
	shuffle := func(x, y, dst int) {
		VSHUFF64X2(U8(0x88), s.V(y), s.V(x), s.V(dst))
		VSHUFF64X2(U8(0xDD), s.V(y), s.V(x), s.V(dst+1))
	}
	for q := 0; q < 4; q++ {
		x := 8 + 4*(q/2) + q%2
		shuffle(x, x+2, 16+2*q)
	}
	Comment("stage 3: columns p = 0, 4, 2, 6, 1, 5, 3, 7.")
	// Stage-2 pair q (registers 16+q and 20+q) holds columns
	// cols[q] and cols[q]+4.
	cols := []int{0, 2, 1, 3}
	for q := 0; q < 4; q++ {
		VSHUFF64X2(U8(0x88), s.V(20+q), s.V(16+q), s.V(cols[q]))
		VSHUFF64X2(U8(0xDD), s.V(20+q), s.V(16+q), s.V(cols[q]+4))
	}
	for p := 0; p < 8; p++ {
		if p < 4 {
			VMOVUPD(s.V(p), quad(outLo, ld8, ld24, p, 0))
		} else {
			VMOVUPD(s.V(p), quad(outHi, ld8, ld24, p-4, 0))
		}
	}
}

// transpose4x4x2 is one half of a gemmPack8AVX2 block: the four p at byte
// disp of the eight source rows, stored to the four out rows from out.
func transpose4x4x2(disp int, out reg.Register) {
	s := vec.AVX2
	for r := 0; r < 8; r++ {
		VMOVUPD(srcRow(r, disp), s.V(r))
	}
	unpack(s)
	// Rows 0-3 (lo/hi pairs in Y8-Y11) give Y0-Y3, rows 4-7 (Y12-Y15) Y4-Y7.
	for g := 0; g < 2; g++ {
		b := 8 + 4*g
		VPERM2F128(U8(0x20), s.V(b+2), s.V(b), s.V(4*g))
		VPERM2F128(U8(0x31), s.V(b+2), s.V(b), s.V(4*g+2))
		VPERM2F128(U8(0x20), s.V(b+3), s.V(b+1), s.V(4*g+1))
		VPERM2F128(U8(0x31), s.V(b+3), s.V(b+1), s.V(4*g+3))
	}
	for p := 0; p < 4; p++ {
		VMOVUPD(s.V(p), quad(out, ld8, ld24, p, 0))
		VMOVUPD(s.V(p+4), quad(out, ld8, ld24, p, 32))
	}
}

// packRow writes gemmPackRowAVX512 or gemmPackRowAVX2.
func packRow(s vec.ISA) {
	TEXT("gemmPackRow"+s.Name, NOSPLIT, "func(out *float64, step int, src *float64, w, segs int)")
	Comment(
		"The plain pack of the GEMM (copySegs). Go loop (gemmPackRowGeneric):",
		"  for g < segs { copy(out[g·step:g·step+w], src[g·w:(g+1)·w]) }",
		fmt.Sprintf("w a multiple of %d: one %d-byte load and store per %d values. The caller guarantees", s.Lanes, s.Bytes(), s.Lanes),
		"segs ≥ 1 and in-bounds slices.",
		"Registers:",
		fmt.Sprintf("  SI  src (advancing %d bytes per vector)   DI  this segment's out", s.Bytes()),
		fmt.Sprintf("  R8  step·8                                R9  vectors per segment (w/%d)", s.Lanes),
		"  R10 out within the segment                DX  vectors left in it",
		fmt.Sprintf("  CX  segments left                         %s  the vector moved", s.VName(0)),
	)
	perVec := -3 // w/8 vectors
	if !s.Masked {
		perVec = -2 // w/4
	}
	args(arg{"out", reg.RDI, 0}, arg{"step", reg.R8, 3}, arg{"src", reg.RSI, 0}, arg{"w", reg.R9, perVec}, arg{"segs", reg.RCX, 0})

	Label("seg")
	MOVQ(reg.RDI, reg.R10)
	MOVQ(reg.R9, reg.RDX)

	Label("vec")
	VMOVUPD(Mem{Base: reg.RSI}, s.V(0))
	VMOVUPD(s.V(0), Mem{Base: reg.R10})
	ADDQ(U8(s.Bytes()), reg.RSI)
	ADDQ(U8(s.Bytes()), reg.R10)
	DECQ(reg.RDX)
	JNZ(LabelRef("vec"))
	ADDQ(reg.R8, reg.RDI)
	DECQ(reg.RCX)
	JNZ(LabelRef("seg"))
	VZEROUPPER()
	RET()
}

// peak writes gemmPeakAVX512 (24 chains, Z0-Z23 += Z24·Z25) or
// gemmPeakAVX2 (12 chains, Y0-Y11 += Y12·Y13).
func peak(s vec.ISA) {
	chains := 12
	if s.Masked {
		chains = 24
	}
	x, y := s.V(chains), s.V(chains+1)
	TEXT("gemmPeak"+s.Name, NOSPLIT, "func(n int)")
	Comment(
		fmt.Sprintf("The FMA peak loop of the GEMM benchmarks: n iterations of %d independent VFMADD231PD", chains),
		fmt.Sprintf("(%s += %s·%s), i.e. n·%d·%d flops, no memory traffic. It bounds what the",
			s.VName(0)+"-"+s.VName(chains-1), s.VName(chains), s.VName(chains+1), chains, 2*s.Lanes),
		fmt.Sprintf("%s micro-kernel can reach; the benchmarks report %% of it. Registers: CX = n.", s.Name),
	)
	Load(Param("n"), reg.RCX)
	for j := 0; j < chains+2; j++ {
		s.Zero(s.V(j))
	}
	vec.FMALoop(s, chains, x, y)
}
