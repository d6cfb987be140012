//go:build !purego

#include "textflag.h"

// Go's arm64 assembler has no mnemonics for vector FADD and friends: they
// are written as WORD with the instruction in ARM syntax (destination first)
// in the comment. Go mnemonics keep Go's operand order (destination last).

// func dotNEON(x, y []float64) float64
//
// R0 = &x[i], R1 = &y[i] (both post-incremented), R2 = elements left.
// V0-V3  four accumulators, 2 lanes each: 8 partial sums.
// V4-V7  x block, V8-V11 y block.
//
// Main loop: 8 elements per iteration, V0..V3 += x·y fused (FMLA).
// Pair loop: 2 elements per iteration into V0.
// Reduction: (V0+V1) + (V2+V3), then the two lanes (FADDP).
// Scalar tail: at most 1 element, fused (FMADD) into the sum.
// The order of the additions depends only on len(x).
TEXT ·dotNEON(SB), NOSPLIT, $0-56
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	MOVD y_base+24(FP), R1
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	CMP  $8, R2
	BLT  pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1.P 64(R1), [V8.D2, V9.D2, V10.D2, V11.D2]
	VFMLA  V4.D2, V8.D2, V0.D2
	VFMLA  V5.D2, V9.D2, V1.D2
	VFMLA  V6.D2, V10.D2, V2.D2
	VFMLA  V7.D2, V11.D2, V3.D2
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP $2, R2
	BLT reduce

loop2:
	VLD1.P 16(R0), [V4.D2]
	VLD1.P 16(R1), [V8.D2]
	VFMLA  V4.D2, V8.D2, V0.D2
	SUB    $2, R2
	CMP    $2, R2
	BGE    loop2

reduce:
	WORD $0x4e61d400 // FADD V0.2D, V0.2D, V1.2D
	WORD $0x4e63d442 // FADD V2.2D, V2.2D, V3.2D
	WORD $0x4e62d400 // FADD V0.2D, V0.2D, V2.2D
	WORD $0x7e70d800 // FADDP D0, V0.2D
	CBZ  R2, done
	FMOVD  (R0), F4
	FMOVD  (R1), F8
	FMADDD F4, F0, F8, F0 // F0 += F8·F4

done:
	FMOVD F0, ret+48(FP)
	RET
