//go:build !purego

#include "textflag.h"

// Vector FP instructions that Go's arm64 assembler lacks are written as
// WORD, the instruction in ARM syntax (destination first) in the comment.

// func adamNEON(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)
//
// R0 = &θ[i], R1 = &m[i], R2 = &v[i], R3 = &g[i], R4 = elements left.
// θ, m and v are loaded without moving the pointer and stored back with
// post-increment; g is loaded with post-increment.
// Constants, both lanes: V2 r1, V3 r2, V24 β1, V25 1−β1, V26 β2, V27 1−β2,
// V28 stepSize, V29 sqrtBC2, V30 ε, V31 +0.
// Running maxima (FMAX, which returns NaN when an input is NaN, so a NaN
// is never lost): V6 |m'|, V7 |v'|, V10 |θ|; V11 scratch for the FABS.
// Per vector j of a block (j = 0..1, 2 elements each):
//   Vj      θ, updated in place
//   V(4+j)  m, then r1·m     V(20+j) (1−β1)·g, then the new m'
//   V(8+j)  v, then r2·v, then d, then m'/d
//   V(12+j) g, then the mask (d = 0)
//   V(16+j) g², then (1−β2)·g², then the new v'
//
// Per element, with the roundings and fusions that Go 1.26 gives
// adamGeneric on arm64 (so that m' agrees closely with it even where
// β1·m and (1−β1)·g nearly cancel):
//   m' = β1·round(r1·m) + round((1−β1)·g)           FMUL, FMUL, FMLA (fused)
//   v' = β2·round(r2·v) + round((1−β2)·round(g·g))  FMUL ×3, FMLA (fused)
//   d  = √v' / sqrtBC2 + ε                          FSQRT, FDIV, FADD
//   q  = m'/d, set to +0 where d = 0                FDIV, FCMEQ mask, BIT from +0
//   θ  = θ − q·stepSize                             FMLS (fused; θ − 0 = θ, so θ
//                                                   does not move where d = 0)
// r·m and r·v are rounded on their own, as scalNEON rounds them.
// Main loop: 4 elements per iteration (two vectors: the running maxima and
// r1, r2 take the registers a third and fourth vector would need). Pair
// loop: 2 elements. Then the maxima are reduced into lane 0 (FMAXP, which
// zeroes lane 1); the last element (if n is odd) is loaded into lane 0 (a
// scalar load zeroes lane 1), sent through the same body and stored from
// lane 0: lane 1 holds nothing and is neither stored nor read.
TEXT ·adamNEON(SB), NOSPLIT, $0-176
	MOVD  theta_base+0(FP), R0
	MOVD  theta_len+8(FP), R4
	MOVD  m_base+24(FP), R1
	MOVD  v_base+48(FP), R2
	MOVD  g_base+72(FP), R3
	FMOVD r1+96(FP), F2
	FMOVD r2+104(FP), F3
	FMOVD beta1+112(FP), F24
	FMOVD beta2+120(FP), F26
	FMOVD stepSize+128(FP), F28
	FMOVD sqrtBC2+136(FP), F29
	FMOVD eps+144(FP), F30
	FMOVD $1.0, F25
	FSUBD F24, F25 // 1−β1
	FMOVD $1.0, F27
	FSUBD F26, F27 // 1−β2
	VDUP  V2.D[0], V2.D2
	VDUP  V3.D[0], V3.D2
	VDUP  V24.D[0], V24.D2
	VDUP  V25.D[0], V25.D2
	VDUP  V26.D[0], V26.D2
	VDUP  V27.D[0], V27.D2
	VDUP  V28.D[0], V28.D2
	VDUP  V29.D[0], V29.D2
	VDUP  V30.D[0], V30.D2
	VEOR  V31.B16, V31.B16, V31.B16
	VEOR  V6.B16, V6.B16, V6.B16
	VEOR  V7.B16, V7.B16, V7.B16
	VEOR  V10.B16, V10.B16, V10.B16
	CMP   $4, R4
	BLT   pairs

