//go:build !purego

#include "textflag.h"

// GEMM micro-kernels and FMA peak loops for amd64. The meaning of a
// micro-kernel is gemmTileGeneric (asm/gemm.go):
//
//	C[i][j] = Σ_{p<k} a[p·lda+i]·b[p·ldb+j] + β·C[i][j],  C not read when β = 0,
//
// each element summed with one FMA per p in increasing p, starting from +0,
// and finished with fma(β, C, acc): bitwise the same as the generic kernel.
// The caller (GemmTile, GemmStrip) guarantees k ≥ 1 and in-bounds panels.
//
// The full-width kernels (gemm8x24AVX512, gemm4x12AVX2) are strips: they
// run tiles ≥ 1 tiles down C that share the B panel, tile t reading the A
// panel at a + t·aStep values and writing C rows [t·mr, t·mr+mr); GemmTile
// calls them with tiles = 1. One call per strip instead of one per tile
// saves the Go-side call and checks, 3–5 % of a product (asm/gemm.go).
//
// Shared register roles:
//	CX  remaining k          AX  a panel (moves lda·8 bytes per p)
//	BX  b panel (ldb·8/p)    DX  current C row (moves ldc·8 bytes per row)
//	R8  lda·8   R9  ldb·8    R10 ldc·8
//	strips: DI  this tile's a panel    SI  this tile's first C row
//	        R12 aStep·8                R13 tiles left (k and b are reloaded
//	        from the arguments for each tile)
//	R11 first the row pointer of the C prefetch (PREFETCHT0 of every line of
//	    the tile before the k loop, so that the epilogue finds C in L1), then
//	    β's bits without the sign (0 ⇔ β = ±0)

// func gemm8x24AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64, tiles int, aStep int)
//
// Tile 8 rows × 24 columns: row i of C is the accumulators Z(3i), Z(3i+1),
// Z(3i+2) (columns 0-7, 8-15, 16-23): 24 zmm pinned for the whole k loop.
// Per p: Z24-Z26 load b[p][0..24), then for each row i one VBROADCASTSD of
// a[p][i] (Z27/Z28 alternating) and three VFMADD231PD. That is 24 FMAs per
// 3 vector loads + 8 broadcasts. No unrolling: the body is already 35
// instructions and the FMA chains (24 independent) hide the FMA latency.
// FMAs with embedded broadcasts instead (VFMADD231PD.BCST, 24 memory
// operands per p) ran 8–15 % slower here (2026-11-27): the load ports, not
// the broadcasts, are then the limit.
// The epilogue: β = 0 stores the accumulators; otherwise Z29 = β broadcast
// and acc = fma(β, C, acc) with C as memory operand, then store.
TEXT ·gemm8x24AVX512(SB), NOSPLIT, $0-80
	MOVQ lda+16(FP), R8
	SHLQ $3, R8
	MOVQ ldb+32(FP), R9
	SHLQ $3, R9
	MOVQ ldc+48(FP), R10
	SHLQ $3, R10
	MOVQ tiles+64(FP), R13
	MOVQ aStep+72(FP), R12
	SHLQ $3, R12
	MOVQ a+8(FP), DI
	MOVQ c+40(FP), SI

