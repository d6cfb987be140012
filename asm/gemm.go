package asm

//go:generate go -C _gen run ./gemm -out ../gemm_amd64.s
//go:generate go -C _gen run ./neon -family gemm -out ../gemm_arm64.s

import (
	"fmt"
	"math"
	"unsafe"
)

// The GEMM micro-kernel computes one register tile of C from two panels:
//
//	C[i][j] = Σ_{p<k} A[p][i]·B[p][j] + β·C[i][j]   (i < mr, j < nr)
//
// where the A panel holds, for each p, the mr values A[p][0..mr) contiguous
// at a[p·lda:], and the B panel the nr values B[p][0..nr) contiguous at
// b[p·ldb:]. Packed panels have lda = mr and ldb = nr; a larger stride lets
// a caller feed a row-major operand without packing it.
//
// Every level sums each element in the same order: the accumulator starts
// at +0 and takes one fused multiply-add per p in increasing p
// (acc = fma(A[p][i], B[p][j], acc)); the tile then becomes
// fma(β, C, acc), or plain acc when β = 0, so that C is not read then and a
// NaN in C does not propagate. On the same panels every level therefore
// writes bitwise the same tile, and the generic kernel is an exact reference.

// gemmKernels is one level's micro-kernel and its register tile shape
// (the gemm field of the level's kernels table).
type gemmKernels struct {
	mr, nr int
	tile   func(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)
	// strip, where the level has one, runs the full tile on tiles ≥ 1 row
	// tiles that share the B panel in one call: tile t reads the A panel at
	// a + t·aStep values and writes C rows [t·mr, t·mr+mr) (see stripCols).
	strip gemmStripFunc
	// stripPrefetch, where the level has one, is strip with a software
	// prefetch of the A panel a few values of p ahead: bitwise the same
	// tiles, run instead of strip when gemmPrefetchA.
	stripPrefetch gemmStripFunc
	// narrow holds variants of the tile for fewer columns (widths < nr in
	// increasing order), each bitwise the first w columns of the full tile.
	narrow []gemmNarrow
	// pack8 transposes blocks 8×8 blocks (see transpose8); nil where the
	// level has none, and transpose8 then runs the pure-Go twin.
	pack8 func(out *float64, ld int, src *float64, s int, blocks int)
	// packRow copies segments of w values (w a multiple of packRowVec) to
	// a stride (see copySegs); nil where the level has none.
	packRow    func(out *float64, step int, src *float64, w, segs int)
	packRowVec int
}

// gemmPrefetchA selects the strips that prefetch the A panel
// (stripPrefetch). registerArch sets it from what the processor reports:
// on Intel cores the prefetch gains 2–9 % on the benchmark products, on
// AMD Zen 5 it cost 1–4 % (docs/benchmarks.md, "GEMM design choices,
// measured"). Tests flip it to compare the two strips.
var gemmPrefetchA bool

type gemmStripFunc func(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64, tiles, aStep int)

// oneTile is a strip kernel used as a tile kernel (one tile).
func oneTile(strip gemmStripFunc) func(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64) {
	return func(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64) {
		strip(k, a, lda, b, ldb, c, ldc, beta, 1, 0)
	}
}

// gemmNarrow is a micro-kernel variant computing only the first w columns.
type gemmNarrow struct {
	w    int
	tile func(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)
}

// tileWidth returns the width of the narrowest variant of the micro-kernel
// that covers cols columns, for 1 ≤ cols ≤ nr: nr itself where the level
// has no narrower variant (AVX-512 has 8 and 16 beside 24). Out-of-range
// cols give nr.
func (g *gemmKernels) tileWidth(cols int) int {
	for _, v := range g.narrow {
		if cols <= v.w {
			return v.w
		}
	}
	return g.nr
}

// tileCols runs the micro-kernel on the first w columns of one mr×nr tile
// with k terms, w a width tileWidth returns (nr for the whole tile):
//
//	C[i·ldc+j] = Σ_{p<k} a[p·lda+i]·b[p·ldb+j] + β·C[i·ldc+j]   (i < mr, j < w)
//
// with C not read when β = 0. It needs lda ≥ mr, ldb ≥ w, ldc ≥ w and
// slices long enough for every element named above; otherwise it panics,
// as for an index out of range. Every level and every width computes
// bitwise the same columns: each element is +0 plus one fused multiply-add
// per term in increasing p, then fma(β, C, acc) (or acc when β = 0). Edge
// tiles of a product thus cost w, not nr, columns of work. Any other w
// panics.
func (g *gemmKernels) tileCols(w, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, beta float64) {
	if w == g.nr {
		g.tileW(w, g.tile, k, a, lda, b, ldb, c, ldc, beta)
		return
	}
	for _, v := range g.narrow {
		if v.w == w {
			g.tileW(w, v.tile, k, a, lda, b, ldb, c, ldc, beta)
			return
		}
	}
	panic(fmt.Sprintf("asm: no %d-column variant of the %d×%d GEMM tile", w, g.mr, g.nr))
}