loop4:
	VLD1   (R0), [V0.D2, V1.D2]
	VLD1   (R1), [V4.D2, V5.D2]
	VLD1   (R2), [V8.D2, V9.D2]
	VLD1.P 32(R3), [V12.D2, V13.D2]
	WORD   $0x6e79dd94 // FMUL V20.2D, V12.2D, V25.2D
	WORD   $0x6e79ddb5 // FMUL V21.2D, V13.2D, V25.2D
	WORD   $0x6e62dc84 // FMUL V4.2D, V4.2D, V2.2D
	WORD   $0x6e62dca5 // FMUL V5.2D, V5.2D, V2.2D
	VFMLA  V24.D2, V4.D2, V20.D2 // m' = β1·(r1·m) + (1−β1)·g
	VFMLA  V24.D2, V5.D2, V21.D2
	WORD   $0x6e6cdd90 // FMUL V16.2D, V12.2D, V12.2D
	WORD   $0x6e6dddb1 // FMUL V17.2D, V13.2D, V13.2D
	WORD   $0x6e7bde10 // FMUL V16.2D, V16.2D, V27.2D
	WORD   $0x6e7bde31 // FMUL V17.2D, V17.2D, V27.2D
	WORD   $0x6e63dd08 // FMUL V8.2D, V8.2D, V3.2D
	WORD   $0x6e63dd29 // FMUL V9.2D, V9.2D, V3.2D
	VFMLA  V26.D2, V8.D2, V16.D2 // v' = β2·(r2·v) + (1−β2)·g²
	VFMLA  V26.D2, V9.D2, V17.D2
	WORD   $0x4ee0fa8b // FABS V11.2D, V20.2D
	WORD   $0x4e6bf4c6 // FMAX V6.2D, V6.2D, V11.2D
	WORD   $0x4ee0fa0b // FABS V11.2D, V16.2D
	WORD   $0x4e6bf4e7 // FMAX V7.2D, V7.2D, V11.2D
	WORD   $0x4ee0faab // FABS V11.2D, V21.2D
	WORD   $0x4e6bf4c6 // FMAX V6.2D, V6.2D, V11.2D
	WORD   $0x4ee0fa2b // FABS V11.2D, V17.2D
	WORD   $0x4e6bf4e7 // FMAX V7.2D, V7.2D, V11.2D
	WORD   $0x6ee1fa08 // FSQRT V8.2D, V16.2D
	WORD   $0x6ee1fa29 // FSQRT V9.2D, V17.2D
	WORD   $0x6e7dfd08 // FDIV V8.2D, V8.2D, V29.2D
	WORD   $0x6e7dfd29 // FDIV V9.2D, V9.2D, V29.2D
	WORD   $0x4e7ed508 // FADD V8.2D, V8.2D, V30.2D
	WORD   $0x4e7ed529 // FADD V9.2D, V9.2D, V30.2D
	WORD   $0x4ee0d90c // FCMEQ V12.2D, V8.2D, #0.0
	WORD   $0x4ee0d92d // FCMEQ V13.2D, V9.2D, #0.0
	WORD   $0x6e68fe88 // FDIV V8.2D, V20.2D, V8.2D
	WORD   $0x6e69fea9 // FDIV V9.2D, V21.2D, V9.2D
	VBIT   V12.B16, V31.B16, V8.B16 // m'/d = 0 where d = 0
	VBIT   V13.B16, V31.B16, V9.B16
	VFMLS  V28.D2, V8.D2, V0.D2 // θ −= (m'/d)·stepSize
	VFMLS  V28.D2, V9.D2, V1.D2
	WORD   $0x4ee0f80b // FABS V11.2D, V0.2D
	WORD   $0x4e6bf54a // FMAX V10.2D, V10.2D, V11.2D
	WORD   $0x4ee0f82b // FABS V11.2D, V1.2D
	WORD   $0x4e6bf54a // FMAX V10.2D, V10.2D, V11.2D
	VST1.P [V0.D2, V1.D2], 32(R0)
	VST1.P [V20.D2, V21.D2], 32(R1)
	VST1.P [V16.D2, V17.D2], 32(R2)
	SUB    $4, R4
	CMP    $4, R4
	BGE    loop4

