// Command gemm generates asm/gemm_amd64.s: the GEMM micro-kernels of
// tensor's blocked product (tile strips and the narrow edge tiles), the
// packing steps and the FMA peak loops that the GEMM benchmarks quote, for
// AVX2 and AVX-512.
//
// The meaning of a micro-kernel is gemmTileGeneric (asm/gemm.go):
//
//	C[i][j] = Σ_{p<k} a[p·lda+i]·b[p·ldb+j] + β·C[i][j],  C not read when β = 0,
//
// each element summed with one FMA per p in increasing p, starting from +0,
// and finished with fma(β, C, acc): bitwise the same as the generic
// kernel. One description (type tile) gives every tile shape: mr rows of
// nv vectors, the accumulator of row i, vector j being register nv·i+j.
package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

// The shared register roles of the micro-kernels.
var (
	kLeft = reg.RCX // remaining k
	aPan  = reg.RAX // a panel, moves lda·8 bytes per p
	bPan  = reg.RBX // b panel, moves ldb·8 bytes per p
	cRow  = reg.RDX // current C row, moves ldc·8 bytes per row
	lda8  = reg.R8
	ldb8  = reg.R9
	ldc8  = reg.R10
	tmp   = reg.R11 // the C prefetch's row pointer, then β's bits without the sign
	aTile = reg.RDI // strips: this tile's a panel
	cTile = reg.RSI // strips: this tile's first C row
	aStep = reg.R12 // strips: aStep·8
	tiles = reg.R13 // strips: tiles left
)

const (
	sigTile  = "func(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64)"
	sigStrip = "func(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, beta float64, tiles int, aStep int)"
)

// tile is one micro-kernel: an mr × nv·Lanes tile of C.
type tile struct {
	isa    vec.ISA
	mr, nv int
	strip  bool  // runs `tiles` tiles down C (arguments tiles, aStep)
	bLoad  int   // first of the nv registers that load b[p][·]
	bcast  []int // registers that take a[p][i], row i using bcast[i mod len]
	beta   int   // register of β broadcast
	// prefetch are the byte offsets within a C row that PREFETCHT0 touches;
	// nil: every 64 bytes and the row's last byte.
	prefetch []int
	// aAhead > 0 adds a PREFETCHT0 of the A panel aAhead values of p
	// ahead to each p (the variant's name gets "Prefetch").
	aAhead int
	doc    []string // what is particular to this shape
}

// arg is an integer or pointer argument loaded into a register and shifted
// left by shift bits (right by −shift; 0: not at all).
type arg struct {
	param string
	r     reg.Register
	shift int
}

// args loads the arguments in order.
func args(as ...arg) {
	for _, a := range as {
		Load(Param(a.param), a.r)
		switch {
		case a.shift > 0:
			SHLQ(U8(a.shift), a.r)
		case a.shift < 0:
			SHRQ(U8(-a.shift), a.r)
		}
	}
}

func (t tile) name() string {
	variant := ""
	if t.aAhead > 0 {
		variant = "Prefetch"
	}
	return fmt.Sprintf("gemm%dx%d%s%s", t.mr, t.nv*t.isa.Lanes, variant, t.isa.Name)
}

func (t tile) rowBytes() int { return t.nv * t.isa.Bytes() }

func (t tile) offsets() []int {
	if t.prefetch != nil {
		return t.prefetch
	}
	var o []int
	for d := 0; d < t.rowBytes()-1; d += 64 {
		o = append(o, d)
	}
	return append(o, t.rowBytes()-1)
}

func (t tile) acc(i, j int) reg.VecPhysical { return t.isa.V(t.nv*i + j) }

func (t tile) regRange(first, n int) string {
	if n == 1 {
		return t.isa.VName(first)
	}
	return t.isa.VName(first) + "-" + t.isa.VName(first+n-1)
}

func (t tile) bcastNames() string {
	var n []string
	for _, r := range t.bcast {
		n = append(n, t.isa.VName(r))
	}
	if len(n) == 1 {
		return n[0]
	}
	return strings.Join(n, "/") + " alternating"
}

