//go:build !purego

#include "textflag.h"

// The fast pass of DotNorms: one read of x and y gives the dot product and,
// for each slice, Σ|·|, Σ(·)² and max|·| (see dotNormsSums in dotnorms.go).
// Both levels use the same accumulator layout, two sets of seven:
//
//	set A  set B  value
//	  0      1    Σ x_i·y_i   (VFMADD231PD)
//	  2      3    Σ |x_i|     (VANDPD/VPANDQ with the abs mask, VADDPD)
//	  4      5    Σ x_i²      (VFMADD231PD)
//	  6      7    max |x_i|
//	  8      9    Σ |y_i|
//	 10     11    Σ y_i²
//	 12     13    max |y_i|
//
// Each value's partial sums are combined as A+B, then across lanes
// ((lane 0 + lane 2) + (lane 1 + lane 3) for 4 lanes, halving for 8); the
// order depends only on len(x).

// absmask4<> clears the sign bits of 4 lanes: x AND absmask4 = |x|.
DATA absmask4<>+0(SB)/8, $0x7fffffffffffffff
DATA absmask4<>+8(SB)/8, $0x7fffffffffffffff
DATA absmask4<>+16(SB)/8, $0x7fffffffffffffff
DATA absmask4<>+24(SB)/8, $0x7fffffffffffffff
GLOBL absmask4<>(SB), RODATA|NOPTR, $32

// FOLD_AVX2(D, SX, QX, MX, SY, QY, MY) folds the 4 pairs loaded in Y14 (x)
// and Y15 (y) into one accumulator set. The squares and the product are
// fused before the abs mask overwrites Y14 and Y15; the mask is a memory
// operand (all 16 ymm registers are taken). VMAXPD does not carry NaN
// along (it returns its second source when one is NaN): the Go side
// restores NaN from Σ|x_i| (finishNorms).
#define FOLD_AVX2(D, SX, QX, MX, SY, QY, MY) \
	VFMADD231PD Y15, Y14, D;              \
	VFMADD231PD Y14, Y14, QX;             \
	VFMADD231PD Y15, Y15, QY;             \
	VANDPD      absmask4<>(SB), Y14, Y14; \
	VANDPD      absmask4<>(SB), Y15, Y15; \
	VADDPD      Y14, SX, SX;              \
	VADDPD      Y15, SY, SY;              \
	VMAXPD      Y14, MX, MX;              \
	VMAXPD      Y15, MY, MY

// HSUM_AVX2(Y, X) adds the 4 lanes of Y into the low lane of X (Y's low
// half); HMAX_AVX2 takes their maximum. Scratch X15.
#define HSUM_AVX2(Y, X) \
	VEXTRACTF128 $1, Y, X15; \
	VADDPD       X15, X, X;  \
	VPERMILPD    $1, X, X15; \
	VADDSD       X15, X, X

#define HMAX_AVX2(Y, X) \
	VEXTRACTF128 $1, Y, X15; \
	VMAXPD       X15, X, X;  \
	VPERMILPD    $1, X, X15; \
	VMAXSD       X15, X, X

// func dotNormsSumsAVX2(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)
//
// Arguments: x (SI), y (DI), n = len(x) (CX); y is at least as long.
// Registers: BX = index i, DX = loop bound; Y0..Y13 = the two accumulator
// sets (table above; maxima start at +0); Y14 = x block, Y15 = y block; in
// the scalar tail X1 = abs mask, X14/X15 = x_i/y_i.
// Loops: main loop 8 pairs (2 ymm per slice: the first into set A, the
// second into set B); vector tail 4 pairs into set A; B folded into A and
// each value reduced across lanes into the low lane of its set-A register;
// scalar tail (0..3 pairs) with VFMADD231SD, VADDSD, VMAXSD.
TEXT ·dotNormsSumsAVX2(SB), NOSPLIT, $0-104
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	XORQ   BX, BX
	MOVQ   CX, DX
	ANDQ   $-8, DX

