//go:build !purego

#include "textflag.h"

// func reluAVX2(dst, x []float64)
//
// dst_i = x_i if x_i > 0 or x_i is NaN, else +0: x AND (x NLE 0), where
// VCMPPD predicate 0x06 (NLE_US, "not less or equal") is true for x > 0 and
// for NaN, so −0 and negatives become the all-zero pattern +0.
// Arguments: dst (DI), x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Y0..Y3 = x, Y4..Y7 = masks,
// Y15 = 0.
// Loops: main loop 16 elements (4 ymm); vector tail 4 elements; scalar tail
// (0..3) runs the same two instructions on X registers loaded with VMOVSD.
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DI
	MOVQ   x_base+24(FP), SI
	MOVQ   x_len+32(FP), CX
	VXORPD Y15, Y15, Y15
	XORQ   BX, BX
	MOVQ   CX, DX
	ANDQ   $-16, DX

loop16:
	CMPQ    BX, DX
	JAE     vec4
	VMOVUPD 0(SI)(BX*8), Y0
	VMOVUPD 32(SI)(BX*8), Y1
	VMOVUPD 64(SI)(BX*8), Y2
	VMOVUPD 96(SI)(BX*8), Y3
	VCMPPD  $0x06, Y15, Y0, Y4
	VCMPPD  $0x06, Y15, Y1, Y5
	VCMPPD  $0x06, Y15, Y2, Y6
	VCMPPD  $0x06, Y15, Y3, Y7
	VANDPD  Y4, Y0, Y0
	VANDPD  Y5, Y1, Y1
	VANDPD  Y6, Y2, Y2
	VANDPD  Y7, Y3, Y3
	VMOVUPD Y0, 0(DI)(BX*8)
	VMOVUPD Y1, 32(DI)(BX*8)
	VMOVUPD Y2, 64(DI)(BX*8)
	VMOVUPD Y3, 96(DI)(BX*8)
	ADDQ    $16, BX
	JMP     loop16

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ    BX, DX
	JAE     scalar
	VMOVUPD (SI)(BX*8), Y0
	VCMPPD  $0x06, Y15, Y0, Y4
	VANDPD  Y4, Y0, Y0
	VMOVUPD Y0, (DI)(BX*8)
	ADDQ    $4, BX
	JMP     loop4

scalar:
	CMPQ   BX, CX
	JAE    done
	VMOVSD (SI)(BX*8), X0
	VCMPPD $0x06, X15, X0, X4
	VANDPD X4, X0, X0
	VMOVSD X0, (DI)(BX*8)
	INCQ   BX
	JMP    scalar

done:
	VZEROUPPER
	RET

// func reluAVX512(dst, x []float64)
//
// As reluAVX2: K = x NLE_US 0 (true for x > 0 and NaN), then a zero-masked
// move keeps x where K and writes +0 elsewhere.
// Arguments: dst (DI), x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Z0..Z3 = x, K2..K5 = masks,
// Z31 = 0, K1 = tail mask, AX = scratch.
// Loops: main loop 32 elements (4 zmm); vector tail 8 elements; masked tail
// (n mod 8: zero-masked load, compare under K1, masked store).
TEXT ·reluAVX512(SB), NOSPLIT, $0-48
	MOVQ   dst_base+0(FP), DI
	MOVQ   x_base+24(FP), SI
	MOVQ   x_len+32(FP), CX
	VPXORQ Z31, Z31, Z31
	XORQ   BX, BX
	MOVQ   CX, DX
	ANDQ   $-32, DX

loop32:
	CMPQ      BX, DX
	JAE       vec8
	VMOVUPD   0(SI)(BX*8), Z0
	VMOVUPD   64(SI)(BX*8), Z1
	VMOVUPD   128(SI)(BX*8), Z2
	VMOVUPD   192(SI)(BX*8), Z3
	VCMPPD    $0x06, Z31, Z0, K2
	VCMPPD    $0x06, Z31, Z1, K3
	VCMPPD    $0x06, Z31, Z2, K4
	VCMPPD    $0x06, Z31, Z3, K5
	VMOVAPD.Z Z0, K2, Z0
	VMOVAPD.Z Z1, K3, Z1
	VMOVAPD.Z Z2, K4, Z2
	VMOVAPD.Z Z3, K5, Z3
	VMOVUPD   Z0, 0(DI)(BX*8)
	VMOVUPD   Z1, 64(DI)(BX*8)
	VMOVUPD   Z2, 128(DI)(BX*8)
	VMOVUPD   Z3, 192(DI)(BX*8)
	ADDQ      $32, BX
	JMP       loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ      BX, DX
	JAE       tail
	VMOVUPD   (SI)(BX*8), Z0
	VCMPPD    $0x06, Z31, Z0, K2
	VMOVAPD.Z Z0, K2, Z0
	VMOVUPD   Z0, (DI)(BX*8)
	ADDQ      $8, BX
	JMP       loop8

tail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z0
	VCMPPD    $0x06, Z31, Z0, K1, K2
	VMOVAPD.Z Z0, K2, Z0
	VMOVUPD   Z0, K1, (DI)(BX*8)
	VZEROUPPER
	RET

