package asm

import (
	"fmt"
	"math"

	"github.com/klauspost/cpuid/v2"
)

// The blocked product follows Goto and BLIS. With mr×nr the micro-kernel's
// register tile (gemm.go), Gemm runs, on the block of C it is given:
//
//	for jc over n in steps of nc           B block (kc×nc)
//	  for pc over k in steps of kc         fixed k blocking: the only summation split
//	    pack op(B)[pc:, jc:] into nr-wide micro-panels
//	    for ic over the rows in steps of mc
//	      pack α·op(A)[ic:, pc:] into mr-tall micro-panels (L2)
//	      for jr over the nr-panels       one B micro-panel, reused mc/mr times
//	        for ir over the mr-panels     A micro-panels stream from L2
//	          micro-kernel: C tile = A·B + β'·C   (β' = β for pc = 0, else 1)
//
// The ir loop over whole tiles is one strip call (stripCols), which loops
// in assembly on the AVX-512 and AVX2 levels.
//
// Block sizes come from the caches cpuid reports: kc so that one B
// micro-panel (kc·nr doubles) is twice L1D, at most 512; mc so that the
// packed A block (mc·kc) fills half of L2; nc so that the B block stays
// about 4 MB. The larger kc halves the C updates (each tile's load and
// store of C per k block), which is what measured best; the alternatives
// tried (smaller kc, other mc, B blocks sized for L2, software prefetch,
// C kept in cache across k blocks) are in docs/benchmarks.md, "GEMM design
// choices, measured". So the rounding of C may differ between machines,
// never between runs, blocks or thread counts on one machine and level:
// every element of C is the sum over the pc blocks, in order, of
// micro-kernel sums in order over p, an order fixed by k, kc and the level.
//
// Two shortcuts keep small products (the MNIST batches: 100×784·784×128 and
// its gradients) from paying for copies: when the block's rows are a
// single row block, an operand already stored k-major (op(B) = B, or
// op(A) = Aᵀ with α = 1) is read in place by the kernel with its own
// stride (directB, directA), and the last column panel of a block runs the
// narrowest kernel variant that covers it (tileWidth). When op(A) = Aᵀ
// spans several row blocks, a k block of it is packed for all row blocks
// at once (wideA in run).

// GemmWorkspace holds Gemm's packed panels from call to call, so that a
// goroutine that calls Gemm again and again allocates nothing once its
// workspace has grown to its largest block. The zero value is ready to
// use. A workspace must not be used by two calls at once: give each
// goroutine its own.
type GemmWorkspace struct {
	packedA, packedB, edge []float64
}

// Gemm computes C = α·op(A)·op(B) + β·C on the calling goroutine, where
// op(A) is m×k (A itself stored m×k, or, with transA, A stored k×m), op(B)
// is k×n (B stored k×n, or n×k with transB) and C is m×n, each stored
// row-major with its row stride (lda, ldb, ldc; element (i, j) of A is
// a[i·lda+j]). With β = 0, C is overwritten without being read (NaN in C
// does not propagate); with k = 0 or α = 0, C becomes β·C and A and B are
// not read. ws holds the packing buffers (nil: fresh ones for this call).
// Arguments that do not fit (negative sizes, a stride shorter than its
// row, a slice too short for its matrix) panic: they are programming
// errors. C must not overlap A or B.
//
// It is the one GEMM entry point of the package: tensor.Gemm cuts a product
// into blocks of C (in the units of GemmGrain), one per thread, and calls
// Gemm on each with its own workspace. The product runs blocked and packed
// on the micro-kernel of the active level (SetLevel switches it with the
// other kernels). Each element of C is summed in an order fixed by k and
// the level alone: a block of C computed on its own is bitwise the same as
// that block of the whole product, so the split of a product among threads
// never changes its result.
//
// The package doc says why this is the only GEMM entry point.
func Gemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, ws *GemmWorkspace) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("asm: Gemm with m=%d n=%d k=%d", m, n, k))
	}
	ar, ac, br, bc := m, k, k, n
	if transA {
		ar, ac = k, m
	}
	if transB {
		br, bc = n, k
	}
	checkOperand("A", ar, ac, a, lda)
	checkOperand("B", br, bc, b, ldb)
	checkOperand("C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleRows(beta, m, n, c, ldc)
		return
	}
	if ws == nil {
		ws = new(GemmWorkspace)
	}
	g := &active.gemm
	p := gemmProduct{g: g, blk: g.blockingFor(k), tA: transA, tB: transB, alpha: alpha, beta: beta,
		m: m, n: n, k: k, a: operand{a, lda}, b: operand{b, ldb}, c: operand{c, ldc}, ws: ws}
	p.run()
}

