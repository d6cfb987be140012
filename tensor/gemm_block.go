package tensor

import (
	"math"
	"sync/atomic"

	"github.com/klauspost/cpuid/v2"
	"github.com/margo-lab/margo/asm"
)

// The blocked product follows Goto and BLIS. With mr×nr the micro-kernel's
// register tile (asm.GemmShape), each thread runs, on its own block of C:
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
// The ir loop over whole tiles is one call of asm.GemmStrip, which loops in
// assembly on the AVX-512 and AVX2 levels: a call per tile cost 3–5 % of
// the product in Go-side calls and argument checks. Measured 2026-11-27
// (1 thread, medians of 5 alternating rounds against the per-tile calls):
// NN 12000×784×512 +4.7 %, TN 1024×250×2048 +3.5 %, NT 100×784×128
// +6.6 %, NN 1024³ +1 %, TN 784×12000×512 and NT 250×2048×1024 within
// ±0.5 %; AVX2 +1.5–3 %; 2 threads +2–8 %.
//
// kc is chosen so that one B micro-panel (kc·nr doubles) is twice the size
// of L1D, at most 512 (512 for the 8×24 AVX-512 tile and 48 KB, as for the
// 4×12 AVX2 tile), mc so that the packed A block (mc·kc) fills half of L2,
// nc so that the B block stays about 4 MB. Measured on this machine (AMD
// EPYC, family 26, 48 KB L1D, 1 MB L2; AVX-512; MARGO_GEMM_BLOCKS, the
// settings alternated in one run, medians of 5 rounds), 2026-11-27 14:00
// UTC, kc 512 (mc 128, nc 1024) against 256 (mc 256, nc 2048): 1 thread
// NN 1024³ +1.3 %, NN 12000×784×512 +5.4 % (k = 784 runs as 2×392 instead
// of 4×196), NT 250×2048×1024 +3.3 %, TN 784×12000×512 −0.2 %; 2 threads
// +5.2 %, +7.9 %, +0.5 %, −1.3 %, NT 100×784×128 +2 %; kc 384 in between.
// (An earlier sweep the same morning gave kc 384–512 +1–5 % on the NN
// shapes and NT 250 and −1–3 % on TN 784, when 256 was kept.) A
// micro-panel of half of L1 or less gains nothing (kc 128 and 160 stay
// within ±2.5 % of 256; kc 96 loses 1–5 %), so no part of the choice keeps
// B in L1: with the A micro-panel streaming through, the 48 KB panel of kc
// 256 did not stay there either (a kernel-only loop over L2- and
// L3-resident panels runs 4–8 % below the L1-resident one at kc 128 and 256
// alike). What the larger kc saves is half the C updates (each tile's
// prefetch, load and store of C per k block). mc from 104 to 400 at kc 256
// moved nothing beyond the ±2 % noise. Software prefetch did not help: of
// the operand blocks packed next, spread over the micro-kernel calls, it
// cost 4–5 % on the NT and TN shapes with each of PREFETCHT0, T1, T2 and
// NTA alike (presumably all fill L1 here, evicting the B micro-panel); of
// the next eight rows in GemmPack8 it changed nothing beyond the noise, and
// of A 8 or 24 rows ahead in the micro-kernel it lost 1–4 %. Nor did
// keeping a block of C in cache across the k blocks (op(B) packed for all
// of k, row blocks outside k blocks, so that the 49 MB C of 12000×784×512
// NN is not streamed once per k block): within ±2 % at 1 and 2 threads (5
// alternating rounds, at kc 256), so the plain order stays. Nor did reading
// op(A) = A in place, its eight rows through eight pointers (the same
// FMAs): in a macro-kernel loop +1.8 % on rows of 784 and −1–2 % on rows of
// 1024 (a power-of-two stride, the rows alias in L1), measured 14:15 UTC.
// Nor did B blocks small enough for L2 (nc 120–480 instead of 1024 on NT
// 250×2048×1024, the 16 MB of weights then packed into L2 rather than
// L3): −0.3 to −5 % at 1 thread and −3 to −8 % at 2, with op(A) packed
// once for all k blocks so that it is not repacked per column block
// (15:10 UTC; repacking it instead: −4.6 % at nc 120).
// The sizes come from the caches cpuid reports, so the rounding of C may
// differ between machines, never between runs or thread counts on one
// machine and level.
// Every element of C is the sum over pc blocks, in order, of micro-kernel
// sums in order over p: an order fixed by k, kc and the level, never by
// the thread count.
//
// Threads split C into a grid of blocks (chooseGrid: row ranges in whole
// tiles, column ranges in multiples of the narrowest kernel width), and
// each computes its block as a product of its own, with the full k sum
// and its own packed panels. An earlier version shared the packed B block
// between threads, at the price of two barriers per k block; on this
// 2-vCPU machine that cost 10–40 % of the 2-thread speed, more than
// packing the smaller operand twice does (250×2048×1024 NT, per call: 1.5
// ms of 9.2 waiting at barriers, a barrier that sleeps costing a 0.1 ms
// wake-up; packing B in halves 1.4 ms against 0.9 ms alone; and the
// kernels 15 % slower on panels that the other core had packed).
//
// Two shortcuts keep small products (the MNIST batches: 100×784·784×128 and
// its gradients) from paying for copies: when M is a single row block, an
// operand already stored k-major (op(B) = B, or op(A) = Aᵀ with α = 1) is
// read in place by the kernel with its own stride (directB, directA), and
// the last column panel of a block runs the narrowest kernel variant that
// covers it (asm.GemmTileWidth). The transposing packs run on
// asm.GemmPack8 (an 8×8 register transpose on AVX-512). When op(A) = Aᵀ
// spans several row blocks, a k block of it is packed for all row blocks
// at once (wideA in run).
//
// Where the time goes (2026-11-27, 1 thread, AVX-512; measured by
// skipping one operand's packing, the kernel then running on stale
// panels): skipping op(B)'s speeds 250×2048×1024 NT up by 8 % (16 MB of
// weights read from memory per call, near the single-core copy rate:
// packB alone 0.7–0.8 ms, a 16 MB copy 0.55–0.7 ms) and 1024×250×2048 TN
// by 4 %; skipping op(A)'s speeds the latter up by 3 % and, before wideA,
// 784×12000×512 TN by 14 %. Without any packing these shapes run at
// 94–97 GFLOP/s, about 90–93 % of the peak-FMA figure.

