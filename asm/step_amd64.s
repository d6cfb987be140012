//go:build !purego

#include "textflag.h"

DATA absmask<>+0(SB)/8, $0x7fffffffffffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $8

DATA signbit<>+0(SB)/8, $0x8000000000000000
GLOBL signbit<>(SB), RODATA|NOPTR, $8

DATA one<>+0(SB)/8, $0x3ff0000000000000
GLOBL one<>(SB), RODATA|NOPTR, $8

// The maxima are taken on bit patterns, as in maxAbsAVX2 (norms_amd64.s):
// |x| as a signed 64-bit integer orders like the value, and every NaN
// (sign cleared) lies above +Inf, so an integer max of |x| is the exact
// max |x_i|, or a NaN whenever one is present, and it never loses a NaN.
//
// Both AVX2 kernels keep a = Y15, absmask = Y14, the running maxima of
// |g| and |θ| (bits) in Y8 and Y9, and use four scratch registers R, A, M,
// T per vector: R = g (then sign(g) in the sign step), T = θ (then the new
// θ), A and M scratch. MAX_AVX2(X, ACC, A, M) folds |X| into ACC.
#define MAX_AVX2(X, ACC, A, M) \
	VANDPD    Y14, X, A;   \
	VPCMPGTQ  ACC, A, M;   \
	VBLENDVPD M, A, ACC, ACC

// SSTEP_AVX2(R, A, M, T): fold |g| into Y8; R = sign(g) as SIGN_AVX2 in
// sign_amd64.s does it (A = (g AND signbit) OR 1.0; M = g ≠ 0 and ordered,
// VCMPPD 0x0c; R = g + 0, which is +0 for ±0 and NaN for NaN; R = M ? A :
// R); T = a·R + T (VFMADD231PD: a·sign(g) is exact, so this is also the
// separately rounded sum); fold |T| into Y9. Y11 = 0, Y12 = 1.0, Y13 =
// sign bit.
#define SSTEP_AVX2(R, A, M, T) \
	MAX_AVX2(R, Y8, A, M);  \
	VANDPD      Y13, R, A;  \
	VORPD       Y12, A, A;  \
	VCMPPD      $0x0c, Y11, R, M; \
	VADDPD      Y11, R, R;  \
	VBLENDVPD   M, A, R, R; \
	VFMADD231PD R, Y15, T;  \
	MAX_AVX2(T, Y9, A, M)

// ASTEP_AVX2(R, A, M, T): fold |g| into Y8; T = a·g + T fused (one
// rounding, as axpyAVX2); fold |T| into Y9.
#define ASTEP_AVX2(R, A, M, T) \
	MAX_AVX2(R, Y8, A, M);  \
	VFMADD231PD R, Y15, T;  \
	MAX_AVX2(T, Y9, A, M)

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

// SCALAR_MAX(SRC, ACC) folds the |x| of the bits in SRC (clobbered) into
// the general-register maximum ACC; R9 = absmask.
#define SCALAR_MAX(SRC, ACC) \
	ANDQ    R9, SRC; \
	CMPQ    SRC, ACC; \
	CMOVQGT SRC, ACC

// func signStepAVX2(a float64, g, theta []float64) (maxG, maxTheta float64)
//
// θ_i += a·sign(g_i); returns max|g_i| and max|θ_i| after the update.
// Arguments: a (broadcast in Y15), g (SI), θ (DI), n = len(g) (CX).
// Registers: BX = index i, DX = loop bound, then max|g| bits; R8 = max|θ|
// bits in the scalar tail; R9 = absmask, AX scratch; Y0..Y7 = two vectors
// in flight (R, A, M, T each); Y8, Y9 = running maxima; Y11 = 0, Y12 =
// 1.0, Y13 = sign bit, Y14 = absmask, Y15 = a.
// Loops: main loop 8 elements (2 ymm; memory-bound on large slices, where
// a deeper unroll does not help); vector tail 4 elements; the maxima are
// reduced into DX and R8; scalar tail (0..3) runs SSTEP_AVX2 on a VMOVSD
// load (lane 0; the other lanes are dead, their maxima no longer read) and
// folds the element's |g| and |θ| into DX and R8 with CMOV. g is read
// before θ is stored in every block, so g may be θ itself.
TEXT ·signStepAVX2(SB), NOSPLIT, $0-72
	VBROADCASTSD a+0(FP), Y15
	MOVQ         g_base+8(FP), SI
	MOVQ         g_len+16(FP), CX
	MOVQ         theta_base+32(FP), DI
	VBROADCASTSD absmask<>(SB), Y14
	VBROADCASTSD signbit<>(SB), Y13
	VBROADCASTSD one<>(SB), Y12
	VXORPD       Y11, Y11, Y11
	VXORPD       Y8, Y8, Y8
	VXORPD       Y9, Y9, Y9
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-8, DX

