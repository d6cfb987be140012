//go:build linux || darwin

package asm

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// Page-boundary tests, as the Go standard library runs for its assembly
// (bytes' and strings' tests near an unmapped page): each kernel gets
// slices that end exactly where an inaccessible page begins, or start
// exactly where one ends, so that reading or writing one element past the
// tail (or before the head) faults here instead of in a user's process.
// Every slice of a call has its own guarded mapping, and every combination
// of placements (each slice at its mapping's tail or head) runs, for every
// length 0…64: at the tail a slice of n elements starts at n mod 8 elements
// below a 64-byte boundary, at the head it starts on one and ends n mod 8
// elements past one, so the lengths walk every alignment of the free end of
// the slice, and mixed placements misalign the slices of one call against
// each other by every amount. An empty slice at the tail points
// at the unmapped page itself. A fault is turned into a test
// failure (debug.SetPanicOnFault) that names the kernel, level, length and
// placement. The result must equal, bitwise, the same kernel's on ordinary
// heap copies, and nothing in the mapping outside the slice may change.

const pageMaxLen = 64

// guardedSlot is a read-write mapping with an inaccessible page on each
// side; data is its read-write part.
type guardedSlot struct {
	data []float64
	orig []float64 // what data holds before each call (pattern)
}

// guardedSlots hands out per-slice mappings, grown on demand and unmapped
// when the test ends.
type guardedSlots struct {
	t     testing.TB
	slots []guardedSlot
}

func newGuardedSlots(t testing.TB) *guardedSlots { return &guardedSlots{t: t} }

// mapGuarded maps at least elems float64s between two PROT_NONE pages.
func mapGuarded(t testing.TB, elems int) []float64 {
	t.Helper()
	ps := os.Getpagesize()
	pages := max(1, (elems*8+ps-1)/ps)
	mem, err := syscall.Mmap(-1, 0, (pages+2)*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[:ps], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	if err := syscall.Mprotect(mem[(pages+1)*ps:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&mem[ps])), pages*ps/8)
}

// slot returns mapping i with room for at least elems values.
func (g *guardedSlots) slot(i, elems int) []float64 {
	for len(g.slots) <= i {
		g.slots = append(g.slots, guardedSlot{})
	}
	if len(g.slots[i].data) < elems {
		d := mapGuarded(g.t, max(elems, 512))
		orig := make([]float64, len(d))
		for j := range orig {
			orig[j] = pattern(i, j)
		}
		g.slots[i] = guardedSlot{d, orig}
	}
	return g.slots[i].data
}

// pattern is the value slot s holds at index j before a call: ordinary
// values of both signs and varied magnitude, with no two neighbours alike.
func pattern(s, j int) float64 {
	h := uint64(s)*0x9e3779b97f4a7c15 + uint64(j)*0xbf58476d1ce4e5b9
	h ^= h >> 29
	h *= 0x94d049bb133111eb
	h ^= h >> 32
	return (float64(h%20001) - 10000) / 1000
}

// placement says where each slice of a call sits: bit i set puts slice i
// at the head of its mapping, clear at the tail.
type placement uint

func (p placement) String() string {
	s := ""
	for i := 0; i < 8; i++ {
		if p&(1<<i) != 0 {
			s += "H"
		} else {
			s += "T"
		}
	}
	return s
}

// pageCase is one kernel called on guarded slices: lens gives the slice
// lengths for size n, run calls the kernel and returns its scalar results.
// fix, if set, makes the drawn inputs valid for the kernel (in place).
type pageCase struct {
	name string
	lens func(n int) []int
	run  func(xs [][]float64) []float64
	fix  func(xs [][]float64)
	ns   []int // the sizes to run; 0…pageMaxLen when nil
	// noRef skips the run on heap copies: only for the broken kernels of
	// TestPageBoundaryCatchesOverrun, whose accesses outside the slice
	// would corrupt or (under checkptr) stop the test on the Go heap.
	noRef bool
}

// callCatchingFault runs f and returns the fault it caused, if any.
func callCatchingFault(f func()) (fault any) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() { fault = recover() }()
	f()
	return nil
}

// runPageCase runs c at every size and placement and fails t at the first
// problem; who names the level.
func runPageCase(t *testing.T, g *guardedSlots, who string, c pageCase) {
	t.Helper()
	if msg := pageCaseFailure(g, c); msg != "" {
		t.Errorf("%s %s %s", c.name, who, msg)
	}
}

