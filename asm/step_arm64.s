//go:build !purego

#include "textflag.h"

// Vector FP instructions that Go's arm64 assembler lacks are written as
// WORD, the instruction in ARM syntax (destination first) in the comment.
//
// Both kernels: R0 = &g[i] (post-incremented), R1 = &θ[i] (loaded in
// place, stored with post-increment), R2 = elements left, R4/R5 scratch
// for the constants. g is read before θ is stored in every block, so g may
// be θ itself.
// V24     a in both lanes.
// V26     running max |g| (FMAX, which unlike FMAXNM returns NaN when an
//         input is NaN, so a NaN is never lost), V27 running max |θ|.
// V0-V3   θ block, updated in place.
// V4-V7   g block.
// V16-V19 |g|, then |θ| after the update.
// Main loop: 8 elements per iteration (4 vectors). Pair loop: 2 elements.
// Then the maxima are reduced into lane 0 (FMAXP, which zeroes lane 1), and
// the last element (if n is odd) is loaded into lane 0 (a scalar load
// zeroes lane 1) and sent through the same body: lane 0 of the maxima and
// of θ is what is kept, lane 1 holds nothing and is not stored or read.

// func signStepNEON(a float64, g, theta []float64) (maxG, maxTheta float64)
//
// θ_i += a·sign(g_i), the sign as signNEON computes it (sign_arm64.s):
// V8-V11  C = copysign(1, g) = (g AND signbit) OR 1.0.
// V12-V15 K = (|g| > 0), then s = K ? C : |g| (BSL): ±1, +0 for ±0, NaN
//         for NaN.
// θ += a·s with FMLA (a·s is exact: the fused and the separate sum agree).
// V28 1.0, V29 the sign bit, both lanes.

TEXT ·signStepNEON(SB), NOSPLIT, $0-72
	FMOVD a+0(FP), F24
	VDUP  V24.D[0], V24.D2
	MOVD  g_base+8(FP), R0
	MOVD  g_len+16(FP), R2
	MOVD  theta_base+32(FP), R1
	MOVD  $0x3ff0000000000000, R4 // 1.0
	VDUP  R4, V28.D2
	MOVD  $1, R5
	LSL   $63, R5
	VDUP  R5, V29.D2
	VEOR  V26.B16, V26.B16, V26.B16
	VEOR  V27.B16, V27.B16, V27.B16
	CMP   $8, R2
	BLT   spairs

sloop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1   (R1), [V0.D2, V1.D2, V2.D2, V3.D2]
	VAND   V29.B16, V4.B16, V8.B16 // C = g AND signbit
	VAND   V29.B16, V5.B16, V9.B16
	VAND   V29.B16, V6.B16, V10.B16
	VAND   V29.B16, V7.B16, V11.B16
	VORR   V28.B16, V8.B16, V8.B16 // C = copysign(1, g)
	VORR   V28.B16, V9.B16, V9.B16
	VORR   V28.B16, V10.B16, V10.B16
	VORR   V28.B16, V11.B16, V11.B16
	WORD   $0x4ee0f890 // FABS V16.2D, V4.2D
	WORD   $0x4ee0f8b1 // FABS V17.2D, V5.2D
	WORD   $0x4ee0f8d2 // FABS V18.2D, V6.2D
	WORD   $0x4ee0f8f3 // FABS V19.2D, V7.2D
	WORD   $0x4e70f75a // FMAX V26.2D, V26.2D, V16.2D
	WORD   $0x4e71f75a // FMAX V26.2D, V26.2D, V17.2D
	WORD   $0x4e72f75a // FMAX V26.2D, V26.2D, V18.2D
	WORD   $0x4e73f75a // FMAX V26.2D, V26.2D, V19.2D
	WORD   $0x4ee0ca0c // FCMGT V12.2D, V16.2D, #0.0
	WORD   $0x4ee0ca2d // FCMGT V13.2D, V17.2D, #0.0
	WORD   $0x4ee0ca4e // FCMGT V14.2D, V18.2D, #0.0
	WORD   $0x4ee0ca6f // FCMGT V15.2D, V19.2D, #0.0
	VBSL   V16.B16, V8.B16, V12.B16 // s = K ? C : |g|
	VBSL   V17.B16, V9.B16, V13.B16
	VBSL   V18.B16, V10.B16, V14.B16
	VBSL   V19.B16, V11.B16, V15.B16
	VFMLA  V24.D2, V12.D2, V0.D2 // θ += a·s
	VFMLA  V24.D2, V13.D2, V1.D2
	VFMLA  V24.D2, V14.D2, V2.D2
	VFMLA  V24.D2, V15.D2, V3.D2
	WORD   $0x4ee0f810 // FABS V16.2D, V0.2D
	WORD   $0x4ee0f831 // FABS V17.2D, V1.2D
	WORD   $0x4ee0f852 // FABS V18.2D, V2.2D
	WORD   $0x4ee0f873 // FABS V19.2D, V3.2D
	WORD   $0x4e70f77b // FMAX V27.2D, V27.2D, V16.2D
	WORD   $0x4e71f77b // FMAX V27.2D, V27.2D, V17.2D
	WORD   $0x4e72f77b // FMAX V27.2D, V27.2D, V18.2D
	WORD   $0x4e73f77b // FMAX V27.2D, V27.2D, V19.2D
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R1)
	SUB    $8, R2
	CMP    $8, R2
	BGE    sloop8