sloop8:
	CMPQ    BX, DX
	JAE     svec4
	VMOVUPD (SI)(BX*8), Y0
	VMOVUPD 32(SI)(BX*8), Y4
	VMOVUPD (DI)(BX*8), Y3
	VMOVUPD 32(DI)(BX*8), Y7
	SSTEP_AVX2(Y0, Y1, Y2, Y3)
	SSTEP_AVX2(Y4, Y5, Y6, Y7)
	VMOVUPD Y3, (DI)(BX*8)
	VMOVUPD Y7, 32(DI)(BX*8)
	ADDQ    $8, BX
	JMP     sloop8

svec4:
	MOVQ    CX, DX
	ANDQ    $-4, DX
	CMPQ    BX, DX
	JAE     sreduce
	VMOVUPD (SI)(BX*8), Y0
	VMOVUPD (DI)(BX*8), Y3
	SSTEP_AVX2(Y0, Y1, Y2, Y3)
	VMOVUPD Y3, (DI)(BX*8)
	ADDQ    $4, BX

sreduce:
	REDUCE_AVX2(Y8, X8, DX)
	REDUCE_AVX2(Y9, X9, R8)
	MOVQ $0x7fffffffffffffff, R9

sscalar:
	CMPQ       BX, CX
	JAE        sdone
	MOVQ       (SI)(BX*8), AX
	SCALAR_MAX(AX, DX)
	VMOVSD     (SI)(BX*8), X0
	VMOVSD     (DI)(BX*8), X3
	SSTEP_AVX2(Y0, Y1, Y2, Y3)
	VMOVSD     X3, (DI)(BX*8)
	VMOVQ      X3, AX
	SCALAR_MAX(AX, R8)
	INCQ       BX
	JMP        sscalar

sdone:
	VZEROUPPER
	MOVQ DX, maxG+56(FP)
	MOVQ R8, maxTheta+64(FP)
	RET

// func axpyStepAVX2(a float64, g, theta []float64) (maxG, maxTheta float64)
//
// θ_i += a·g_i fused (the rounding of axpyAVX2); returns max|g_i| and
// max|θ_i| after the update. Registers and loops as signStepAVX2, with
// ASTEP_AVX2 (Y11..Y13 unused).
TEXT ·axpyStepAVX2(SB), NOSPLIT, $0-72
	VBROADCASTSD a+0(FP), Y15
	MOVQ         g_base+8(FP), SI
	MOVQ         g_len+16(FP), CX
	MOVQ         theta_base+32(FP), DI
	VBROADCASTSD absmask<>(SB), Y14
	VXORPD       Y8, Y8, Y8
	VXORPD       Y9, Y9, Y9
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-8, DX

aloop8:
	CMPQ    BX, DX
	JAE     avec4
	VMOVUPD (SI)(BX*8), Y0
	VMOVUPD 32(SI)(BX*8), Y4
	VMOVUPD (DI)(BX*8), Y3
	VMOVUPD 32(DI)(BX*8), Y7
	ASTEP_AVX2(Y0, Y1, Y2, Y3)
	ASTEP_AVX2(Y4, Y5, Y6, Y7)
	VMOVUPD Y3, (DI)(BX*8)
	VMOVUPD Y7, 32(DI)(BX*8)
	ADDQ    $8, BX
	JMP     aloop8

avec4:
	MOVQ    CX, DX
	ANDQ    $-4, DX
	CMPQ    BX, DX
	JAE     areduce
	VMOVUPD (SI)(BX*8), Y0
	VMOVUPD (DI)(BX*8), Y3
	ASTEP_AVX2(Y0, Y1, Y2, Y3)
	VMOVUPD Y3, (DI)(BX*8)
	ADDQ    $4, BX

