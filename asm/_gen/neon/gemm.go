package main

import (
	"fmt"

	. "github.com/margo-lab/margo/asm/_gen/arm64"
)

// gemm writes asm/gemm_arm64.s: the 4×8 micro-kernel gemm4x8NEON.
func gemm(f *File) {
	const rows, cols = 4, 4 // rows of C, vectors (of 2 columns) per row
	fn := f.Func("func gemm4x8NEON(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)",
		"The NEON GEMM micro-kernel; its meaning is gemmTileGeneric (asm/gemm.go):",
		"",
		"\tC[i][j] = Σ_{p<k} a[p·lda+i]·b[p·ldb+j] + β·C[i][j],  C not read when β = 0,",
		"",
		"one fused multiply-add per p in increasing p from +0, then fma(β, C, acc).",
		"The caller (tileCols) guarantees k ≥ 1 and in-bounds panels.",
		"",
		"Tile 4 rows × 8 columns (2 doubles per register): row i of C is the",
		"accumulators V(4i)..V(4i+3), sixteen registers pinned for the k loop.",
		"Registers:",
		"\tR0  a panel; VLD1R.P steps it by 8 per row, R4 = lda·8 − 32 finishes the p step",
		"\tR1  b panel, R5 = ldb·8      R2  current C row, R6 = ldc·8",
		"\tR3  remaining k              R7  β's bits without the sign (0 ⇔ β = ±0)",
		"\tV16-V19  b[p][0..8)          V20-V23  a[p][i] replicated in both lanes",
		"\tV24-V27  a row of C          V28      β replicated",
		"Per p: one VLD1 of four registers for B, four VLD1R for A, 16 VFMLA",
		"(Vd += Vn·Vm, fused). Only VFMLA is needed: Go's arm64 assembler has it.")
	fn.I("MOVD", fn.Arg("k"), R3)
	for _, s := range []struct {
		arg, ld string
		base    R
	}{{"a", "lda", R0}, {"b", "ldb", R1}, {"c", "ldc", R2}} {
		fn.I("MOVD", fn.Arg(s.arg), s.base)
		fn.I("MOVD", fn.Arg(s.ld), s.base+4)
		fn.I("LSL", "$3", s.base+4)
		if s.base == R0 {
			fn.I("SUB", fmt.Sprintf("$%d", 8*rows), R4)
		}
	}
	fn.Zero(Vs(0, rows*cols)...)
	fn.I("CBZ", R3, "store")

	fn.Label("loop")
	fn.Load(Vecs(cols), false, R1, 16)
	fn.I("ADD", R5, R1)
	for i := range rows {
		fn.I("VLD1R.P", "8(R0)", List(V(20+i)))
	}
	fn.I("ADD", R4, R0)
	for i := range rows {
		for j := range cols {
			fn.I("VFMLA", V(16+j).D2(), V(20+i).D2(), V(cols*i+j).D2())
		}
	}
	fn.I("SUBS", "$1", R3)
	fn.I("BNE", "loop")

	// rowsOut stores the accumulator rows to C, ldc apart, each through
	// row(i) first.
	rowsOut := func(row func(i int)) {
		for i := range rows {
			if i > 0 {
				fn.I("ADD", R6, R2)
			}
			row(i)
			fn.Store(Vecs(cols), false, R2, V(cols*i))
		}
		fn.I("RET")
	}
	fn.Label("store")
	fn.I("MOVD", fn.Arg("beta"), R7)
	fn.I("LSL", "$1", R7)
	fn.I("CBZ", R7, "overwrite")
	fn.I("MOVD", "$"+fn.Arg("beta"), R8)
	fn.I("VLD1R", "(R8)", List(28))
	rowsOut(func(i int) {
		fn.Load(Vecs(cols), false, R2, 24)
		for j := range cols {
			fn.I("VFMLA", V(24+j).D2(), V(28).D2(), V(cols*i+j).D2())
		}
	})
	fn.Label("overwrite")
	rowsOut(func(int) {})
}
