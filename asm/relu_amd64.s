//go:build !purego

#include "textflag.h"

// Streaming stores. From ·ntMinLen elements on (a Go variable, see
// stubs_amd64.go) the kernels below write dst with VMOVNTPD, which skips
// the read-for-ownership of each destination line. VMOVNTPD needs an
// aligned address, so a peel first handles the elements before the first
// 32-byte (AVX2) or 64-byte (AVX-512) boundary of dst; the streaming loop
// ends with SFENCE and leaves the remaining elements to the ordinary vector
// and scalar tails. A dst that is not even 8-byte aligned never streams.

// RELU_AVX2(R, M) turns R (x) into relu(x) with M as scratch and Y15 = 0:
// M = x NLE_US 0 (VCMPPD predicate 0x06, "not less or equal", true for
// x > 0 and for NaN), R = x AND M, so −0 and negatives become +0.
#define RELU_AVX2(R, M) \
	VCMPPD $0x06, Y15, R, M; \
	VANDPD M, R, R

// RELU16_AVX2(ST) runs RELU_AVX2 on the 16 elements at i, storing with ST
// (VMOVUPD, or VMOVNTPD on the streaming path). Y0..Y3 values, Y4..Y7 masks.
#define RELU16_AVX2(ST) \
	VMOVUPD 0(SI)(BX*8), Y0;  \
	VMOVUPD 32(SI)(BX*8), Y1; \
	VMOVUPD 64(SI)(BX*8), Y2; \
	VMOVUPD 96(SI)(BX*8), Y3; \
	RELU_AVX2(Y0, Y4);        \
	RELU_AVX2(Y1, Y5);        \
	RELU_AVX2(Y2, Y6);        \
	RELU_AVX2(Y3, Y7);        \
	ST      Y0, 0(DI)(BX*8);  \
	ST      Y1, 32(DI)(BX*8); \
	ST      Y2, 64(DI)(BX*8); \
	ST      Y3, 96(DI)(BX*8)

// func reluAVX2(dst, x []float64)
//
// dst_i = x_i if x_i > 0 or x_i is NaN, else +0 (RELU_AVX2).
// Arguments: dst (DI), x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Y0..Y3 = x, Y4..Y7 = masks,
// Y15 = 0.
// Loops: main loop 16 elements (4 ymm); vector tail 4 elements; scalar tail
// (0..3) runs the same two instructions on X registers loaded with VMOVSD.
// Streaming path (n ≥ ntMinLen): scalar peel (0..3) until dst+8·i is
// 32-byte aligned, main loop 16 elements with VMOVNTPD, SFENCE, then the
// vector and scalar tails above (their bounds count from i).
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DI
	MOVQ   x_base+24(FP), SI
	MOVQ   x_len+32(FP), CX
	VXORPD Y15, Y15, Y15
	XORQ   BX, BX
	CMPQ   CX, ·ntMinLen(SB)
	JAE    nt

cached:
	MOVQ CX, DX
	ANDQ $-16, DX

loop16:
	CMPQ    BX, DX
	JAE     vec4
	RELU16_AVX2(VMOVUPD)
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
	RELU_AVX2(Y0, Y4)
	VMOVUPD Y0, (DI)(BX*8)
	ADDQ    $4, BX
	JMP     loop4

scalar:
	CMPQ   BX, CX
	JAE    done
	VMOVSD (SI)(BX*8), X0
	RELU_AVX2(Y0, Y4)
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
	RELU_AVX2(Y0, Y4)
	VMOVSD X0, (DI)(BX*8)
	INCQ   BX
	JMP    ntpeel

ntmain:
	MOVQ CX, DX
	SUBQ BX, DX
	ANDQ $-16, DX
	ADDQ BX, DX

ntloop:
	CMPQ     BX, DX
	JAE      ntdone
	RELU16_AVX2(VMOVNTPD)
	ADDQ     $16, BX
	JMP      ntloop

ntdone:
	SFENCE
	JMP vec4

// RELU_AVX512(R, K) is RELU_AVX2 on a zmm: K = x NLE_US 0, then a
// zero-masked move keeps x where K and writes +0 elsewhere (Z31 = 0).
#define RELU_AVX512(R, K) \
	VCMPPD    $0x06, Z31, R, K; \
	VMOVAPD.Z R, K, R

// RELU32_AVX512(ST) is RELU16_AVX2 on 32 elements: Z0..Z3 values, K2..K5
// masks.
#define RELU32_AVX512(ST) \
	VMOVUPD 0(SI)(BX*8), Z0;   \
	VMOVUPD 64(SI)(BX*8), Z1;  \
	VMOVUPD 128(SI)(BX*8), Z2; \
	VMOVUPD 192(SI)(BX*8), Z3; \
	RELU_AVX512(Z0, K2);       \
	RELU_AVX512(Z1, K3);       \
	RELU_AVX512(Z2, K4);       \
	RELU_AVX512(Z3, K5);       \
	ST      Z0, 0(DI)(BX*8);   \
	ST      Z1, 64(DI)(BX*8);  \
	ST      Z2, 128(DI)(BX*8); \
	ST      Z3, 192(DI)(BX*8)