areduce:
	REDUCE_AVX2(Y8, X8, DX)
	REDUCE_AVX2(Y9, X9, R8)
	MOVQ $0x7fffffffffffffff, R9

ascalar:
	CMPQ        BX, CX
	JAE         adone
	MOVQ        (SI)(BX*8), AX
	SCALAR_MAX(AX, DX)
	VMOVSD      (DI)(BX*8), X3
	VFMADD231SD (SI)(BX*8), X15, X3
	VMOVSD      X3, (DI)(BX*8)
	VMOVQ       X3, AX
	SCALAR_MAX(AX, R8)
	INCQ        BX
	JMP         ascalar

adone:
	VZEROUPPER
	MOVQ DX, maxG+56(FP)
	MOVQ R8, maxTheta+64(FP)
	RET

// The AVX-512 kernels keep a = Z31, absmask = Z30, the running maxima of
// |g| and |θ| (bits) in Z24 and Z25, and use R = g, A scratch, T = θ per
// vector; K is the lane mask of the maxima (K3 = all ones in the full
// vectors, K1 in the masked tail, where the zero-filled lanes must not
// count: with a = ±Inf they would give 0·Inf = NaN).
#define MAX_AVX512(X, ACC, A, K) \
	VPANDQ  Z30, X, A; \
	VPMAXSQ A, ACC, K, ACC

// SSTEP_AVX512(R, A, T, K): SSTEP_AVX2 on zmm registers, the sign as
// SIGN_AVX512 in sign_amd64.s computes it (K2 = g ≠ 0 and ordered; the ±1
// merged into R = g + 0 under K2). Z27 = 0, Z28 = 1.0, Z29 = sign bit.
#define SSTEP_AVX512(R, A, T, K) \
	MAX_AVX512(R, Z24, A, K); \
	VPANDQ      Z29, R, A;    \
	VPORQ       Z28, A, A;    \
	VCMPPD      $0x0c, Z27, R, K2; \
	VADDPD      Z27, R, R;    \
	VMOVAPD     A, K2, R;     \
	VFMADD231PD R, Z31, T;    \
	MAX_AVX512(T, Z25, A, K)

// ASTEP_AVX512(R, A, T, K): ASTEP_AVX2 on zmm registers.
#define ASTEP_AVX512(R, A, T, K) \
	MAX_AVX512(R, Z24, A, K); \
	VFMADD231PD R, Z31, T;    \
	MAX_AVX512(T, Z25, A, K)

// REDUCE_AVX512(Z) reduces the eight lanes of the running maximum Z into
// lane 0 of Z0 (Z1 scratch), as maxAbsAVX512 does.
#define REDUCE_AVX512(Z) \
	VSHUFI64X2 $0x4e, Z, Z, Z1;   \
	VPMAXSQ    Z1, Z, Z0;         \
	VSHUFI64X2 $0xb1, Z0, Z0, Z1; \
	VPMAXSQ    Z1, Z0, Z0;        \
	VPSHUFD    $0x4e, Z0, Z1;     \
	VPMAXSQ    Z1, Z0, Z0

// func signStepAVX512(a float64, g, theta []float64) (maxG, maxTheta float64)
//
// Arguments: a (broadcast in Z31), g (SI), θ (DI), n = len(g) (CX).
// Registers: BX = index i, DX = loop bound, AX scratch; Z0..Z5 = two
// vectors in flight (R, A, T each); Z24, Z25 = running maxima; Z27 = 0,
// Z28 = 1.0, Z29 = sign bit, Z30 = absmask, Z31 = a; K1 = tail mask, K2
// scratch, K3 = all ones.
// Loops: main loop 16 elements (2 zmm); vector tail 8 elements; masked
// tail (n mod 8: zero-masked loads, masked maxima and store under K1).
TEXT ·signStepAVX512(SB), NOSPLIT, $0-72
	VBROADCASTSD a+0(FP), Z31
	MOVQ         g_base+8(FP), SI
	MOVQ         g_len+16(FP), CX
	MOVQ         theta_base+32(FP), DI
	VBROADCASTSD absmask<>(SB), Z30
	VBROADCASTSD signbit<>(SB), Z29
	VBROADCASTSD one<>(SB), Z28
	VPXORQ       Z27, Z27, Z27
	VPXORQ       Z24, Z24, Z24
	VPXORQ       Z25, Z25, Z25
	KXNORW       K3, K3, K3
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

