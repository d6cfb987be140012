//go:build !purego

#include "textflag.h"

DATA one<>+0(SB)/8, $0x3ff0000000000000
GLOBL one<>(SB), RODATA|NOPTR, $8

DATA absmask<>+0(SB)/8, $0x7fffffffffffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $8

// adamAVX2 keeps six of its constants in its frame as 4-lane vectors (the
// sixteen ymm registers hold the scratch of two vectors in flight, four
// constants, the three running maxima and absmask); they are read as
// memory operands, which cost a load each (L1) and no register.
#define R1 0(SP)
#define R2 32(SP)
#define STEP 64(SP)
#define INVBC 96(SP)
#define EPS 128(SP)
#define ZERO 160(SP)

// MAX_AVX2(X, ACC, A, M) folds |X| into the running maximum ACC, on bit
// patterns as maxAbsAVX2 (norms_amd64.s) does: |x| as a signed integer
// orders like the value, every NaN above +Inf, so a NaN is never lost.
// Y15 = absmask; A, M scratch.
#define MAX_AVX2(X, ACC, A, M) \
	VANDPD    Y15, X, A; \
	VPCMPGTQ  ACC, A, M; \
	VBLENDVPD M, A, ACC, ACC

// ADAM_AVX2(off, A, B, C, D) updates the 4 elements at byte offset off from
// index BX, with A..D as scratch ymm registers and the constants of
// adamAVX2 in Y8..Y11 and its frame:
//   A = g;  B = c1·g;  C = β1·(r1·m);  B = C + B   (m')
//   A = g²; A = c2·A;  C = β2·(r2·v);  A = C + A   (v')
//   store m', v'; fold |m'|, |v'| into Y12, Y13
//   C = √v' · (1/sqrtBC2) + ε  (the denominator d)
//   D = d ≠ 0 (VCMPPD 0x04, NEQ_UQ); B = (m'/d) AND D
//   B = step·B;  A = θ − B;  store θ; fold |θ| into Y14
// (c1 = 1−β1, c2 = 1−β2.) m' and v' are computed as adamGeneric does, one
// rounding per operation in the same order (no FMA), so they agree with it
// bitwise; r1·m is rounded on its own, as Scal(r1, m) rounds it. θ differs
// by a few ulps of the step: the division by sqrtBC2 is a multiplication
// by its reciprocal (one rounding more in d), which takes one of the three
// divider operations (VSQRTPD, VDIVPD, VDIVPD) per vector off the loop's
// critical resource.
#define ADAM_AVX2(off, A, B, C, D) \
	VMOVUPD      off(R11)(BX*8), A; \
	VMULPD       A, Y9, B; \
	VMOVUPD      off(R9)(BX*8), C; \
	VMULPD       R1, C, C; \
	VMULPD       C, Y8, C; \
	VADDPD       B, C, B; \
	VMULPD       A, A, A; \
	VMULPD       A, Y11, A; \
	VMOVUPD      off(R10)(BX*8), C; \
	VMULPD       R2, C, C; \
	VMULPD       C, Y10, C; \
	VADDPD       A, C, A; \
	VMOVUPD      B, off(R9)(BX*8); \
	VMOVUPD      A, off(R10)(BX*8); \
	MAX_AVX2(B, Y12, C, D); \
	MAX_AVX2(A, Y13, C, D); \
	VSQRTPD      A, C; \
	VMULPD       INVBC, C, C; \
	VADDPD       EPS, C, C; \
	VCMPPD       $0x04, ZERO, C, D; \
	VDIVPD       C, B, B; \
	VANDPD       D, B, B; \
	VMULPD       STEP, B, B; \
	VMOVUPD      off(DI)(BX*8), A; \
	VSUBPD       B, A, A; \
	VMOVUPD      A, off(DI)(BX*8); \
	MAX_AVX2(A, Y14, C, D)

// SCALAR_MAX(X, ACC) folds the |x| of lane 0 of X into the general-register
// maximum ACC (bits); SI = absmask, AX scratch.
#define SCALAR_MAX(X, ACC) \
	VMOVQ   X, AX; \
	ANDQ    SI, AX; \
	CMPQ    AX, ACC; \
	CMOVQGT AX, ACC

