package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

// ArgMaxAbs keys: the bits of |x_i| as signed 64-bit integers, which order
// like the values with every NaN above +Inf, clamped to nankey (the
// smallest NaN pattern) so that every NaN gets the same key and the first
// one wins like any other tie. iota holds the lane numbers 0..7, step4 and
// step16 the counter increments of the AVX2 loops.
var nankey, iota, step4, step16 Mem

const nanKeyBits = 0x7ff0000000000001

func argMaxData() {
	nankey = GLOBL("nankey", RODATA|NOPTR)
	DATA(0, U64(nanKeyBits))
	iota = GLOBL("iota", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(8*i, U64(i))
	}
	step4 = GLOBL("step4", RODATA|NOPTR)
	for i := 0; i < 4; i++ {
		DATA(8*i, U64(4))
	}
	step16 = GLOBL("step16", RODATA|NOPTR)
	for i := 0; i < 4; i++ {
		DATA(8*i, U64(16))
	}
}

// argStep folds the vector at m into the running maximum keys mx and the
// counters b where they were reached (k: the keys; km: AVX-512's mask of
// new maxima): k = min(|x| bits, nankey), then where k > mx (strictly: an
// equal key later in the lane loses) mx = k and b = the counter (V12).
// AVX2: Y14 = nankey, Y15 = absmask, Y13 scratch; AVX-512: Z30 = nankey,
// Z31 = absmask, mx = max(mx, k) off the mask (a one-cycle dependency
// chain).
func argStep(s vec.ISA, m Op, k, mx, b reg.VecPhysical, km reg.OpmaskPhysical) {
	if s.Masked {
		VPANDQ(m, reg.Z31, k)
		VPMINSQ(reg.Z30, k, k)
		VPCMPQ(U8(6), mx, k, km)
		VPMAXSQ(k, mx, mx)
		VMOVDQA64(reg.Z12, km, b)
		return
	}
	VANDPD(m, reg.Y15, k)
	VPCMPGTQ(reg.Y14, k, reg.Y13)
	VBLENDVPD(reg.Y13, reg.Y14, k, k)
	VPCMPGTQ(mx, k, reg.Y13)
	VBLENDVPD(reg.Y13, k, mx, mx)
	VBLENDVPD(reg.Y13, reg.Y12, b, b)
}

// pick merges the candidates (vb, ib) into (va, ia) lane by lane: b wins
// where its key is larger, or equal with a smaller index. Scratch Y8..Y10
// (AVX2) or K2..K4 (AVX-512).
func pick(s vec.ISA, va, ia, vb, ib reg.VecPhysical) {
	if s.Masked {
		VPCMPQ(U8(6), va, vb, reg.K2)
		VPCMPQ(U8(0), va, vb, reg.K3)
		VPCMPQ(U8(1), ia, ib, reg.K3, reg.K4)
		KORW(reg.K4, reg.K2, reg.K2)
		VMOVDQA64(vb, reg.K2, va)
		VMOVDQA64(ib, reg.K2, ia)
		return
	}
	VPCMPGTQ(va, vb, reg.Y8)
	VPCMPEQQ(va, vb, reg.Y9)
	VPCMPGTQ(ib, ia, reg.Y10)
	VPAND(reg.Y10, reg.Y9, reg.Y9)
	VPOR(reg.Y9, reg.Y8, reg.Y8)
	VBLENDVPD(reg.Y8, vb, va, va)
	VBLENDVPD(reg.Y8, ib, ia, ia)
}