func (t tile) emit() {
	s := t.isa
	sig := sigTile
	if t.strip {
		sig = sigStrip
	}
	TEXT(t.name(), NOSPLIT, sig)
	lines := []string{
		fmt.Sprintf("Tile %d rows × %d columns. Go loop (gemmTileGeneric):", t.mr, t.nv*s.Lanes),
		"  for i < mr, j < nr { acc := +0; for p < k { acc = fma(a[p·lda+i], b[p·ldb+j], acc) }",
		"    if β ≠ 0 { acc = fma(β, C[i][j], acc) }; C[i][j] = acc }",
	}
	if t.strip {
		lines = append(lines,
			"A strip: tiles ≥ 1 tiles down C share the B panel; tile t reads the A panel at",
			fmt.Sprintf("a + t·aStep values and writes C rows [t·%d, t·%d+%d). tileCols calls it with tiles = 1.", t.mr, t.mr, t.mr),
			"One call per strip instead of one per tile saves the Go-side call and checks, 3–5 % of a",
			"product (asm/gemm.go).")
	}
	lines = append(lines,
		"Registers:",
		"  CX  remaining k          AX  a panel (moves lda·8 bytes per p)",
		"  BX  b panel (ldb·8/p)    DX  current C row (moves ldc·8 bytes per row)",
		"  R8  lda·8   R9  ldb·8    R10 ldc·8",
		"  R11 the row pointer of the C prefetch, then β's bits without the sign (0 ⇔ β = ±0)")
	if t.strip {
		lines = append(lines,
			"  DI  this tile's a panel  SI  this tile's first C row",
			"  R12 aStep·8              R13 tiles left (k and b are reloaded for each tile)")
	}
	lines = append(lines,
		fmt.Sprintf("  %s  accumulators: row i of C is %s(%d·i) .. %s(%d·i+%d), pinned for the whole k loop",
			t.regRange(0, t.mr*t.nv), s.VName(0)[:1], t.nv, s.VName(0)[:1], t.nv, t.nv-1),
		fmt.Sprintf("  %s  b[p][0..%d)    %s  a[p][i] broadcast    %s  β broadcast (epilogue)",
			t.regRange(t.bLoad, t.nv), t.nv*s.Lanes, t.bcastNames(), s.VName(t.beta)),
		fmt.Sprintf("Per p: %d vector loads of b, then per row one VBROADCASTSD and %d VFMADD231PD (%d FMAs).",
			t.nv, t.nv, t.mr*t.nv),
		fmt.Sprintf("Before the k loop PREFETCHT0 at byte offsets %v of every row of the C tile, so that", t.offsets()),
		"the epilogue finds C in L1. Epilogue: β = 0 stores the accumulators; otherwise",
		"acc = fma(β, C, acc) with C as memory operand, then store.")
	Comment(append(lines, t.doc...)...)

	if t.strip {
		args(arg{"lda", lda8, 3}, arg{"ldb", ldb8, 3}, arg{"ldc", ldc8, 3}, arg{"tiles", tiles, 0},
			arg{"aStep", aStep, 3}, arg{"a", aTile, 0}, arg{"c", cTile, 0})
		Label("tile")
		Load(Param("k"), kLeft)
		MOVQ(aTile, aPan)
		Load(Param("b"), bPan)
		MOVQ(cTile, cRow)
	} else {
		args(arg{"k", kLeft, 0}, arg{"a", aPan, 0}, arg{"lda", lda8, 3}, arg{"b", bPan, 0},
			arg{"ldb", ldb8, 3}, arg{"c", cRow, 0}, arg{"ldc", ldc8, 3})
	}
	for i := 0; i < t.mr*t.nv; i++ {
		s.Zero(s.V(i))
	}
	MOVQ(cRow, tmp)
	for i := 0; i < t.mr; i++ {
		if i > 0 {
			ADDQ(ldc8, tmp)
		}
		for _, o := range t.offsets() {
			PREFETCHT0(Mem{Base: tmp, Disp: o})
		}
	}
	TESTQ(kLeft, kLeft)
	JLE(LabelRef("store"))

	Label("loop")
	if t.aAhead > 0 {
		// aAhead·lda·8 bytes on: the A panel aAhead values of p ahead, in a
		// packed panel (lda = mr) and in an operand read in place alike.
		PREFETCHT0(Mem{Base: aPan, Index: lda8, Scale: uint8(t.aAhead)})
	}
	for j := 0; j < t.nv; j++ {
		VMOVUPD(Mem{Base: bPan, Disp: j * s.Bytes()}, s.V(t.bLoad+j))
	}
	for i := 0; i < t.mr; i++ {
		bc := s.V(t.bcast[i%len(t.bcast)])
		VBROADCASTSD(Mem{Base: aPan, Disp: 8 * i}, bc)
		for j := 0; j < t.nv; j++ {
			VFMADD231PD(s.V(t.bLoad+j), bc, t.acc(i, j))
		}
	}
	ADDQ(lda8, aPan)
	ADDQ(ldb8, bPan)
	DECQ(kLeft)
	JNZ(LabelRef("loop"))

	Label("store")
	MOVQ(vec.Addr("beta"), tmp)
	SHLQ(U8(1), tmp)
	JZ(LabelRef("overwrite"))
	VBROADCASTSD(vec.Addr("beta"), s.V(t.beta))
	t.epilogue(true)
	Label("overwrite")
	t.epilogue(false)

	if t.strip {
		Label("next")
		Comment("Next tile: the A panel aStep values on, C mr rows down.")
		ADDQ(aStep, aTile)
		LEAQ(Mem{Base: cTile, Index: ldc8, Scale: uint8(t.mr)}, cTile)
		DECQ(tiles)
		JNZ(LabelRef("tile"))
		VZEROUPPER()
		RET()
	}
}

