//go:build !purego

#include "textflag.h"

// func dotAVX2(x, y []float64) float64
//
// Arguments: x (SI), y (DI), n = len(x) (CX); y is at least as long.
// Registers: BX = element index i, DX = n rounded down to 16,
// Y0..Y3 = four independent accumulators (4 lanes each), Y4..Y7 = loaded x.
// Loops: main loop 16 elements per iteration (4 ymm × VFMADD231PD into
// Y0..Y3); vector tail 4 elements per iteration into Y0; then Y0..Y3 are
// added pairwise ((Y0+Y1)+(Y2+Y3)), reduced horizontally into X0, and the
// scalar tail (0..3 elements) is added with VFMADD231SD. The order of the
// sum depends only on n.
TEXT ·dotAVX2(SB), NOSPLIT, $0-56
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ BX, BX
	MOVQ CX, DX
	ANDQ $-16, DX

loop16:
	CMPQ BX, DX
	JAE  vec4
	VMOVUPD     0(SI)(BX*8), Y4
	VMOVUPD     32(SI)(BX*8), Y5
	VMOVUPD     64(SI)(BX*8), Y6
	VMOVUPD     96(SI)(BX*8), Y7
	VFMADD231PD 0(DI)(BX*8), Y4, Y0
	VFMADD231PD 32(DI)(BX*8), Y5, Y1
	VFMADD231PD 64(DI)(BX*8), Y6, Y2
	VFMADD231PD 96(DI)(BX*8), Y7, Y3
	ADDQ        $16, BX
	JMP         loop16

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ BX, DX
	JAE  reduce
	VMOVUPD     (SI)(BX*8), Y4
	VFMADD231PD (DI)(BX*8), Y4, Y0
	ADDQ        $4, BX
	JMP         loop4

reduce:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0

scalar:
	CMPQ        BX, CX
	JAE         done
	VMOVSD      (SI)(BX*8), X1
	VFMADD231SD (DI)(BX*8), X1, X0
	INCQ        BX
	JMP         scalar

done:
	VZEROUPPER
	VMOVSD X0, ret+48(FP)
	RET

// func dotAVX512(x, y []float64) float64
//
// Arguments: x (SI), y (DI), n = len(x) (CX).
// Registers: BX = element index i, DX = n rounded down to 32 (then to 8),
// Z0..Z3 = four accumulators (8 lanes each), Z4..Z7 = loaded x, K1 = tail
// mask, AX = scratch for the mask.
// Loops: main loop 32 elements per iteration (4 zmm × VFMADD231PD into
// Z0..Z3); vector tail 8 elements per iteration into Z0; masked tail: the
// last n mod 8 elements are loaded with zero-masking under K1 = 2^(n mod 8)−1
// (masked-off lanes are not read, so nothing past the slice is touched) and
// added into Z1. Then (Z0+Z1)+(Z2+Z3) and a horizontal reduction (256, 128,
// 64 bits) into X0. The order of the sum depends only on n.
TEXT ·dotAVX512(SB), NOSPLIT, $0-56
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	XORQ   BX, BX
	MOVQ   CX, DX
	ANDQ   $-32, DX

loop32:
	CMPQ BX, DX
	JAE  vec8
	VMOVUPD     0(SI)(BX*8), Z4
	VMOVUPD     64(SI)(BX*8), Z5
	VMOVUPD     128(SI)(BX*8), Z6
	VMOVUPD     192(SI)(BX*8), Z7
	VFMADD231PD 0(DI)(BX*8), Z4, Z0
	VFMADD231PD 64(DI)(BX*8), Z5, Z1
	VFMADD231PD 128(DI)(BX*8), Z6, Z2
	VFMADD231PD 192(DI)(BX*8), Z7, Z3
	ADDQ        $32, BX
	JMP         loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ BX, DX
	JAE  tail
	VMOVUPD     (SI)(BX*8), Z4
	VFMADD231PD (DI)(BX*8), Z4, Z0
	ADDQ        $8, BX
	JMP         loop8

tail:
	SUBQ        BX, CX
	MOVQ        $1, AX
	SHLQ        CX, AX
	DECQ        AX
	KMOVW       AX, K1
	VMOVUPD.Z   (SI)(BX*8), K1, Z4
	VMOVUPD.Z   (DI)(BX*8), K1, Z5
	VFMADD231PD Z5, Z4, Z1

	VADDPD        Z1, Z0, Z0
	VADDPD        Z3, Z2, Z2
	VADDPD        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPD        X1, X0, X0
	VPERMILPD     $1, X0, X1
	VADDSD        X1, X0, X0
	VZEROUPPER
	VMOVSD        X0, ret+48(FP)
	RET
