//go:build !purego

#include "textflag.h"

// Vector FP instructions that Go's arm64 assembler lacks are written as
// WORD, the instruction in ARM syntax (destination first) in the comment.

// func dotNormsSumsNEON(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)
//
// The fast pass of DotNorms (dotNormsSums in dotnorms.go): one read of x
// and y gives Σ x_i·y_i and, for each slice, Σ|·|, Σ(·)² and max|·|.
// R0 = &x[i], R1 = &y[i] (both post-incremented), R2 = elements left.
// Two accumulator sets of seven, 2 lanes each:
//
//	set A  set B  value
//	 V0     V1    Σ x_i·y_i  (VFMLA)
//	 V2     V3    Σ |x_i|    (FABS, FADD)
//	 V4     V5    Σ x_i²     (VFMLA)
//	 V6     V7    max |x_i|  (FMAX: NaN wins, an empty slice gives +0)
//	 V8     V9    Σ |y_i|
//	 V10    V11   Σ y_i²
//	 V12    V13   max |y_i|
//
// V16, V17  x block (first pair into set A, second into set B), then |x|.
// V18, V19  y block, then |y|.
//
// Main loop: 4 pairs per iteration (2 V registers per slice); the products
// and squares are fused before FABS overwrites the blocks.
// Pair step: at most once, 2 pairs into set A.
// Reduction: B folded into A (FADD, FMAX), then the two lanes (FADDP,
// FMAXP) into the low lane of each set-A register.
// Scalar tail: at most 1 pair (FMADDD, FABSD, FADDD, FMAXD).
// The order of every sum depends only on len(x).
TEXT ·dotNormsSumsNEON(SB), NOSPLIT, $0-104
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	MOVD y_base+24(FP), R1
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	CMP  $4, R2
	BLT  pairs

loop4:
	VLD1.P 32(R0), [V16.D2, V17.D2]
	VLD1.P 32(R1), [V18.D2, V19.D2]
	VFMLA  V16.D2, V18.D2, V0.D2
	VFMLA  V17.D2, V19.D2, V1.D2
	VFMLA  V16.D2, V16.D2, V4.D2
	VFMLA  V17.D2, V17.D2, V5.D2
	VFMLA  V18.D2, V18.D2, V10.D2
	VFMLA  V19.D2, V19.D2, V11.D2
	WORD   $0x4ee0fa10 // FABS V16.2D, V16.2D
	WORD   $0x4ee0fa31 // FABS V17.2D, V17.2D
	WORD   $0x4ee0fa52 // FABS V18.2D, V18.2D
	WORD   $0x4ee0fa73 // FABS V19.2D, V19.2D
	WORD   $0x4e70d442 // FADD V2.2D, V2.2D, V16.2D
	WORD   $0x4e71d463 // FADD V3.2D, V3.2D, V17.2D
	WORD   $0x4e72d508 // FADD V8.2D, V8.2D, V18.2D
	WORD   $0x4e73d529 // FADD V9.2D, V9.2D, V19.2D
	WORD   $0x4e70f4c6 // FMAX V6.2D, V6.2D, V16.2D
	WORD   $0x4e71f4e7 // FMAX V7.2D, V7.2D, V17.2D
	WORD   $0x4e72f58c // FMAX V12.2D, V12.2D, V18.2D
	WORD   $0x4e73f5ad // FMAX V13.2D, V13.2D, V19.2D
	SUB    $4, R2
	CMP    $4, R2
	BGE    loop4

pairs:
	CMP    $2, R2
	BLT    reduce
	VLD1.P 16(R0), [V16.D2]
	VLD1.P 16(R1), [V18.D2]
	VFMLA  V16.D2, V18.D2, V0.D2
	VFMLA  V16.D2, V16.D2, V4.D2
	VFMLA  V18.D2, V18.D2, V10.D2
	WORD   $0x4ee0fa10 // FABS V16.2D, V16.2D
	WORD   $0x4ee0fa52 // FABS V18.2D, V18.2D
	WORD   $0x4e70d442 // FADD V2.2D, V2.2D, V16.2D
	WORD   $0x4e72d508 // FADD V8.2D, V8.2D, V18.2D
	WORD   $0x4e70f4c6 // FMAX V6.2D, V6.2D, V16.2D
	WORD   $0x4e72f58c // FMAX V12.2D, V12.2D, V18.2D
	SUB    $2, R2

reduce:
	WORD $0x4e61d400 // FADD V0.2D, V0.2D, V1.2D
	WORD $0x4e63d442 // FADD V2.2D, V2.2D, V3.2D
	WORD $0x4e65d484 // FADD V4.2D, V4.2D, V5.2D
	WORD $0x4e67f4c6 // FMAX V6.2D, V6.2D, V7.2D
	WORD $0x4e69d508 // FADD V8.2D, V8.2D, V9.2D
	WORD $0x4e6bd54a // FADD V10.2D, V10.2D, V11.2D
	WORD $0x4e6df58c // FMAX V12.2D, V12.2D, V13.2D
	WORD $0x7e70d800 // FADDP D0, V0.2D
	WORD $0x7e70d842 // FADDP D2, V2.2D
	WORD $0x7e70d884 // FADDP D4, V4.2D
	WORD $0x7e70f8c6 // FMAXP D6, V6.2D
	WORD $0x7e70d908 // FADDP D8, V8.2D
	WORD $0x7e70d94a // FADDP D10, V10.2D
	WORD $0x7e70f98c // FMAXP D12, V12.2D
	CBZ  R2, done
	FMOVD  (R0), F16
	FMOVD  (R1), F18
	FMADDD F16, F0, F18, F0   // F0 += F18·F16
	FMADDD F16, F4, F16, F4   // F4 += F16·F16
	FMADDD F18, F10, F18, F10 // F10 += F18·F18
	FABSD  F16, F16
	FABSD  F18, F18
	FADDD  F16, F2
	FADDD  F18, F8
	FMAXD  F16, F6
	FMAXD  F18, F12

done:
	FMOVD F0, dot+48(FP)
	FMOVD F2, l1x+56(FP)
	FMOVD F4, ssqx+64(FP)
	FMOVD F6, maxx+72(FP)
	FMOVD F8, l1y+80(FP)
	FMOVD F10, ssqy+88(FP)
	FMOVD F12, maxy+96(FP)
	RET