zsloop16:
	CMPQ    BX, DX
	JAE     zsvec8
	VMOVUPD (SI)(BX*8), Z0
	VMOVUPD 64(SI)(BX*8), Z3
	VMOVUPD (DI)(BX*8), Z2
	VMOVUPD 64(DI)(BX*8), Z5
	SSTEP_AVX512(Z0, Z1, Z2, K3)
	SSTEP_AVX512(Z3, Z4, Z5, K3)
	VMOVUPD Z2, (DI)(BX*8)
	VMOVUPD Z5, 64(DI)(BX*8)
	ADDQ    $16, BX
	JMP     zsloop16

zsvec8:
	MOVQ    CX, DX
	ANDQ    $-8, DX
	CMPQ    BX, DX
	JAE     zstail
	VMOVUPD (SI)(BX*8), Z0
	VMOVUPD (DI)(BX*8), Z2
	SSTEP_AVX512(Z0, Z1, Z2, K3)
	VMOVUPD Z2, (DI)(BX*8)
	ADDQ    $8, BX

zstail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z0
	VMOVUPD.Z (DI)(BX*8), K1, Z2
	SSTEP_AVX512(Z0, Z1, Z2, K1)
	VMOVUPD   Z2, K1, (DI)(BX*8)
	REDUCE_AVX512(Z24)
	VMOVSD    X0, maxG+56(FP)
	REDUCE_AVX512(Z25)
	VMOVSD    X0, maxTheta+64(FP)
	VZEROUPPER
	RET

// func axpyStepAVX512(a float64, g, theta []float64) (maxG, maxTheta float64)
//
// θ_i += a·g_i fused (the rounding of axpyAVX512). Registers and loops as
// signStepAVX512, with ASTEP_AVX512 (Z27..Z29 unused).
TEXT ·axpyStepAVX512(SB), NOSPLIT, $0-72
	VBROADCASTSD a+0(FP), Z31
	MOVQ         g_base+8(FP), SI
	MOVQ         g_len+16(FP), CX
	MOVQ         theta_base+32(FP), DI
	VBROADCASTSD absmask<>(SB), Z30
	VPXORQ       Z24, Z24, Z24
	VPXORQ       Z25, Z25, Z25
	KXNORW       K3, K3, K3
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

zaloop16:
	CMPQ    BX, DX
	JAE     zavec8
	VMOVUPD (SI)(BX*8), Z0
	VMOVUPD 64(SI)(BX*8), Z3
	VMOVUPD (DI)(BX*8), Z2
	VMOVUPD 64(DI)(BX*8), Z5
	ASTEP_AVX512(Z0, Z1, Z2, K3)
	ASTEP_AVX512(Z3, Z4, Z5, K3)
	VMOVUPD Z2, (DI)(BX*8)
	VMOVUPD Z5, 64(DI)(BX*8)
	ADDQ    $16, BX
	JMP     zaloop16

zavec8:
	MOVQ    CX, DX
	ANDQ    $-8, DX
	CMPQ    BX, DX
	JAE     zatail
	VMOVUPD (SI)(BX*8), Z0
	VMOVUPD (DI)(BX*8), Z2
	ASTEP_AVX512(Z0, Z1, Z2, K3)
	VMOVUPD Z2, (DI)(BX*8)
	ADDQ    $8, BX

zatail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z0
	VMOVUPD.Z (DI)(BX*8), K1, Z2
	ASTEP_AVX512(Z0, Z1, Z2, K1)
	VMOVUPD   Z2, K1, (DI)(BX*8)
	REDUCE_AVX512(Z24)
	VMOVSD    X0, maxG+56(FP)
	REDUCE_AVX512(Z25)
	VMOVSD    X0, maxTheta+64(FP)
	VZEROUPPER
	RET