spairs:
	CMP    $2, R2
	BLT    sreduce
	VLD1.P 16(R0), [V4.D2]
	VLD1   (R1), [V0.D2]
	VAND   V29.B16, V4.B16, V8.B16 // C = g AND signbit
	VORR   V28.B16, V8.B16, V8.B16 // C = copysign(1, g)
	WORD   $0x4ee0f890 // FABS V16.2D, V4.2D
	WORD   $0x4e70f75a // FMAX V26.2D, V26.2D, V16.2D
	WORD   $0x4ee0ca0c // FCMGT V12.2D, V16.2D, #0.0
	VBSL   V16.B16, V8.B16, V12.B16 // s = K ? C : |g|
	VFMLA  V24.D2, V12.D2, V0.D2 // θ += a·s
	WORD   $0x4ee0f810 // FABS V16.2D, V0.2D
	WORD   $0x4e70f77b // FMAX V27.2D, V27.2D, V16.2D
	VST1.P [V0.D2], 16(R1)
	SUB    $2, R2
	B      spairs

sreduce:
	WORD   $0x7e70fb5a // FMAXP D26, V26.2D
	WORD   $0x7e70fb7b // FMAXP D27, V27.2D
	CBZ    R2, sdone
	FMOVD  (R0), F4
	FMOVD  (R1), F0
	VAND   V29.B16, V4.B16, V8.B16 // C = g AND signbit
	VORR   V28.B16, V8.B16, V8.B16 // C = copysign(1, g)
	WORD   $0x4ee0f890 // FABS V16.2D, V4.2D
	WORD   $0x4e70f75a // FMAX V26.2D, V26.2D, V16.2D
	WORD   $0x4ee0ca0c // FCMGT V12.2D, V16.2D, #0.0
	VBSL   V16.B16, V8.B16, V12.B16 // s = K ? C : |g|
	VFMLA  V24.D2, V12.D2, V0.D2 // θ += a·s
	WORD   $0x4ee0f810 // FABS V16.2D, V0.2D
	WORD   $0x4e70f77b // FMAX V27.2D, V27.2D, V16.2D
	FMOVD  F0, (R1)

sdone:
	FMOVD F26, maxG+56(FP)
	FMOVD F27, maxTheta+64(FP)
	RET

// func axpyStepNEON(a float64, g, theta []float64) (maxG, maxTheta float64)
//
// θ_i += a·g_i with FMLA (fused: the rounding of axpyNEON); registers and
// loops as signStepNEON, without V8-V15, V28, V29.

