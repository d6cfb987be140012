//go:build !purego

#include "textflag.h"

// Vector FP instructions that Go's arm64 assembler lacks are written as
// WORD, the instruction in ARM syntax (destination first) in the comment.

// func signNEON(dst, x []float64)
//
// R0 = &x[i] (post-incremented), R1 = &dst[i] (post-incremented),
// R2 = elements left, R4/R5 scratch for the constants.
// V28    1.0 in both lanes.
// V29    the sign bit (0x8000000000000000) in both lanes.
// V4-V7  x block, then |x|.
// V8-V11 C = copysign(1, x) = (x AND signbit) OR 1.0.
// V12-V15 K = (|x| > 0), then the result K ? C : |x| (BSL).
//
// |x| > 0 is false exactly for ±0 and NaN, where |x| is the answer: +0 for
// ±0, a NaN for NaN. Elsewhere the answer is ±1 with the sign of x.
// Main loop: 8 elements per iteration. Pair loop: 2 elements through the
// body at label one. Scalar tail: at most 1 element, loaded into lane 0 (a
// scalar load zeroes lane 1) and sent through the same body, which then
// branches to the scalar store. Each block of x is loaded before dst is
// stored, so dst may be x.
TEXT ·signNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R1
	MOVD x_base+24(FP), R0
	MOVD x_len+32(FP), R2
	MOVD $0x3ff0000000000000, R4 // 1.0
	VDUP R4, V28.D2
	MOVD $1, R5
	LSL  $63, R5
	VDUP R5, V29.D2
	CMP  $8, R2
	BLT  pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VAND   V29.B16, V4.B16, V8.B16  // C = x AND signbit
	VAND   V29.B16, V5.B16, V9.B16
	VAND   V29.B16, V6.B16, V10.B16
	VAND   V29.B16, V7.B16, V11.B16
	VORR   V28.B16, V8.B16, V8.B16  // C = copysign(1, x)
	VORR   V28.B16, V9.B16, V9.B16
	VORR   V28.B16, V10.B16, V10.B16
	VORR   V28.B16, V11.B16, V11.B16
	WORD   $0x4ee0f884 // FABS V4.2D, V4.2D
	WORD   $0x4ee0f8a5 // FABS V5.2D, V5.2D
	WORD   $0x4ee0f8c6 // FABS V6.2D, V6.2D
	WORD   $0x4ee0f8e7 // FABS V7.2D, V7.2D
	WORD   $0x4ee0c88c // FCMGT V12.2D, V4.2D, #0.0
	WORD   $0x4ee0c8ad // FCMGT V13.2D, V5.2D, #0.0
	WORD   $0x4ee0c8ce // FCMGT V14.2D, V6.2D, #0.0
	WORD   $0x4ee0c8ef // FCMGT V15.2D, V7.2D, #0.0
	VBSL   V4.B16, V8.B16, V12.B16  // K = K ? C : |x|
	VBSL   V5.B16, V9.B16, V13.B16
	VBSL   V6.B16, V10.B16, V14.B16
	VBSL   V7.B16, V11.B16, V15.B16
	VST1.P [V12.D2, V13.D2, V14.D2, V15.D2], 64(R1)
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP    $2, R2
	BLT    tail
	VLD1.P 16(R0), [V4.D2]

one:
	VAND   V29.B16, V4.B16, V8.B16  // C = x AND signbit
	VORR   V28.B16, V8.B16, V8.B16  // C = copysign(1, x)
	WORD   $0x4ee0f884 // FABS V4.2D, V4.2D
	WORD   $0x4ee0c88c // FCMGT V12.2D, V4.2D, #0.0
	VBSL   V4.B16, V8.B16, V12.B16  // K = K ? C : |x|
	CMP    $2, R2
	BLT    store1 // came from the scalar tail
	VST1.P [V12.D2], 16(R1)
	SUB    $2, R2
	B      pairs

tail:
	CBZ   R2, done
	FMOVD (R0), F4
	B     one

store1:
	FMOVD F12, (R1)

done:
	RET
