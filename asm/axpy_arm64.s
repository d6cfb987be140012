//go:build !purego

#include "textflag.h"

// Vector FP instructions that Go's arm64 assembler lacks are written as
// WORD, the instruction in ARM syntax (destination first) in the comment.

// func axpyNEON(a float64, x, y []float64)
//
// R0 = &x[i], R1 = &y[i] for loads, R3 = &y[i] for stores (all three
// post-incremented), R2 = elements left.
// V0     a in both lanes.
// V4-V7  x block, V8-V11 y block (updated in place, then stored).
//
// Main loop: 8 elements per iteration, y += a·x fused (FMLA).
// Pair loop: 2 elements per iteration. Scalar tail: at most 1 (FMADD).
// Each block of y is loaded before it is stored, so y may alias x.
TEXT ·axpyNEON(SB), NOSPLIT, $0-56
	FMOVD a+0(FP), F0
	VDUP  V0.D[0], V0.D2
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	MOVD  y_base+32(FP), R1
	MOVD  R1, R3
	CMP   $8, R2
	BLT   pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1.P 64(R1), [V8.D2, V9.D2, V10.D2, V11.D2]
	VFMLA  V0.D2, V4.D2, V8.D2
	VFMLA  V0.D2, V5.D2, V9.D2
	VFMLA  V0.D2, V6.D2, V10.D2
	VFMLA  V0.D2, V7.D2, V11.D2
	VST1.P [V8.D2, V9.D2, V10.D2, V11.D2], 64(R3)
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP $2, R2
	BLT tail

loop2:
	VLD1.P 16(R0), [V4.D2]
	VLD1.P 16(R1), [V8.D2]
	VFMLA  V0.D2, V4.D2, V8.D2
	VST1.P [V8.D2], 16(R3)
	SUB    $2, R2
	CMP    $2, R2
	BGE    loop2

tail:
	CBZ    R2, done
	FMOVD  (R0), F4
	FMOVD  (R1), F8
	FMADDD F4, F8, F0, F8 // F8 += F0·F4
	FMOVD  F8, (R3)

done:
	RET

// func scalNEON(a float64, x []float64)
//
// R0 = &x[i] for loads, R3 = &x[i] for stores (both post-incremented),
// R2 = elements left.
// V0     a in both lanes.
// V4-V7  x block, multiplied in place.
//
// Main loop: 8 elements per iteration (FMUL, one rounding as in Go).
// Pair loop: 2 elements per iteration. Scalar tail: at most 1 (FMULD).
TEXT ·scalNEON(SB), NOSPLIT, $0-32
	FMOVD a+0(FP), F0
	VDUP  V0.D[0], V0.D2
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	MOVD  R0, R3
	CMP   $8, R2
	BLT   pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	WORD   $0x6e60dc84 // FMUL V4.2D, V4.2D, V0.2D
	WORD   $0x6e60dca5 // FMUL V5.2D, V5.2D, V0.2D
	WORD   $0x6e60dcc6 // FMUL V6.2D, V6.2D, V0.2D
	WORD   $0x6e60dce7 // FMUL V7.2D, V7.2D, V0.2D
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R3)
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP $2, R2
	BLT tail

loop2:
	VLD1.P 16(R0), [V4.D2]
	WORD   $0x6e60dc84 // FMUL V4.2D, V4.2D, V0.2D
	VST1.P [V4.D2], 16(R3)
	SUB    $2, R2
	CMP    $2, R2
	BGE    loop2

tail:
	CBZ   R2, done
	FMOVD (R0), F4
	FMULD F0, F4
	FMOVD F4, (R3)

done:
	RET