// gemmBlocking holds the block sizes of one level.
type gemmBlocking struct {
	mr, nr     int
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

// blockingFor derives the block sizes for a micro-kernel of mr×nr.
func blockingFor(mr, nr int) gemmBlocking {
	kc := 2 * l1d / (nr * 8)
	kc = max(64, min(512, kc&^7))
	mc := l2 / 2 / (kc * 8)
	mc = max(mr, min(1024, mc/mr*mr))
	nc := max(nr, (4<<20)/(kc*8)/nr*nr) // a B block of about 4 MB
	return gemmBlocking{mr: mr, nr: nr, kc: kc, mc: mc, nc: nc}
}

// blockOverride replaces the block sizes (tests and tuning benchmarks only).
var blockOverride *gemmBlocking

// gemmJob is one Gemm call shared by its threads, with the buffers it
// reuses from call to call (jobs are recycled through gemmJobs). The
// threads form a grid of tm row ranges × tn column ranges of C; thread
// tid computes block (tid / tn, tid % tn) with the full k sum (part).
type gemmJob struct {
	tA, tB      Op
	alpha, beta float64
	a, b, c     *Dense
	m, n, k     int
	blk         gemmBlocking
	tm, tn      int
	colUnit     int // column ranges are cut at multiples of this width

	left  atomic.Int64  // parts not finished yet, plus callerAsleep (see join)
	sleep chan struct{} // wakes the caller asleep in join
	parts []gemmPart    // per thread
	partPanic
}

// gemmPart is one thread's block of the product: views of op(A)'s rows,
// op(B)'s columns and C's block, and its own packing buffers.
type gemmPart struct {
	worker           *gemmWorker // the worker offered this part, or nil
	ticket           uint64      // the offer's ticket
	a, b, c          Dense
	m, n             int
	directA, directB bool // read op(A) = Aᵀ or op(B) = B in place (see run)

	packedA, packedB, edge []float64
}

var gemmJobs = freeList[gemmJob]{fresh: func() *gemmJob { return new(gemmJob) }}

func putJob(j *gemmJob) {
	j.a, j.b, j.c = nil, nil, nil
	for i := range j.parts {
		p := &j.parts[i]
		p.a.Data, p.b.Data, p.c.Data = nil, nil, nil
	}
	gemmJobs.put(j)
}

// grow returns buf with length n, reusing its storage when it is large enough.
func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// Below gemmParallelFlops (8 Mflop, about 85 µs of one core) a product
// runs on one thread: handing a part to even a polling worker, collecting
// it and packing the shared operand twice leave little of the saving, and
// a worker that is not polling costs more than the product (a conservative
// bound: on this shared machine the break-even could not be measured
// cleanly). A variable so that tests can send small products through the
// threaded path.
var gemmParallelFlops = float64(1 << 23)

// packCostFlops is the cost of packing one element in flops of the
// micro-kernel (a packed element costs about 0.45 ns, a flop 0.011 ns at
// 95 GFLOP/s); chooseGrid weighs duplicated packing with it.
const packCostFlops = 40

// gemmDirect enables the in-place reads of op(A) and op(B) (directA,
// directB); tests turn it off to compare with the packed path.
var gemmDirect = true

// gemmWideA enables packing op(A) = Aᵀ for all row blocks of a k block at
// once (see run); tests turn it off to compare with per-block packing.
var gemmWideA = true

// wideABytes bounds the packed op(A) of one k block that run packs at once
// (wideA): the block is read back from L3 for each row block.
const wideABytes = 4 << 20

func gemmBlocked(pool *Pool, tA, tB Op, alpha float64, a, b *Dense, beta float64, c *Dense, m, n, k int) {
	mr, nr := asm.GemmShape()
	blk := blockingFor(mr, nr)
	if blockOverride != nil {
		blk = *blockOverride
	}
	// Even out the k blocks (at kc 512, k = 784 runs as 2×392, not 512 + 272): a
	// short last block would pay the C update for little work. This depends
	// on k and the level only, so the summation order stays fixed.
	if nb := ceilDiv(k, blk.kc); nb > 1 {
		blk.kc = min(blk.kc, ceilDiv(ceilDiv(k, nb), 8)*8)
	}
	j := gemmJobs.get()
	*j = gemmJob{tA: tA, tB: tB, alpha: alpha, beta: beta, a: a, b: b, c: c, m: m, n: n, k: k, blk: blk,
		parts: j.parts, sleep: j.sleep, colUnit: asm.GemmTileWidth(1)}

	t := pool.Threads()
	flops := 2 * float64(m) * float64(n) * float64(k)
	if flops < gemmParallelFlops {
		t = 1
	}
	j.tm, j.tn = j.chooseGrid(t)
	t = j.tm * j.tn
	for len(j.parts) < t {
		j.parts = append(j.parts, gemmPart{})
	}
	if j.sleep == nil {
		j.sleep = make(chan struct{}, 1)
	}
	j.left.Store(int64(t))
	for tid := range t {
		p := &j.parts[tid]
		p.worker = nil
		if tid > 0 {
			p.worker, p.ticket = pool.startWorker(j, tid)
		}
	}
	// The caller computes its own part, then every part whose worker has
	// not started yet (a parked worker wakes up ~0.1 ms late), then waits
	// for the parts that workers are computing.
	for tid := range t {
		j.claim(tid)
	}
	j.join()
	j.check()
	putJob(j)
}

// claim computes part tid unless its worker has taken it (the caller's
// side; gemmWorker.loop is the worker's).
func (j *gemmJob) claim(tid int) {
	p := &j.parts[tid]
	if p.worker == nil || p.worker.ticket.CompareAndSwap(p.ticket, 0) {
		j.part(tid)
		j.finish()
	}
}

// chooseGrid returns the thread grid tm×tn (tm·tn ≤ t) with the least
// work per thread: multiply-adds of its (tile-rounded) block plus the
// packing it does, since each thread packs its own rows of op(A) and
// columns of op(B) (a row range shares no packing with the others in its
// column range, and so on). Splitting M duplicates the packing of op(B),
// splitting N that of op(A): the grid weighs that against the flops.
func (j *gemmJob) chooseGrid(t int) (tm, tn int) {
	mr, mc := j.blk.mr, j.blk.mc
	mTiles, nUnits := ceilDiv(j.m, mr), ceilDiv(j.n, j.colUnit)
	tm, tn = 1, 1
	best := math.Inf(1)
	for gm := 1; gm <= t && gm <= mTiles; gm++ {
		gn := min(t/gm, nUnits)
		rows := ceilDiv(mTiles, gm) * mr
		cols := ceilDiv(nUnits, gn) * j.colUnit
		cost := 2 * float64(rows) * float64(cols) * float64(j.k)
		if !(gemmDirect && j.tA == Trans && j.alpha == 1 && rows <= mc) {
			cost += packCostFlops * float64(rows) * float64(j.k)
		}
		if !(gemmDirect && j.tB == NoTrans && rows <= mc) {
			cost += packCostFlops * float64(cols) * float64(j.k)
		}
		if cost < best {
			best, tm, tn = cost, gm, gn
		}
	}
	return tm, tn
}

// part computes thread tid's block of C.
func (j *gemmJob) part(tid int) {
	mr := j.blk.mr
	lo, hi := share(ceilDiv(j.m, mr), j.tm, tid/j.tn)
	r0, r1 := lo*mr, min(hi*mr, j.m)
	lo, hi = share(ceilDiv(j.n, j.colUnit), j.tn, tid%j.tn)
	c0, c1 := lo*j.colUnit, min(hi*j.colUnit, j.n)
	p := &j.parts[tid]
	p.m, p.n = r1-r0, c1-c0
	if j.tA == NoTrans {
		j.a.SliceInto(&p.a, r0, r1, 0, j.k)
	} else {
		j.a.SliceInto(&p.a, 0, j.k, r0, r1)
	}
	if j.tB == NoTrans {
		j.b.SliceInto(&p.b, 0, j.k, c0, c1)
	} else {
		j.b.SliceInto(&p.b, c0, c1, 0, j.k)
	}
	j.c.SliceInto(&p.c, r0, r1, c0, c1)
	j.run(p)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// share returns thread tid's part [lo, hi) of n items split over t threads.
func share(n, t, tid int) (lo, hi int) { return n * tid / t, n * (tid + 1) / t }

// run is the loop nest of one thread's block p (its own product).
func (j *gemmJob) run(p *gemmPart) {
	blk := j.blk
	mr, nr := blk.mr, blk.nr
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
	// of a training step, where it is ~10 % of the time); with several row
	// blocks packed panels are friendlier to the caches. Edge panels whose
	// columns no kernel variant matches exactly are still packed (padding).
	// Bitwise the same result: same kernel, same values, same order.
	p.directB = gemmDirect && j.tB == NoTrans && p.m <= blk.mc
	// Likewise the rows of A hold op(A)'s mr-panels when op(A) = Aᵀ, if α
	// (which packing folds into A) is 1; a last partial row tile is packed.
	p.directA = gemmDirect && j.tA == Trans && j.alpha == 1 && p.m <= blk.mc
	kcMax, ncMax := min(blk.kc, j.k), min(nc, p.n)
	p.packedB = grow(p.packedB, kcMax*ceilDiv(ncMax, nr)*nr)
	// When op(A) = Aᵀ spans several row blocks, packing it block by block
	// reads each stored row of A in pieces of mc values (1600 bytes of a
	// 6272-byte row for 784×12000×512 TN), at the price of a fresh memory
	// stream per piece: 20 ms per call against 7 ms for whole rows, measured
	// 2026-11-27 on this machine (packA alone over the 75 MB of A). wideA
	// packs all the rows of a k block at once, end to end, into one buffer
	// of ceil(m/mr) panels (up to wideABytes, so it stays in L3), and the
	// row blocks take their panels from it. The panels hold the same values
	// as per-block packing: bitwise the same product.
	wideA := gemmWideA && j.tA == Trans && !p.directA && p.m > mcBlk && kcMax*p.m*8 <= wideABytes
	if wideA {
		p.packedA = grow(p.packedA, kcMax*ceilDiv(p.m, mr)*mr)
	} else {
		p.packedA = grow(p.packedA, kcMax*ceilDiv(min(mcBlk, p.m), mr)*mr)
	}
	p.edge = grow(p.edge, mr*nr)
	for jc := 0; jc < p.n; jc += nc {
		nc := min(nc, p.n-jc)
		panels := ceilDiv(nc, nr)
		for pc := 0; pc < j.k; pc += blk.kc {
			kc := min(blk.kc, j.k-pc)
			beta := 1.0
			if pc == 0 {
				beta = j.beta
			}
			switch {
			case !p.directB:
				packB(p.packedB, &p.b, j.tB, pc, kc, jc, nc, nr, 0, panels)
			case j.padded(nc):
				packB(p.packedB, &p.b, j.tB, pc, kc, jc, nc, nr, panels-1, panels)
			}
			if wideA {
				packA(p.packedA, &p.a, j.tA, j.alpha, 0, p.m, pc, kc, mr)
			}
			for ic := 0; ic < p.m; ic += mcBlk {
				mc := min(mcBlk, p.m-ic)
				aOff := 0 // the row block's first panel in packedA
				switch rem := mc % mr; {
				case wideA:
					aOff = (ic / mr) * kc * mr
				case !p.directA:
					packA(p.packedA, &p.a, j.tA, j.alpha, ic, mc, pc, kc, mr)
				case rem != 0: // only the partial tile, as panel 0
					packA(p.packedA, &p.a, j.tA, j.alpha, ic+mc-rem, rem, pc, kc, mr)
				}
				j.macro(p, aOff, ic, mc, jc, nc, pc, kc, 0, panels, beta)
			}
		}
	}
}

// padded reports whether the last panel of a B block of nc columns has
// fewer columns than its kernel variant computes (so it must be packed with
// zero padding even when directB).
func (j *gemmJob) padded(nc int) bool {
	cols := nc - (ceilDiv(nc, j.blk.nr)-1)*j.blk.nr
	return cols < asm.GemmTileWidth(cols)
}

// macro runs the micro-kernel over the tiles of C rows [ic, ic+mc) and
// B micro-panels [jrLo, jrHi) of the block starting at column jc, with the
// packed A panels of the row block from packedA[aOff:].
func (j *gemmJob) macro(loc *gemmPart, aOff, ic, mc, jc, nc, pc, kc, jrLo, jrHi int, beta float64) {
	mr, nr := j.blk.mr, j.blk.nr
	c := &loc.c
	for jp := jrLo; jp < jrHi; jp++ {
		jr := jp * nr
		bp, ldb := loc.packedB[jp*kc*nr:(jp+1)*kc*nr], nr
		cols := min(nr, nc-jr)
		// The last panel of a block may run a narrower variant of the
		// kernel (bitwise the same columns, less work on the padding).
		w := nr
		if cols < nr {
			w = asm.GemmTileWidth(cols)
		}
		if loc.directB && cols == w {
			bp, ldb = loc.b.Data[pc*loc.b.Stride+jc+jr:], loc.b.Stride
		}
		// The whole row tiles run as one strip (one call per B panel).
		ir := 0
		if cols == w {
			full := mc / mr
			ap, lda, aStep := loc.packedA[aOff:], mr, kc*mr
			if loc.directA {
				ap, lda, aStep = loc.a.Data[pc*loc.a.Stride+ic:], loc.a.Stride, mr
			}
			if full > 0 {
				asm.GemmStrip(w, kc, full, ap, lda, aStep, bp, ldb, c.Data[ic*c.Stride+jc+jr:], c.Stride, beta)
			}
			ir = full * mr
		}
		for ; ir < mc; ir += mr {
			ap, lda := loc.packedA[aOff+(ir/mr)*kc*mr:aOff+(ir/mr+1)*kc*mr], mr
			rows := min(mr, mc-ir)
			if loc.directA {
				if rows == mr {
					ap, lda = loc.a.Data[pc*loc.a.Stride+ic+ir:], loc.a.Stride
				} else {
					ap = loc.packedA[:kc*mr]
				}
			}
			off := (ic+ir)*c.Stride + jc + jr
			if rows == mr && cols == w {
				asm.GemmTileCols(w, kc, ap, lda, bp, ldb, c.Data[off:], c.Stride, beta)
				continue
			}
			// Edge tile: compute the padded tile (w columns) into the
			// buffer, then finish exactly as the kernel does, fma(β, C, acc).
			asm.GemmTileCols(w, kc, ap, lda, bp, ldb, loc.edge, nr, 0)
			for r := 0; r < rows; r++ {
				dst := c.Data[off+r*c.Stride : off+r*c.Stride+cols]
				src := loc.edge[r*nr : r*nr+cols]
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
