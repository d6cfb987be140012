//go:build !purego

#include "textflag.h"

// Vector FP instructions that Go's arm64 assembler lacks are written as
// WORD, the instruction in ARM syntax (destination first) in the comment.

// func adamNEON(theta, m, v, g []float64, beta1, beta2, stepSize, sqrtBC2, eps float64)
//
// R0 = &θ[i], R1 = &m[i], R2 = &v[i], R3 = &g[i], R4 = elements left.
// θ, m and v are loaded without moving the pointer and stored back with
// post-increment; g is loaded with post-increment.
// Constants, both lanes: V24 β1, V25 1−β1, V26 β2, V27 1−β2, V28 stepSize,
// V29 sqrtBC2, V30 ε, V31 +0.
// Per vector j of a block (j = 0..3, 2 elements each):
//   Vj      θ, updated in place
//   V(4+j)  m            V(20+j) (1−β1)·g, then the new m'
//   V(8+j)  v, then d, then m'/d
//   V(12+j) g, then the mask (d = 0)
//   V(16+j) g², then (1−β2)·g², then the new v'
//
// Per element, with the roundings and fusions that Go 1.26 gives
// adamGeneric on arm64 (so that m' agrees closely with it even where
// β1·m and (1−β1)·g nearly cancel):
//   m' = β1·m + round((1−β1)·g)              FMUL, FMLA (fused)
//   v' = β2·v + round((1−β2)·round(g·g))     FMUL, FMUL, FMLA (fused)
//   d  = √v' / sqrtBC2 + ε                   FSQRT, FDIV, FADD
//   q  = m'/d, set to +0 where d = 0         FDIV, FCMEQ mask, BIT from +0
//   θ  = θ − q·stepSize                      FMLS (fused; θ − 0 = θ, so θ
//                                            does not move where d = 0)
// Main loop: 8 elements per iteration. Pair loop: 2 elements through the
// body at label one. Scalar tail: at most 1 element, loaded into lane 0
// (a scalar load zeroes lane 1, whose results are not stored) and sent
// through the same body, which then branches to the scalar stores.
TEXT ·adamNEON(SB), NOSPLIT, $0-136
	MOVD  theta_base+0(FP), R0
	MOVD  theta_len+8(FP), R4
	MOVD  m_base+24(FP), R1
	MOVD  v_base+48(FP), R2
	MOVD  g_base+72(FP), R3
	FMOVD beta1+96(FP), F24
	FMOVD beta2+104(FP), F26
	FMOVD stepSize+112(FP), F28
	FMOVD sqrtBC2+120(FP), F29
	FMOVD eps+128(FP), F30
	FMOVD $1.0, F25
	FSUBD F24, F25 // 1−β1
	FMOVD $1.0, F27
	FSUBD F26, F27 // 1−β2
	VDUP  V24.D[0], V24.D2
	VDUP  V25.D[0], V25.D2
	VDUP  V26.D[0], V26.D2
	VDUP  V27.D[0], V27.D2
	VDUP  V28.D[0], V28.D2
	VDUP  V29.D[0], V29.D2
	VDUP  V30.D[0], V30.D2
	VEOR  V31.B16, V31.B16, V31.B16
	CMP   $8, R4
	BLT   pairs