// REDUCE_AVX2(Y, X, GP) reduces the four lanes of the running maximum Y
// (X: its low half) into the general register GP (X1, X2 scratch).
#define REDUCE_AVX2(Y, X, GP) \
	VEXTRACTF128 $1, Y, X1;  \
	VPCMPGTQ     X, X1, X2;  \
	VBLENDVPD    X2, X1, X, X; \
	VPERMILPD    $1, X, X1;  \
	VPCMPGTQ     X, X1, X2;  \
	VBLENDVPD    X2, X1, X, X; \
	VMOVQ        X, GP

// func adamAVX2(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)
//
// One fused Adam step (m, v and θ in one pass, the moments rescaled by r1,
// r2 on the way); see ADAM_AVX2 for how its roundings compare with
// adamGeneric's.
// Arguments: θ (DI), m (R9), v (R10), g (R11), n = len(θ) (CX).
// Registers: BX = index i, DX = loop bound, Y8 = β1, Y9 = 1−β1, Y10 = β2,
// Y11 = 1−β2, Y12..Y14 = running maxima of |m'|, |v'|, |θ| (bits), Y15 =
// absmask, Y0..Y7 = scratch for two vectors in flight. Frame: r1, r2,
// stepSize, 1/sqrtBC2, ε, 0 as 4-lane vectors (R1 … ZERO above). Scalar
// tail: R12, R13, R8 = the maxima (bits), SI = absmask, AX scratch.
// Loops: main loop 8 elements (2 ymm; the iterations are independent and
// the loop is bound by VSQRTPD/VDIVPD throughput in cache and by memory
// beyond, so a deeper unroll does not help); vector tail 4 elements; the
// maxima are reduced into R12, R13, R8; scalar tail (0..3) runs the same
// sequence on X registers loaded with VMOVSD and folds lane 0 into the
// maxima with CMOV (lane 1 holds nothing and is not stored or counted).
TEXT ·adamAVX2(SB), NOSPLIT, $192-176
	MOVQ         theta_base+0(FP), DI
	MOVQ         theta_len+8(FP), CX
	MOVQ         m_base+24(FP), R9
	MOVQ         v_base+48(FP), R10
	MOVQ         g_base+72(FP), R11
	VBROADCASTSD r1+96(FP), Y0
	VMOVUPD      Y0, R1
	VBROADCASTSD r2+104(FP), Y0
	VMOVUPD      Y0, R2
	VBROADCASTSD stepSize+128(FP), Y0
	VMOVUPD      Y0, STEP
	VMOVSD       one<>(SB), X0
	VDIVSD       sqrtBC2+136(FP), X0, X3
	VBROADCASTSD X3, Y3
	VMOVUPD      Y3, INVBC
	VBROADCASTSD eps+144(FP), Y3
	VMOVUPD      Y3, EPS
	VXORPD       Y3, Y3, Y3
	VMOVUPD      Y3, ZERO
	VSUBSD       beta1+112(FP), X0, X1
	VSUBSD       beta2+120(FP), X0, X2
	VBROADCASTSD beta1+112(FP), Y8
	VBROADCASTSD X1, Y9
	VBROADCASTSD beta2+120(FP), Y10
	VBROADCASTSD X2, Y11
	VXORPD       Y12, Y12, Y12
	VXORPD       Y13, Y13, Y13
	VXORPD       Y14, Y14, Y14
	VBROADCASTSD absmask<>(SB), Y15
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-8, DX

loop8:
	CMPQ BX, DX
	JAE  vec4
	ADAM_AVX2(0, Y0, Y1, Y2, Y3)
	ADAM_AVX2(32, Y4, Y5, Y6, Y7)
	ADDQ $8, BX
	JMP  loop8

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX
	CMPQ BX, DX
	JAE  reduce
	ADAM_AVX2(0, Y0, Y1, Y2, Y3)
	ADDQ $4, BX

reduce:
	REDUCE_AVX2(Y12, X12, R12)
	REDUCE_AVX2(Y13, X13, R13)
	REDUCE_AVX2(Y14, X14, R8)
	MOVQ $0x7fffffffffffffff, SI