// func reluMaskAVX2(dst, g, z []float64)
//
// dst_i = g_i where z_i > 0, else +0: a selection g AND (z GT_OQ 0)
// (VCMPPD predicate 0x1e, false for NaN z), so NaN or Inf in g is dropped
// where the mask is off.
// Arguments: dst (DI), g (SI), z (R8), n = len(g) (CX).
// Registers: BX = index i, DX = loop bound, Y0..Y3 = z then masks, Y15 = 0.
// Loops: main loop 16 elements (4 ymm); vector tail 4 elements; scalar tail
// (0..3) on X registers loaded with VMOVSD.
TEXT ·reluMaskAVX2(SB), NOSPLIT, $0-72
	MOVQ   dst_base+0(FP), DI
	MOVQ   g_base+24(FP), SI
	MOVQ   g_len+32(FP), CX
	MOVQ   z_base+48(FP), R8
	VXORPD Y15, Y15, Y15
	XORQ   BX, BX
	MOVQ   CX, DX
	ANDQ   $-16, DX

loop16:
	CMPQ    BX, DX
	JAE     vec4
	VMOVUPD 0(R8)(BX*8), Y0
	VMOVUPD 32(R8)(BX*8), Y1
	VMOVUPD 64(R8)(BX*8), Y2
	VMOVUPD 96(R8)(BX*8), Y3
	VCMPPD  $0x1e, Y15, Y0, Y0
	VCMPPD  $0x1e, Y15, Y1, Y1
	VCMPPD  $0x1e, Y15, Y2, Y2
	VCMPPD  $0x1e, Y15, Y3, Y3
	VANDPD  0(SI)(BX*8), Y0, Y0
	VANDPD  32(SI)(BX*8), Y1, Y1
	VANDPD  64(SI)(BX*8), Y2, Y2
	VANDPD  96(SI)(BX*8), Y3, Y3
	VMOVUPD Y0, 0(DI)(BX*8)
	VMOVUPD Y1, 32(DI)(BX*8)
	VMOVUPD Y2, 64(DI)(BX*8)
	VMOVUPD Y3, 96(DI)(BX*8)
	ADDQ    $16, BX
	JMP     loop16

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ    BX, DX
	JAE     scalar
	VMOVUPD (R8)(BX*8), Y0
	VCMPPD  $0x1e, Y15, Y0, Y0
	VANDPD  (SI)(BX*8), Y0, Y0
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

// func reluMaskAVX512(dst, g, z []float64)
//
// K = 0 LT_OQ z (VCMPPD predicate 0x11 with z as the memory operand: true
// for z > 0, false for NaN); g is loaded with zero-masking under K, so the
// lanes where the mask is off become +0 without reading g.
// Arguments: dst (DI), g (SI), z (R8), n = len(g) (CX).
// Registers: BX = index i, DX = loop bound, Z0..Z3 = selected g, K2..K5 =
// masks, Z31 = 0, K1 = tail mask, AX = scratch.
// Loops: main loop 32 elements (4 zmm); vector tail 8 elements; masked tail
// (n mod 8: compare under K1, masked store).
TEXT ·reluMaskAVX512(SB), NOSPLIT, $0-72
	MOVQ   dst_base+0(FP), DI
	MOVQ   g_base+24(FP), SI
	MOVQ   g_len+32(FP), CX
	MOVQ   z_base+48(FP), R8
	VPXORQ Z31, Z31, Z31
	XORQ   BX, BX
	MOVQ   CX, DX
	ANDQ   $-32, DX

loop32:
	CMPQ      BX, DX
	JAE       vec8
	VCMPPD    $0x11, 0(R8)(BX*8), Z31, K2
	VCMPPD    $0x11, 64(R8)(BX*8), Z31, K3
	VCMPPD    $0x11, 128(R8)(BX*8), Z31, K4
	VCMPPD    $0x11, 192(R8)(BX*8), Z31, K5
	VMOVUPD.Z 0(SI)(BX*8), K2, Z0
	VMOVUPD.Z 64(SI)(BX*8), K3, Z1
	VMOVUPD.Z 128(SI)(BX*8), K4, Z2
	VMOVUPD.Z 192(SI)(BX*8), K5, Z3
	VMOVUPD   Z0, 0(DI)(BX*8)
	VMOVUPD   Z1, 64(DI)(BX*8)
	VMOVUPD   Z2, 128(DI)(BX*8)
	VMOVUPD   Z3, 192(DI)(BX*8)
	ADDQ      $32, BX
	JMP       loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ      BX, DX
	JAE       tail
	VCMPPD    $0x11, (R8)(BX*8), Z31, K2
	VMOVUPD.Z (SI)(BX*8), K2, Z0
	VMOVUPD   Z0, (DI)(BX*8)
	ADDQ      $8, BX
	JMP       loop8

tail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (R8)(BX*8), K1, Z1
	VCMPPD    $0x11, Z1, Z31, K1, K2
	VMOVUPD.Z (SI)(BX*8), K2, Z0
	VMOVUPD   Z0, K1, (DI)(BX*8)
	VZEROUPPER
	RET