// pageCaseFailure runs c at every size and placement and describes the
// first failure ("" if none).
func pageCaseFailure(g *guardedSlots, c pageCase) string {
	ns := c.ns
	if ns == nil {
		for n := 0; n <= pageMaxLen; n++ {
			ns = append(ns, n)
		}
	}
	for _, n := range ns {
		lens := c.lens(n)
		for p := placement(0); p < 1<<len(lens); p++ {
			if msg := runPlaced(g, c, lens, p); msg != "" {
				return fmt.Sprintf("n=%d placement %s (T = slice ends at an unmapped page, H = starts after one): %s", n, p.String()[:len(lens)], msg)
			}
		}
	}
	return ""
}

// runPlaced makes one call at placement p and reports what went wrong.
func runPlaced(g *guardedSlots, c pageCase, lens []int, p placement) string {
	xs := make([][]float64, len(lens))
	offs := make([]int, len(lens))
	for i, l := range lens {
		d := g.slot(i, l)
		copy(d, g.slots[i].orig)
		if p&(1<<i) == 0 {
			offs[i] = len(d) - l
		}
		xs[i] = d[offs[i] : offs[i]+l : offs[i]+l]
		if l == 0 && offs[i] == len(d) {
			// Go keeps an empty reslice's pointer at the base; an empty
			// slice at the tail must point at the unmapped page itself.
			xs[i] = unsafe.Slice((*float64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(d)), 8*len(d))), 0)
		}
	}
	if c.fix != nil {
		c.fix(xs)
	}
	heap := make([][]float64, len(xs))
	var want []float64
	if !c.noRef {
		for i, x := range xs {
			heap[i] = clone(x)
		}
		want = c.run(heap)
	}
	var got []float64
	if f := callCatchingFault(func() { got = c.run(xs) }); f != nil {
		if a, ok := f.(interface{ Addr() uintptr }); ok {
			return fmt.Sprintf("fault at %#x (slices at %s): %v", a.Addr(), sliceAddrs(xs), f)
		}
		return fmt.Sprintf("fault: %v", f)
	}
	if c.noRef {
		heap = xs
	} else if !sameFloats(got, want) {
		return fmt.Sprintf("results %v, on heap copies %v", got, want)
	}
	for i, x := range xs {
		if !sameFloats(x, heap[i]) {
			return fmt.Sprintf("slice %d differs from the heap copy's:\n%s", i, cmp.Diff(heap[i], x, same))
		}
		d, orig := g.slots[i].data, g.slots[i].orig
		for j, v := range d {
			if (j < offs[i] || j >= offs[i]+lens[i]) && v != orig[j] {
				return fmt.Sprintf("slice %d: wrote outside it at mapping index %d (slice %d..%d)", i, j, offs[i], offs[i]+lens[i])
			}
		}
	}
	return ""
}