scalar:
	CMPQ         BX, CX
	JAE          done
	VMOVSD       (R11)(BX*8), X0
	VMOVSD       (R9)(BX*8), X4
	VMOVSD       (R10)(BX*8), X5
	VMULPD       X0, X9, X1
	VMULPD       R1, X4, X4
	VMULPD       X4, X8, X4
	VADDPD       X1, X4, X1
	VMULPD       X0, X0, X0
	VMULPD       X0, X11, X0
	VMULPD       R2, X5, X5
	VMULPD       X5, X10, X5
	VADDPD       X0, X5, X0
	VMOVSD       X1, (R9)(BX*8)
	VMOVSD       X0, (R10)(BX*8)
	SCALAR_MAX(X1, R12)
	SCALAR_MAX(X0, R13)
	VSQRTPD      X0, X2
	VMULPD       INVBC, X2, X2
	VADDPD       EPS, X2, X2
	VCMPPD       $0x04, ZERO, X2, X3
	VDIVPD       X2, X1, X1
	VANDPD       X3, X1, X1
	VMULPD       STEP, X1, X1
	VMOVSD       (DI)(BX*8), X0
	VSUBPD       X1, X0, X0
	VMOVSD       X0, (DI)(BX*8)
	SCALAR_MAX(X0, R8)
	INCQ         BX
	JMP          scalar

done:
	VZEROUPPER
	MOVQ R12, maxM+152(FP)
	MOVQ R13, maxV+160(FP)
	MOVQ R8, maxTheta+168(FP)
	RET

// MAX_AVX512(X, ACC, A, K) folds |X| into ACC in the lanes of K (Z19 =
// absmask; VPMAXSQ as maxAbsAVX512 does).
#define MAX_AVX512(X, ACC, A, K) \
	VPANDQ  Z19, X, A; \
	VPMAXSQ A, ACC, K, ACC

// ADAM_AVX512(off, A, B, C, K) is ADAM_AVX2 on zmm registers with the
// constants in Z20..Z29; the mask d ≠ 0 goes to K and the division is
// zero-masked by it (VDIVPD.Z), so lanes with d = 0 give q = +0. K3 = all
// ones (the lanes of the maxima).
#define ADAM_AVX512(off, A, B, C, K) \
	VMOVUPD      off(R11)(BX*8), A; \
	VMULPD       A, Z21, B; \
	VMULPD       off(R9)(BX*8), Z28, C; \
	VMULPD       C, Z20, C; \
	VADDPD       B, C, B; \
	VMULPD       A, A, A; \
	VMULPD       A, Z23, A; \
	VMULPD       off(R10)(BX*8), Z29, C; \
	VMULPD       C, Z22, C; \
	VADDPD       A, C, A; \
	VMOVUPD      B, off(R9)(BX*8); \
	VMOVUPD      A, off(R10)(BX*8); \
	MAX_AVX512(B, Z16, C, K3); \
	MAX_AVX512(A, Z17, C, K3); \
	VSQRTPD      A, C; \
	VMULPD       Z25, C, C; \
	VADDPD       Z26, C, C; \
	VCMPPD       $0x04, Z27, C, K; \
	VDIVPD.Z     C, B, K, B; \
	VMULPD       B, Z24, B; \
	VMOVUPD      off(DI)(BX*8), A; \
	VSUBPD       B, A, A; \
	VMOVUPD      A, off(DI)(BX*8); \
	MAX_AVX512(A, Z18, C, K3)

// REDUCE_AVX512(Z) reduces the eight lanes of the running maximum Z into
// lane 0 of Z0 (Z1 scratch), as maxAbsAVX512 does.
#define REDUCE_AVX512(Z) \
	VSHUFI64X2 $0x4e, Z, Z, Z1;   \
	VPMAXSQ    Z1, Z, Z0;         \
	VSHUFI64X2 $0xb1, Z0, Z0, Z1; \
	VPMAXSQ    Z1, Z0, Z0;        \
	VPSHUFD    $0x4e, Z0, Z1;     \
	VPMAXSQ    Z1, Z0, Z0