// checkOperand panics unless data holds a rows×cols matrix of row stride ld.
func checkOperand(name string, rows, cols int, data []float64, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols || len(data) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("asm: Gemm operand %s of %d×%d with stride %d in %d elements", name, rows, cols, ld, len(data)))
	}
}

// scaleRows computes C = β·C, writing zeros without reading C when β = 0.
func scaleRows(beta float64, m, n int, c []float64, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// GemmGrain returns the units in which a caller that splits C into blocks
// for several Gemm calls (tensor's threads) should cut it: rows in
// multiples of the active micro-kernel's tile height, columns in multiples
// of the width of its narrowest variant. Any other cut gives bitwise the
// same C, but pays for padded edge tiles inside the blocks.
func GemmGrain() (rows, cols int) {
	g := &active.gemm
	return g.mr, g.tileWidth(1)
}

// GemmBlocks describes how Gemm blocks a product on the active level on
// this processor: the micro-kernel's register tile (MR×NR), the k block KC,
// the row block MC and the column block NC, and the cache sizes they were
// derived from (cpuid's L1D and L2 per core, or the fallbacks when it
// reports none). `margo bench gemm --json` reports it, so that a benchmark
// says which choice it measured.
type GemmBlocks struct {
	MR, NR, KC, MC, NC int
	L1D, L2            int // bytes
}

// GemmBlocking returns the active level's GemmBlocks (before the k blocks
// are evened out for a particular k).
func GemmBlocking() GemmBlocks {
	g := &active.gemm
	b := g.blocking()
	return GemmBlocks{MR: g.mr, NR: g.nr, KC: b.kc, MC: b.mc, NC: b.nc, L1D: l1d, L2: l2}
}

// GemmCost estimates the work of Gemm(transA, transB, m, n, k, alpha, a,
// lda, b, ldb, …) on the active level, in flops of the micro-kernel: the
// multiply-adds of the block rounded up to the units of GemmGrain, plus
// the copies of the operands it packs (about 40 flops per element). It is
// meant for comparing ways of cutting a product into blocks (where each
// block packs its own rows of op(A) and columns of op(B)), not for
// predicting seconds.
func GemmCost(transA, transB bool, m, n, k int, alpha float64, lda, ldb int) float64 {
	g := &active.gemm
	unit := g.tileWidth(1)
	rows, cols := ceilDiv(m, g.mr)*g.mr, ceilDiv(n, unit)*unit
	mc := g.blocking().mc
	cost := 2 * float64(rows) * float64(cols) * float64(k)
	if !directA(transA, alpha, rows, mc, lda) {
		cost += packCostFlops * float64(rows) * float64(k)
	}
	if !directB(transB, rows, mc, ldb) {
		cost += packCostFlops * float64(cols) * float64(k)
	}
	return cost
}

// directA and directB decide the in-place reads of op(A) = Aᵀ and op(B) =
// B (see run): a block of a single row block, α = 1 for A (packing folds α
// into A), and a stride that is not a multiple of 4 KB. With such a
// stride the kernel's reads of one panel, a line per p, all fall into one
// L1 set (64 sets of 64 bytes on the L1Ds of every machine kind here) and
// evict each other: TN 512×12000×784 (a stride of 512 doubles), which
// two threads read in place, ran at half speed per thread on Intel family
// 6 model 167 (docs/benchmarks.md).
func directA(transA bool, alpha float64, rows, mc, lda int) bool {
	return gemmDirect && transA && alpha == 1 && rows <= mc && !aliasingStride(lda)
}

func directB(transB bool, rows, mc, ldb int) bool {
	return gemmDirect && !transB && rows <= mc && !aliasingStride(ldb)
}

// aliasingStride reports a row stride (in float64s) that is a multiple
// of 4 KB.
func aliasingStride(ld int) bool { return ld%512 == 0 }

// packCostFlops is the cost of packing one element in flops of the
// micro-kernel (a packed element costs about 0.45 ns, a flop 0.011 ns at
// 95 GFLOP/s).
const packCostFlops = 40

// gemmBlocking holds the block sizes of one level.
type gemmBlocking struct {
	kc, mc, nc int
}

// cache sizes in bytes (cpuid, with fallbacks when it reports nothing).
var l1d, l2 = cacheSize(cpuid.CPU.Cache.L1D, 32<<10), cacheSize(cpuid.CPU.Cache.L2, 512<<10)

func cacheSize(reported, fallback int) int {
	if reported < 8<<10 || reported > 64<<20 {
		return fallback
	}
	return reported
}

// gemmBlockOverride replaces the block sizes (tests and tuning benchmarks
// only).
var gemmBlockOverride *gemmBlocking

// blocking returns the block sizes of the micro-kernel (see the comment at
// the top of this file).
func (g *gemmKernels) blocking() gemmBlocking {
	if gemmBlockOverride != nil {
		return *gemmBlockOverride
	}
	mr, nr := g.mr, g.nr
	kc := 2 * l1d / (nr * 8)
	kc = max(64, min(512, kc&^7))
	mc := l2 / 2 / (kc * 8)
	mc = max(mr, min(1024, mc/mr*mr))
	nc := max(nr, (4<<20)/(kc*8)/nr*nr) // a B block of about 4 MB
	return gemmBlocking{kc: kc, mc: mc, nc: nc}
}

// blockingFor returns the block sizes for a product with k terms: the k
// blocks evened out (at kc 512, k = 784 runs as 2×392, not 512 + 272), so
// that a short last block does not pay the C update for little work. It
// depends on k and the level only, so the summation order stays fixed.
func (g *gemmKernels) blockingFor(k int) gemmBlocking {
	blk := g.blocking()
	if nb := ceilDiv(k, blk.kc); nb > 1 {
		blk.kc = min(blk.kc, ceilDiv(ceilDiv(k, nb), 8)*8)
	}
	return blk
}

// gemmDirect enables the in-place reads of op(A) and op(B) (directA,
// directB); tests turn it off to compare with the packed path.
var gemmDirect = true

// gemmWideA enables packing op(A) = Aᵀ for all row blocks of a k block at
// once (see run); tests turn it off to compare with per-block packing.
var gemmWideA = true

// wideABytes bounds the packed op(A) of one k block that run packs at once
// (wideA): the block is read back from L3 for each row block.
const wideABytes = 4 << 20

// operand is a row-major matrix in a slice: element (i, j) at data[i·stride+j].
type operand struct {
	data   []float64
	stride int
}

// gemmProduct is one Gemm call: the operands, the level's micro-kernel and
// block sizes, and the workspace it packs into.
type gemmProduct struct {
	g                *gemmKernels
	blk              gemmBlocking
	tA, tB           bool
	alpha, beta      float64
	m, n, k          int
	a, b, c          operand
	directA, directB bool // read op(A) = Aᵀ or op(B) = B in place (see run)
	ws               *GemmWorkspace
}

// grow returns buf with length n, reusing its storage when it is large enough.
func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// run is the loop nest of the product.
func (p *gemmProduct) run() {
	g, blk, ws := p.g, p.blk, p.ws
	mr, nr := g.mr, g.nr
	// Even out the column blocks the same way as the k blocks, letting the
	// blocks grow by up to a quarter rather than leave a thin last one (n =
	// 2048 runs as one block of 2048, not 2040 + 8: a thin block would
	// repack all of A for a few columns). Column blocks do not touch the
	// summation order.
	nc := blk.nc
	if nb := ceilDiv(p.n, nc); nb > 1 {
		if p.n <= (nb-1)*nc*5/4 {
			nb--
		}
		nc = ceilDiv(ceilDiv(p.n, nb), nr) * nr
	}
	// Even out the row blocks too (784 rows run as 4×196, rounded up to
	// whole tiles, not 3×256 + 16): a thin last block would stream every B
	// panel for a couple of tiles. Row blocks do not touch the summation
	// order.
	mcBlk := blk.mc
	if nb := ceilDiv(p.m, blk.mc); nb > 1 {
		mcBlk = min(blk.mc, ceilDiv(ceilDiv(p.m, nb), mr)*mr)
	}
	// When op(B) is B itself, its rows already hold each nr-panel's values
	// for one p side by side: the kernel can read them in place with
	// ldb = B's stride, skipping the copy. That copy is amortised over the
	// row blocks, so it only matters when M is one block (the small products
	// of a training step); with several row blocks packed panels are
	// friendlier to the caches. Edge panels whose columns no kernel variant
	// matches exactly are still packed (padding). Bitwise the same result:
	// same kernel, same values, same order.
	p.directB = directB(p.tB, p.m, blk.mc, p.b.stride)
	// Likewise the rows of A hold op(A)'s mr-panels when op(A) = Aᵀ, if α
	// (which packing folds into A) is 1; a last partial row tile is packed.
	p.directA = directA(p.tA, p.alpha, p.m, blk.mc, p.a.stride)
	kcMax, ncMax := min(blk.kc, p.k), min(nc, p.n)
	ws.packedB = grow(ws.packedB, kcMax*ceilDiv(ncMax, nr)*nr)
	// When op(A) = Aᵀ spans several row blocks, packing it block by block
	// would read each stored row of A in pieces of mc values, a fresh memory
	// stream per piece (about 3× slower than whole rows: docs/benchmarks.md).
	// wideA packs all the rows of a k block at once, end to end, into one
	// buffer of ceil(m/mr) panels (up to wideABytes, so it stays in L3), and
	// the row blocks take their panels from it. The panels hold the same
	// values as per-block packing: bitwise the same product.
	wideA := gemmWideA && p.tA && !p.directA && p.m > mcBlk && kcMax*p.m*8 <= wideABytes
	if wideA {
		ws.packedA = grow(ws.packedA, kcMax*ceilDiv(p.m, mr)*mr)
	} else {
		ws.packedA = grow(ws.packedA, kcMax*ceilDiv(min(mcBlk, p.m), mr)*mr)
	}
	ws.edge = grow(ws.edge, mr*nr)
	for jc := 0; jc < p.n; jc += nc {
		nc := min(nc, p.n-jc)
		panels := ceilDiv(nc, nr)
		for pc := 0; pc < p.k; pc += blk.kc {
			kc := min(blk.kc, p.k-pc)
			beta := 1.0
			if pc == 0 {
				beta = p.beta
			}
			switch {
			case !p.directB:
				packB(g, ws.packedB, p.b, p.tB, pc, kc, jc, nc, 0, panels)
			case p.padded(nc):
				packB(g, ws.packedB, p.b, p.tB, pc, kc, jc, nc, panels-1, panels)
			}
			if wideA {
				packA(g, ws.packedA, p.a, p.tA, p.alpha, 0, p.m, pc, kc)
			}
			for ic := 0; ic < p.m; ic += mcBlk {
				mc := min(mcBlk, p.m-ic)
				aOff := 0 // the row block's first panel in packedA
				switch rem := mc % mr; {
				case wideA:
					aOff = (ic / mr) * kc * mr
				case !p.directA:
					packA(g, ws.packedA, p.a, p.tA, p.alpha, ic, mc, pc, kc)
				case rem != 0: // only the partial tile, as panel 0
					packA(g, ws.packedA, p.a, p.tA, p.alpha, ic+mc-rem, rem, pc, kc)
				}
				p.macro(aOff, ic, mc, jc, nc, pc, kc, panels, beta)
			}
		}
	}
}

// padded reports whether the last panel of a B block of nc columns has
// fewer columns than its kernel variant computes (so it must be packed with
// zero padding even when directB).
func (p *gemmProduct) padded(nc int) bool {
	cols := nc - (ceilDiv(nc, p.g.nr)-1)*p.g.nr
	return cols < p.g.tileWidth(cols)
}

// macro runs the micro-kernel over the tiles of C rows [ic, ic+mc) and
// the B micro-panels [0, panels) of the block starting at column jc, with
// the packed A panels of the row block from packedA[aOff:].
func (p *gemmProduct) macro(aOff, ic, mc, jc, nc, pc, kc, panels int, beta float64) {
	g, ws := p.g, p.ws
	mr, nr := g.mr, g.nr
	c := p.c
	for jp := range panels {
		jr := jp * nr
		bp, ldb := ws.packedB[jp*kc*nr:(jp+1)*kc*nr], nr
		cols := min(nr, nc-jr)
		// The last panel of a block may run a narrower variant of the
		// kernel (bitwise the same columns, less work on the padding).
		w := nr
		if cols < nr {
			w = g.tileWidth(cols)
		}
		if p.directB && cols == w {
			bp, ldb = p.b.data[pc*p.b.stride+jc+jr:], p.b.stride
		}
		// The whole row tiles run as one strip (one call per B panel).
		ir := 0
		if cols == w {
			full := mc / mr
			ap, lda, aStep := ws.packedA[aOff:], mr, kc*mr
			if p.directA {
				ap, lda, aStep = p.a.data[pc*p.a.stride+ic:], p.a.stride, mr
			}
			if full > 0 {
				g.stripCols(w, kc, full, ap, lda, aStep, bp, ldb, c.data[ic*c.stride+jc+jr:], c.stride, beta)
			}
			ir = full * mr
		}
		for ; ir < mc; ir += mr {
			ap, lda := ws.packedA[aOff+(ir/mr)*kc*mr:aOff+(ir/mr+1)*kc*mr], mr
			rows := min(mr, mc-ir)
			if p.directA {
				if rows == mr {
					ap, lda = p.a.data[pc*p.a.stride+ic+ir:], p.a.stride
				} else {
					ap = ws.packedA[:kc*mr]
				}
			}
			off := (ic+ir)*c.stride + jc + jr
			if rows == mr && cols == w {
				g.tileCols(w, kc, ap, lda, bp, ldb, c.data[off:], c.stride, beta)
				continue
			}
			// Edge tile: compute the padded tile (w columns) into the
			// buffer, then finish exactly as the kernel does, fma(β, C, acc).
			g.tileCols(w, kc, ap, lda, bp, ldb, ws.edge, nr, 0)
			for r := 0; r < rows; r++ {
				dst := c.data[off+r*c.stride : off+r*c.stride+cols]
				src := ws.edge[r*nr : r*nr+cols]
				if beta == 0 {
					copy(dst, src)
				} else {
					for q, v := range src {
						dst[q] = math.FMA(beta, dst[q], v)
					}
				}
			}
		}
	}
}
