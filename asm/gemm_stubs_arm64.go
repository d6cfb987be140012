//go:build !purego

package asm

//go:noescape
func gemm4x8NEON(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)

// gemmNEON is the NEON micro-kernel, the gemm entry of neonKernels
// (stubs_arm64.go).
var gemmNEON = gemmKernels{mr: 4, nr: 8, tile: gemm4x8NEON}