// sliceAddrs lists the address ranges of the slices, for fault messages.
func sliceAddrs(xs [][]float64) string {
	s := ""
	for i, x := range xs {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%d:[%#x,%#x)", i, p, p+uintptr(8*len(x)))
	}
	return s
}

func same1(n int) []int { return []int{n} }
func same2(n int) []int { return []int{n, n} }
func same3(n int) []int { return []int{n, n, n} }
func same4(n int) []int { return []int{n, n, n, n} }

// absAll makes the slices with the given indices non-negative (Adam's v).
func absAll(idx ...int) func(xs [][]float64) {
	return func(xs [][]float64) {
		for _, i := range idx {
			for j, v := range xs[i] {
				xs[i][j] = math.Abs(v)
			}
		}
	}
}

func norms3(n Norms) []float64 { return []float64{n.L1, n.L2, n.Linf} }

// levelOneCases are the level-1 kernels of table k.
func levelOneCases(k *kernels) []pageCase {
	return []pageCase{
		{"Dot", same2, func(xs [][]float64) []float64 { return []float64{k.dot(xs[0], xs[1])} }, nil, nil, false},
		{"Axpy", same2, func(xs [][]float64) []float64 { k.axpy(1.25, xs[0], xs[1]); return nil }, nil, nil, false},
		{"Scal", same1, func(xs [][]float64) []float64 { k.scal(-0.75, xs[0]); return nil }, nil, nil, false},
		{"AbsSum", same1, func(xs [][]float64) []float64 { return []float64{k.absSum(xs[0])} }, nil, nil, false},
		{"Nrm2", same1, func(xs [][]float64) []float64 { return []float64{k.nrm2(xs[0])} }, nil, nil, false},
		{"Nrm2/huge", same1, func(xs [][]float64) []float64 { return []float64{k.nrm2(xs[0])} }, scaleAll(1e300), nil, false},
		{"Nrm2/tiny", same1, func(xs [][]float64) []float64 { return []float64{k.nrm2(xs[0])} }, scaleAll(1e-300), nil, false},
		{"MaxAbs", same1, func(xs [][]float64) []float64 { return []float64{k.maxAbs(xs[0])} }, nil, nil, false},
		{"ArgMaxAbs", same1, func(xs [][]float64) []float64 { return []float64{float64(k.argMaxAbs(xs[0]))} }, nil, nil, false},
		{"Sign", same2, func(xs [][]float64) []float64 { k.sign(xs[0], xs[1]); return nil }, nil, nil, false},
		{"ReLU", same2, func(xs [][]float64) []float64 { k.relu(xs[0], xs[1]); return nil }, nil, nil, false},
		{"ReLUMask", same3, func(xs [][]float64) []float64 { k.reluMask(xs[0], xs[1], xs[2]); return nil }, nil, nil, false},
		{"AdamStep", same4, func(xs [][]float64) []float64 {
			a, b, c := k.adam(xs[0], xs[1], xs[2], xs[3], 0.5, 2, 0.9, 0.999, 1e-3, 0.3, 1e-8)
			return []float64{a, b, c}
		}, absAll(2), nil, false},
		{"SignStep", same2, func(xs [][]float64) []float64 { a, b := k.signStep(0.01, xs[0], xs[1]); return []float64{a, b} }, nil, nil, false},
		{"AxpyStep", same2, func(xs [][]float64) []float64 { a, b := k.axpyStep(-0.01, xs[0], xs[1]); return []float64{a, b} }, nil, nil, false},
		{"DotNorms", same2, func(xs [][]float64) []float64 {
			d, nx, ny := k.dotNorms(xs[0], xs[1])
			return append(append([]float64{d}, norms3(nx)...), norms3(ny)...)
		}, nil, nil, false},
	}
}

// scaleAll multiplies every input by s (Nrm2's scaled pass needs a sum of
// squares outside the normal range).
func scaleAll(s float64) func(xs [][]float64) {
	return func(xs [][]float64) {
		for _, x := range xs {
			for j := range x {
				x[j] *= s
			}
		}
	}
}

func TestPageBoundaryLevelOne(t *testing.T) {
	g := newGuardedSlots(t)
	for _, v := range variants(t) {
		for _, c := range levelOneCases(v.k) {
			runPageCase(t, g, v.name, c)
		}
	}
}

// The exported wrappers pass their slices on unchanged; run them once on
// the active level too (Adam is AdamStep with r1 = r2 = 1).
func TestPageBoundaryExported(t *testing.T) {
	g := newGuardedSlots(t)
	cases := []pageCase{
		{"Adam", same4, func(xs [][]float64) []float64 {
			Adam(xs[0], xs[1], xs[2], xs[3], 0.9, 0.999, 1e-3, 0.3, 1e-8)
			return nil
		}, absAll(2), nil, false},
		{"AdamStep", same4, func(xs [][]float64) []float64 {
			a, b, c := AdamStep(xs[0], xs[1], xs[2], xs[3], 1, 1, 0.9, 0.999, 1e-3, 0.3, 1e-8)
			return []float64{a, b, c}
		}, absAll(2), nil, false},
		{"ReLUMask", same3, func(xs [][]float64) []float64 { ReLUMask(xs[0], xs[1], xs[2]); return nil }, nil, nil, false},
	}
	for _, c := range cases {
		runPageCase(t, g, Active().String(), c)
	}
}

// gemmPageCases are the GEMM entry points on the active level, whose
// micro-kernel is g: every tile width, packed and strided panels, one to
// three strip tiles, and the two packing copies; n is k (the number of
// terms) or, for the packing copies, kc or the number of segments.
func gemmPageCases(g *gemmKernels) []pageCase {
	mr := g.mr
	widths := []int{g.nr}
	for _, v := range g.narrow {
		widths = append(widths, v.w)
	}
	panel := func(k, ld, w int) int {
		if k == 0 {
			return 0
		}
		return (k-1)*ld + w
	}
	var cs []pageCase
	for _, w := range widths {
		for _, pad := range []int{0, 3} {
			lda, ldb, ldc := mr+pad, w+pad, w+pad
			for _, beta := range []float64{0, 1.5} {
				cs = append(cs, pageCase{
					name: fmt.Sprintf("tileCols/w=%d/pad=%d/beta=%v", w, pad, beta),
					lens: func(k int) []int { return []int{panel(k, lda, mr), panel(k, ldb, w), (mr-1)*ldc + w} },
					run: func(xs [][]float64) []float64 {
						g.tileCols(w, k0(xs[0], lda, mr), xs[0], lda, xs[1], ldb, xs[2], ldc, beta)
						return nil
					},
				})
			}
			for tiles := 1; tiles <= 3; tiles++ {
				cs = append(cs, pageCase{
					name: fmt.Sprintf("stripCols/w=%d/pad=%d/tiles=%d", w, pad, tiles),
					lens: func(k int) []int {
						la := 0
						if k > 0 {
							la = (tiles-1)*k*lda + panel(k, lda, mr)
						}
						return []int{la, panel(k, ldb, w), (tiles*mr-1)*ldc + w}
					},
					run: func(xs [][]float64) []float64 {
						k := stripK(len(xs[0]), tiles, lda, mr)
						g.stripCols(w, k, tiles, xs[0], lda, k*lda, xs[1], ldb, xs[2], ldc, 1.5)
						return nil
					},
				})
			}
		}
	}
	cs = append(cs, pageCase{
		name: "tile",
		lens: func(k int) []int { return []int{panel(k, mr, mr), panel(k, g.nr, g.nr), (mr-1)*g.nr + g.nr} },
		run: func(xs [][]float64) []float64 {
			g.tileCols(g.nr, k0(xs[0], mr, mr), xs[0], mr, xs[1], g.nr, xs[2], g.nr, 0)
			return nil
		},
	})
	for _, pad := range []int{0, 3} {
		cs = append(cs, pageCase{
			name: fmt.Sprintf("transpose8/pad=%d", pad),
			lens: func(kc int) []int { return []int{panel(kc, 8+pad, 8), 7*(kc+pad) + kc} },
			run: func(xs [][]float64) []float64 {
				kc := (len(xs[1]) - 7*pad) / 8
				g.transpose8(xs[0], 8+pad, xs[1], kc+pad, kc)
				return nil
			},
		})
	}
	segs := []int{0, 1, 2, 3, 4, 5, 7, 8}
	for _, w := range []int{1, 3, 4, 8, 12, 16, 24, 32, 64} {
		for _, pad := range []int{0, 1} {
			step := w + pad
			cs = append(cs, pageCase{
				name: fmt.Sprintf("copySegs/w=%d/step=%d", w, step),
				lens: func(s int) []int { return []int{panel(s, step, w), s * w} },
				run: func(xs [][]float64) []float64 {
					g.copySegs(xs[0], step, xs[1], w, len(xs[1])/w)
					return nil
				},
				ns: segs,
			})
		}
	}
	return cs
}

// k0 recovers k from the length of a panel of k rows of w values at
// stride ld (0 for an empty panel).
func k0(a []float64, ld, w int) int {
	if len(a) == 0 {
		return 0
	}
	return (len(a)-w)/ld + 1
}

// stripK recovers k from the length of tiles A panels of k rows (stride
// lda, mr values a row, aStep = k·lda).
func stripK(la, tiles, lda, mr int) int {
	if la == 0 {
		return 0
	}
	// la = (tiles−1)·k·lda + (k−1)·lda + mr = k·tiles·lda − lda + mr
	return (la + lda - mr) / (tiles * lda)
}

func TestPageBoundaryGemm(t *testing.T) {
	defer setLevel(Active())
	g := newGuardedSlots(t)
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		for _, c := range gemmPageCases(v.g) {
			runPageCase(t, g, v.level.String(), c)
		}
	}
}

