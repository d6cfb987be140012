//go:build !purego

#include "textflag.h"

// Vector FP instructions that Go's arm64 assembler lacks are written as
// WORD, the instruction in ARM syntax (destination first) in the comment.

// func absSumNEON(x []float64) float64
//
// R0 = &x[i] (post-incremented), R2 = elements left.
// V0-V3  four accumulators, 2 lanes each: 8 partial sums.
// V4-V7  x block, replaced by |x| (FABS).
//
// Main loop: 8 elements per iteration, V0..V3 += |x|.
// Pair loop: 2 elements per iteration into V0.
// Reduction: (V0+V1) + (V2+V3), then the two lanes (FADDP).
// Scalar tail: at most 1 element. The order depends only on len(x).
TEXT ·absSumNEON(SB), NOSPLIT, $0-32
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	CMP  $8, R2
	BLT  pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	WORD   $0x4ee0f884 // FABS V4.2D, V4.2D
	WORD   $0x4ee0f8a5 // FABS V5.2D, V5.2D
	WORD   $0x4ee0f8c6 // FABS V6.2D, V6.2D
	WORD   $0x4ee0f8e7 // FABS V7.2D, V7.2D
	WORD   $0x4e64d400 // FADD V0.2D, V0.2D, V4.2D
	WORD   $0x4e65d421 // FADD V1.2D, V1.2D, V5.2D
	WORD   $0x4e66d442 // FADD V2.2D, V2.2D, V6.2D
	WORD   $0x4e67d463 // FADD V3.2D, V3.2D, V7.2D
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP $2, R2
	BLT reduce

loop2:
	VLD1.P 16(R0), [V4.D2]
	WORD   $0x4ee0f884 // FABS V4.2D, V4.2D
	WORD   $0x4e64d400 // FADD V0.2D, V0.2D, V4.2D
	SUB    $2, R2
	CMP    $2, R2
	BGE    loop2

reduce:
	WORD  $0x4e61d400 // FADD V0.2D, V0.2D, V1.2D
	WORD  $0x4e63d442 // FADD V2.2D, V2.2D, V3.2D
	WORD  $0x4e62d400 // FADD V0.2D, V0.2D, V2.2D
	WORD  $0x7e70d800 // FADDP D0, V0.2D
	CBZ   R2, done
	FMOVD (R0), F4
	FABSD F4, F4
	FADDD F4, F0

done:
	FMOVD F0, ret+24(FP)
	RET

// func sumSqNEON(x []float64) float64
//
// R0 = &x[i] (post-incremented), R2 = elements left.
// V0-V3  four accumulators, 2 lanes each: 8 partial sums.
// V4-V7  x block.
//
// Main loop: 8 elements per iteration, V0..V3 += x·x fused (FMLA).
// Pair loop: 2 elements per iteration into V0.
// Reduction: (V0+V1) + (V2+V3), then the two lanes (FADDP).
// Scalar tail: at most 1 element (FMADD). The order depends only on len(x).
TEXT ·sumSqNEON(SB), NOSPLIT, $0-32
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	CMP  $8, R2
	BLT  pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VFMLA  V4.D2, V4.D2, V0.D2
	VFMLA  V5.D2, V5.D2, V1.D2
	VFMLA  V6.D2, V6.D2, V2.D2
	VFMLA  V7.D2, V7.D2, V3.D2
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP $2, R2
	BLT reduce

loop2:
	VLD1.P 16(R0), [V4.D2]
	VFMLA  V4.D2, V4.D2, V0.D2
	SUB    $2, R2
	CMP    $2, R2
	BGE    loop2

reduce:
	WORD   $0x4e61d400 // FADD V0.2D, V0.2D, V1.2D
	WORD   $0x4e63d442 // FADD V2.2D, V2.2D, V3.2D
	WORD   $0x4e62d400 // FADD V0.2D, V0.2D, V2.2D
	WORD   $0x7e70d800 // FADDP D0, V0.2D
	CBZ    R2, done
	FMOVD  (R0), F4
	FMADDD F4, F0, F4, F0 // F0 += F4·F4

done:
	FMOVD F0, ret+24(FP)
	RET