// func adamAVX512(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)
//
// Arguments: θ (DI), m (R9), v (R10), g (R11), n = len(θ) (CX).
// Registers: BX = index i, DX = loop bound, Z16..Z18 = running maxima of
// |m'|, |v'|, |θ| (bits), Z19 = absmask, Z20 = β1, Z21 = 1−β1, Z22 = β2,
// Z23 = 1−β2, Z24 = stepSize, Z25 = 1/sqrtBC2, Z26 = ε, Z27 = 0, Z28 = r1,
// Z29 = r2, Z0..Z7 and K2..K3 = scratch for two vectors in flight, K1 =
// tail mask, K3 = all ones, AX = scratch.
// Loops: main loop 16 elements (2 zmm, see adamAVX2 for the unroll depth);
// vector tail 8 elements; masked tail (n mod 8: zero-masked loads of g, m,
// v, θ, masked stores and maxima under K1); the maxima are reduced last.
TEXT ·adamAVX512(SB), NOSPLIT, $0-176
	MOVQ         theta_base+0(FP), DI
	MOVQ         theta_len+8(FP), CX
	MOVQ         m_base+24(FP), R9
	MOVQ         v_base+48(FP), R10
	MOVQ         g_base+72(FP), R11
	VMOVSD       one<>(SB), X0
	VSUBSD       beta1+112(FP), X0, X1
	VSUBSD       beta2+120(FP), X0, X2
	VBROADCASTSD beta1+112(FP), Z20
	VBROADCASTSD X1, Z21
	VBROADCASTSD beta2+120(FP), Z22
	VBROADCASTSD X2, Z23
	VBROADCASTSD stepSize+128(FP), Z24
	VDIVSD       sqrtBC2+136(FP), X0, X3
	VBROADCASTSD X3, Z25
	VBROADCASTSD eps+144(FP), Z26
	VPXORQ       Z27, Z27, Z27
	VBROADCASTSD r1+96(FP), Z28
	VBROADCASTSD r2+104(FP), Z29
	VBROADCASTSD absmask<>(SB), Z19
	VPXORQ       Z16, Z16, Z16
	VPXORQ       Z17, Z17, Z17
	VPXORQ       Z18, Z18, Z18
	KXNORW       K3, K3, K3
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

loop16:
	CMPQ BX, DX
	JAE  vec8
	ADAM_AVX512(0, Z0, Z1, Z2, K2)
	ADAM_AVX512(64, Z4, Z5, Z6, K4)
	ADDQ $16, BX
	JMP  loop16

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX
	CMPQ BX, DX
	JAE  tail
	ADAM_AVX512(0, Z0, Z1, Z2, K2)
	ADDQ $8, BX

tail:
	SUBQ         BX, CX
	JZ           reduce
	MOVQ         $1, AX
	SHLQ         CX, AX
	DECQ         AX
	KMOVW        AX, K1
	VMOVUPD.Z    (R11)(BX*8), K1, Z0
	VMOVUPD.Z    (R9)(BX*8), K1, Z4
	VMOVUPD.Z    (R10)(BX*8), K1, Z5
	VMULPD       Z0, Z21, Z1
	VMULPD       Z4, Z28, Z4
	VMULPD       Z4, Z20, Z4
	VADDPD       Z1, Z4, Z1
	VMULPD       Z0, Z0, Z0
	VMULPD       Z0, Z23, Z0
	VMULPD       Z5, Z29, Z5
	VMULPD       Z5, Z22, Z5
	VADDPD       Z0, Z5, Z0
	VMOVUPD      Z1, K1, (R9)(BX*8)
	VMOVUPD      Z0, K1, (R10)(BX*8)
	MAX_AVX512(Z1, Z16, Z2, K1)
	MAX_AVX512(Z0, Z17, Z2, K1)
	VSQRTPD      Z0, Z2
	VMULPD       Z25, Z2, Z2
	VADDPD       Z26, Z2, Z2
	VCMPPD       $0x04, Z27, Z2, K1, K2
	VDIVPD.Z     Z2, Z1, K2, Z1
	VMULPD       Z1, Z24, Z1
	VMOVUPD.Z    (DI)(BX*8), K1, Z0
	VSUBPD       Z1, Z0, Z0
	VMOVUPD      Z0, K1, (DI)(BX*8)
	MAX_AVX512(Z0, Z18, Z2, K1)

reduce:
	REDUCE_AVX512(Z16)
	VMOVSD X0, maxM+152(FP)
	REDUCE_AVX512(Z17)
	VMOVSD X0, maxV+160(FP)
	REDUCE_AVX512(Z18)
	VMOVSD X0, maxTheta+168(FP)
	VZEROUPPER
	RET