loop8:
	VLD1   (R0), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1   (R1), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1   (R2), [V8.D2, V9.D2, V10.D2, V11.D2]
	VLD1.P 64(R3), [V12.D2, V13.D2, V14.D2, V15.D2]
	WORD   $0x6e79dd94 // FMUL V20.2D, V12.2D, V25.2D
	WORD   $0x6e79ddb5 // FMUL V21.2D, V13.2D, V25.2D
	WORD   $0x6e79ddd6 // FMUL V22.2D, V14.2D, V25.2D
	WORD   $0x6e79ddf7 // FMUL V23.2D, V15.2D, V25.2D
	VFMLA  V24.D2, V4.D2, V20.D2 // m' = β1·m + (1−β1)·g
	VFMLA  V24.D2, V5.D2, V21.D2
	VFMLA  V24.D2, V6.D2, V22.D2
	VFMLA  V24.D2, V7.D2, V23.D2
	WORD   $0x6e6cdd90 // FMUL V16.2D, V12.2D, V12.2D
	WORD   $0x6e6dddb1 // FMUL V17.2D, V13.2D, V13.2D
	WORD   $0x6e6eddd2 // FMUL V18.2D, V14.2D, V14.2D
	WORD   $0x6e6fddf3 // FMUL V19.2D, V15.2D, V15.2D
	WORD   $0x6e7bde10 // FMUL V16.2D, V16.2D, V27.2D
	WORD   $0x6e7bde31 // FMUL V17.2D, V17.2D, V27.2D
	WORD   $0x6e7bde52 // FMUL V18.2D, V18.2D, V27.2D
	WORD   $0x6e7bde73 // FMUL V19.2D, V19.2D, V27.2D
	VFMLA  V26.D2, V8.D2, V16.D2 // v' = β2·v + (1−β2)·g²
	VFMLA  V26.D2, V9.D2, V17.D2
	VFMLA  V26.D2, V10.D2, V18.D2
	VFMLA  V26.D2, V11.D2, V19.D2
	WORD   $0x6ee1fa08 // FSQRT V8.2D, V16.2D
	WORD   $0x6ee1fa29 // FSQRT V9.2D, V17.2D
	WORD   $0x6ee1fa4a // FSQRT V10.2D, V18.2D
	WORD   $0x6ee1fa6b // FSQRT V11.2D, V19.2D
	WORD   $0x6e7dfd08 // FDIV V8.2D, V8.2D, V29.2D
	WORD   $0x6e7dfd29 // FDIV V9.2D, V9.2D, V29.2D
	WORD   $0x6e7dfd4a // FDIV V10.2D, V10.2D, V29.2D
	WORD   $0x6e7dfd6b // FDIV V11.2D, V11.2D, V29.2D
	WORD   $0x4e7ed508 // FADD V8.2D, V8.2D, V30.2D
	WORD   $0x4e7ed529 // FADD V9.2D, V9.2D, V30.2D
	WORD   $0x4e7ed54a // FADD V10.2D, V10.2D, V30.2D
	WORD   $0x4e7ed56b // FADD V11.2D, V11.2D, V30.2D
	WORD   $0x4ee0d90c // FCMEQ V12.2D, V8.2D, #0.0
	WORD   $0x4ee0d92d // FCMEQ V13.2D, V9.2D, #0.0
	WORD   $0x4ee0d94e // FCMEQ V14.2D, V10.2D, #0.0
	WORD   $0x4ee0d96f // FCMEQ V15.2D, V11.2D, #0.0
	WORD   $0x6e68fe88 // FDIV V8.2D, V20.2D, V8.2D
	WORD   $0x6e69fea9 // FDIV V9.2D, V21.2D, V9.2D
	WORD   $0x6e6afeca // FDIV V10.2D, V22.2D, V10.2D
	WORD   $0x6e6bfeeb // FDIV V11.2D, V23.2D, V11.2D
	VBIT   V12.B16, V31.B16, V8.B16 // m'/d = 0 where d = 0
	VBIT   V13.B16, V31.B16, V9.B16
	VBIT   V14.B16, V31.B16, V10.B16
	VBIT   V15.B16, V31.B16, V11.B16
	VFMLS  V28.D2, V8.D2, V0.D2 // θ −= (m'/d)·stepSize
	VFMLS  V28.D2, V9.D2, V1.D2
	VFMLS  V28.D2, V10.D2, V2.D2
	VFMLS  V28.D2, V11.D2, V3.D2
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R0)
	VST1.P [V20.D2, V21.D2, V22.D2, V23.D2], 64(R1)
	VST1.P [V16.D2, V17.D2, V18.D2, V19.D2], 64(R2)
	SUB    $8, R4
	CMP    $8, R4
	BGE    loop8

pairs:
	CMP    $2, R4
	BLT    tail
	VLD1   (R0), [V0.D2]
	VLD1   (R1), [V4.D2]
	VLD1   (R2), [V8.D2]
	VLD1.P 16(R3), [V12.D2]

one:
	WORD   $0x6e79dd94 // FMUL V20.2D, V12.2D, V25.2D
	VFMLA  V24.D2, V4.D2, V20.D2 // m' = β1·m + (1−β1)·g
	WORD   $0x6e6cdd90 // FMUL V16.2D, V12.2D, V12.2D
	WORD   $0x6e7bde10 // FMUL V16.2D, V16.2D, V27.2D
	VFMLA  V26.D2, V8.D2, V16.D2 // v' = β2·v + (1−β2)·g²
	WORD   $0x6ee1fa08 // FSQRT V8.2D, V16.2D
	WORD   $0x6e7dfd08 // FDIV V8.2D, V8.2D, V29.2D
	WORD   $0x4e7ed508 // FADD V8.2D, V8.2D, V30.2D
	WORD   $0x4ee0d90c // FCMEQ V12.2D, V8.2D, #0.0
	WORD   $0x6e68fe88 // FDIV V8.2D, V20.2D, V8.2D
	VBIT   V12.B16, V31.B16, V8.B16 // m'/d = 0 where d = 0
	VFMLS  V28.D2, V8.D2, V0.D2 // θ −= (m'/d)·stepSize
	CMP    $2, R4
	BLT    store1 // came from the scalar tail
	VST1.P [V0.D2], 16(R0)
	VST1.P [V20.D2], 16(R1)
	VST1.P [V16.D2], 16(R2)
	SUB    $2, R4
	B      pairs

tail:
	CBZ   R4, done
	FMOVD (R0), F0
	FMOVD (R1), F4
	FMOVD (R2), F8
	FMOVD (R3), F12
	B     one

store1:
	FMOVD F0, (R0)
	FMOVD F20, (R1)
	FMOVD F16, (R2)

done:
	RET
