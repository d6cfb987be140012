//go:build !purego

#include "textflag.h"

DATA one<>+0(SB)/8, $0x3ff0000000000000
GLOBL one<>(SB), RODATA|NOPTR, $8

// ADAM_AVX2(off, A, B, C, D) updates the 4 elements at byte offset off from
// index BX, with A..D as scratch ymm registers and the constants of
// adamAVX2 in Y8..Y15:
//   A = g;  B = c1·g;  C = b1·m;  B = C + B   (m')
//   A = g²; A = c2·A;  C = b2·v;  A = C + A   (v')
//   store m', v';  C = √v' · (1/sqrtBC2) + ε  (the denominator d)
//   D = d ≠ 0 (VCMPPD 0x04, NEQ_UQ); B = (m'/d) AND D
//   B = step·B;  A = θ − B;  store θ
// m' and v' are computed as adamGeneric does, one rounding per operation in
// the same order (no FMA), so they agree with it bitwise. θ differs by a
// few ulps of the step: the division by sqrtBC2 is a multiplication by its
// reciprocal (one rounding more in d), which takes one of the three
// divider operations (VSQRTPD, VDIVPD, VDIVPD) per vector off the loop's
// critical resource.
#define ADAM_AVX2(off, A, B, C, D) \
	VMOVUPD      off(R11)(BX*8), A; \
	VMULPD       A, Y9, B; \
	VMULPD       off(R9)(BX*8), Y8, C; \
	VADDPD       B, C, B; \
	VMULPD       A, A, A; \
	VMULPD       A, Y11, A; \
	VMULPD       off(R10)(BX*8), Y10, C; \
	VADDPD       A, C, A; \
	VMOVUPD      B, off(R9)(BX*8); \
	VMOVUPD      A, off(R10)(BX*8); \
	VSQRTPD      A, C; \
	VMULPD       Y13, C, C; \
	VADDPD       Y14, C, C; \
	VCMPPD       $0x04, Y15, C, D; \
	VDIVPD       C, B, B; \
	VANDPD       D, B, B; \
	VMULPD       B, Y12, B; \
	VMOVUPD      off(DI)(BX*8), A; \
	VSUBPD       B, A, A; \
	VMOVUPD      A, off(DI)(BX*8)

// func adamAVX2(theta, m, v, g []float64, beta1, beta2, stepSize, sqrtBC2, eps float64)
//
// One fused Adam step (m, v and θ in one pass); see ADAM_AVX2 for how its
// roundings compare with adamGeneric's.
// Arguments: θ (DI), m (R9), v (R10), g (R11), n = len(θ) (CX).
// Registers: BX = index i, DX = loop bound, Y8 = β1, Y9 = 1−β1, Y10 = β2,
// Y11 = 1−β2, Y12 = stepSize, Y13 = 1/sqrtBC2, Y14 = ε, Y15 = 0,
// Y0..Y7 = scratch for two vectors in flight.
// Loops: main loop 8 elements (2 ymm; the iterations are independent and
// the loop is bound by VSQRTPD/VDIVPD throughput, so a deeper unroll does
// not help); vector tail 4 elements; scalar tail (0..3) runs the same
// sequence on X registers loaded with VMOVSD.
TEXT ·adamAVX2(SB), NOSPLIT, $0-136
	MOVQ         theta_base+0(FP), DI
	MOVQ         theta_len+8(FP), CX
	MOVQ         m_base+24(FP), R9
	MOVQ         v_base+48(FP), R10
	MOVQ         g_base+72(FP), R11
	VMOVSD       one<>(SB), X0
	VSUBSD       beta1+96(FP), X0, X1
	VSUBSD       beta2+104(FP), X0, X2
	VBROADCASTSD beta1+96(FP), Y8
	VBROADCASTSD X1, Y9
	VBROADCASTSD beta2+104(FP), Y10
	VBROADCASTSD X2, Y11
	VBROADCASTSD stepSize+112(FP), Y12
	VDIVSD       sqrtBC2+120(FP), X0, X3
	VBROADCASTSD X3, Y13
	VBROADCASTSD eps+128(FP), Y14
	VXORPD       Y15, Y15, Y15
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
	JAE  scalar
	ADAM_AVX2(0, Y0, Y1, Y2, Y3)
	ADDQ $4, BX

scalar:
	CMPQ         BX, CX
	JAE          done
	VMOVSD       (R11)(BX*8), X0
	VMOVSD       (R9)(BX*8), X4
	VMOVSD       (R10)(BX*8), X5
	VMULPD       X0, X9, X1
	VMULPD       X4, X8, X4
	VADDPD       X1, X4, X1
	VMULPD       X0, X0, X0
	VMULPD       X0, X11, X0
	VMULPD       X5, X10, X5
	VADDPD       X0, X5, X0
	VMOVSD       X1, (R9)(BX*8)
	VMOVSD       X0, (R10)(BX*8)
	VSQRTPD      X0, X2
	VMULPD       X13, X2, X2
	VADDPD       X14, X2, X2
	VCMPPD       $0x04, X15, X2, X3
	VDIVPD       X2, X1, X1
	VANDPD       X3, X1, X1
	VMULPD       X1, X12, X1
	VMOVSD       (DI)(BX*8), X0
	VSUBPD       X1, X0, X0
	VMOVSD       X0, (DI)(BX*8)
	INCQ         BX
	JMP          scalar