// epilogue stores the tile row by row, with acc = fma(β, C, acc) first if
// withBeta; a strip then jumps to the next tile, a single tile returns.
func (t tile) epilogue(withBeta bool) {
	s := t.isa
	for i := 0; i < t.mr; i++ {
		if i > 0 {
			ADDQ(ldc8, cRow)
		}
		if withBeta {
			for j := 0; j < t.nv; j++ {
				VFMADD231PD(Mem{Base: cRow, Disp: j * s.Bytes()}, s.V(t.beta), t.acc(i, j))
			}
		}
		for j := 0; j < t.nv; j++ {
			VMOVUPD(t.acc(i, j), Mem{Base: cRow, Disp: j * s.Bytes()})
		}
	}
	if t.strip {
		// The jump at the end of the β = 0 branch goes to the label right
		// after it; avo drops it (PruneJumpToFollowingLabel).
		JMP(LabelRef("next"))
		return
	}
	VZEROUPPER()
	RET()
}

var (
	// tile8x24 is the AVX-512 kernel: 24 accumulators in zmm.
	tile8x24 = tile{isa: vec.AVX512, mr: 8, nv: 3, strip: true, bLoad: 24, bcast: []int{27, 28}, beta: 29,
		doc: []string{
			"24 FMAs per 3 vector loads + 8 broadcasts. No unrolling: the body is already 35",
			"instructions and the 24 independent FMA chains hide the FMA latency.",
			"FMAs with embedded broadcasts instead (VFMADD231PD.BCST, 24 memory operands per p)",
			"ran 8–15 % slower here (2026-11-27): the load ports, not the broadcasts, are then",
			"the limit. The C prefetch, measured 2026-11-27 (1 thread, 6 alternating rounds):",
			"without it the four large benchmark products lose 2–8 % (NT 250×2048×1024 the most);",
			"prefetching the next tile's C instead, a whole tile ahead, moved them by −2.5 to",
			"+4.4 %, no gain overall.",
		}}
	// tile8x24Prefetch is tile8x24 with the A panel prefetched 8 values of
	// p ahead, for the processors on which that pays (asm.gemmPrefetchA).
	tile8x24Prefetch = tile{isa: vec.AVX512, mr: 8, nv: 3, strip: true, bLoad: 24, bcast: []int{27, 28}, beta: 29,
		aAhead: 8,
		doc: []string{
			"gemm8x24AVX512 with one more instruction per p: PREFETCHT0 of the A panel 8 values",
			"of p ahead ((AX)(R8*8)). The same FMAs in the same order: bitwise the same tile.",
			"Run where the processor is an Intel one (asm.gemmPrefetchA): the prefetch gains",
			"2–9 % there and cost 1–4 % on AMD Zen 5 (docs/benchmarks.md).",
		}}
	// tile4x12 is the AVX2 kernel: all 16 ymm registers in use.
	tile4x12 = tile{isa: vec.AVX2, mr: 4, nv: 3, strip: true, bLoad: 12, bcast: []int{15}, beta: 15,
		doc: []string{"12 FMAs per 3 loads + 4 broadcasts; all 16 ymm registers in use."}}
	// tile8x16 and tile8x8 are the narrow AVX-512 tiles for the last column
	// panel of a product whose width leaves 16 or 8 or fewer columns: the
	// same per-element FMA sequence, so each is bitwise the first columns
	// of the 24-wide tile (tensor.Gemm gives them the same 24-wide B panel).
	tile8x16 = tile{isa: vec.AVX512, mr: 8, nv: 2, bLoad: 24, bcast: []int{27, 28}, beta: 29,
		prefetch: []int{0, 127},
		doc: []string{
			"The narrow sibling of gemm8x24AVX512 for an edge panel of ≤ 16 columns (it reads",
			"the first 16 columns of the same 24-wide packed B panel): bitwise its first 16 columns.",
			"The prefetch touches the first and the last byte of each row only (as the",
			"hand-written kernel did): the middle line of a row that is not 64-byte aligned",
			"is not prefetched.",
		}}
	tile8x8 = tile{isa: vec.AVX512, mr: 8, nv: 1, bLoad: 24, bcast: []int{27, 28}, beta: 29,
		doc: []string{
			"The narrow sibling of gemm8x24AVX512 for an edge panel of ≤ 8 columns (it reads",
			"the first 8 columns of the same 24-wide packed B panel): bitwise its first 8 columns.",
		}}
)

func main() {
	ConstraintExpr("!purego")
	for _, t := range []tile{tile8x24, tile8x24Prefetch, tile4x12, tile8x16, tile8x8} {
		t.emit()
	}
	for _, s := range []vec.ISA{vec.AVX512, vec.AVX2} {
		pack8(s)
	}
	for _, s := range []vec.ISA{vec.AVX512, vec.AVX2} {
		packRow(s)
	}
	for _, s := range []vec.ISA{vec.AVX512, vec.AVX2} {
		peak(s)
	}
	Generate()
}
