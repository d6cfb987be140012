//go:build !purego

#include "textflag.h"

DATA signbit<>+0(SB)/8, $0x8000000000000000
GLOBL signbit<>(SB), RODATA|NOPTR, $8

DATA one<>+0(SB)/8, $0x3ff0000000000000
GLOBL one<>(SB), RODATA|NOPTR, $8

// SIGN_AVX2(R) turns the vector R (x) into sign(x), using Y13 = 0,
// Y14 = 1.0, Y15 = sign bit, and Y10..Y12 as scratch:
//   Y10 = (x AND signbit) OR 1.0    = ±1 with x's sign
//   Y11 = x ≠ 0 and ordered         (VCMPPD predicate 0x0c, NEQ_OQ)
//   R   = x + 0                     (+0 for ±0, NaN for NaN)
//   R   = Y11 ? Y10 : R             (VBLENDVPD)
#define SIGN_AVX2(R) \
	VANDPD    Y15, R, Y10; \
	VORPD     Y14, Y10, Y10; \
	VCMPPD    $0x0c, Y13, R, Y11; \
	VADDPD    Y13, R, R; \
	VBLENDVPD Y11, Y10, R, R

// SIGN16_AVX2(ST) runs SIGN_AVX2 on the 16 elements at i (Y0..Y3) and
// stores them with ST (VMOVUPD, or VMOVNTPD on the streaming path).
#define SIGN16_AVX2(ST) \
	VMOVUPD 0(SI)(BX*8), Y0;  \
	VMOVUPD 32(SI)(BX*8), Y1; \
	VMOVUPD 64(SI)(BX*8), Y2; \
	VMOVUPD 96(SI)(BX*8), Y3; \
	SIGN_AVX2(Y0);            \
	SIGN_AVX2(Y1);            \
	SIGN_AVX2(Y2);            \
	SIGN_AVX2(Y3);            \
	ST      Y0, 0(DI)(BX*8);  \
	ST      Y1, 32(DI)(BX*8); \
	ST      Y2, 64(DI)(BX*8); \
	ST      Y3, 96(DI)(BX*8)

// func signAVX2(dst, x []float64)
//
// dst_i = sign(x_i): −1, +1, +0 for ±0, NaN for NaN. dst may be x.
// Arguments: dst (DI), x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Y0..Y3 = values, Y10..Y12
// scratch, Y13 = 0, Y14 = 1.0, Y15 = sign bit (see SIGN_AVX2).
// Loops: main loop 16 elements (4 ymm); vector tail 4 elements; scalar tail
// (0..3) runs the same code on X registers loaded with VMOVSD.
// Streaming path (n ≥ ntMinLen, as reluAVX2 in relu_amd64.s): scalar peel
// (0..3) until dst+8·i is 32-byte aligned, main loop 16 elements with
// VMOVNTPD, SFENCE, then the vector and scalar tails above.
TEXT ·signAVX2(SB), NOSPLIT, $0-48
	MOVQ         dst_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSD signbit<>(SB), Y15
	VBROADCASTSD one<>(SB), Y14
	VXORPD       Y13, Y13, Y13
	XORQ         BX, BX
	CMPQ         CX, ·ntMinLen(SB)
	JAE          nt

cached:
	MOVQ CX, DX
	ANDQ $-16, DX

loop16:
	CMPQ    BX, DX
	JAE     vec4
	SIGN16_AVX2(VMOVUPD)
	ADDQ    $16, BX
	JMP     loop16

vec4:
	MOVQ CX, DX
	SUBQ BX, DX
	ANDQ $-4, DX
	ADDQ BX, DX

loop4:
	CMPQ    BX, DX
	JAE     scalar
	VMOVUPD (SI)(BX*8), Y0
	SIGN_AVX2(Y0)
	VMOVUPD Y0, (DI)(BX*8)
	ADDQ    $4, BX
	JMP     loop4

scalar:
	CMPQ   BX, CX
	JAE    done
	VMOVSD (SI)(BX*8), X0
	SIGN_AVX2(Y0)
	VMOVSD X0, (DI)(BX*8)
	INCQ   BX
	JMP    scalar

done:
	VZEROUPPER
	RET

nt:
	TESTQ $7, DI
	JNZ   cached
	MOVQ  DI, DX
	NEGQ  DX
	ANDQ  $31, DX
	SHRQ  $3, DX  // peel (0..3 elements)

ntpeel:
	CMPQ   BX, DX
	JAE    ntmain
	VMOVSD (SI)(BX*8), X0
	SIGN_AVX2(Y0)
	VMOVSD X0, (DI)(BX*8)
	INCQ   BX
	JMP    ntpeel

ntmain:
	MOVQ CX, DX
	SUBQ BX, DX
	ANDQ $-16, DX
	ADDQ BX, DX