loop8:
	CMPQ    BX, DX
	JAE     vec4
	VMOVUPD 0(SI)(BX*8), Y14
	VMOVUPD 0(DI)(BX*8), Y15
	FOLD_AVX2(Y0, Y2, Y4, Y6, Y8, Y10, Y12)
	VMOVUPD 32(SI)(BX*8), Y14
	VMOVUPD 32(DI)(BX*8), Y15
	FOLD_AVX2(Y1, Y3, Y5, Y7, Y9, Y11, Y13)
	ADDQ    $8, BX
	JMP     loop8

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX
	CMPQ BX, DX
	JAE  reduce
	VMOVUPD (SI)(BX*8), Y14
	VMOVUPD (DI)(BX*8), Y15
	FOLD_AVX2(Y0, Y2, Y4, Y6, Y8, Y10, Y12)
	ADDQ $4, BX

reduce:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y5, Y4, Y4
	VMAXPD Y7, Y6, Y6
	VADDPD Y9, Y8, Y8
	VADDPD Y11, Y10, Y10
	VMAXPD Y13, Y12, Y12
	HSUM_AVX2(Y0, X0)
	HSUM_AVX2(Y2, X2)
	HSUM_AVX2(Y4, X4)
	HMAX_AVX2(Y6, X6)
	HSUM_AVX2(Y8, X8)
	HSUM_AVX2(Y10, X10)
	HMAX_AVX2(Y12, X12)
	VMOVSD absmask4<>(SB), X1

scalar:
	CMPQ        BX, CX
	JAE         done
	VMOVSD      (SI)(BX*8), X14
	VMOVSD      (DI)(BX*8), X15
	VFMADD231SD X15, X14, X0
	VFMADD231SD X14, X14, X4
	VFMADD231SD X15, X15, X10
	VANDPD      X1, X14, X14
	VANDPD      X1, X15, X15
	VADDSD      X14, X2, X2
	VADDSD      X15, X8, X8
	VMAXSD      X14, X6, X6
	VMAXSD      X15, X12, X12
	INCQ        BX
	JMP         scalar

done:
	VZEROUPPER
	VMOVSD X0, dot+48(FP)
	VMOVSD X2, l1x+56(FP)
	VMOVSD X4, ssqx+64(FP)
	VMOVSD X6, maxx+72(FP)
	VMOVSD X8, l1y+80(FP)
	VMOVSD X10, ssqy+88(FP)
	VMOVSD X12, maxy+96(FP)
	RET

// FOLD_AVX512(TX, TY, D, SX, QX, MX, SY, QY, MY) folds the 8 pairs in TX
// (x) and TY (y) into one accumulator set; Z31 = abs mask. The maxima are
// taken on the bits of |·| as signed integers (VPMAXSQ): for non-negative
// floats that order is the order of the values, with every NaN above
// +Inf, so the maximum is exact and a NaN wins (as in maxAbsAVX512).
#define FOLD_AVX512(TX, TY, D, SX, QX, MX, SY, QY, MY) \
	VFMADD231PD TY, TX, D;  \
	VFMADD231PD TX, TX, QX; \
	VFMADD231PD TY, TY, QY; \
	VPANDQ      TX, Z31, TX; \
	VPANDQ      TY, Z31, TY; \
	VADDPD      TX, SX, SX; \
	VADDPD      TY, SY, SY; \
	VPMAXSQ     TX, MX, MX; \
	VPMAXSQ     TY, MY, MY

// HSUM_AVX512(Z, Y, X) adds the 8 lanes of Z into the low lane of X;
// HMAX_AVX512(Z) leaves the integer maximum of Z's lanes in every lane
// (zmm shuffles only: AVX-512VL is not assumed). Scratch Z15.
#define HSUM_AVX512(Z, Y, X) \
	VEXTRACTF64X4 $1, Z, Y15; \
	VADDPD        Y15, Y, Y;  \
	VEXTRACTF128  $1, Y, X15; \
	VADDPD        X15, X, X;  \
	VPERMILPD     $1, X, X15; \
	VADDSD        X15, X, X

#define HMAX_AVX512(Z) \
	VSHUFI64X2 $0x4e, Z, Z, Z15; \
	VPMAXSQ    Z15, Z, Z;        \
	VSHUFI64X2 $0xb1, Z, Z, Z15; \
	VPMAXSQ    Z15, Z, Z;        \
	VPSHUFD    $0x4e, Z, Z15;    \
	VPMAXSQ    Z15, Z, Z

