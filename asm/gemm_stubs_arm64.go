//go:build !purego

package asm

//go:noescape
func gemm4x8NEON(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)

// registerGemmArch registers the NEON micro-kernel.
func registerGemmArch() {
	gemmTables[NEON] = &gemmKernels{mr: 4, nr: 8, tile: gemm4x8NEON}
}
