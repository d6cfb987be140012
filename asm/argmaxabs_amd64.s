//go:build !purego

#include "textflag.h"

// Hand-written: ArgMaxAbs has not been moved to an avo generator yet (the
// other norms are generated, in norms_amd64.s from asm/_gen/norms).

// absmask<> clears the sign bit: x AND absmask = |x|.
DATA absmask<>+0(SB)/8, $0x7fffffffffffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $8

// ArgMaxAbs keys: the bits of |x_i| as signed 64-bit integers, which order
// like the values with every NaN above +Inf, clamped to nankey<> (the
// smallest NaN pattern) so that every NaN gets the same key and the first
// one wins like any other tie. iota<> holds the lane numbers 0..7, step4<>,
// step16<> the counter increments of the AVX2 loops.
DATA nankey<>+0(SB)/8, $0x7ff0000000000001
GLOBL nankey<>(SB), RODATA|NOPTR, $8

DATA iota<>+0(SB)/8, $0
DATA iota<>+8(SB)/8, $1
DATA iota<>+16(SB)/8, $2
DATA iota<>+24(SB)/8, $3
DATA iota<>+32(SB)/8, $4
DATA iota<>+40(SB)/8, $5
DATA iota<>+48(SB)/8, $6
DATA iota<>+56(SB)/8, $7
GLOBL iota<>(SB), RODATA|NOPTR, $64

DATA step4<>+0(SB)/8, $4
DATA step4<>+8(SB)/8, $4
DATA step4<>+16(SB)/8, $4
DATA step4<>+24(SB)/8, $4
GLOBL step4<>(SB), RODATA|NOPTR, $32

DATA step16<>+0(SB)/8, $16
DATA step16<>+8(SB)/8, $16
DATA step16<>+16(SB)/8, $16
DATA step16<>+24(SB)/8, $16
GLOBL step16<>(SB), RODATA|NOPTR, $32

// ARGMAX_AVX2(MEM, K, M, B) folds the 4 elements at MEM into the running
// maxima M and their counters B (Y12 = the counter of this step, Y14 =
// nankey, Y15 = absmask, Y13 scratch): K = min(|x| bits, nankey) (signed),
// then where K > M (strictly: an equal key later in the lane loses) M = K
// and B = the counter.
#define ARGMAX_AVX2(MEM, K, M, B) \
	VANDPD    MEM, Y15, K;     \
	VPCMPGTQ  Y14, K, Y13;     \
	VBLENDVPD Y13, Y14, K, K;  \
	VPCMPGTQ  M, K, Y13;       \
	VBLENDVPD Y13, K, M, M;    \
	VBLENDVPD Y13, Y12, B, B

// PICK_AVX2(VA, IA, VB, IB) merges the candidates (VB, IB) into (VA, IA)
// lane by lane: B wins where its key is larger, or equal with a smaller
// index. Scratch Y8..Y10.
#define PICK_AVX2(VA, IA, VB, IB) \
	VPCMPGTQ  VA, VB, Y8;     \
	VPCMPEQQ  VA, VB, Y9;     \
	VPCMPGTQ  IB, IA, Y10;    \
	VPAND     Y10, Y9, Y9;    \
	VPOR      Y9, Y8, Y8;     \
	VBLENDVPD Y8, VB, VA, VA; \
	VBLENDVPD Y8, IB, IA, IA

// func argMaxAbsAVX2(x []float64) int
//
// One pass over x: the first index of the largest |x_i|, NaN above
// everything (first NaN wins), −1 for n = 0. Each lane keeps the largest
// key it has seen and the counter of the step that first reached it; the
// lanes are then merged by (larger key, then smaller index), which is the
// first index of the maximum overall.
// Arguments: x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, then the best key, AX = the
// best index; Y0..Y3 = running maxima (keys, start at −1 so that any key
// wins), Y4..Y7 = counters where they were reached (element index =
// counter + lane + 4·accumulator), Y8..Y11 = keys, Y12 = counter (= BX
// in every lane), Y13 scratch, Y14 = nankey, Y15 = absmask; in the merge
// Y11 = lane + 4·j offsets and Y8..Y10 scratch; R8..R10 in the scalar tail.
// Loops: main loop 16 elements (4 ymm into Y0..Y7, counter += 16); vector
// tail 4 elements into Y0/Y4 (counter += 4); counters turned into indices
// and the accumulators merged with PICK_AVX2, then across the 128-bit
// halves and the two lanes; scalar tail (0..3 elements) with a strict
// greater-than (its indices come after all others).
TEXT ·argMaxAbsAVX2(SB), NOSPLIT, $0-32
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVQ         $-1, AX
	TESTQ        CX, CX
	JZ           ret
	VBROADCASTSD absmask<>(SB), Y15
	VBROADCASTSD nankey<>(SB), Y14
	VPCMPEQQ     Y0, Y0, Y0
	VPCMPEQQ     Y1, Y1, Y1
	VPCMPEQQ     Y2, Y2, Y2
	VPCMPEQQ     Y3, Y3, Y3
	VPXOR        Y4, Y4, Y4
	VPXOR        Y5, Y5, Y5
	VPXOR        Y6, Y6, Y6
	VPXOR        Y7, Y7, Y7
	VPXOR        Y12, Y12, Y12
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

