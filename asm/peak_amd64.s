//go:build !purego

#include "textflag.h"

DATA peakone<>+0(SB)/8, $0x3ff0000000000000
GLOBL peakone<>(SB), RODATA|NOPTR, $8

// func peakFMAAVX2(n int)
//
// The FMA throughput ceiling: n iterations of 12 independent VFMADD231PD
// on ymm (12·4·2 = 96 flops per iteration). 12 chains cover the FMA
// latency (4–5 cycles) on two FMA pipes with room to spare.
// Arguments: n (CX).
// Registers: Y0..Y11 = accumulators (+= 1·1, so they stay small and
// normal), Y15 = 1.0.
TEXT ·peakFMAAVX2(SB), NOSPLIT, $0-8
	MOVQ         n+0(FP), CX
	VBROADCASTSD peakone<>(SB), Y15
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3
	VXORPD       Y4, Y4, Y4
	VXORPD       Y5, Y5, Y5
	VXORPD       Y6, Y6, Y6
	VXORPD       Y7, Y7, Y7
	VXORPD       Y8, Y8, Y8
	VXORPD       Y9, Y9, Y9
	VXORPD       Y10, Y10, Y10
	VXORPD       Y11, Y11, Y11
	TESTQ        CX, CX
	JLE          done

loop:
	VFMADD231PD Y15, Y15, Y0
	VFMADD231PD Y15, Y15, Y1
	VFMADD231PD Y15, Y15, Y2
	VFMADD231PD Y15, Y15, Y3
	VFMADD231PD Y15, Y15, Y4
	VFMADD231PD Y15, Y15, Y5
	VFMADD231PD Y15, Y15, Y6
	VFMADD231PD Y15, Y15, Y7
	VFMADD231PD Y15, Y15, Y8
	VFMADD231PD Y15, Y15, Y9
	VFMADD231PD Y15, Y15, Y10
	VFMADD231PD Y15, Y15, Y11
	DECQ        CX
	JNZ         loop

done:
	VZEROUPPER
	RET

// func peakFMAAVX512(n int)
//
// As peakFMAAVX2 on zmm: 12 independent VFMADD231PD per iteration,
// 12·8·2 = 192 flops.
// Arguments: n (CX).
// Registers: Z0..Z11 = accumulators, Z31 = 1.0.
TEXT ·peakFMAAVX512(SB), NOSPLIT, $0-8
	MOVQ         n+0(FP), CX
	VBROADCASTSD peakone<>(SB), Z31
	VPXORQ       Z0, Z0, Z0
	VPXORQ       Z1, Z1, Z1
	VPXORQ       Z2, Z2, Z2
	VPXORQ       Z3, Z3, Z3
	VPXORQ       Z4, Z4, Z4
	VPXORQ       Z5, Z5, Z5
	VPXORQ       Z6, Z6, Z6
	VPXORQ       Z7, Z7, Z7
	VPXORQ       Z8, Z8, Z8
	VPXORQ       Z9, Z9, Z9
	VPXORQ       Z10, Z10, Z10
	VPXORQ       Z11, Z11, Z11
	TESTQ        CX, CX
	JLE          done

loop:
	VFMADD231PD Z31, Z31, Z0
	VFMADD231PD Z31, Z31, Z1
	VFMADD231PD Z31, Z31, Z2
	VFMADD231PD Z31, Z31, Z3
	VFMADD231PD Z31, Z31, Z4
	VFMADD231PD Z31, Z31, Z5
	VFMADD231PD Z31, Z31, Z6
	VFMADD231PD Z31, Z31, Z7
	VFMADD231PD Z31, Z31, Z8
	VFMADD231PD Z31, Z31, Z9
	VFMADD231PD Z31, Z31, Z10
	VFMADD231PD Z31, Z31, Z11
	DECQ        CX
	JNZ         loop

done:
	VZEROUPPER
	RET