// func dotNormsSumsAVX512(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)
//
// Arguments: x (SI), y (DI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, AX = scratch for the mask;
// Z0..Z13 = the two accumulator sets (table above; maxima start at +0);
// Z16/Z17 = x/y of the first block, Z18/Z19 of the second; Z31 = abs mask;
// K1 = tail mask; Z15 = reduction scratch.
// Loops: main loop 16 pairs (2 zmm per slice: the first into set A, the
// second into set B); vector tail 8 pairs into set A; masked tail: the
// last n mod 8 pairs loaded with zero-masking under K1 = 2^(n mod 8)−1
// (lanes off the mask are not read; their zeros add nothing and never win
// a maximum) into set B; B folded into A and each value reduced across
// lanes into the low lane of its set-A register.
TEXT ·dotNormsSumsAVX512(SB), NOSPLIT, $0-104
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVQ         y_base+24(FP), DI
	VBROADCASTSD absmask4<>(SB), Z31
	VPXORQ       Z0, Z0, Z0
	VPXORQ       Z1, Z1, Z1
	VPXORQ       Z2, Z2, Z2
	VPXORQ       Z3, Z3, Z3
	VPXORQ       Z4, Z4, Z4
	VPXORQ       Z5, Z5, Z5
	VPXORQ       Z6, Z6, Z6
	VPXORQ       Z7, Z7, Z7
	VPXORQ       Z8, Z8, Z8
	VPXORQ       Z9, Z9, Z9
	VPXORQ       Z10, Z10, Z10
	VPXORQ       Z11, Z11, Z11
	VPXORQ       Z12, Z12, Z12
	VPXORQ       Z13, Z13, Z13
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

loop16:
	CMPQ    BX, DX
	JAE     vec8
	VMOVUPD 0(SI)(BX*8), Z16
	VMOVUPD 0(DI)(BX*8), Z17
	VMOVUPD 64(SI)(BX*8), Z18
	VMOVUPD 64(DI)(BX*8), Z19
	FOLD_AVX512(Z16, Z17, Z0, Z2, Z4, Z6, Z8, Z10, Z12)
	FOLD_AVX512(Z18, Z19, Z1, Z3, Z5, Z7, Z9, Z11, Z13)
	ADDQ    $16, BX
	JMP     loop16

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX
	CMPQ BX, DX
	JAE  tail
	VMOVUPD (SI)(BX*8), Z16
	VMOVUPD (DI)(BX*8), Z17
	FOLD_AVX512(Z16, Z17, Z0, Z2, Z4, Z6, Z8, Z10, Z12)
	ADDQ $8, BX

tail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z16
	VMOVUPD.Z (DI)(BX*8), K1, Z17
	FOLD_AVX512(Z16, Z17, Z1, Z3, Z5, Z7, Z9, Z11, Z13)

	VADDPD  Z1, Z0, Z0
	VADDPD  Z3, Z2, Z2
	VADDPD  Z5, Z4, Z4
	VPMAXSQ Z7, Z6, Z6
	VADDPD  Z9, Z8, Z8
	VADDPD  Z11, Z10, Z10
	VPMAXSQ Z13, Z12, Z12
	HSUM_AVX512(Z0, Y0, X0)
	HSUM_AVX512(Z2, Y2, X2)
	HSUM_AVX512(Z4, Y4, X4)
	HMAX_AVX512(Z6)
	HSUM_AVX512(Z8, Y8, X8)
	HSUM_AVX512(Z10, Y10, X10)
	HMAX_AVX512(Z12)
	VZEROUPPER
	VMOVSD X0, dot+48(FP)
	VMOVSD X2, l1x+56(FP)
	VMOVSD X4, ssqx+64(FP)
	VMOVSD X6, maxx+72(FP)
	VMOVSD X8, l1y+80(FP)
	VMOVSD X10, ssqy+88(FP)
	VMOVSD X12, maxy+96(FP)
	RET