// stripCols is tileCols(w, …) on tiles row tiles stacked down C that share
// the B panel: tile t (0 ≤ t < tiles) reads the A panel at a[t·aStep:] with
// stride lda and writes C rows t·mr … t·mr+mr−1. It computes bitwise what
// tiles calls of tileCols would (packed A panels have aStep = k·mr; A read
// in place from a row-major Aᵀ has aStep = mr). Where the level has a strip
// kernel for width w (the full AVX-512 and AVX2 tiles) the tiles run in one
// call, which spares the blocked product a Go call and its argument checks
// per tile (measured: docs/benchmarks.md, "GEMM design choices, measured").
// Out-of-range arguments panic as tileCols's do; tiles = 0 does nothing.
func (g *gemmKernels) stripCols(w, k, tiles int, a []float64, lda, aStep int, b []float64, ldb int, c []float64, ldc int, beta float64) {
	if tiles <= 0 {
		if tiles < 0 {
			panic(fmt.Sprintf("asm: GEMM strip with %d tiles", tiles))
		}
		return
	}
	if w != g.nr || g.strip == nil || k == 0 {
		for t := range tiles {
			var at []float64 // k = 0 reads no A: a may be empty
			if k > 0 {
				at = a[t*aStep:]
			}
			g.tileCols(w, k, at, lda, b, ldb, c[t*g.mr*ldc:], ldc, beta)
		}
		return
	}
	mr, nr := g.mr, g.nr
	if k < 0 || lda < mr || ldb < nr || ldc < nr || aStep < 0 {
		panic(fmt.Sprintf("asm: GEMM strip k=%d lda=%d aStep=%d ldb=%d ldc=%d for %d×%d tiles", k, lda, aStep, ldb, ldc, mr, nr))
	}
	_ = c[((tiles-1)*mr+mr-1)*ldc+nr-1]
	_ = a[(tiles-1)*aStep+(k-1)*lda+mr-1]
	_ = b[(k-1)*ldb+nr-1]
	strip := g.strip
	if gemmPrefetchA && g.stripPrefetch != nil {
		strip = g.stripPrefetch
	}
	strip(k, &a[0], lda, &b[0], ldb, &c[0], ldc, beta, tiles, aStep)
}

// tileW checks the arguments of a tile of mr×nr (nr = w) and runs tile.
func (g *gemmKernels) tileW(nr int, tile func(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64),
	k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, beta float64) {
	mr := g.mr
	if k < 0 || lda < mr || ldb < nr || ldc < nr {
		panic(fmt.Sprintf("asm: GEMM tile k=%d lda=%d ldb=%d ldc=%d for a %d×%d tile", k, lda, ldb, ldc, mr, nr))
	}
	_ = c[(mr-1)*ldc+nr-1]
	if k == 0 {
		gemmTileGeneric(mr, nr, 0, nil, lda, nil, ldb, c, ldc, beta)
		return
	}
	_ = a[(k-1)*lda+mr-1]
	_ = b[(k-1)*ldb+nr-1]
	tile(k, &a[0], lda, &b[0], ldb, &c[0], ldc, beta)
}

// gemmTileGeneric is the meaning of the micro-kernel for any tile shape.
func gemmTileGeneric(mr, nr, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, beta float64) {
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			var acc float64
			for p := 0; p < k; p++ {
				acc = math.FMA(a[p*lda+i], b[p*ldb+j], acc)
			}
			if beta == 0 {
				c[i*ldc+j] = acc
			} else {
				c[i*ldc+j] = math.FMA(beta, c[i*ldc+j], acc)
			}
		}
	}
}

