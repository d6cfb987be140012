//go:build !purego

package asm

// gemm8x24AVX512 and gemm4x12AVX2 are strips of tiles ≥ 1 tiles (see
// gemm_amd64.s and gemmKernels.strip).
//
//go:noescape
func gemm8x24AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64, tiles, aStep int)

// gemm8x16AVX512 and gemm8x8AVX512 are gemm8x24AVX512 on the first 16 or
// 8 columns only (the narrow variants for edge panels).
//
// gemm8x24PrefetchAVX512 is gemm8x24AVX512 with the A panel prefetched 8
// values of p ahead (the strip run where gemmPrefetchA).
//
//go:noescape
func gemm8x24PrefetchAVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64, tiles, aStep int)

//go:noescape
func gemm8x16AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)

//go:noescape
func gemm8x8AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)

//go:noescape
func gemm4x12AVX2(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64, tiles, aStep int)

//go:noescape
func gemmPack8AVX512(out *float64, ld int, src *float64, s int, blocks int)

//go:noescape
func gemmPack8AVX2(out *float64, ld int, src *float64, s int, blocks int)

// gemmPackRowAVX512 and gemmPackRowAVX2 are copySegs for w a multiple
// of 8 and of 4 (and ≥ 1 segments).
//
//go:noescape
func gemmPackRowAVX512(out *float64, step int, src *float64, w, segs int)

//go:noescape
func gemmPackRowAVX2(out *float64, step int, src *float64, w, segs int)

// gemmPeakAVX512 and gemmPeakAVX2 run n iterations of independent FMAs
// (n·384 and n·96 flops) in the micro-kernel's register layout:
// BenchmarkGemmPeak's measure of the FMA peak (PeakFMA is the exported
// one).
func gemmPeakAVX512(n int)
func gemmPeakAVX2(n int)

// The amd64 micro-kernels, the gemm entries of the tables in stubs_amd64.go.
var (
	gemmAVX512 = gemmKernels{mr: 8, nr: 24, tile: oneTile(gemm8x24AVX512), strip: gemm8x24AVX512, stripPrefetch: gemm8x24PrefetchAVX512,
		pack8: gemmPack8AVX512, packRow: gemmPackRowAVX512, packRowVec: 8,
		narrow: []gemmNarrow{{8, gemm8x8AVX512}, {16, gemm8x16AVX512}}}
	gemmAVX2 = gemmKernels{mr: 4, nr: 12, tile: oneTile(gemm4x12AVX2), strip: gemm4x12AVX2,
		pack8: gemmPack8AVX2, packRow: gemmPackRowAVX2, packRowVec: 4}
)