loop16:
	CMPQ   BX, DX
	JAE    vec4
	ARGMAX_AVX2(0(SI)(BX*8), Y8, Y0, Y4)
	ARGMAX_AVX2(32(SI)(BX*8), Y9, Y1, Y5)
	ARGMAX_AVX2(64(SI)(BX*8), Y10, Y2, Y6)
	ARGMAX_AVX2(96(SI)(BX*8), Y11, Y3, Y7)
	VPADDQ step16<>(SB), Y12, Y12
	ADDQ   $16, BX
	JMP    loop16

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ   BX, DX
	JAE    reduce
	ARGMAX_AVX2((SI)(BX*8), Y8, Y0, Y4)
	VPADDQ step4<>(SB), Y12, Y12
	ADDQ   $4, BX
	JMP    loop4

reduce:
	// Counters to indices: accumulator j adds lane + 4·j.
	VMOVDQU iota<>(SB), Y11
	VPADDQ  Y11, Y4, Y4
	VPADDQ  step4<>(SB), Y11, Y11
	VPADDQ  Y11, Y5, Y5
	VPADDQ  step4<>(SB), Y11, Y11
	VPADDQ  Y11, Y6, Y6
	VPADDQ  step4<>(SB), Y11, Y11
	VPADDQ  Y11, Y7, Y7
	PICK_AVX2(Y0, Y4, Y1, Y5)
	PICK_AVX2(Y2, Y6, Y3, Y7)
	PICK_AVX2(Y0, Y4, Y2, Y6)
	VPERM2I128 $0x01, Y0, Y0, Y1 // swap the 128-bit halves
	VPERM2I128 $0x01, Y4, Y4, Y5
	PICK_AVX2(Y0, Y4, Y1, Y5)
	VPSHUFD    $0x4e, Y0, Y1     // swap the 64-bit halves of each half
	VPSHUFD    $0x4e, Y4, Y5
	PICK_AVX2(Y0, Y4, Y1, Y5)
	VMOVQ      X0, DX
	VMOVQ      X4, AX
	MOVQ       $0x7fffffffffffffff, R8
	MOVQ       $0x7ff0000000000001, R9

scalar:
	CMPQ    BX, CX
	JAE     done
	MOVQ    (SI)(BX*8), R10
	ANDQ    R8, R10
	CMPQ    R10, R9
	CMOVQGT R9, R10
	CMPQ    R10, DX
	CMOVQGT R10, DX
	CMOVQGT BX, AX
	INCQ    BX
	JMP     scalar

done:
	VZEROUPPER

ret:
	MOVQ AX, ret+24(FP)
	RET

// ARGMAX_AVX512(MEM, K, KM, M, B) is ARGMAX_AVX2 on 8 lanes (Z12 = the
// counter, Z30 = nankey, Z31 = absmask): K = min(|x| bits, nankey), KM =
// K > M, M = max(M, K) (off the mask: a one-cycle dependency chain) and B
// takes the counter under KM.
#define ARGMAX_AVX512(MEM, K, KM, M, B) \
	VPANDQ    MEM, Z31, K;  \
	VPMINSQ   Z30, K, K;    \
	VPCMPQ    $6, M, K, KM; \
	VPMAXSQ   K, M, M;      \
	VMOVDQA64 Z12, KM, B

// PICK_AVX512(VA, IA, VB, IB) is PICK_AVX2 with masks K2..K4.
#define PICK_AVX512(VA, IA, VB, IB) \
	VPCMPQ    $6, VA, VB, K2;     \
	VPCMPQ    $0, VA, VB, K3;     \
	VPCMPQ    $1, IA, IB, K3, K4; \
	KORW      K4, K2, K2;         \
	VMOVDQA64 VB, K2, VA;         \
	VMOVDQA64 IB, K2, IA