// gemm4x4Generic is the pure-Go micro-kernel of the Generic level: a 4×4
// tile held in sixteen local accumulators.
func gemm4x4Generic(k int, pa *float64, lda int, pb *float64, ldb int, pc *float64, ldc int, beta float64) {
	a := unsafe.Slice(pa, (k-1)*lda+4)
	b := unsafe.Slice(pb, (k-1)*ldb+4)
	c := unsafe.Slice(pc, 3*ldc+4)
	var c00, c01, c02, c03, c10, c11, c12, c13 float64
	var c20, c21, c22, c23, c30, c31, c32, c33 float64
	for p := 0; p < k; p++ {
		ap := a[p*lda : p*lda+4 : p*lda+4]
		bp := b[p*ldb : p*ldb+4 : p*ldb+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00, c01, c02, c03 = math.FMA(a0, b0, c00), math.FMA(a0, b1, c01), math.FMA(a0, b2, c02), math.FMA(a0, b3, c03)
		c10, c11, c12, c13 = math.FMA(a1, b0, c10), math.FMA(a1, b1, c11), math.FMA(a1, b2, c12), math.FMA(a1, b3, c13)
		c20, c21, c22, c23 = math.FMA(a2, b0, c20), math.FMA(a2, b1, c21), math.FMA(a2, b2, c22), math.FMA(a2, b3, c23)
		c30, c31, c32, c33 = math.FMA(a3, b0, c30), math.FMA(a3, b1, c31), math.FMA(a3, b2, c32), math.FMA(a3, b3, c33)
	}
	rows := [4][4]float64{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for i := range rows {
		ci := c[i*ldc : i*ldc+4 : i*ldc+4]
		for j, acc := range rows[i] {
			if beta == 0 {
				ci[j] = acc
			} else {
				ci[j] = math.FMA(beta, ci[j], acc)
			}
		}
	}
}

// transpose8 is the transposing copy of GEMM packing: eight stored rows,
// read side by side, become kc packed rows of eight values,
//
//	out[p·ld+r] = src[r·s+p]   for r < 8, p < kc,
//
// bit for bit. It needs kc ≥ 0, ld ≥ 8, s ≥ 0 and slices long enough for
// every element named above; otherwise it panics, as for an index out of
// range. The levels with an assembly transpose (AVX-512: 8×8 blocks in
// registers; AVX2: 4×4 blocks) run it on the first kc&^7 values of p; the
// rest, and levels without one, run gemmPack8Generic.
func (g *gemmKernels) transpose8(out []float64, ld int, src []float64, s, kc int) {
	if kc < 0 || ld < 8 || s < 0 {
		panic(fmt.Sprintf("asm: GEMM pack kc=%d ld=%d s=%d", kc, ld, s))
	}
	if kc == 0 {
		return
	}
	_ = out[(kc-1)*ld+7]
	_ = src[7*s+kc-1]
	p := 0
	if f := g.pack8; f != nil && kc >= 8 {
		f(&out[0], ld, &src[0], s, kc/8)
		p = kc &^ 7
	}
	if p < kc {
		gemmPack8Generic(out[p*ld:], ld, src[p:], s, kc-p)
	}
}

// gemmPack8Generic is the meaning of transpose8 (and its pure-Go twin):
// eight rows, each sliced to length kc once so that the loop needs no
// bounds checks on them.
func gemmPack8Generic(out []float64, ld int, src []float64, s, kc int) {
	r0, r1 := src[:kc], src[s:][:kc]
	r2, r3 := src[2*s:][:kc], src[3*s:][:kc]
	r4, r5 := src[4*s:][:kc], src[5*s:][:kc]
	r6, r7 := src[6*s:][:kc], src[7*s:][:kc]
	for p := 0; p < kc; p++ {
		d := (*[8]float64)(out[p*ld:])
		d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
	}
}

// copySegs is the plain copy of GEMM packing: one stored row (or a part of
// it) cut into segments of w values, segment t going to out[t·step:],
//
//	out[t·step+j] = src[t·w+j]   for t < segs, j < w,
//
// which is how a row of a k-major operand (op(A) = Aᵀ, op(B) = B) becomes
// row p of segs consecutive micro-panels (step = kc·mr or kc·nr). It needs
// w ≥ 0, segs ≥ 0, step ≥ w and slices long enough for every element named
// above; otherwise it panics, as for an index out of range. The levels
// with an assembly copy (AVX-512: zmm; AVX2: ymm) run it when w is a
// multiple of their vector; otherwise, and on the other levels,
// gemmPackRowGeneric runs (Go's copy of a segment calls runtime.memmove,
// about as long as moving an 8-wide segment itself).
func (g *gemmKernels) copySegs(out []float64, step int, src []float64, w, segs int) {
	if w < 0 || segs < 0 || step < w {
		panic(fmt.Sprintf("asm: GEMM pack w=%d segs=%d step=%d", w, segs, step))
	}
	if w == 0 || segs == 0 {
		return
	}
	_ = out[(segs-1)*step+w-1]
	_ = src[segs*w-1]
	if g.packRow != nil && w%g.packRowVec == 0 {
		g.packRow(&out[0], step, &src[0], w, segs)
		return
	}
	gemmPackRowGeneric(out, step, src, w, segs)
}

// gemmPackRowGeneric is the meaning of copySegs (and its pure-Go twin).
func gemmPackRowGeneric(out []float64, step int, src []float64, w, segs int) {
	for t := range segs {
		copy(out[t*step:t*step+w], src[t*w:t*w+w])
	}
}
