package tensor

import (
	"math"
	"sync"

	"github.com/klauspost/cpuid/v2"
	"github.com/margo-lab/margo/asm"
)

// The blocked product follows Goto and BLIS. With mr×nr the micro-kernel's
// register tile (asm.GemmShape):
//
//	for jc over n in steps of nc           B block (kc×nc) shared by all threads
//	  for pc over k in steps of kc         fixed k blocking: the only summation split
//	    pack op(B)[pc:, jc:] into nr-wide micro-panels (threads share the panels)
//	    barrier
//	    for ic over this thread's rows in steps of mc
//	      pack α·op(A)[ic:, pc:] into mr-tall micro-panels (per thread, L2)
//	      for jr over this thread's nr-panels     one B micro-panel, reused mc/mr times
//	        for ir over the mr-panels             A micro-panels stream from L2
//	          micro-kernel: C tile = A·B + β'·C   (β' = β for pc = 0, else 1)
//	    barrier
//
// kc is chosen so that one B micro-panel (kc·nr doubles) is the size of L1D
// (256 for the 8×24 AVX-512 tile and 48 KB; 128, 192, 256 and 320 measured
// within the noise of this shared machine, and the larger kc halves the
// passes over C), mc so that the packed A block (mc·kc) fills half of L2,
// nc so that the B block stays about 4 MB. The sizes come from the caches
// cpuid reports, so the rounding of C may differ between machines, never
// between runs or thread counts on one machine and level. Every element of C is the sum over pc blocks, in
// order, of micro-kernel sums in order over p: an order fixed by k, kc and
// the level, never by the thread count. Threads split M (each packs its own
// rows of A) or, when M has too few tiles, the nr-panels of N.
//
// Two shortcuts keep small products (the MNIST batches: 100×784·784×128 and
// its gradients) from paying for copies: when M is a single row block, an
// operand already stored k-major (op(B) = B, or op(A) = Aᵀ with α = 1) is
// read in place by the kernel with its own stride (directB, directA), and
// the last column panel of a block runs the narrowest kernel variant that
// covers it (asm.GemmTileWidth). The transposing packs run on
// asm.GemmPack8 (an 8×8 register transpose on AVX-512).

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
	kc := l1d / (nr * 8)
	kc = max(64, min(512, kc&^7))
	mc := l2 / 2 / (kc * 8)
	mc = max(mr, min(1024, mc/mr*mr))
	nc := max(nr, (4<<20)/(kc*8)/nr*nr) // a B block of about 4 MB
	return gemmBlocking{mr: mr, nr: nr, kc: kc, mc: mc, nc: nc}
}

// blockOverride replaces the block sizes (tests and tuning benchmarks only).
var blockOverride *gemmBlocking

// gemmJob is one Gemm call shared by its threads, with the buffers it
// reuses from call to call (jobs are recycled through jobFree).
type gemmJob struct {
	tA, tB      Op
	alpha, beta float64
	a, b, c     *Dense
	m, n, k     int
	blk         gemmBlocking
	nthreads    int
	splitN      bool // threads split the nr-panels of each B block instead of M
	directB     bool // the kernel reads op(B) = B in place (see gemmBlocked)
	directA     bool // the kernel reads op(A) = Aᵀ in place (see gemmBlocked)

	packedB []float64
	local   []gemmLocal // per thread
	bar     barrier
	done    sync.WaitGroup
}

// gemmLocal is one thread's packed A block and edge-tile buffer.
type gemmLocal struct {
	packedA []float64
	edge    []float64
}

var (
	jobMu   sync.Mutex
	jobFree []*gemmJob
)

func getJob() *gemmJob {
	jobMu.Lock()
	defer jobMu.Unlock()
	if n := len(jobFree); n > 0 {
		j := jobFree[n-1]
		jobFree = jobFree[:n-1]
		return j
	}
	return new(gemmJob)
}