done:
	VZEROUPPER
	RET

// ADAM_AVX512(off, A, B, C, K) is ADAM_AVX2 on zmm registers with the
// constants in Z20..Z27; the mask d ≠ 0 goes to K and the division is
// zero-masked by it (VDIVPD.Z), so lanes with d = 0 give q = +0.
#define ADAM_AVX512(off, A, B, C, K) \
	VMOVUPD      off(R11)(BX*8), A; \
	VMULPD       A, Z21, B; \
	VMULPD       off(R9)(BX*8), Z20, C; \
	VADDPD       B, C, B; \
	VMULPD       A, A, A; \
	VMULPD       A, Z23, A; \
	VMULPD       off(R10)(BX*8), Z22, C; \
	VADDPD       A, C, A; \
	VMOVUPD      B, off(R9)(BX*8); \
	VMOVUPD      A, off(R10)(BX*8); \
	VSQRTPD      A, C; \
	VMULPD       Z25, C, C; \
	VADDPD       Z26, C, C; \
	VCMPPD       $0x04, Z27, C, K; \
	VDIVPD.Z     C, B, K, B; \
	VMULPD       B, Z24, B; \
	VMOVUPD      off(DI)(BX*8), A; \
	VSUBPD       B, A, A; \
	VMOVUPD      A, off(DI)(BX*8)

// func adamAVX512(theta, m, v, g []float64, beta1, beta2, stepSize, sqrtBC2, eps float64)
//
// Arguments: θ (DI), m (R9), v (R10), g (R11), n = len(θ) (CX).
// Registers: BX = index i, DX = loop bound, Z20 = β1, Z21 = 1−β1, Z22 = β2,
// Z23 = 1−β2, Z24 = stepSize, Z25 = 1/sqrtBC2, Z26 = ε, Z27 = 0, Z0..Z7 and
// K2..K3 = scratch for two vectors in flight, K1 = tail mask, AX = scratch.
// Loops: main loop 16 elements (2 zmm, see adamAVX2 for the unroll depth);
// vector tail 8 elements; masked tail (n mod 8: zero-masked loads of g, m,
// v, θ and masked stores under K1).
TEXT ·adamAVX512(SB), NOSPLIT, $0-136
	MOVQ         theta_base+0(FP), DI
	MOVQ         theta_len+8(FP), CX
	MOVQ         m_base+24(FP), R9
	MOVQ         v_base+48(FP), R10
	MOVQ         g_base+72(FP), R11
	VMOVSD       one<>(SB), X0
	VSUBSD       beta1+96(FP), X0, X1
	VSUBSD       beta2+104(FP), X0, X2
	VBROADCASTSD beta1+96(FP), Z20
	VBROADCASTSD X1, Z21
	VBROADCASTSD beta2+104(FP), Z22
	VBROADCASTSD X2, Z23
	VBROADCASTSD stepSize+112(FP), Z24
	VDIVSD       sqrtBC2+120(FP), X0, X3
	VBROADCASTSD X3, Z25
	VBROADCASTSD eps+128(FP), Z26
	VPXORQ       Z27, Z27, Z27
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

loop16:
	CMPQ BX, DX
	JAE  vec8
	ADAM_AVX512(0, Z0, Z1, Z2, K2)
	ADAM_AVX512(64, Z4, Z5, Z6, K3)
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
	JZ           done
	MOVQ         $1, AX
	SHLQ         CX, AX
	DECQ         AX
	KMOVW        AX, K1
	VMOVUPD.Z    (R11)(BX*8), K1, Z0
	VMOVUPD.Z    (R9)(BX*8), K1, Z4
	VMOVUPD.Z    (R10)(BX*8), K1, Z5
	VMULPD       Z0, Z21, Z1
	VMULPD       Z4, Z20, Z4
	VADDPD       Z1, Z4, Z1
	VMULPD       Z0, Z0, Z0
	VMULPD       Z0, Z23, Z0
	VMULPD       Z5, Z22, Z5
	VADDPD       Z0, Z5, Z0
	VMOVUPD      Z1, K1, (R9)(BX*8)
	VMOVUPD      Z0, K1, (R10)(BX*8)
	VSQRTPD      Z0, Z2
	VMULPD       Z25, Z2, Z2
	VADDPD       Z26, Z2, Z2
	VCMPPD       $0x04, Z27, Z2, K1, K2
	VDIVPD.Z     Z2, Z1, K2, Z1
	VMULPD       Z1, Z24, Z1
	VMOVUPD.Z    (DI)(BX*8), K1, Z0
	VSUBPD       Z1, Z0, Z0
	VMOVUPD      Z0, K1, (DI)(BX*8)

done:
	VZEROUPPER
	RET
