//go:build !purego

#include "textflag.h"

// Vector FP instructions that Go's arm64 assembler lacks are written as
// WORD, the instruction in ARM syntax (destination first) in the comment.

// func reluNEON(dst, x []float64)
//
// R0 = &x[i] (post-incremented), R1 = &dst[i] (post-incremented),
// R2 = elements left.
// V31    +0 in both lanes.
// V4-V7  x block, replaced by FMAX(x, +0).
//
// FMAX is exactly ReLU's semantics: it orders −0 below +0 (FMAX(−0, +0) =
// +0) and returns NaN when an input is NaN.
// Main loop: 8 elements per iteration. Pair loop: 2 elements. Scalar tail:
// at most 1 element (FMAXD). Each block of x is loaded before dst is
// stored, so dst may be x.
TEXT ·reluNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R1
	MOVD x_base+24(FP), R0
	MOVD x_len+32(FP), R2
	VEOR V31.B16, V31.B16, V31.B16
	CMP  $8, R2
	BLT  pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	WORD   $0x4e7ff484 // FMAX V4.2D, V4.2D, V31.2D
	WORD   $0x4e7ff4a5 // FMAX V5.2D, V5.2D, V31.2D
	WORD   $0x4e7ff4c6 // FMAX V6.2D, V6.2D, V31.2D
	WORD   $0x4e7ff4e7 // FMAX V7.2D, V7.2D, V31.2D
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R1)
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP $2, R2
	BLT tail

loop2:
	VLD1.P 16(R0), [V4.D2]
	WORD   $0x4e7ff484 // FMAX V4.2D, V4.2D, V31.2D
	VST1.P [V4.D2], 16(R1)
	SUB    $2, R2
	CMP    $2, R2
	BGE    loop2

tail:
	CBZ   R2, done
	FMOVD (R0), F4
	FMAXD F31, F4 // F4 = FMAX(F4, +0)
	FMOVD F4, (R1)

done:
	RET

// func reluMaskNEON(dst, g, z []float64)
//
// R0 = &g[i], R3 = &z[i], R1 = &dst[i] (all post-incremented),
// R2 = elements left.
// V4-V7   g block, then g AND mask.
// V8-V11  z block, then the mask (z > 0): all ones where z > 0, zero
//         where z ≤ 0 or z is NaN (FCMGT against #0.0).
//
// A selection, not a multiplication: g's NaN and Inf are dropped where the
// mask is off, and the result there is +0.
// Main loop: 8 elements per iteration. Pair loop: 2 elements. Scalar tail:
// at most 1 element through the same instructions on one lane. Each block
// is loaded before dst is stored, so dst may be g (or z).
TEXT ·reluMaskNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R1
	MOVD g_base+24(FP), R0
	MOVD g_len+32(FP), R2
	MOVD z_base+48(FP), R3
	CMP  $8, R2
	BLT  pairs

loop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1.P 64(R3), [V8.D2, V9.D2, V10.D2, V11.D2]
	WORD   $0x4ee0c908 // FCMGT V8.2D, V8.2D, #0.0
	WORD   $0x4ee0c929 // FCMGT V9.2D, V9.2D, #0.0
	WORD   $0x4ee0c94a // FCMGT V10.2D, V10.2D, #0.0
	WORD   $0x4ee0c96b // FCMGT V11.2D, V11.2D, #0.0
	VAND   V8.B16, V4.B16, V4.B16 // g AND mask
	VAND   V9.B16, V5.B16, V5.B16
	VAND   V10.B16, V6.B16, V6.B16
	VAND   V11.B16, V7.B16, V7.B16
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R1)
	SUB    $8, R2
	CMP    $8, R2
	BGE    loop8

pairs:
	CMP $2, R2
	BLT tail

loop2:
	VLD1.P 16(R0), [V4.D2]
	VLD1.P 16(R3), [V8.D2]
	WORD   $0x4ee0c908 // FCMGT V8.2D, V8.2D, #0.0
	VAND   V8.B16, V4.B16, V4.B16
	VST1.P [V4.D2], 16(R1)
	SUB    $2, R2
	CMP    $2, R2
	BGE    loop2

tail:
	CBZ   R2, done
	FMOVD (R0), F4
	FMOVD (R3), F8
	WORD  $0x4ee0c908 // FCMGT V8.2D, V8.2D, #0.0
	VAND  V8.B16, V4.B16, V4.B16
	FMOVD F4, (R1)

done:
	RET