// TAILMASK sets K1 to the low CX bits (CX ≤ 8; AX scratch).
#define TAILMASK \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX;     \
	KMOVW AX, K1

// func reluAVX512(dst, x []float64)
//
// As reluAVX2, with RELU_AVX512.
// Arguments: dst (DI), x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Z0..Z3 = x, K2..K5 = masks,
// Z31 = 0, K1 = tail or peel mask, AX, R9 = scratch.
// Loops: main loop 32 elements (4 zmm); vector tail 8 elements; masked tail
// (n − i < 8: zero-masked load, compare under K1, masked store).
// Streaming path (n ≥ ntMinLen): masked peel of the 0..7 elements before
// dst's first 64-byte boundary, main loop 32 elements with VMOVNTPD,
// SFENCE, then the vector and masked tails above.
TEXT ·reluAVX512(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DI
	MOVQ   x_base+24(FP), SI
	MOVQ   x_len+32(FP), CX
	VPXORQ Z31, Z31, Z31
	XORQ   BX, BX
	CMPQ   CX, ·ntMinLen(SB)
	JAE    nt

cached:
	MOVQ CX, DX
	ANDQ $-32, DX

loop32:
	CMPQ    BX, DX
	JAE     vec8
	RELU32_AVX512(VMOVUPD)
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
	RELU_AVX512(Z0, K2)
	VMOVUPD Z0, (DI)(BX*8)
	ADDQ    $8, BX
	JMP     loop8

tail:
	SUBQ      BX, CX
	TAILMASK
	VMOVUPD.Z (SI)(BX*8), K1, Z0
	VCMPPD    $0x06, Z31, Z0, K1, K2
	VMOVAPD.Z Z0, K2, Z0
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
	SHRQ      $3, CX   // peel (0..7 elements)
	MOVQ      CX, BX
	TAILMASK
	MOVQ      R9, CX
	VMOVUPD.Z (SI), K1, Z0
	VCMPPD    $0x06, Z31, Z0, K1, K2
	VMOVAPD.Z Z0, K2, Z0
	VMOVUPD   Z0, K1, (DI)
	MOVQ      CX, DX
	SUBQ      BX, DX
	ANDQ      $-32, DX
	ADDQ      BX, DX

ntloop:
	CMPQ     BX, DX
	JAE      ntdone
	RELU32_AVX512(VMOVNTPD)
	ADDQ     $32, BX
	JMP      ntloop

ntdone:
	SFENCE
	JMP vec8

// RELUMASK_AVX2(OFF, R) sets R to g AND (z GT_OQ 0) for the 4 elements at
// byte offset OFF from i (VCMPPD predicate 0x1e, false for NaN z): a
// selection, so NaN or Inf in g is dropped where the mask is off. Y15 = 0.
#define RELUMASK_AVX2(OFF, R) \
	VMOVUPD OFF(R8)(BX*8), R;    \
	VCMPPD  $0x1e, Y15, R, R;    \
	VANDPD  OFF(SI)(BX*8), R, R

// RELUMASK16_AVX2(ST) runs RELUMASK_AVX2 on the 16 elements at i into
// Y0..Y3 and stores them with ST.
#define RELUMASK16_AVX2(ST) \
	RELUMASK_AVX2(0, Y0);    \
	RELUMASK_AVX2(32, Y1);   \
	RELUMASK_AVX2(64, Y2);   \
	RELUMASK_AVX2(96, Y3);   \
	ST Y0, 0(DI)(BX*8);      \
	ST Y1, 32(DI)(BX*8);     \
	ST Y2, 64(DI)(BX*8);     \
	ST Y3, 96(DI)(BX*8)

// func reluMaskAVX2(dst, g, z []float64)
//
// dst_i = g_i where z_i > 0, else +0 (RELUMASK_AVX2).
// Arguments: dst (DI), g (SI), z (R8), n = len(g) (CX).
// Registers: BX = index i, DX = loop bound, Y0..Y3 = z then masks then
// results, Y15 = 0.
// Loops: main loop 16 elements (4 ymm); vector tail 4 elements; scalar tail
// (0..3) on X registers loaded with VMOVSD.
// Streaming path (n ≥ ntMinLen): scalar peel (0..3) until dst+8·i is
// 32-byte aligned, main loop 16 elements with VMOVNTPD, SFENCE, then the
// vector and scalar tails above.
TEXT ·reluMaskAVX2(SB), NOSPLIT, $0-72
	MOVQ   dst_base+0(FP), DI
	MOVQ   g_base+24(FP), SI
	MOVQ   g_len+32(FP), CX
	MOVQ   z_base+48(FP), R8
	VXORPD Y15, Y15, Y15
	XORQ   BX, BX
	CMPQ   CX, ·ntMinLen(SB)
	JAE    nt

cached:
	MOVQ CX, DX
	ANDQ $-16, DX

loop16:
	CMPQ    BX, DX
	JAE     vec4
	RELUMASK16_AVX2(VMOVUPD)
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
	RELUMASK_AVX2(0, Y0)
	VMOVUPD Y0, (DI)(BX*8)
	ADDQ    $4, BX
	JMP     loop4

scalar:
	CMPQ   BX, CX
	JAE    done
	VMOVSD (R8)(BX*8), X0
	VMOVSD (SI)(BX*8), X1
	VCMPPD $0x1e, X15, X0, X0
	VANDPD X1, X0, X0
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
	VMOVSD (R8)(BX*8), X0
	VMOVSD (SI)(BX*8), X1
	VCMPPD $0x1e, X15, X0, X0
	VANDPD X1, X0, X0
	VMOVSD X0, (DI)(BX*8)
	INCQ   BX
	JMP    ntpeel

ntmain:
	MOVQ CX, DX
	SUBQ BX, DX
	ANDQ $-16, DX
	ADDQ BX, DX

ntloop:
	CMPQ     BX, DX
	JAE      ntdone
	RELUMASK16_AVX2(VMOVNTPD)
	ADDQ     $16, BX
	JMP      ntloop

ntdone:
	SFENCE
	JMP vec4

// RELUMASK_AVX512(OFF, R, K) loads into R the g of the 8 elements at byte
// offset OFF from i, zero-masked under K = 0 LT_OQ z (VCMPPD predicate 0x11
// with z as the memory operand: true for z > 0, false for NaN), so the
// lanes where the mask is off become +0 without reading g. Z31 = 0.
#define RELUMASK_AVX512(OFF, R, K) \
	VCMPPD    $0x11, OFF(R8)(BX*8), Z31, K; \
	VMOVUPD.Z OFF(SI)(BX*8), K, R

// RELUMASK32_AVX512(ST) is RELUMASK16_AVX2 on 32 elements: Z0..Z3 values,
// K2..K5 masks.
#define RELUMASK32_AVX512(ST) \
	RELUMASK_AVX512(0, Z0, K2);   \
	RELUMASK_AVX512(64, Z1, K3);  \
	RELUMASK_AVX512(128, Z2, K4); \
	RELUMASK_AVX512(192, Z3, K5); \
	ST Z0, 0(DI)(BX*8);           \
	ST Z1, 64(DI)(BX*8);          \
	ST Z2, 128(DI)(BX*8);         \
	ST Z3, 192(DI)(BX*8)

// func reluMaskAVX512(dst, g, z []float64)
//
// As reluMaskAVX2, with RELUMASK_AVX512.
// Arguments: dst (DI), g (SI), z (R8), n = len(g) (CX).
// Registers: BX = index i, DX = loop bound, Z0..Z3 = selected g, K2..K5 =
// masks, Z31 = 0, K1 = tail or peel mask, AX, R9 = scratch.
// Loops: main loop 32 elements (4 zmm); vector tail 8 elements; masked tail
// (n − i < 8: compare under K1, masked store).
// Streaming path (n ≥ ntMinLen): masked peel of the 0..7 elements before
// dst's first 64-byte boundary, main loop 32 elements with VMOVNTPD,
// SFENCE, then the vector and masked tails above.
TEXT ·reluMaskAVX512(SB), NOSPLIT, $0-72
	MOVQ   dst_base+0(FP), DI
	MOVQ   g_base+24(FP), SI
	MOVQ   g_len+32(FP), CX
	MOVQ   z_base+48(FP), R8
	VPXORQ Z31, Z31, Z31
	XORQ   BX, BX
	CMPQ   CX, ·ntMinLen(SB)
	JAE    nt

cached:
	MOVQ CX, DX
	ANDQ $-32, DX

loop32:
	CMPQ    BX, DX
	JAE     vec8
	RELUMASK32_AVX512(VMOVUPD)
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
	RELUMASK_AVX512(0, Z0, K2)
	VMOVUPD Z0, (DI)(BX*8)
	ADDQ    $8, BX
	JMP     loop8

tail:
	SUBQ      BX, CX
	TAILMASK
	VMOVUPD.Z (R8)(BX*8), K1, Z1
	VCMPPD    $0x11, Z1, Z31, K1, K2
	VMOVUPD.Z (SI)(BX*8), K2, Z0
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
	SHRQ      $3, CX   // peel (0..7 elements)
	MOVQ      CX, BX
	TAILMASK
	MOVQ      R9, CX
	VMOVUPD.Z (R8), K1, Z1
	VCMPPD    $0x11, Z1, Z31, K1, K2
	VMOVUPD.Z (SI), K2, Z0
	VMOVUPD   Z0, K1, (DI)
	MOVQ      CX, DX
	SUBQ      BX, DX
	ANDQ      $-32, DX
	ADDQ      BX, DX

ntloop:
	CMPQ     BX, DX
	JAE      ntdone
	RELUMASK32_AVX512(VMOVNTPD)
	ADDQ     $32, BX
	JMP      ntloop

ntdone:
	SFENCE
	JMP vec8