TEXT ·axpyStepNEON(SB), NOSPLIT, $0-72
	FMOVD a+0(FP), F24
	VDUP  V24.D[0], V24.D2
	MOVD  g_base+8(FP), R0
	MOVD  g_len+16(FP), R2
	MOVD  theta_base+32(FP), R1
	VEOR  V26.B16, V26.B16, V26.B16
	VEOR  V27.B16, V27.B16, V27.B16
	CMP   $8, R2
	BLT   apairs

aloop8:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1   (R1), [V0.D2, V1.D2, V2.D2, V3.D2]
	WORD   $0x4ee0f890 // FABS V16.2D, V4.2D
	WORD   $0x4ee0f8b1 // FABS V17.2D, V5.2D
	WORD   $0x4ee0f8d2 // FABS V18.2D, V6.2D
	WORD   $0x4ee0f8f3 // FABS V19.2D, V7.2D
	WORD   $0x4e70f75a // FMAX V26.2D, V26.2D, V16.2D
	WORD   $0x4e71f75a // FMAX V26.2D, V26.2D, V17.2D
	WORD   $0x4e72f75a // FMAX V26.2D, V26.2D, V18.2D
	WORD   $0x4e73f75a // FMAX V26.2D, V26.2D, V19.2D
	VFMLA  V24.D2, V4.D2, V0.D2 // θ += a·g
	VFMLA  V24.D2, V5.D2, V1.D2
	VFMLA  V24.D2, V6.D2, V2.D2
	VFMLA  V24.D2, V7.D2, V3.D2
	WORD   $0x4ee0f810 // FABS V16.2D, V0.2D
	WORD   $0x4ee0f831 // FABS V17.2D, V1.2D
	WORD   $0x4ee0f852 // FABS V18.2D, V2.2D
	WORD   $0x4ee0f873 // FABS V19.2D, V3.2D
	WORD   $0x4e70f77b // FMAX V27.2D, V27.2D, V16.2D
	WORD   $0x4e71f77b // FMAX V27.2D, V27.2D, V17.2D
	WORD   $0x4e72f77b // FMAX V27.2D, V27.2D, V18.2D
	WORD   $0x4e73f77b // FMAX V27.2D, V27.2D, V19.2D
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R1)
	SUB    $8, R2
	CMP    $8, R2
	BGE    aloop8

apairs:
	CMP    $2, R2
	BLT    areduce
	VLD1.P 16(R0), [V4.D2]
	VLD1   (R1), [V0.D2]
	WORD   $0x4ee0f890 // FABS V16.2D, V4.2D
	WORD   $0x4e70f75a // FMAX V26.2D, V26.2D, V16.2D
	VFMLA  V24.D2, V4.D2, V0.D2 // θ += a·g
	WORD   $0x4ee0f810 // FABS V16.2D, V0.2D
	WORD   $0x4e70f77b // FMAX V27.2D, V27.2D, V16.2D
	VST1.P [V0.D2], 16(R1)
	SUB    $2, R2
	B      apairs

areduce:
	WORD   $0x7e70fb5a // FMAXP D26, V26.2D
	WORD   $0x7e70fb7b // FMAXP D27, V27.2D
	CBZ    R2, adone
	FMOVD  (R0), F4
	FMOVD  (R1), F0
	WORD   $0x4ee0f890 // FABS V16.2D, V4.2D
	WORD   $0x4e70f75a // FMAX V26.2D, V26.2D, V16.2D
	VFMLA  V24.D2, V4.D2, V0.D2 // θ += a·g
	WORD   $0x4ee0f810 // FABS V16.2D, V0.2D
	WORD   $0x4e70f77b // FMAX V27.2D, V27.2D, V16.2D
	FMOVD  F0, (R1)

adone:
	FMOVD F26, maxG+56(FP)
	FMOVD F27, maxTheta+64(FP)
	RET