pairs:
	CMP    $2, R4
	BLT    reduce
	VLD1   (R0), [V0.D2]
	VLD1   (R1), [V4.D2]
	VLD1   (R2), [V8.D2]
	VLD1.P 16(R3), [V12.D2]
	WORD   $0x6e79dd94 // FMUL V20.2D, V12.2D, V25.2D
	WORD   $0x6e62dc84 // FMUL V4.2D, V4.2D, V2.2D
	VFMLA  V24.D2, V4.D2, V20.D2 // m' = β1·(r1·m) + (1−β1)·g
	WORD   $0x6e6cdd90 // FMUL V16.2D, V12.2D, V12.2D
	WORD   $0x6e7bde10 // FMUL V16.2D, V16.2D, V27.2D
	WORD   $0x6e63dd08 // FMUL V8.2D, V8.2D, V3.2D
	VFMLA  V26.D2, V8.D2, V16.D2 // v' = β2·(r2·v) + (1−β2)·g²
	WORD   $0x4ee0fa8b // FABS V11.2D, V20.2D
	WORD   $0x4e6bf4c6 // FMAX V6.2D, V6.2D, V11.2D
	WORD   $0x4ee0fa0b // FABS V11.2D, V16.2D
	WORD   $0x4e6bf4e7 // FMAX V7.2D, V7.2D, V11.2D
	WORD   $0x6ee1fa08 // FSQRT V8.2D, V16.2D
	WORD   $0x6e7dfd08 // FDIV V8.2D, V8.2D, V29.2D
	WORD   $0x4e7ed508 // FADD V8.2D, V8.2D, V30.2D
	WORD   $0x4ee0d90c // FCMEQ V12.2D, V8.2D, #0.0
	WORD   $0x6e68fe88 // FDIV V8.2D, V20.2D, V8.2D
	VBIT   V12.B16, V31.B16, V8.B16 // m'/d = 0 where d = 0
	VFMLS  V28.D2, V8.D2, V0.D2 // θ −= (m'/d)·stepSize
	WORD   $0x4ee0f80b // FABS V11.2D, V0.2D
	WORD   $0x4e6bf54a // FMAX V10.2D, V10.2D, V11.2D
	VST1.P [V0.D2], 16(R0)
	VST1.P [V20.D2], 16(R1)
	VST1.P [V16.D2], 16(R2)
	SUB    $2, R4
	B      pairs

reduce:
	WORD   $0x7e70f8c6 // FMAXP D6, V6.2D
	WORD   $0x7e70f8e7 // FMAXP D7, V7.2D
	WORD   $0x7e70f94a // FMAXP D10, V10.2D
	CBZ    R4, done
	FMOVD  (R0), F0
	FMOVD  (R1), F4
	FMOVD  (R2), F8
	FMOVD  (R3), F12
	WORD   $0x6e79dd94 // FMUL V20.2D, V12.2D, V25.2D
	WORD   $0x6e62dc84 // FMUL V4.2D, V4.2D, V2.2D
	VFMLA  V24.D2, V4.D2, V20.D2 // m' = β1·(r1·m) + (1−β1)·g
	WORD   $0x6e6cdd90 // FMUL V16.2D, V12.2D, V12.2D
	WORD   $0x6e7bde10 // FMUL V16.2D, V16.2D, V27.2D
	WORD   $0x6e63dd08 // FMUL V8.2D, V8.2D, V3.2D
	VFMLA  V26.D2, V8.D2, V16.D2 // v' = β2·(r2·v) + (1−β2)·g²
	WORD   $0x4ee0fa8b // FABS V11.2D, V20.2D
	WORD   $0x4e6bf4c6 // FMAX V6.2D, V6.2D, V11.2D
	WORD   $0x4ee0fa0b // FABS V11.2D, V16.2D
	WORD   $0x4e6bf4e7 // FMAX V7.2D, V7.2D, V11.2D
	WORD   $0x6ee1fa08 // FSQRT V8.2D, V16.2D
	WORD   $0x6e7dfd08 // FDIV V8.2D, V8.2D, V29.2D
	WORD   $0x4e7ed508 // FADD V8.2D, V8.2D, V30.2D
	WORD   $0x4ee0d90c // FCMEQ V12.2D, V8.2D, #0.0
	WORD   $0x6e68fe88 // FDIV V8.2D, V20.2D, V8.2D
	VBIT   V12.B16, V31.B16, V8.B16 // m'/d = 0 where d = 0
	VFMLS  V28.D2, V8.D2, V0.D2 // θ −= (m'/d)·stepSize
	WORD   $0x4ee0f80b // FABS V11.2D, V0.2D
	WORD   $0x4e6bf54a // FMAX V10.2D, V10.2D, V11.2D
	FMOVD  F0, (R0)
	FMOVD  F20, (R1)
	FMOVD  F16, (R2)

done:
	FMOVD F6, maxM+152(FP)
	FMOVD F7, maxV+160(FP)
	FMOVD F10, maxTheta+168(FP)
	RET