// gemmProductPageCases are Gemm on operands that end (or start) at an
// unmapped page: every transpose pair, row strides equal to the row or 3
// longer, α = 1 (op(A) = Aᵀ read in place) and α = 1.5 (packed), β = 0
// and 1.5, for products of size s×(s+1)×(s+2) (m×k×n); n is s.
func gemmProductPageCases() []pageCase {
	var cs []pageCase
	sizes := []int{1, 2, 3, 5, 8, 9, 13, 17, 24, 25, 33}
	size := func(len0 int, tA bool, lda int) (m, k, n int) {
		// Recover s from A's length: A is m×k (or k×m) with stride lda.
		for _, s := range sizes {
			m, k, n = s, s+1, s+2
			rows, cols := m, k
			if tA {
				rows, cols = k, m
			}
			if (rows-1)*(cols+lda)+cols == len0 {
				return m, k, n
			}
		}
		panic("no size fits")
	}
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		tA, tB := tr[0], tr[1]
		for _, pad := range []int{0, 3} {
			for _, ab := range [][2]float64{{1, 0}, {1.5, 1.5}} {
				alpha, beta := ab[0], ab[1]
				dims := func(s int) (ar, ac, br, bc, m, n int) {
					m, k, n := s, s+1, s+2
					ar, ac, br, bc = m, k, k, n
					if tA {
						ar, ac = k, m
					}
					if tB {
						br, bc = n, k
					}
					return ar, ac, br, bc, m, n
				}
				cs = append(cs, pageCase{
					name: fmt.Sprintf("Gemm/tA=%v/tB=%v/pad=%d/alpha=%v/beta=%v", tA, tB, pad, alpha, beta),
					lens: func(s int) []int {
						ar, ac, br, bc, m, n := dims(s)
						return []int{(ar-1)*(ac+pad) + ac, (br-1)*(bc+pad) + bc, (m-1)*(n+pad) + n}
					},
					run: func(xs [][]float64) []float64 {
						m, k, n := size(len(xs[0]), tA, pad)
						ac, bc := k, n
						if tA {
							ac = m
						}
						if tB {
							bc = k
						}
						Gemm(tA, tB, m, n, k, alpha, xs[0], ac+pad, xs[1], bc+pad, beta, xs[2], n+pad, nil)
						return nil
					},
					ns: sizes,
				})
			}
		}
	}
	return cs
}