avx512tile:
	MOVQ k+0(FP), CX
	MOVQ DI, AX
	MOVQ b+24(FP), BX
	MOVQ SI, DX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	VPXORQ Z20, Z20, Z20
	VPXORQ Z21, Z21, Z21
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23
	// Prefetch the C tile (8 rows × 192 bytes, up to 4 lines each) so that
	// the epilogue does not wait for it. Measured 2026-11-27 14:55 UTC (1
	// thread, 6 alternating rounds): without it the four large benchmark
	// products lose 2–8 % (NT 250×2048×1024 the most); prefetching the next
	// tile's C instead, a whole tile ahead, moved them by −2.5 to +4.4 %,
	// no gain overall.
	MOVQ DX, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 128(R11)
	PREFETCHT0 191(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 128(R11)
	PREFETCHT0 191(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 128(R11)
	PREFETCHT0 191(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 128(R11)
	PREFETCHT0 191(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 128(R11)
	PREFETCHT0 191(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 128(R11)
	PREFETCHT0 191(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 128(R11)
	PREFETCHT0 191(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 128(R11)
	PREFETCHT0 191(R11)
	TESTQ CX, CX
	JLE  avx512store

avx512loop:
	VMOVUPD (BX), Z24
	VMOVUPD 64(BX), Z25
	VMOVUPD 128(BX), Z26
	VBROADCASTSD (AX), Z27
	VFMADD231PD Z24, Z27, Z0
	VFMADD231PD Z25, Z27, Z1
	VFMADD231PD Z26, Z27, Z2
	VBROADCASTSD 8(AX), Z28
	VFMADD231PD Z24, Z28, Z3
	VFMADD231PD Z25, Z28, Z4
	VFMADD231PD Z26, Z28, Z5
	VBROADCASTSD 16(AX), Z27
	VFMADD231PD Z24, Z27, Z6
	VFMADD231PD Z25, Z27, Z7
	VFMADD231PD Z26, Z27, Z8
	VBROADCASTSD 24(AX), Z28
	VFMADD231PD Z24, Z28, Z9
	VFMADD231PD Z25, Z28, Z10
	VFMADD231PD Z26, Z28, Z11
	VBROADCASTSD 32(AX), Z27
	VFMADD231PD Z24, Z27, Z12
	VFMADD231PD Z25, Z27, Z13
	VFMADD231PD Z26, Z27, Z14
	VBROADCASTSD 40(AX), Z28
	VFMADD231PD Z24, Z28, Z15
	VFMADD231PD Z25, Z28, Z16
	VFMADD231PD Z26, Z28, Z17
	VBROADCASTSD 48(AX), Z27
	VFMADD231PD Z24, Z27, Z18
	VFMADD231PD Z25, Z27, Z19
	VFMADD231PD Z26, Z27, Z20
	VBROADCASTSD 56(AX), Z28
	VFMADD231PD Z24, Z28, Z21
	VFMADD231PD Z25, Z28, Z22
	VFMADD231PD Z26, Z28, Z23
	ADDQ R8, AX
	ADDQ R9, BX
	DECQ CX
	JNZ  avx512loop

avx512store:
	MOVQ beta+56(FP), R11
	SHLQ $1, R11
	JZ   avx512overwrite
	VBROADCASTSD beta+56(FP), Z29
	VFMADD231PD (DX), Z29, Z0
	VFMADD231PD 64(DX), Z29, Z1
	VFMADD231PD 128(DX), Z29, Z2
	VMOVUPD Z0, (DX)
	VMOVUPD Z1, 64(DX)
	VMOVUPD Z2, 128(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z3
	VFMADD231PD 64(DX), Z29, Z4
	VFMADD231PD 128(DX), Z29, Z5
	VMOVUPD Z3, (DX)
	VMOVUPD Z4, 64(DX)
	VMOVUPD Z5, 128(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z6
	VFMADD231PD 64(DX), Z29, Z7
	VFMADD231PD 128(DX), Z29, Z8
	VMOVUPD Z6, (DX)
	VMOVUPD Z7, 64(DX)
	VMOVUPD Z8, 128(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z9
	VFMADD231PD 64(DX), Z29, Z10
	VFMADD231PD 128(DX), Z29, Z11
	VMOVUPD Z9, (DX)
	VMOVUPD Z10, 64(DX)
	VMOVUPD Z11, 128(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z12
	VFMADD231PD 64(DX), Z29, Z13
	VFMADD231PD 128(DX), Z29, Z14
	VMOVUPD Z12, (DX)
	VMOVUPD Z13, 64(DX)
	VMOVUPD Z14, 128(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z15
	VFMADD231PD 64(DX), Z29, Z16
	VFMADD231PD 128(DX), Z29, Z17
	VMOVUPD Z15, (DX)
	VMOVUPD Z16, 64(DX)
	VMOVUPD Z17, 128(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z18
	VFMADD231PD 64(DX), Z29, Z19
	VFMADD231PD 128(DX), Z29, Z20
	VMOVUPD Z18, (DX)
	VMOVUPD Z19, 64(DX)
	VMOVUPD Z20, 128(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z21
	VFMADD231PD 64(DX), Z29, Z22
	VFMADD231PD 128(DX), Z29, Z23
	VMOVUPD Z21, (DX)
	VMOVUPD Z22, 64(DX)
	VMOVUPD Z23, 128(DX)
	JMP avx512next

avx512overwrite:
	VMOVUPD Z0, (DX)
	VMOVUPD Z1, 64(DX)
	VMOVUPD Z2, 128(DX)
	ADDQ R10, DX
	VMOVUPD Z3, (DX)
	VMOVUPD Z4, 64(DX)
	VMOVUPD Z5, 128(DX)
	ADDQ R10, DX
	VMOVUPD Z6, (DX)
	VMOVUPD Z7, 64(DX)
	VMOVUPD Z8, 128(DX)
	ADDQ R10, DX
	VMOVUPD Z9, (DX)
	VMOVUPD Z10, 64(DX)
	VMOVUPD Z11, 128(DX)
	ADDQ R10, DX
	VMOVUPD Z12, (DX)
	VMOVUPD Z13, 64(DX)
	VMOVUPD Z14, 128(DX)
	ADDQ R10, DX
	VMOVUPD Z15, (DX)
	VMOVUPD Z16, 64(DX)
	VMOVUPD Z17, 128(DX)
	ADDQ R10, DX
	VMOVUPD Z18, (DX)
	VMOVUPD Z19, 64(DX)
	VMOVUPD Z20, 128(DX)
	ADDQ R10, DX
	VMOVUPD Z21, (DX)
	VMOVUPD Z22, 64(DX)
	VMOVUPD Z23, 128(DX)
	JMP avx512next

avx512next:
	// Next tile: the A panel aStep values on, C mr rows down.
	ADDQ R12, DI
	LEAQ (SI)(R10*8), SI
	DECQ R13
	JNZ  avx512tile
	VZEROUPPER
	RET

// func gemm4x12AVX2(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64, tiles int, aStep int)
//
// Tile 4 rows × 12 columns: row i of C is Y(3i), Y(3i+1), Y(3i+2); the
// twelve accumulators stay pinned. Per p: Y12-Y14 load b[p][0..12), then for
// each row one VBROADCASTSD of a[p][i] into Y15 and three VFMADD231PD: 12
// FMAs per 3 loads + 4 broadcasts, all 16 ymm registers in use. Epilogue as
// in the AVX-512 kernel, with β broadcast into Y15.
TEXT ·gemm4x12AVX2(SB), NOSPLIT, $0-80
	MOVQ lda+16(FP), R8
	SHLQ $3, R8
	MOVQ ldb+32(FP), R9
	SHLQ $3, R9
	MOVQ ldc+48(FP), R10
	SHLQ $3, R10
	MOVQ tiles+64(FP), R13
	MOVQ aStep+72(FP), R12
	SHLQ $3, R12
	MOVQ a+8(FP), DI
	MOVQ c+40(FP), SI

avx2tile:
	MOVQ k+0(FP), CX
	MOVQ DI, AX
	MOVQ b+24(FP), BX
	MOVQ SI, DX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	// Prefetch the C tile (4 rows × 96 bytes, up to 3 lines each).
	MOVQ DX, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 95(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 95(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 95(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 95(R11)
	TESTQ CX, CX
	JLE  avx2store

avx2loop:
	VMOVUPD (BX), Y12
	VMOVUPD 32(BX), Y13
	VMOVUPD 64(BX), Y14
	VBROADCASTSD (AX), Y15
	VFMADD231PD Y12, Y15, Y0
	VFMADD231PD Y13, Y15, Y1
	VFMADD231PD Y14, Y15, Y2
	VBROADCASTSD 8(AX), Y15
	VFMADD231PD Y12, Y15, Y3
	VFMADD231PD Y13, Y15, Y4
	VFMADD231PD Y14, Y15, Y5
	VBROADCASTSD 16(AX), Y15
	VFMADD231PD Y12, Y15, Y6
	VFMADD231PD Y13, Y15, Y7
	VFMADD231PD Y14, Y15, Y8
	VBROADCASTSD 24(AX), Y15
	VFMADD231PD Y12, Y15, Y9
	VFMADD231PD Y13, Y15, Y10
	VFMADD231PD Y14, Y15, Y11
	ADDQ R8, AX
	ADDQ R9, BX
	DECQ CX
	JNZ  avx2loop

avx2store:
	MOVQ beta+56(FP), R11
	SHLQ $1, R11
	JZ   avx2overwrite
	VBROADCASTSD beta+56(FP), Y15
	VFMADD231PD (DX), Y15, Y0
	VFMADD231PD 32(DX), Y15, Y1
	VFMADD231PD 64(DX), Y15, Y2
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Y15, Y3
	VFMADD231PD 32(DX), Y15, Y4
	VFMADD231PD 64(DX), Y15, Y5
	VMOVUPD Y3, (DX)
	VMOVUPD Y4, 32(DX)
	VMOVUPD Y5, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Y15, Y6
	VFMADD231PD 32(DX), Y15, Y7
	VFMADD231PD 64(DX), Y15, Y8
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	VMOVUPD Y8, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Y15, Y9
	VFMADD231PD 32(DX), Y15, Y10
	VFMADD231PD 64(DX), Y15, Y11
	VMOVUPD Y9, (DX)
	VMOVUPD Y10, 32(DX)
	VMOVUPD Y11, 64(DX)
	JMP avx2next

avx2overwrite:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, 64(DX)
	ADDQ R10, DX
	VMOVUPD Y3, (DX)
	VMOVUPD Y4, 32(DX)
	VMOVUPD Y5, 64(DX)
	ADDQ R10, DX
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	VMOVUPD Y8, 64(DX)
	ADDQ R10, DX
	VMOVUPD Y9, (DX)
	VMOVUPD Y10, 32(DX)
	VMOVUPD Y11, 64(DX)
	JMP avx2next

avx2next:
	// Next tile: the A panel aStep values on, C mr rows down.
	ADDQ R12, DI
	LEAQ (SI)(R10*4), SI
	DECQ R13
	JNZ  avx2tile
	VZEROUPPER
	RET

// func gemmPeakAVX512(n int)
//
// The FMA peak loop: n iterations of 24 independent VFMADD231PD on zmm
// (Z0-Z23 += Z24·Z25), i.e. n·24·16 flops, no memory traffic. It bounds
// what the AVX-512 micro-kernel can reach; the benchmarks report % of it.
TEXT ·gemmPeakAVX512(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	VPXORQ Z20, Z20, Z20
	VPXORQ Z21, Z21, Z21
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23
	VPXORQ Z24, Z24, Z24
	VPXORQ Z25, Z25, Z25
	TESTQ CX, CX
	JLE  peak512done

peak512loop:
	VFMADD231PD Z24, Z25, Z0
	VFMADD231PD Z24, Z25, Z1
	VFMADD231PD Z24, Z25, Z2
	VFMADD231PD Z24, Z25, Z3
	VFMADD231PD Z24, Z25, Z4
	VFMADD231PD Z24, Z25, Z5
	VFMADD231PD Z24, Z25, Z6
	VFMADD231PD Z24, Z25, Z7
	VFMADD231PD Z24, Z25, Z8
	VFMADD231PD Z24, Z25, Z9
	VFMADD231PD Z24, Z25, Z10
	VFMADD231PD Z24, Z25, Z11
	VFMADD231PD Z24, Z25, Z12
	VFMADD231PD Z24, Z25, Z13
	VFMADD231PD Z24, Z25, Z14
	VFMADD231PD Z24, Z25, Z15
	VFMADD231PD Z24, Z25, Z16
	VFMADD231PD Z24, Z25, Z17
	VFMADD231PD Z24, Z25, Z18
	VFMADD231PD Z24, Z25, Z19
	VFMADD231PD Z24, Z25, Z20
	VFMADD231PD Z24, Z25, Z21
	VFMADD231PD Z24, Z25, Z22
	VFMADD231PD Z24, Z25, Z23
	DECQ CX
	JNZ  peak512loop

peak512done:
	VZEROUPPER
	RET

// func gemmPeakAVX2(n int)
//
// As gemmPeakAVX512 with ymm: n iterations of 12 independent VFMADD231PD
// (Y0-Y11 += Y12·Y13), i.e. n·12·8 flops.
TEXT ·gemmPeakAVX2(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	TESTQ CX, CX
	JLE  peak2done

peak2loop:
	VFMADD231PD Y12, Y13, Y0
	VFMADD231PD Y12, Y13, Y1
	VFMADD231PD Y12, Y13, Y2
	VFMADD231PD Y12, Y13, Y3
	VFMADD231PD Y12, Y13, Y4
	VFMADD231PD Y12, Y13, Y5
	VFMADD231PD Y12, Y13, Y6
	VFMADD231PD Y12, Y13, Y7
	VFMADD231PD Y12, Y13, Y8
	VFMADD231PD Y12, Y13, Y9
	VFMADD231PD Y12, Y13, Y10
	VFMADD231PD Y12, Y13, Y11
	DECQ CX
	JNZ  peak2loop

peak2done:
	VZEROUPPER
	RET

// func gemmPack8AVX512(out *float64, ld int, src *float64, s int, blocks int)
//
// The transposing pack of tensor's GEMM, eight columns of p at a time:
//
//	out[p·ld+r] = src[r·s+p]   for r < 8, p < 8·blocks
//
// (eight stored rows of length ≥ 8·blocks become 8·blocks packed rows of
// eight). The caller (GemmPack8) guarantees blocks ≥ 1 and in-bounds
// slices; it packs the p tail (< 8) itself.
//
// Registers:
//	SI  rows 0-3 (src, advancing 64 bytes per block)   R9  s·8   R10 3·s·8
//	R11 rows 4-7 (SI + 4·s·8)
//	DI  out rows p = 0-3 of the block (advancing 8·ld·8) R8  ld·8  R12 3·ld·8
//	R13 out rows p = 4-7 (DI + 4·ld·8)                  CX  blocks left
//	Z0-Z7 the eight source rows, Z8-Z15 and Z16-Z23 the transpose stages.
//
// Loop (one 8×8 block per iteration): load row r into Zr; stage 1,
// VUNPCKLPD/VUNPCKHPD of row pairs (0,1), (2,3), (4,5), (6,7) give
// [x0 y0 x2 y2 x4 y4 x6 y6] and [x1 y1 x3 y3 …]; stage 2, VSHUFF64X2 $0x88
// and $0xDD of the (01, 23) and (45, 67) results gather the 128-bit lanes
// 0,2 and 1,3 of each; stage 3, the same two shuffles across the (0123,
// 4567) results give columns 0/4, 2/6 (even) and 1/5, 3/7 (odd), each
// [r0 r1 … r7], stored at out + p·ld. Pure data movement: the values are
// copied bit for bit (gemmPack8Generic is the twin).
TEXT ·gemmPack8AVX512(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ ld+8(FP), R8
	SHLQ $3, R8
	MOVQ src+16(FP), SI
	MOVQ s+24(FP), R9
	SHLQ $3, R9
	MOVQ blocks+32(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (SI)(R9*4), R11
	LEAQ (R8)(R8*2), R12
	LEAQ (DI)(R8*4), R13

pack8loop:
	VMOVUPD (SI), Z0
	VMOVUPD (SI)(R9*1), Z1
	VMOVUPD (SI)(R9*2), Z2
	VMOVUPD (SI)(R10*1), Z3
	VMOVUPD (R11), Z4
	VMOVUPD (R11)(R9*1), Z5
	VMOVUPD (R11)(R9*2), Z6
	VMOVUPD (R11)(R10*1), Z7
	// stage 1: Z8 = lo(0,1), Z9 = hi(0,1), Z10 = lo(2,3), Z11 = hi(2,3), …
	VUNPCKLPD Z1, Z0, Z8
	VUNPCKHPD Z1, Z0, Z9
	VUNPCKLPD Z3, Z2, Z10
	VUNPCKHPD Z3, Z2, Z11
	VUNPCKLPD Z5, Z4, Z12
	VUNPCKHPD Z5, Z4, Z13
	VUNPCKLPD Z7, Z6, Z14
	VUNPCKHPD Z7, Z6, Z15
	// stage 2: lanes (0,2) and (1,3) of the 01 result, then of the 23
	// result: Z16 = [01 p0, 01 p4, 23 p0, 23 p4], Z17 = same for p2/p6, …
	VSHUFF64X2 $0x88, Z10, Z8, Z16
	VSHUFF64X2 $0xDD, Z10, Z8, Z17
	VSHUFF64X2 $0x88, Z11, Z9, Z18
	VSHUFF64X2 $0xDD, Z11, Z9, Z19
	VSHUFF64X2 $0x88, Z14, Z12, Z20
	VSHUFF64X2 $0xDD, Z14, Z12, Z21
	VSHUFF64X2 $0x88, Z15, Z13, Z22
	VSHUFF64X2 $0xDD, Z15, Z13, Z23
	// stage 3: columns p = 0, 4, 2, 6, 1, 5, 3, 7.
	VSHUFF64X2 $0x88, Z20, Z16, Z0
	VSHUFF64X2 $0xDD, Z20, Z16, Z4
	VSHUFF64X2 $0x88, Z21, Z17, Z2
	VSHUFF64X2 $0xDD, Z21, Z17, Z6
	VSHUFF64X2 $0x88, Z22, Z18, Z1
	VSHUFF64X2 $0xDD, Z22, Z18, Z5
	VSHUFF64X2 $0x88, Z23, Z19, Z3
	VSHUFF64X2 $0xDD, Z23, Z19, Z7
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, (DI)(R8*1)
	VMOVUPD Z2, (DI)(R8*2)
	VMOVUPD Z3, (DI)(R12*1)
	VMOVUPD Z4, (R13)
	VMOVUPD Z5, (R13)(R8*1)
	VMOVUPD Z6, (R13)(R8*2)
	VMOVUPD Z7, (R13)(R12*1)
	ADDQ $64, SI
	ADDQ $64, R11
	LEAQ (DI)(R8*8), DI
	LEAQ (R13)(R8*8), R13
	DECQ CX
	JNZ  pack8loop
	VZEROUPPER
	RET

// func gemm8x16AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)
//
// The narrow sibling of gemm8x24AVX512 for the last column panel of a
// product whose width leaves 16 or fewer columns (tensor.Gemm reads the
// same 24-wide packed B panel and uses only its first 16 columns): tile 8
// rows × 16 columns, same registers (CX, AX, BX, DX, R8-R11) and the same
// per-element FMA sequence, so its tile is bitwise the first 16 columns of
// the 24-wide one. Row i of C is Z(2i+0) and Z(2i+1) (16 accumulators); per p:
// Z24-Z25 load b[p][0..16), then per row one VBROADCASTSD of a[p][i]
// (Z27/Z28 alternating) and two VFMADD231PD. Epilogue as in gemm8x24AVX512.
TEXT ·gemm8x16AVX512(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	SHLQ $3, R8
	MOVQ b+24(FP), BX
	MOVQ ldb+32(FP), R9
	SHLQ $3, R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $3, R10
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	// Prefetch the C tile (8 rows × 128 bytes).
	MOVQ DX, R11
	PREFETCHT0 (R11)
	PREFETCHT0 127(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 127(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 127(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 127(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 127(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 127(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 127(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 127(R11)
	TESTQ CX, CX
	JLE  avx512x16store

avx512x16loop:
	VMOVUPD (BX), Z24
	VMOVUPD 64(BX), Z25
	VBROADCASTSD (AX), Z27
	VFMADD231PD Z24, Z27, Z0
	VFMADD231PD Z25, Z27, Z1
	VBROADCASTSD 8(AX), Z28
	VFMADD231PD Z24, Z28, Z2
	VFMADD231PD Z25, Z28, Z3
	VBROADCASTSD 16(AX), Z27
	VFMADD231PD Z24, Z27, Z4
	VFMADD231PD Z25, Z27, Z5
	VBROADCASTSD 24(AX), Z28
	VFMADD231PD Z24, Z28, Z6
	VFMADD231PD Z25, Z28, Z7
	VBROADCASTSD 32(AX), Z27
	VFMADD231PD Z24, Z27, Z8
	VFMADD231PD Z25, Z27, Z9
	VBROADCASTSD 40(AX), Z28
	VFMADD231PD Z24, Z28, Z10
	VFMADD231PD Z25, Z28, Z11
	VBROADCASTSD 48(AX), Z27
	VFMADD231PD Z24, Z27, Z12
	VFMADD231PD Z25, Z27, Z13
	VBROADCASTSD 56(AX), Z28
	VFMADD231PD Z24, Z28, Z14
	VFMADD231PD Z25, Z28, Z15
	ADDQ R8, AX
	ADDQ R9, BX
	DECQ CX
	JNZ  avx512x16loop

avx512x16store:
	MOVQ beta+56(FP), R11
	SHLQ $1, R11
	JZ   avx512x16overwrite
	VBROADCASTSD beta+56(FP), Z29
	VFMADD231PD (DX), Z29, Z0
	VFMADD231PD 64(DX), Z29, Z1
	VMOVUPD Z0, (DX)
	VMOVUPD Z1, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z2
	VFMADD231PD 64(DX), Z29, Z3
	VMOVUPD Z2, (DX)
	VMOVUPD Z3, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z4
	VFMADD231PD 64(DX), Z29, Z5
	VMOVUPD Z4, (DX)
	VMOVUPD Z5, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z6
	VFMADD231PD 64(DX), Z29, Z7
	VMOVUPD Z6, (DX)
	VMOVUPD Z7, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z8
	VFMADD231PD 64(DX), Z29, Z9
	VMOVUPD Z8, (DX)
	VMOVUPD Z9, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z10
	VFMADD231PD 64(DX), Z29, Z11
	VMOVUPD Z10, (DX)
	VMOVUPD Z11, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z12
	VFMADD231PD 64(DX), Z29, Z13
	VMOVUPD Z12, (DX)
	VMOVUPD Z13, 64(DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z14
	VFMADD231PD 64(DX), Z29, Z15
	VMOVUPD Z14, (DX)
	VMOVUPD Z15, 64(DX)
	VZEROUPPER
	RET

avx512x16overwrite:
	VMOVUPD Z0, (DX)
	VMOVUPD Z1, 64(DX)
	ADDQ R10, DX
	VMOVUPD Z2, (DX)
	VMOVUPD Z3, 64(DX)
	ADDQ R10, DX
	VMOVUPD Z4, (DX)
	VMOVUPD Z5, 64(DX)
	ADDQ R10, DX
	VMOVUPD Z6, (DX)
	VMOVUPD Z7, 64(DX)
	ADDQ R10, DX
	VMOVUPD Z8, (DX)
	VMOVUPD Z9, 64(DX)
	ADDQ R10, DX
	VMOVUPD Z10, (DX)
	VMOVUPD Z11, 64(DX)
	ADDQ R10, DX
	VMOVUPD Z12, (DX)
	VMOVUPD Z13, 64(DX)
	ADDQ R10, DX
	VMOVUPD Z14, (DX)
	VMOVUPD Z15, 64(DX)
	VZEROUPPER
	RET

// func gemm8x8AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)
//
// The narrow sibling of gemm8x24AVX512 for the last column panel of a
// product whose width leaves 8 or fewer columns (tensor.Gemm reads the
// same 24-wide packed B panel and uses only its first 8 columns): tile 8
// rows × 8 columns, same registers (CX, AX, BX, DX, R8-R11) and the same
// per-element FMA sequence, so its tile is bitwise the first 8 columns of
// the 24-wide one. Row i of C is Zi (8 accumulators); per p:
// Z24 loads b[p][0..8), then per row one VBROADCASTSD of a[p][i]
// (Z27/Z28 alternating) and one VFMADD231PD. Epilogue as in gemm8x24AVX512.
TEXT ·gemm8x8AVX512(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	SHLQ $3, R8
	MOVQ b+24(FP), BX
	MOVQ ldb+32(FP), R9
	SHLQ $3, R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $3, R10
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	// Prefetch the C tile (8 rows × 64 bytes).
	MOVQ DX, R11
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	ADDQ R10, R11
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	TESTQ CX, CX
	JLE  avx512x8store

avx512x8loop:
	VMOVUPD (BX), Z24
	VBROADCASTSD (AX), Z27
	VFMADD231PD Z24, Z27, Z0
	VBROADCASTSD 8(AX), Z28
	VFMADD231PD Z24, Z28, Z1
	VBROADCASTSD 16(AX), Z27
	VFMADD231PD Z24, Z27, Z2
	VBROADCASTSD 24(AX), Z28
	VFMADD231PD Z24, Z28, Z3
	VBROADCASTSD 32(AX), Z27
	VFMADD231PD Z24, Z27, Z4
	VBROADCASTSD 40(AX), Z28
	VFMADD231PD Z24, Z28, Z5
	VBROADCASTSD 48(AX), Z27
	VFMADD231PD Z24, Z27, Z6
	VBROADCASTSD 56(AX), Z28
	VFMADD231PD Z24, Z28, Z7
	ADDQ R8, AX
	ADDQ R9, BX
	DECQ CX
	JNZ  avx512x8loop

avx512x8store:
	MOVQ beta+56(FP), R11
	SHLQ $1, R11
	JZ   avx512x8overwrite
	VBROADCASTSD beta+56(FP), Z29
	VFMADD231PD (DX), Z29, Z0
	VMOVUPD Z0, (DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z1
	VMOVUPD Z1, (DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z2
	VMOVUPD Z2, (DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z3
	VMOVUPD Z3, (DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z4
	VMOVUPD Z4, (DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z5
	VMOVUPD Z5, (DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z6
	VMOVUPD Z6, (DX)
	ADDQ R10, DX
	VFMADD231PD (DX), Z29, Z7
	VMOVUPD Z7, (DX)
	VZEROUPPER
	RET

avx512x8overwrite:
	VMOVUPD Z0, (DX)
	ADDQ R10, DX
	VMOVUPD Z1, (DX)
	ADDQ R10, DX
	VMOVUPD Z2, (DX)
	ADDQ R10, DX
	VMOVUPD Z3, (DX)
	ADDQ R10, DX
	VMOVUPD Z4, (DX)
	ADDQ R10, DX
	VMOVUPD Z5, (DX)
	ADDQ R10, DX
	VMOVUPD Z6, (DX)
	ADDQ R10, DX
	VMOVUPD Z7, (DX)
	VZEROUPPER
	RET

// func gemmPack8AVX2(out *float64, ld int, src *float64, s int, blocks int)
//
// gemmPack8AVX512 for AVX2 (same meaning, arguments and registers SI, R9,
// R10, R11, DI, R8, R12, R13, CX): each block of eight p is two halves of
// four. A half loads rows 0-7 (four doubles each, Y0-Y7) and transposes
// rows 0-3 and rows 4-7 as two 4×4 blocks: VUNPCKLPD/VUNPCKHPD of row pairs
// give [x0 y0 x2 y2] and [x1 y1 x3 y3] (Y8-Y11, Y12-Y15), then VPERM2F128
// $0x20 and $0x31 join their low and high 128-bit halves into columns
// p = 0, 2 and 1, 3, each [r0 r1 r2 r3] (stored at out + p·ld) and
// [r4 r5 r6 r7] (at out + p·ld + 32 bytes).
TEXT ·gemmPack8AVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ ld+8(FP), R8
	SHLQ $3, R8
	MOVQ src+16(FP), SI
	MOVQ s+24(FP), R9
	SHLQ $3, R9
	MOVQ blocks+32(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (SI)(R9*4), R11
	LEAQ (R8)(R8*2), R12
	LEAQ (DI)(R8*4), R13

pack8avx2loop:
	// half 0: p = 0-3 of the block
	VMOVUPD (SI), Y0
	VMOVUPD (SI)(R9*1), Y1
	VMOVUPD (SI)(R9*2), Y2
	VMOVUPD (SI)(R10*1), Y3
	VMOVUPD (R11), Y4
	VMOVUPD (R11)(R9*1), Y5
	VMOVUPD (R11)(R9*2), Y6
	VMOVUPD (R11)(R10*1), Y7
	VUNPCKLPD Y1, Y0, Y8
	VUNPCKHPD Y1, Y0, Y9
	VUNPCKLPD Y3, Y2, Y10
	VUNPCKHPD Y3, Y2, Y11
	VUNPCKLPD Y5, Y4, Y12
	VUNPCKHPD Y5, Y4, Y13
	VUNPCKLPD Y7, Y6, Y14
	VUNPCKHPD Y7, Y6, Y15
	VPERM2F128 $0x20, Y10, Y8, Y0
	VPERM2F128 $0x31, Y10, Y8, Y2
	VPERM2F128 $0x20, Y11, Y9, Y1
	VPERM2F128 $0x31, Y11, Y9, Y3
	VPERM2F128 $0x20, Y14, Y12, Y4
	VPERM2F128 $0x31, Y14, Y12, Y6
	VPERM2F128 $0x20, Y15, Y13, Y5
	VPERM2F128 $0x31, Y15, Y13, Y7
	VMOVUPD Y0, (DI)
	VMOVUPD Y4, 32(DI)
	VMOVUPD Y1, (DI)(R8*1)
	VMOVUPD Y5, 32(DI)(R8*1)
	VMOVUPD Y2, (DI)(R8*2)
	VMOVUPD Y6, 32(DI)(R8*2)
	VMOVUPD Y3, (DI)(R12*1)
	VMOVUPD Y7, 32(DI)(R12*1)
	// half 1: p = 4-7 of the block
	VMOVUPD 32(SI), Y0
	VMOVUPD 32(SI)(R9*1), Y1
	VMOVUPD 32(SI)(R9*2), Y2
	VMOVUPD 32(SI)(R10*1), Y3
	VMOVUPD 32(R11), Y4
	VMOVUPD 32(R11)(R9*1), Y5
	VMOVUPD 32(R11)(R9*2), Y6
	VMOVUPD 32(R11)(R10*1), Y7
	VUNPCKLPD Y1, Y0, Y8
	VUNPCKHPD Y1, Y0, Y9
	VUNPCKLPD Y3, Y2, Y10
	VUNPCKHPD Y3, Y2, Y11
	VUNPCKLPD Y5, Y4, Y12
	VUNPCKHPD Y5, Y4, Y13
	VUNPCKLPD Y7, Y6, Y14
	VUNPCKHPD Y7, Y6, Y15
	VPERM2F128 $0x20, Y10, Y8, Y0
	VPERM2F128 $0x31, Y10, Y8, Y2
	VPERM2F128 $0x20, Y11, Y9, Y1
	VPERM2F128 $0x31, Y11, Y9, Y3
	VPERM2F128 $0x20, Y14, Y12, Y4
	VPERM2F128 $0x31, Y14, Y12, Y6
	VPERM2F128 $0x20, Y15, Y13, Y5
	VPERM2F128 $0x31, Y15, Y13, Y7
	VMOVUPD Y0, (R13)
	VMOVUPD Y4, 32(R13)
	VMOVUPD Y1, (R13)(R8*1)
	VMOVUPD Y5, 32(R13)(R8*1)
	VMOVUPD Y2, (R13)(R8*2)
	VMOVUPD Y6, 32(R13)(R8*2)
	VMOVUPD Y3, (R13)(R12*1)
	VMOVUPD Y7, 32(R13)(R12*1)
	ADDQ $64, SI
	ADDQ $64, R11
	LEAQ (DI)(R8*8), DI
	LEAQ (R13)(R8*8), R13
	DECQ CX
	JNZ  pack8avx2loop
	VZEROUPPER
	RET

// func gemmPackRowAVX512(out *float64, step int, src *float64, w, segs int)
//
// The plain pack of tensor's GEMM (GemmPackRow): segs segments of w values
// (w a multiple of 8) from consecutive src to out, out + step, …, one zmm
// load and store per eight values. The caller guarantees segs ≥ 1 and
// in-bounds slices.
//
// Registers:
//	SI  src (advancing 64 bytes per vector)   DI  this segment's out
//	R8  step·8                                R9  vectors per segment (w/8)
//	R10 out within the segment                DX  vectors left in it
//	CX  segments left                         Z0  the vector moved
TEXT ·gemmPackRowAVX512(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ step+8(FP), R8
	SHLQ $3, R8
	MOVQ src+16(FP), SI
	MOVQ w+24(FP), R9
	SHRQ $3, R9
	MOVQ segs+32(FP), CX

packrow512seg:
	MOVQ DI, R10
	MOVQ R9, DX

packrow512vec:
	VMOVUPD (SI), Z0
	VMOVUPD Z0, (R10)
	ADDQ $64, SI
	ADDQ $64, R10
	DECQ DX
	JNZ  packrow512vec
	ADDQ R8, DI
	DECQ CX
	JNZ  packrow512seg
	VZEROUPPER
	RET

// func gemmPackRowAVX2(out *float64, step int, src *float64, w, segs int)
//
// As gemmPackRowAVX512 with ymm: w a multiple of 4, R9 = w/4 vectors of 32
// bytes per segment.
TEXT ·gemmPackRowAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ step+8(FP), R8
	SHLQ $3, R8
	MOVQ src+16(FP), SI
	MOVQ w+24(FP), R9
	SHRQ $2, R9
	MOVQ segs+32(FP), CX

packrow2seg:
	MOVQ DI, R10
	MOVQ R9, DX

packrow2vec:
	VMOVUPD (SI), Y0
	VMOVUPD Y0, (R10)
	ADDQ $32, SI
	ADDQ $32, R10
	DECQ DX
	JNZ  packrow2vec
	ADDQ R8, DI
	DECQ CX
	JNZ  packrow2seg
	VZEROUPPER
	RET