func putJob(j *gemmJob) {
	j.a, j.b, j.c = nil, nil, nil
	jobMu.Lock()
	jobFree = append(jobFree, j)
	jobMu.Unlock()
}

// grow returns buf with length n, reusing its storage when it is large enough.
func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// Below this many flops (about 0.3 ms of one core) a product runs on one
// thread: waking a second one and two barriers per k block cost more than
// they save (100×784×128, 20 Mflop, measured slower on 2 threads here).
// A variable so that tests can send small products through the threaded
// path.
var gemmParallelFlops = float64(1 << 25)

// gemmDirect enables the in-place reads of op(A) and op(B) (directA,
// directB); tests turn it off to compare with the packed path.
var gemmDirect = true

func gemmBlocked(tA, tB Op, alpha float64, a, b *Dense, beta float64, c *Dense, m, n, k int) {
	mr, nr := asm.GemmShape()
	blk := blockingFor(mr, nr)
	if blockOverride != nil {
		blk = *blockOverride
	}
	// Even out the k blocks (k = 784 runs as 4×196, not 3×256 + 16): a
	// short last block would pay the C update for little work. This depends
	// on k and the level only, so the summation order stays fixed.
	if nb := ceilDiv(k, blk.kc); nb > 1 {
		blk.kc = min(blk.kc, ceilDiv(ceilDiv(k, nb), 8)*8)
	}
	// Even out the column blocks the same way, letting the blocks grow by up
	// to a quarter rather than leave a thin last one (n = 2048 runs as one
	// block of 2048, not 2040 + 8: a thin block would repack all of A for a
	// few columns). Column blocks do not touch the summation order either.
	if nb := ceilDiv(n, blk.nc); nb > 1 {
		if n <= (nb-1)*blk.nc*5/4 {
			nb--
		}
		blk.nc = ceilDiv(ceilDiv(n, nb), nr) * nr
	}
	j := getJob()
	*j = gemmJob{tA: tA, tB: tB, alpha: alpha, beta: beta, a: a, b: b, c: c, m: m, n: n, k: k, blk: blk,
		packedB: j.packedB, local: j.local}

	t := threads
	if 2*float64(m)*float64(n)*float64(k) < gemmParallelFlops {
		t = 1
	}
	mTiles, nTiles := ceilDiv(m, mr), ceilDiv(min(n, blk.nc), nr)
	// Split M when each thread gets at least two row tiles, else N.
	if mTiles < 2*t && nTiles > mTiles {
		j.splitN = true
		t = min(t, nTiles)
	} else {
		t = min(t, mTiles)
	}
	j.nthreads = t
	// When op(B) is B itself, its rows already hold each nr-panel's values
	// for one p side by side: the kernel can read them in place with
	// ldb = B's stride, skipping the copy. That copy is amortised over the
	// row blocks, so it only matters when M is one block (the small products
	// of a training step, where it is ~10 % of the time); with several row
	// blocks packed panels are friendlier to the caches. Edge panels whose
	// columns no kernel variant matches exactly are still packed (padding).
	// Bitwise the same result: same kernel, same values, same order.
	j.directB = gemmDirect && tB == NoTrans && m <= blk.mc
	// Likewise the rows of A hold op(A)'s mr-panels when op(A) = Aᵀ, if α
	// (which packing folds into A) is 1; a last partial row tile is packed.
	j.directA = gemmDirect && tA == Trans && alpha == 1 && m <= blk.mc
	kc, nc, mc := min(blk.kc, k), min(blk.nc, n), min(blk.mc, ceilDiv(m, mr)*mr)
	j.packedB = grow(j.packedB, kc*ceilDiv(nc, nr)*nr)
	for len(j.local) < t {
		j.local = append(j.local, gemmLocal{})
	}
	for i := 0; i < t; i++ {
		l := &j.local[i]
		l.packedA = grow(l.packedA, kc*ceilDiv(mc, mr)*mr)
		l.edge = grow(l.edge, mr*nr)
	}
	j.bar.reset(t)
	j.done.Add(t - 1)
	for tid := 1; tid < t; tid++ {
		startWorker(j, tid)
	}
	j.run(0)
	j.done.Wait()
	putJob(j)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// share returns thread tid's part [lo, hi) of n items split over t threads.
func share(n, t, tid int) (lo, hi int) { return n * tid / t, n * (tid + 1) / t }

// run is the loop nest of thread tid.
func (j *gemmJob) run(tid int) {
	blk, t := j.blk, j.nthreads
	mr, nr := blk.mr, blk.nr
	loc := &j.local[tid]
	rowLo, rowHi := 0, j.m
	if !j.splitN {
		lo, hi := share(ceilDiv(j.m, mr), t, tid)
		rowLo, rowHi = lo*mr, min(hi*mr, j.m)
	}
	// Even out the row blocks too (784 rows run as 4×196, rounded up to
	// whole tiles, not 3×256 + 16): a thin last block would stream every B
	// panel for a couple of tiles. Row blocks do not touch the summation
	// order.
	mcBlk := blk.mc
	if nb := ceilDiv(rowHi-rowLo, blk.mc); nb > 1 {
		mcBlk = min(blk.mc, ceilDiv(ceilDiv(rowHi-rowLo, nb), mr)*mr)
	}
	for jc := 0; jc < j.n; jc += blk.nc {
		nc := min(blk.nc, j.n-jc)
		panels := ceilDiv(nc, nr)
		for pc := 0; pc < j.k; pc += blk.kc {
			kc := min(blk.kc, j.k-pc)
			beta := 1.0
			if pc == 0 {
				beta = j.beta
			}
			lo, hi := share(panels, t, tid)
			switch {
			case !j.directB:
				packB(j.packedB, j.b, j.tB, pc, kc, jc, nc, nr, lo, hi)
			case hi == panels && j.padded(nc):
				packB(j.packedB, j.b, j.tB, pc, kc, jc, nc, nr, hi-1, hi)
			}
			j.bar.wait()
			jrLo, jrHi := 0, panels
			if j.splitN {
				jrLo, jrHi = lo, hi
			}
			for ic := rowLo; ic < rowHi; ic += mcBlk {
				mc := min(mcBlk, rowHi-ic)
				switch rem := mc % mr; {
				case !j.directA:
					packA(loc.packedA, j.a, j.tA, j.alpha, ic, mc, pc, kc, mr)
				case rem != 0: // only the partial tile, as panel 0
					packA(loc.packedA, j.a, j.tA, j.alpha, ic+mc-rem, rem, pc, kc, mr)
				}
				j.macro(loc, ic, mc, jc, nc, pc, kc, jrLo, jrHi, beta)
			}
			j.bar.wait()
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
// B micro-panels [jrLo, jrHi) of the block starting at column jc.
func (j *gemmJob) macro(loc *gemmLocal, ic, mc, jc, nc, pc, kc, jrLo, jrHi int, beta float64) {
	mr, nr := j.blk.mr, j.blk.nr
	c := j.c
	for jp := jrLo; jp < jrHi; jp++ {
		jr := jp * nr
		bp, ldb := j.packedB[jp*kc*nr:(jp+1)*kc*nr], nr
		cols := min(nr, nc-jr)
		// The last panel of a block may run a narrower variant of the
		// kernel (bitwise the same columns, less work on the padding).
		w := nr
		if cols < nr {
			w = asm.GemmTileWidth(cols)
		}
		if j.directB && cols == w {
			bp, ldb = j.b.Data[pc*j.b.Stride+jc+jr:], j.b.Stride
		}
		for ir := 0; ir < mc; ir += mr {
			ap, lda := loc.packedA[(ir/mr)*kc*mr:(ir/mr+1)*kc*mr], mr
			rows := min(mr, mc-ir)
			if j.directA {
				if rows == mr {
					ap, lda = j.a.Data[pc*j.a.Stride+ic+ir:], j.a.Stride
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
