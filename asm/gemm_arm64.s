//go:build !purego

#include "textflag.h"

// func gemm4x8NEON(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)
//
// The NEON GEMM micro-kernel; its meaning is gemmTileGeneric (asm/gemm.go):
//
//	C[i][j] = Σ_{p<k} a[p·lda+i]·b[p·ldb+j] + β·C[i][j],  C not read when β = 0,
//
// one fused multiply-add per p in increasing p from +0, then fma(β, C, acc).
// The caller (GemmTile) guarantees k ≥ 1 and in-bounds panels.
//
// Tile 4 rows × 8 columns (2 doubles per register): row i of C is the
// accumulators V(4i)..V(4i+3), sixteen registers pinned for the k loop.
// Registers:
//	R0  a panel; VLD1R.P steps it by 8 per row, R4 = lda·8 − 32 finishes the p step
//	R1  b panel, R5 = ldb·8      R2  current C row, R6 = ldc·8
//	R3  remaining k              R7  β's bits without the sign (0 ⇔ β = ±0)
//	V16-V19  b[p][0..8)          V20-V23  a[p][i] replicated in both lanes
//	V24-V27  a row of C          V28      β replicated
// Per p: one VLD1 of four registers for B, four VLD1R for A, 16 VFMLA
// (Vd += Vn·Vm, fused). Only VFMLA is needed: Go's arm64 assembler has it.
TEXT ·gemm4x8NEON(SB), NOSPLIT, $0-64
	MOVD k+0(FP), R3
	MOVD a+8(FP), R0
	MOVD lda+16(FP), R4
	LSL  $3, R4
	SUB  $32, R4
	MOVD b+24(FP), R1
	MOVD ldb+32(FP), R5
	LSL  $3, R5
	MOVD c+40(FP), R2
	MOVD ldc+48(FP), R6
	LSL  $3, R6
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
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	CBZ  R3, store

loop:
	VLD1    (R1), [V16.D2, V17.D2, V18.D2, V19.D2]
	ADD     R5, R1
	VLD1R.P 8(R0), [V20.D2]
	VLD1R.P 8(R0), [V21.D2]
	VLD1R.P 8(R0), [V22.D2]
	VLD1R.P 8(R0), [V23.D2]
	ADD     R4, R0
	VFMLA   V16.D2, V20.D2, V0.D2
	VFMLA   V17.D2, V20.D2, V1.D2
	VFMLA   V18.D2, V20.D2, V2.D2
	VFMLA   V19.D2, V20.D2, V3.D2
	VFMLA   V16.D2, V21.D2, V4.D2
	VFMLA   V17.D2, V21.D2, V5.D2
	VFMLA   V18.D2, V21.D2, V6.D2
	VFMLA   V19.D2, V21.D2, V7.D2
	VFMLA   V16.D2, V22.D2, V8.D2
	VFMLA   V17.D2, V22.D2, V9.D2
	VFMLA   V18.D2, V22.D2, V10.D2
	VFMLA   V19.D2, V22.D2, V11.D2
	VFMLA   V16.D2, V23.D2, V12.D2
	VFMLA   V17.D2, V23.D2, V13.D2
	VFMLA   V18.D2, V23.D2, V14.D2
	VFMLA   V19.D2, V23.D2, V15.D2
	SUBS    $1, R3
	BNE     loop

store:
	MOVD beta+56(FP), R7
	LSL  $1, R7
	CBZ  R7, overwrite
	MOVD $beta+56(FP), R8
	VLD1R (R8), [V28.D2]
	VLD1  (R2), [V24.D2, V25.D2, V26.D2, V27.D2]
	VFMLA V24.D2, V28.D2, V0.D2
	VFMLA V25.D2, V28.D2, V1.D2
	VFMLA V26.D2, V28.D2, V2.D2
	VFMLA V27.D2, V28.D2, V3.D2
	VST1  [V0.D2, V1.D2, V2.D2, V3.D2], (R2)
	ADD   R6, R2
	VLD1  (R2), [V24.D2, V25.D2, V26.D2, V27.D2]
	VFMLA V24.D2, V28.D2, V4.D2
	VFMLA V25.D2, V28.D2, V5.D2
	VFMLA V26.D2, V28.D2, V6.D2
	VFMLA V27.D2, V28.D2, V7.D2
	VST1  [V4.D2, V5.D2, V6.D2, V7.D2], (R2)
	ADD   R6, R2
	VLD1  (R2), [V24.D2, V25.D2, V26.D2, V27.D2]
	VFMLA V24.D2, V28.D2, V8.D2
	VFMLA V25.D2, V28.D2, V9.D2
	VFMLA V26.D2, V28.D2, V10.D2
	VFMLA V27.D2, V28.D2, V11.D2
	VST1  [V8.D2, V9.D2, V10.D2, V11.D2], (R2)
	ADD   R6, R2
	VLD1  (R2), [V24.D2, V25.D2, V26.D2, V27.D2]
	VFMLA V24.D2, V28.D2, V12.D2
	VFMLA V25.D2, V28.D2, V13.D2
	VFMLA V26.D2, V28.D2, V14.D2
	VFMLA V27.D2, V28.D2, V15.D2
	VST1  [V12.D2, V13.D2, V14.D2, V15.D2], (R2)
	RET

overwrite:
	VST1 [V0.D2, V1.D2, V2.D2, V3.D2], (R2)
	ADD  R6, R2
	VST1 [V4.D2, V5.D2, V6.D2, V7.D2], (R2)
	ADD  R6, R2
	VST1 [V8.D2, V9.D2, V10.D2, V11.D2], (R2)
	ADD  R6, R2
	VST1 [V12.D2, V13.D2, V14.D2, V15.D2], (R2)
	RET