// Gemm on every level near unmapped pages, with the block sizes of the
// level and with blocks shrunk to one tile (several k, row and column
// blocks, and the wide packing of Aᵀ, on small products).
func TestPageBoundaryGemmProduct(t *testing.T) {
	defer setLevel(Active())
	g := newGuardedSlots(t)
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		for _, small := range []bool{false, true} {
			if small {
				gemmBlockOverride = &gemmBlocking{kc: 8, mc: v.g.mr, nc: v.g.nr}
			}
			for _, c := range gemmProductPageCases() {
				runPageCase(t, g, fmt.Sprintf("%s small blocks=%v", v.level, small), c)
			}
			gemmBlockOverride = nil
		}
	}
}

// The harness must catch a kernel that reads one element past its slice,
// one that reads one before it, and one that writes past it.
func TestPageBoundaryCatchesOverrun(t *testing.T) {
	past := func(x []float64) float64 {
		if len(x) == 0 {
			return 0
		}
		return *(*float64)(unsafe.Add(unsafe.Pointer(&x[len(x)-1]), 8)) // x[len(x)], unchecked
	}
	before := func(x []float64) float64 {
		if len(x) == 0 {
			return 0
		}
		return *(*float64)(unsafe.Add(unsafe.Pointer(&x[0]), -8))
	}
	writePast := func(x []float64) {
		if len(x) > 0 {
			*(*float64)(unsafe.Add(unsafe.Pointer(&x[len(x)-1]), 8)) = 0
		}
	}
	writeBefore := func(x []float64) {
		if len(x) > 0 {
			*(*float64)(unsafe.Add(unsafe.Pointer(&x[0]), -8)) = 0
		}
	}
	g := newGuardedSlots(t)
	// At the tail (the first placement tried) a write before the slice
	// lands in mapped memory: the check of the rest of the mapping sees it.
	c := pageCase{"write before", same1, func(xs [][]float64) []float64 { writeBefore(xs[0]); return nil }, nil, []int{5}, true}
	if msg := pageCaseFailure(g, c); !strings.Contains(msg, "wrote outside") {
		t.Errorf("write before: the page-boundary harness did not report it (%q)", msg)
	}
	for _, c := range []pageCase{
		{"read past", same1, func(xs [][]float64) []float64 { return []float64{past(xs[0])} }, nil, []int{5}, true},
		{"read before", same1, func(xs [][]float64) []float64 { return []float64{before(xs[0])} }, nil, []int{5}, true},
		{"write past", same1, func(xs [][]float64) []float64 { writePast(xs[0]); return nil }, nil, []int{5}, true},
	} {
		if msg := pageCaseFailure(g, c); !strings.Contains(msg, "fault at") {
			t.Errorf("%s: the page-boundary harness did not report a fault (%q)", c.name, msg)
		}
	}
}