// func argMaxAbsAVX512(x []float64) int
//
// As argMaxAbsAVX2, 8 lanes per vector.
// Arguments: x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, AX = scratch then the result;
// Z0..Z3 = running maxima (start at −1), Z4..Z7 = counters (element index
// = counter + lane + 8·accumulator), Z8..Z11 = keys, K2..K5 = "new
// maximum" masks, Z12 = counter (= BX in every lane), Z27 = 8, Z28 = 32,
// Z30 = nankey, Z31 = absmask, K1 = tail mask; in the merge Z11 = lane +
// 8·j offsets and K2..K4 scratch.
// Loops: main loop 32 elements (4 zmm, counter += 32); vector tail 8
// elements into Z0/Z4 (counter += 8); masked tail (n mod 8, zero-masked
// load, compare under K1) into Z0/Z4; counters turned into indices, the
// accumulators merged with PICK_AVX512, then across lanes with
// VSHUFI64X2/VPSHUFD (zmm only: AVX-512VL is not assumed).
TEXT ·argMaxAbsAVX512(SB), NOSPLIT, $0-32
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVQ         $-1, AX
	TESTQ        CX, CX
	JZ           ret
	VBROADCASTSD absmask<>(SB), Z31
	VBROADCASTSD nankey<>(SB), Z30
	MOVQ         $32, AX
	VPBROADCASTQ AX, Z28
	MOVQ         $8, AX
	VPBROADCASTQ AX, Z27
	VPTERNLOGQ   $0xff, Z0, Z0, Z0
	VMOVDQA64    Z0, Z1
	VMOVDQA64    Z0, Z2
	VMOVDQA64    Z0, Z3
	VPXORQ       Z4, Z4, Z4
	VPXORQ       Z5, Z5, Z5
	VPXORQ       Z6, Z6, Z6
	VPXORQ       Z7, Z7, Z7
	VPXORQ       Z12, Z12, Z12
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-32, DX

loop32:
	CMPQ   BX, DX
	JAE    vec8
	ARGMAX_AVX512(0(SI)(BX*8), Z8, K2, Z0, Z4)
	ARGMAX_AVX512(64(SI)(BX*8), Z9, K3, Z1, Z5)
	ARGMAX_AVX512(128(SI)(BX*8), Z10, K4, Z2, Z6)
	ARGMAX_AVX512(192(SI)(BX*8), Z11, K5, Z3, Z7)
	VPADDQ Z28, Z12, Z12
	ADDQ   $32, BX
	JMP    loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ   BX, DX
	JAE    tail
	ARGMAX_AVX512((SI)(BX*8), Z8, K2, Z0, Z4)
	VPADDQ Z27, Z12, Z12
	ADDQ   $8, BX
	JMP    loop8

tail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z8
	VPANDQ    Z8, Z31, Z8
	VPMINSQ   Z30, Z8, Z8
	VPCMPQ    $6, Z0, Z8, K1, K2
	VMOVDQA64 Z8, K2, Z0
	VMOVDQA64 Z12, K2, Z4

	// Counters to indices: accumulator j adds lane + 8·j.
	VMOVDQU64     iota<>(SB), Z11
	VPADDQ        Z11, Z4, Z4
	VPADDQ        Z27, Z11, Z11
	VPADDQ        Z11, Z5, Z5
	VPADDQ        Z27, Z11, Z11
	VPADDQ        Z11, Z6, Z6
	VPADDQ        Z27, Z11, Z11
	VPADDQ        Z11, Z7, Z7
	PICK_AVX512(Z0, Z4, Z1, Z5)
	PICK_AVX512(Z2, Z6, Z3, Z7)
	PICK_AVX512(Z0, Z4, Z2, Z6)
	VSHUFI64X2    $0x4e, Z0, Z0, Z1 // swap the 256-bit halves
	VSHUFI64X2    $0x4e, Z4, Z4, Z5
	PICK_AVX512(Z0, Z4, Z1, Z5)
	VSHUFI64X2    $0xb1, Z0, Z0, Z1 // swap adjacent 128-bit blocks
	VSHUFI64X2    $0xb1, Z4, Z4, Z5
	PICK_AVX512(Z0, Z4, Z1, Z5)
	VPSHUFD       $0x4e, Z0, Z1     // swap the 64-bit halves of each block
	VPSHUFD       $0x4e, Z4, Z5
	PICK_AVX512(Z0, Z4, Z1, Z5)
	VMOVQ         X4, AX
	VZEROUPPER

ret:
	MOVQ AX, ret+24(FP)
	RET