ntloop:
	CMPQ BX, DX
	JAE  ntdone
	SIGN16_AVX2(VMOVNTPD)
	ADDQ $16, BX
	JMP  ntloop

ntdone:
	SFENCE
	JMP vec4

// SIGN_AVX512(R, M) turns the vector R (x) into sign(x) in the lanes of
// mask M, using Z29 = 0, Z30 = 1.0, Z31 = sign bit, Z28 and K2 as scratch:
//   Z28 = (x AND signbit) OR 1.0    = ±1 with x's sign
//   K2  = x ≠ 0 and ordered         (VCMPPD 0x0c, NEQ_OQ, under M)
//   R   = x + 0                     (+0 for ±0, NaN for NaN)
//   R   = Z28 where K2              (merge-masked VMOVAPD)
#define SIGN_AVX512(R, M) \
	VPANDQ  Z31, R, Z28; \
	VPORQ   Z30, Z28, Z28; \
	VCMPPD  $0x0c, Z29, R, M, K2; \
	VADDPD  Z29, R, R; \
	VMOVAPD Z28, K2, R

// SIGN32_AVX512(ST) is SIGN16_AVX2 on 32 elements (Z0..Z3, K3 = all ones).
#define SIGN32_AVX512(ST) \
	VMOVUPD 0(SI)(BX*8), Z0;   \
	VMOVUPD 64(SI)(BX*8), Z1;  \
	VMOVUPD 128(SI)(BX*8), Z2; \
	VMOVUPD 192(SI)(BX*8), Z3; \
	SIGN_AVX512(Z0, K3);       \
	SIGN_AVX512(Z1, K3);       \
	SIGN_AVX512(Z2, K3);       \
	SIGN_AVX512(Z3, K3);       \
	ST      Z0, 0(DI)(BX*8);   \
	ST      Z1, 64(DI)(BX*8);  \
	ST      Z2, 128(DI)(BX*8); \
	ST      Z3, 192(DI)(BX*8)

// func signAVX512(dst, x []float64)
//
// Arguments: dst (DI), x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Z0..Z3 = values, Z28 and K2
// scratch, Z29 = 0, Z30 = 1.0, Z31 = sign bit (see SIGN_AVX512), K3 = all
// ones for the full vectors, K1 = tail or peel mask, AX, R9 = scratch.
// Loops: main loop 32 elements (4 zmm); vector tail 8 elements; masked tail
// (n − i < 8: zero-masked load, masked store under K1).
// Streaming path (n ≥ ntMinLen): masked peel of the 0..7 elements before
// dst's first 64-byte boundary, main loop 32 elements with VMOVNTPD,
// SFENCE, then the vector and masked tails above.
TEXT ·signAVX512(SB), NOSPLIT, $0-48
	MOVQ         dst_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSD signbit<>(SB), Z31
	VBROADCASTSD one<>(SB), Z30
	VPXORQ       Z29, Z29, Z29
	KXNORW       K3, K3, K3
	XORQ         BX, BX
	CMPQ         CX, ·ntMinLen(SB)
	JAE          nt

cached:
	MOVQ CX, DX
	ANDQ $-32, DX

loop32:
	CMPQ    BX, DX
	JAE     vec8
	SIGN32_AVX512(VMOVUPD)
	ADDQ    $32, BX
	JMP     loop32

vec8:
	MOVQ CX, DX
	SUBQ BX, DX
	ANDQ $-8, DX
	ADDQ BX, DX

loop8:
	CMPQ    BX, DX
	JAE     tail
	VMOVUPD (SI)(BX*8), Z0
	SIGN_AVX512(Z0, K3)
	VMOVUPD Z0, (DI)(BX*8)
	ADDQ    $8, BX
	JMP     loop8

tail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z0
	SIGN_AVX512(Z0, K1)
	VMOVUPD   Z0, K1, (DI)(BX*8)
	VZEROUPPER
	RET

nt:
	TESTQ     $7, DI
	JNZ       cached
	MOVQ      CX, R9
	MOVQ      DI, CX
	NEGQ      CX
	ANDQ      $63, CX
	SHRQ      $3, CX       // peel (0..7 elements)
	MOVQ      CX, BX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	MOVQ      R9, CX
	VMOVUPD.Z (SI), K1, Z0
	SIGN_AVX512(Z0, K1)
	VMOVUPD   Z0, K1, (DI)
	MOVQ      CX, DX
	SUBQ      BX, DX
	ANDQ      $-32, DX
	ADDQ      BX, DX

ntloop:
	CMPQ BX, DX
	JAE  ntdone
	SIGN32_AVX512(VMOVNTPD)
	ADDQ $32, BX
	JMP  ntloop

ntdone:
	SFENCE
	JMP vec8