// func maxAbsNEON(x []float64) float64
//
// R0 = &x[i] (post-incremented), R2 = elements left.
// V0-V3  four running maxima, 2 lanes each, starting at +0.
// V4-V7  x block, replaced by |x| (FABS).
//
// Main loop: 8 elements per iteration, V0..V3 = FMAX(V0..V3, |x|).
// Pair loop: 2 elements per iteration into V0.
// Reduction: FMAX(FMAX(V0, V1), FMAX(V2, V3)), then the lanes (FMAXP).
// Scalar tail: at most 1 element (FMAXD).
// FMAX (unlike FMAXNM) returns NaN when either input is NaN, so one NaN
// anywhere makes the result NaN; an empty slice gives +0.
TEXT ·maxAbsNEON(SB), NOSPLIT, $0-32
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	CMP  $8, R2
	BLT  pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	WORD   $0x4ee0f884 // FABS V4.2D, V4.2D
	WORD   $0x4ee0f8a5 // FABS V5.2D, V5.2D
	WORD   $0x4ee0f8c6 // FABS V6.2D, V6.2D
	WORD   $0x4ee0f8e7 // FABS V7.2D, V7.2D
	WORD   $0x4e64f400 // FMAX V0.2D, V0.2D, V4.2D
	WORD   $0x4e65f421 // FMAX V1.2D, V1.2D, V5.2D
	WORD   $0x4e66f442 // FMAX V2.2D, V2.2D, V6.2D
	WORD   $0x4e67f463 // FMAX V3.2D, V3.2D, V7.2D
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP $2, R2
	BLT reduce

loop2:
	VLD1.P 16(R0), [V4.D2]
	WORD   $0x4ee0f884 // FABS V4.2D, V4.2D
	WORD   $0x4e64f400 // FMAX V0.2D, V0.2D, V4.2D
	SUB    $2, R2
	CMP    $2, R2
	BGE    loop2

reduce:
	WORD  $0x4e61f400 // FMAX V0.2D, V0.2D, V1.2D
	WORD  $0x4e63f442 // FMAX V2.2D, V2.2D, V3.2D
	WORD  $0x4e62f400 // FMAX V0.2D, V0.2D, V2.2D
	WORD  $0x7e70f800 // FMAXP D0, V0.2D
	CBZ   R2, done
	FMOVD (R0), F4
	FABSD F4, F4
	FMAXD F4, F0

done:
	FMOVD F0, ret+24(FP)
	RET

// func firstAbsAboveNEON(x []float64, t float64) int
//
// R0 = &x[i], R5 = &x[0], R2 = elements left, R6/R7 scratch.
// V0     t in both lanes.
// V4-V7  x block: |x|, then the masks (t ≥ |x|) (FCMGE: all ones where
//        true, zero where false or where x is NaN).
//
// Main loop: 8 elements per iteration. The 4 masks are ANDed and the two
// lanes moved to R6, R7; if their AND is not all ones some element of the
// block is a hit, and the scalar loop finds the first one from the block's
// start (R0 is advanced only past blocks without a hit).
// Scalar loop: one element per step; FCMP sets HI for |x| > t and for
// unordered (x NaN), which is a hit. It also serves the tail of at most 7 elements.
// Returns (R0 − R5)/8: the hit's index, or len(x) if there is none.
TEXT ·firstAbsAboveNEON(SB), NOSPLIT, $0-40
	MOVD  x_base+0(FP), R0
	MOVD  x_len+8(FP), R2
	FMOVD t+24(FP), F0
	VDUP  V0.D[0], V0.D2
	MOVD  R0, R5
	CMP   $8, R2
	BLT   scalar

loop8:
	VLD1 (R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	WORD $0x4ee0f884 // FABS V4.2D, V4.2D
	WORD $0x4ee0f8a5 // FABS V5.2D, V5.2D
	WORD $0x4ee0f8c6 // FABS V6.2D, V6.2D
	WORD $0x4ee0f8e7 // FABS V7.2D, V7.2D
	WORD $0x6e64e404 // FCMGE V4.2D, V0.2D, V4.2D
	WORD $0x6e65e405 // FCMGE V5.2D, V0.2D, V5.2D
	WORD $0x6e66e406 // FCMGE V6.2D, V0.2D, V6.2D
	WORD $0x6e67e407 // FCMGE V7.2D, V0.2D, V7.2D
	VAND V5.B16, V4.B16, V4.B16
	VAND V7.B16, V6.B16, V6.B16
	VAND V6.B16, V4.B16, V4.B16
	VMOV V4.D[0], R6
	VMOV V4.D[1], R7
	AND  R6, R7
	CMN  $1, R7
	BNE  scalar // a hit in this block
	ADD  $64, R0
	SUB  $8, R2
	CMP  $8, R2
	BGE  loop8

scalar:
	CBZ   R2, done
	FMOVD (R0), F4
	FABSD F4, F4
	FCMPD F0, F4 // flags of |x| against t
	BHI   done   // |x| > t, or unordered (x is NaN): a hit
	ADD   $8, R0
	SUB   $1, R2
	B     scalar

done:
	SUB  R5, R0
	LSR  $3, R0
	MOVD R0, ret+32(FP)
	RET