func argMaxAbs(s vec.ISA) {
	TEXT("argMaxAbs"+s.Name, NOSPLIT, "func(x []float64) int")
	lanes, step := s.Lanes, 4*s.Lanes
	lines := []string{
		"Go loop: argMaxAbsGeneric (asm/norms.go) in one pass: the first index of the largest",
		"|x_i|, NaN above everything (first NaN wins), −1 for n = 0. Each lane keeps the",
		"largest key it has seen and the counter of the step that first reached it; the",
		"lanes are then merged by (larger key, then smaller index), which is the first",
		"index of the maximum overall.",
		"Registers:",
		"  SI = &x[0], CX = n = len(x), BX = i, DX = loop bound, AX = the result",
		fmt.Sprintf("  %s..%s = running maximum keys (start at −1 so that any key wins), %s..%s =",
			s.VName(0), s.VName(3), s.VName(4), s.VName(7)),
		fmt.Sprintf("  counters where they were reached (element index = counter + lane + %d·j),", lanes),
		fmt.Sprintf("  %s..%s = keys, %s = counter (= BX in every lane)", s.VName(8), s.VName(11), s.VName(12)),
	}
	if s.Masked {
		lines = append(lines,
			"  K2..K5 = masks of new maxima, Z27 = 8, Z28 = 32, Z30 = nankey, Z31 = absmask,",
			"  K1 = tail mask; in the merge Z11 = lane + 8·j offsets and K2..K4 scratch",
			"Loops: 4 vectors (32 elements) per iteration (counter += 32), then one vector",
			"(counter += 8) into Z0/Z4, the masked tail (n mod 8, zero-masked load, compare",
			"under K1) into Z0/Z4; counters turned into indices, the accumulators merged",
			"(pick), then across lanes with VSHUFI64X2/VPSHUFD (AVX-512VL is not assumed).")
	} else {
		lines = append(lines,
			"  Y13 scratch, Y14 = nankey, Y15 = absmask; in the merge Y11 = lane + 4·j offsets",
			"  and Y8..Y10 scratch; DX = the best key and R8..R10 in the scalar tail",
			"Loops: 4 vectors (16 elements) per iteration (counter += 16), then one vector",
			"(counter += 4) into Y0/Y4; counters turned into indices and the accumulators",
			"merged (pick), then across the 128-bit halves and the two lanes; the scalar tail",
			"(0..3 elements) with a strict greater-than (its indices come after all others).")
	}
	Comment(lines...)
	Load(Param("x").Base(), reg.RSI)
	Load(Param("x").Len(), reg.RCX)
	MOVQ(I32(-1), reg.RAX)
	TESTQ(reg.RCX, reg.RCX)
	JZ(LabelRef("ret"))
	if s.Masked {
		VBROADCASTSD(absmask, reg.Z31)
		VBROADCASTSD(nankey, reg.Z30)
		MOVQ(I32(32), reg.RAX)
		VPBROADCASTQ(reg.RAX, reg.Z28)
		MOVQ(I32(8), reg.RAX)
		VPBROADCASTQ(reg.RAX, reg.Z27)
		VPTERNLOGQ(U8(0xff), reg.Z0, reg.Z0, reg.Z0)
		for j := 1; j < 4; j++ {
			VMOVDQA64(reg.Z0, s.V(j))
		}
		s.Zero(reg.Z4, reg.Z5, reg.Z6, reg.Z7, reg.Z12)
	} else {
		VBROADCASTSD(absmask, reg.Y15)
		VBROADCASTSD(nankey, reg.Y14)
		for j := 0; j < 4; j++ {
			VPCMPEQQ(s.V(j), s.V(j), s.V(j))
		}
		for _, v := range []reg.VecPhysical{reg.Y4, reg.Y5, reg.Y6, reg.Y7, reg.Y12} {
			VPXOR(v, v, v)
		}
	}
	XORQ(reg.RBX, reg.RBX)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-step), reg.RDX)

	// count adds the elements of a step to the counter V12.
	count := func(n int) {
		switch {
		case s.Masked && n == 32:
			VPADDQ(reg.Z28, reg.Z12, reg.Z12)
		case s.Masked:
			VPADDQ(reg.Z27, reg.Z12, reg.Z12)
		case n == 16:
			VPADDQ(step16, reg.Y12, reg.Y12)
		default:
			VPADDQ(step4, reg.Y12, reg.Y12)
		}
	}
	km := []reg.OpmaskPhysical{reg.K2, reg.K3, reg.K4, reg.K5}
	mainL, vecL, one := fmt.Sprintf("loop%d", step), fmt.Sprintf("vec%d", lanes), fmt.Sprintf("loop%d", lanes)
	after := "reduce"
	if s.Masked {
		after = "tail"
	}
	Label(mainL)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(vecL))
	for j := 0; j < 4; j++ {
		argStep(s, vec.At(reg.RSI, j*s.Bytes()), s.V(8+j), s.V(j), s.V(4+j), km[j])
	}
	count(step)
	ADDQ(I32(step), reg.RBX)
	JMP(LabelRef(mainL))

	Label(vecL)
	MOVQ(reg.RCX, reg.RDX)
	ANDQ(I32(-lanes), reg.RDX)

	Label(one)
	CMPQ(reg.RBX, reg.RDX)
	JAE(LabelRef(after))
	argStep(s, vec.At(reg.RSI, 0), s.V(8), s.V(0), s.V(4), reg.K2)
	count(lanes)
	ADDQ(I32(lanes), reg.RBX)
	JMP(LabelRef(one))

	if s.Masked {
		Label("tail")
		vec.MaskTail()
		VMOVUPD_Z(vec.At(reg.RSI, 0), reg.K1, reg.Z8)
		VPANDQ(reg.Z8, reg.Z31, reg.Z8)
		VPMINSQ(reg.Z30, reg.Z8, reg.Z8)
		VPCMPQ(U8(6), reg.Z0, reg.Z8, reg.K1, reg.K2)
		VMOVDQA64(reg.Z8, reg.K2, reg.Z0)
		VMOVDQA64(reg.Z12, reg.K2, reg.Z4)
	} else {
		Label("reduce")
	}
	Comment(fmt.Sprintf("Counters to indices: accumulator j adds lane + %d·j.", lanes))
	if s.Masked {
		VMOVDQU64(iota, reg.Z11)
	} else {
		VMOVDQU(iota, reg.Y11)
	}
	for j := 0; j < 4; j++ {
		if j > 0 {
			if s.Masked {
				VPADDQ(reg.Z27, reg.Z11, reg.Z11)
			} else {
				VPADDQ(step4, reg.Y11, reg.Y11)
			}
		}
		VPADDQ(s.V(11), s.V(4+j), s.V(4+j))
	}
	pick(s, s.V(0), s.V(4), s.V(1), s.V(5))
	pick(s, s.V(2), s.V(6), s.V(3), s.V(7))
	pick(s, s.V(0), s.V(4), s.V(2), s.V(6))
	// Across lanes: halve by swapping halves of (V0, V4) into (V1, V5).
	swap := func(f func(a, b reg.VecPhysical)) {
		f(s.V(0), s.V(1))
		f(s.V(4), s.V(5))
		pick(s, s.V(0), s.V(4), s.V(1), s.V(5))
	}
	if s.Masked {
		swap(func(a, b reg.VecPhysical) { VSHUFI64X2(U8(0x4e), a, a, b) })
		swap(func(a, b reg.VecPhysical) { VSHUFI64X2(U8(0xb1), a, a, b) })
		swap(func(a, b reg.VecPhysical) { VPSHUFD(U8(0x4e), a, b) })
		VMOVQ(reg.X4, reg.RAX)
		VZEROUPPER()
	} else {
		swap(func(a, b reg.VecPhysical) { VPERM2I128(U8(0x01), a, a, b) })
		swap(func(a, b reg.VecPhysical) { VPSHUFD(U8(0x4e), a, b) })
		VMOVQ(reg.X0, reg.RDX)
		VMOVQ(reg.X4, reg.RAX)
		MOVQ(U64(0x7fffffffffffffff), reg.R8)
		MOVQ(U64(nanKeyBits), reg.R9)

		Label("scalar")
		CMPQ(reg.RBX, reg.RCX)
		JAE(LabelRef("done"))
		MOVQ(vec.At(reg.RSI, 0), reg.R10)
		ANDQ(reg.R8, reg.R10)
		CMPQ(reg.R10, reg.R9)
		CMOVQGT(reg.R9, reg.R10)
		CMPQ(reg.R10, reg.RDX)
		CMOVQGT(reg.R10, reg.RDX)
		CMOVQGT(reg.RBX, reg.RAX)
		INCQ(reg.RBX)
		JMP(LabelRef("scalar"))

		Label("done")
		VZEROUPPER()
	}
	Label("ret")
	MOVQ(reg.RAX, NewParamAddr("ret", 24))
	RET()
}
