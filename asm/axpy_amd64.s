//go:build !purego

#include "textflag.h"

// AXPY_AVX2(OFF, R) computes y+a·x for the 4 elements at byte offset OFF
// from i into R and stores it: x is loaded, then VFMADD213PD takes y as its
// memory operand (R = a·R + y, one rounding). Y15 = a.
#define AXPY_AVX2(OFF, R) \
	VMOVUPD     OFF(SI)(BX*8), R;      \
	VFMADD213PD OFF(DI)(BX*8), Y15, R; \
	VMOVUPD     R, OFF(DI)(BX*8)

// func axpyAVX2(a float64, x, y []float64)
//
// y_i += a·x_i, fused (one rounding).
// Arguments: a (broadcast in Y15), x (SI), y (DI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Y0..Y7 = x, then the results.
// Loops: main loop 32 elements (8 ymm AXPY_AVX2, the test at the bottom);
// vector tail 4 elements; scalar tail (0..3) with VFMADD231SD.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSD a+0(FP), Y15
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-32, DX
	JZ           vec4

loop32:
	AXPY_AVX2(0, Y0)
	AXPY_AVX2(32, Y1)
	AXPY_AVX2(64, Y2)
	AXPY_AVX2(96, Y3)
	AXPY_AVX2(128, Y4)
	AXPY_AVX2(160, Y5)
	AXPY_AVX2(192, Y6)
	AXPY_AVX2(224, Y7)
	ADDQ $32, BX
	CMPQ BX, DX
	JB   loop32

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ BX, DX
	JAE  scalar
	AXPY_AVX2(0, Y0)
	ADDQ $4, BX
	JMP  loop4

scalar:
	CMPQ        BX, CX
	JAE         done
	VMOVSD      (DI)(BX*8), X0
	VFMADD231SD (SI)(BX*8), X15, X0
	VMOVSD      X0, (DI)(BX*8)
	INCQ        BX
	JMP         scalar

done:
	VZEROUPPER
	RET

// func axpyAVX512(a float64, x, y []float64)
//
// Arguments: a (broadcast in Z31), x (SI), y (DI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Z0..Z3 = y vectors, K1 = tail
// mask, AX = scratch.
// Loops: main loop 32 elements (4 zmm: load y, VFMADD231PD x·a, store);
// vector tail 8 elements; masked tail (n mod 8 elements: zero-masked loads
// and a masked store under K1, so nothing outside the slices is touched).
TEXT ·axpyAVX512(SB), NOSPLIT, $0-56
	VBROADCASTSD a+0(FP), Z31
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-32, DX

loop32:
	CMPQ        BX, DX
	JAE         vec8
	VMOVUPD     0(DI)(BX*8), Z0
	VMOVUPD     64(DI)(BX*8), Z1
	VMOVUPD     128(DI)(BX*8), Z2
	VMOVUPD     192(DI)(BX*8), Z3
	VFMADD231PD 0(SI)(BX*8), Z31, Z0
	VFMADD231PD 64(SI)(BX*8), Z31, Z1
	VFMADD231PD 128(SI)(BX*8), Z31, Z2
	VFMADD231PD 192(SI)(BX*8), Z31, Z3
	VMOVUPD     Z0, 0(DI)(BX*8)
	VMOVUPD     Z1, 64(DI)(BX*8)
	VMOVUPD     Z2, 128(DI)(BX*8)
	VMOVUPD     Z3, 192(DI)(BX*8)
	ADDQ        $32, BX
	JMP         loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ        BX, DX
	JAE         tail
	VMOVUPD     (DI)(BX*8), Z0
	VFMADD231PD (SI)(BX*8), Z31, Z0
	VMOVUPD     Z0, (DI)(BX*8)
	ADDQ        $8, BX
	JMP         loop8

tail:
	SUBQ        BX, CX
	MOVQ        $1, AX
	SHLQ        CX, AX
	DECQ        AX
	KMOVW       AX, K1
	VMOVUPD.Z   (DI)(BX*8), K1, Z0
	VMOVUPD.Z   (SI)(BX*8), K1, Z1
	VFMADD231PD Z1, Z31, Z0
	VMOVUPD     Z0, K1, (DI)(BX*8)
	VZEROUPPER
	RET

// func scalAVX2(a float64, x []float64)
//
// x_i *= a (one multiplication: exact as the generic loop).
// Arguments: a (broadcast in Y15), x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Y0..Y3 = products.
// Loops: main loop 16 elements (4 ymm VMULPD with a memory operand, store);
// vector tail 4 elements; scalar tail (0..3) with VMULSD.
TEXT ·scalAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSD a+0(FP), Y15
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

loop16:
	CMPQ    BX, DX
	JAE     vec4
	VMULPD  0(SI)(BX*8), Y15, Y0
	VMULPD  32(SI)(BX*8), Y15, Y1
	VMULPD  64(SI)(BX*8), Y15, Y2
	VMULPD  96(SI)(BX*8), Y15, Y3
	VMOVUPD Y0, 0(SI)(BX*8)
	VMOVUPD Y1, 32(SI)(BX*8)
	VMOVUPD Y2, 64(SI)(BX*8)
	VMOVUPD Y3, 96(SI)(BX*8)
	ADDQ    $16, BX
	JMP     loop16

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ    BX, DX
	JAE     scalar
	VMULPD  (SI)(BX*8), Y15, Y0
	VMOVUPD Y0, (SI)(BX*8)
	ADDQ    $4, BX
	JMP     loop4

scalar:
	CMPQ   BX, CX
	JAE    done
	VMULSD (SI)(BX*8), X15, X0
	VMOVSD X0, (SI)(BX*8)
	INCQ   BX
	JMP    scalar

done:
	VZEROUPPER
	RET

// func scalAVX512(a float64, x []float64)
//
// Arguments: a (broadcast in Z31), x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Z0..Z3 = products, K1 = tail
// mask, AX = scratch.
// Loops: main loop 32 elements (4 zmm VMULPD, store); vector tail 8
// elements; masked tail (n mod 8: zero-masked load, masked store).
TEXT ·scalAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSD a+0(FP), Z31
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-32, DX

loop32:
	CMPQ    BX, DX
	JAE     vec8
	VMULPD  0(SI)(BX*8), Z31, Z0
	VMULPD  64(SI)(BX*8), Z31, Z1
	VMULPD  128(SI)(BX*8), Z31, Z2
	VMULPD  192(SI)(BX*8), Z31, Z3
	VMOVUPD Z0, 0(SI)(BX*8)
	VMOVUPD Z1, 64(SI)(BX*8)
	VMOVUPD Z2, 128(SI)(BX*8)
	VMOVUPD Z3, 192(SI)(BX*8)
	ADDQ    $32, BX
	JMP     loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ    BX, DX
	JAE     tail
	VMULPD  (SI)(BX*8), Z31, Z0
	VMOVUPD Z0, (SI)(BX*8)
	ADDQ    $8, BX
	JMP     loop8

tail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z0
	VMULPD    Z0, Z31, Z0
	VMOVUPD   Z0, K1, (SI)(BX*8)
	VZEROUPPER
	RET
