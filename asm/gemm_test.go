package asm

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// gemmVariant is one level's micro-kernel, named for failure messages.
type gemmVariant struct {
	level Level
	g     *gemmKernels
}

// gemmVariants returns every GEMM micro-kernel this processor runs; a
// supported level without its own micro-kernel is a failure, not a skip.
func gemmVariants(t testing.TB) []gemmVariant {
	t.Helper()
	var vs []gemmVariant
	for _, l := range Available() {
		k, ok := tables[l]
		if !ok || k.gemm.tile == nil {
			t.Fatalf("level %s is supported but has no GEMM micro-kernel", l)
		}
		vs = append(vs, gemmVariant{l, &k.gemm})
	}
	return vs
}

// Every SIMD level has a GEMM micro-kernel of its own (the generic one is
// not a fallback there), and SetLevel switches Gemm's queries with it.
func TestGemmFollowsLevel(t *testing.T) {
	defer setLevel(Active())
	for l, k := range tables {
		if l != Generic && k.gemm.mr == genericKernels.gemm.mr && k.gemm.nr == genericKernels.gemm.nr {
			t.Errorf("%s runs the generic %d×%d GEMM tile", l, k.gemm.mr, k.gemm.nr)
		}
	}
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		if rows, cols := GemmGrain(); rows != v.g.mr || cols != v.g.tileWidth(1) {
			t.Fatalf("SetLevel(%s): GemmGrain %d, %d, want %d, %d", v.level, rows, cols, v.g.mr, v.g.tileWidth(1))
		}
	}
}

// Every micro-kernel, and each of its narrow variants, computes bitwise the
// tile of gemmTileGeneric (the same
// FMA sequence per element, see asm/gemm.go), for any k, strides, β
// (including 0, where C holds NaN that must not propagate, and 1), special
// values in the panels, and writes nothing outside the tile.
func TestGemmTile(t *testing.T) {
	checkGemmKernels(t, func(t *rapid.T, v gemmVariant, widths []int) {
		mr := v.g.mr
		// The full tile or one of its narrow variants (tileCols).
		nr := rapid.SampledFrom(widths).Draw(t, "width")
		k := rapid.OneOf(rapid.IntRange(0, 20), rapid.IntRange(0, 300)).Draw(t, "k")
		lda := mr + rapid.IntRange(0, 5).Draw(t, "lda-mr")
		ldb := nr + rapid.IntRange(0, 5).Draw(t, "ldb-nr")
		ldc := nr + rapid.IntRange(0, 5).Draw(t, "ldc-nr")
		special := rapid.Bool().Draw(t, "special")
		beta := rapid.SampledFrom([]float64{0, math.Copysign(0, -1), 1, -1, 0.5, 3.25, math.NaN()}).Draw(t, "beta")
		a := make([]float64, k*lda)
		b := make([]float64, k*ldb)
		for i := range a {
			a[i] = drawFloat(special).Draw(t, "a")
		}
		for i := range b {
			b[i] = drawFloat(special).Draw(t, "b")
		}
		buf, off, c := drawGuardedC(t, mr, nr, ldc, beta, special)
		want := clone(c)
		gemmTileGeneric(mr, nr, k, a, lda, b, ldb, want, ldc, beta)
		a0, b0 := clone(a), clone(b)
		v.g.tileCols(nr, k, a, lda, b, ldb, c, ldc, beta)
		checkKernelRun(t, fmt.Sprintf("%s %d×%d: k=%d lda=%d ldb=%d ldc=%d β=%v", v.level, mr, nr, k, lda, ldb, ldc, beta),
			c, want, a, a0, b, b0, buf, off, mr, nr, ldc)
	})
}

// stripCols computes bitwise the tiles of gemmTileGeneric, one per row tile,
// on every level and width: tiles 1–5 with A panels packed one after the
// other (aStep = k·lda), read in place side by side (aStep = mr, as from a
// row-major Aᵀ), repeated (aStep = 0) or at any other step; β as in
// TestGemmTile, with NaN in C when β = 0; nothing written outside the
// tiles or between them.
func TestGemmStrip(t *testing.T) {
	checkGemmKernels(t, func(t *rapid.T, v gemmVariant, widths []int) {
		mr := v.g.mr
		w := rapid.SampledFrom(widths).Draw(t, "width")
		tiles := rapid.IntRange(0, 5).Draw(t, "tiles")
		k := rapid.OneOf(rapid.IntRange(0, 20), rapid.IntRange(0, 300)).Draw(t, "k")
		ldb := w + rapid.IntRange(0, 5).Draw(t, "ldb-w")
		// C's rows may be wider than the strip: the other columns are guarded.
		ldc := w + rapid.IntRange(0, 5).Draw(t, "ldc-w")
		var lda, aStep int
		switch rapid.IntRange(0, 3).Draw(t, "a-layout") {
		case 0: // packed panels one after the other
			lda = mr
			aStep = k * lda
		case 1: // in place: the tiles' panels side by side in rows of lda
			lda = max(1, tiles)*mr + rapid.IntRange(0, 5).Draw(t, "lda-pad")
			aStep = mr
		case 2: // the same panel for every tile
			lda = mr + rapid.IntRange(0, 3).Draw(t, "lda-mr")
		default:
			lda = mr + rapid.IntRange(0, 3).Draw(t, "lda-mr")
			aStep = rapid.IntRange(0, k*lda+3).Draw(t, "aStep")
		}
		special := rapid.Bool().Draw(t, "special")
		beta := rapid.SampledFrom([]float64{0, math.Copysign(0, -1), 1, -1, 0.5, math.NaN()}).Draw(t, "beta")
		alen := 0
		if tiles > 0 && k > 0 {
			alen = (tiles-1)*aStep + (k-1)*lda + mr
		}
		a := make([]float64, alen)
		b := make([]float64, max(0, (k-1)*ldb+w))
		for i := range a {
			a[i] = drawFloat(special).Draw(t, "a")
		}
		for i := range b {
			b[i] = drawFloat(special).Draw(t, "b")
		}
		rows := tiles * mr
		buf, off, c := drawGuardedC(t, rows, w, ldc, beta, special)
		want := clone(c)
		for tt := 0; tt < tiles; tt++ {
			var ap []float64
			if k > 0 {
				ap = a[tt*aStep:]
			}
			gemmTileGeneric(mr, w, k, ap, lda, b, ldb, want[tt*mr*ldc:], ldc, beta)
		}
		a0, b0 := clone(a), clone(b)
		v.g.stripCols(w, k, tiles, a, lda, aStep, b, ldb, c, ldc, beta)
		checkKernelRun(t, fmt.Sprintf("%s %d×%d: %d tiles k=%d lda=%d aStep=%d ldb=%d ldc=%d β=%v",
			v.level, mr, w, tiles, k, lda, aStep, ldb, ldc, beta), c, want, a, a0, b, b0, buf, off, rows, w, ldc)
	})
}

// stripCols rejects what tileCols rejects, and short slices, with a panic
// that names the problem rather than a fault inside the assembly.
func TestGemmStripPanics(t *testing.T) {
	defer setLevel(Active())
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		mr, nr, k := v.g.mr, v.g.nr, 4
		a, b, c := make([]float64, 2*k*mr), make([]float64, k*nr), make([]float64, 2*mr*nr)
		v.g.stripCols(nr, k, 2, a, mr, k*mr, b, nr, c, nr, 0) // fits exactly
		for name, call := range map[string]func(){
			"negative tiles": func() { v.g.stripCols(nr, k, -1, a, mr, k*mr, b, nr, c, nr, 0) },
			"short A":        func() { v.g.stripCols(nr, k, 2, a[:len(a)-1], mr, k*mr, b, nr, c, nr, 0) },
			"short B":        func() { v.g.stripCols(nr, k, 2, a, mr, k*mr, b[:len(b)-1], nr, c, nr, 0) },
			"short C":        func() { v.g.stripCols(nr, k, 2, a, mr, k*mr, b, nr, c[:len(c)-1], nr, 0) },
			"small lda":      func() { v.g.stripCols(nr, k, 2, a, mr-1, k*mr, b, nr, c, nr, 0) },
			"small ldc":      func() { v.g.stripCols(nr, k, 1, a, mr, k*mr, b, nr, c, nr-1, 0) },
		} {
			expectPanic(t, v.level.String()+": stripCols with "+name, call)
		}
	}
}

// expectPanic reports an error naming what unless call panics.
func expectPanic(t *testing.T, what string, call func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	call()
}

// checkGemmKernels checks prop under rapid with each level's micro-kernel
// active, given the widths it computes (the full tile's, then its narrow
// variants').
func checkGemmKernels(t *testing.T, prop func(t *rapid.T, v gemmVariant, widths []int)) {
	t.Helper()
	defer setLevel(Active())
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		widths := []int{v.g.nr}
		for _, n := range v.g.narrow {
			widths = append(widths, n.w)
		}
		rapid.Check(t, func(t *rapid.T) { prop(t, v, widths) })
	}
}

// drawGuardedC returns C of rows×w with row stride ldc inside a buffer
// (at offset off) whose other entries hold guard: the entries of C start as
// drawn values, or NaN when β = 0 (a kernel must not read them then).
func drawGuardedC(t *rapid.T, rows, w, ldc int, beta float64, special bool) (buf []float64, off int, c []float64) {
	off = rapid.IntRange(0, 7).Draw(t, "off")
	buf = make([]float64, off+max(0, rows-1)*ldc+w+8)
	for i := range buf {
		buf[i] = guard
	}
	c = buf[off:]
	for i := 0; i < rows; i++ {
		for j := 0; j < w; j++ {
			if beta == 0 {
				c[i*ldc+j] = math.NaN()
			} else {
				c[i*ldc+j] = drawFloat(special).Draw(t, "c")
			}
		}
	}
	return buf, off, c
}

// checkKernelRun fails unless C is bitwise want, the panels a and b are
// unchanged (a0, b0: their copies) and nothing outside C's rows×w entries
// of buf changed.
func checkKernelRun(t *rapid.T, what string, c, want, a, a0, b, b0, buf []float64, off, rows, w, ldc int) {
	if !cmp.Equal(c, want, same) {
		t.Fatalf("%s: C differs from the generic kernel's\n%s", what, cmp.Diff(want, c, same))
	}
	if !cmp.Equal(a, a0, same) || !cmp.Equal(b, b0, same) {
		t.Fatalf("%s: the panels changed", what)
	}
	for i, x := range buf {
		inC := i >= off && (i-off)%ldc < w && (i-off)/ldc < rows
		if !inC && x != guard {
			t.Fatalf("%s: wrote outside C at buffer index %d", what, i)
		}
	}
}

// gemmTileGeneric is itself checked against a plain dot product per element
// (no FMA): |Δ| ≤ 2·k·ε·Σ|a·b| + ulp-scale term for β·C (the classic bound
// for a recursive sum of k products, c = 2 covering both computations).
func TestGemmTileGenericMeaning(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mr := rapid.IntRange(1, 9).Draw(t, "mr")
		nr := rapid.IntRange(1, 9).Draw(t, "nr")
		k := rapid.IntRange(0, 50).Draw(t, "k")
		beta := rapid.SampledFrom([]float64{0, 1, -2.5}).Draw(t, "beta")
		a := make([]float64, k*mr)
		b := make([]float64, k*nr)
		c := make([]float64, mr*nr)
		for _, s := range [][]float64{a, b, c} {
			for i := range s {
				s[i] = rapid.Float64Range(-10, 10).Draw(t, "x")
			}
		}
		c0 := clone(c)
		gemmTileGeneric(mr, nr, k, a, mr, b, nr, c, nr, beta)
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				var s, mag float64
				for p := 0; p < k; p++ {
					s += a[p*mr+i] * b[p*nr+j]
					mag += math.Abs(a[p*mr+i] * b[p*nr+j])
				}
				want := s + beta*c0[i*nr+j]
				mag += math.Abs(beta * c0[i*nr+j])
				if math.Abs(c[i*nr+j]-want) > 2*float64(k+2)*eps*mag {
					t.Fatalf("element (%d,%d): got %v want %v", i, j, c[i*nr+j], want)
				}
			}
		}
	})
}

// A deliberately wrong kernel (one term dropped) must fail the exactness
// check TestGemmTile relies on: the comparison can fail.
func TestGemmTileCheckCanFail(t *testing.T) {
	a := []float64{1, 2, 3, 4}
	b := []float64{5, 6, 7, 8}
	want := make([]float64, 4)
	got := make([]float64, 4)
	gemmTileGeneric(2, 2, 2, a, 2, b, 2, want, 2, 0)
	gemmTileGeneric(2, 2, 1, a, 2, b, 2, got, 2, 0) // drops the term p = 1
	if cmp.Equal(got, want, same) {
		t.Fatal("a kernel that drops a term passed the comparison")
	}
}

// BenchmarkGemmTile runs each micro-kernel on L1-resident packed panels
// (k = 128): the kernel's own peak, including its C update.
func BenchmarkGemmTile(b *testing.B) {
	defer setLevel(Active())
	for _, v := range gemmVariants(b) {
		b.Run(fmt.Sprintf("%s/%dx%d", v.level, v.g.mr, v.g.nr), func(b *testing.B) {
			if err := SetLevel(v.level); err != nil {
				b.Fatal(err)
			}
			const k = 128
			mr, nr := v.g.mr, v.g.nr
			pa, pb, c := make([]float64, k*mr), make([]float64, k*nr), make([]float64, mr*nr)
			for i := range pa {
				pa[i] = 1
			}
			for i := range pb {
				pb[i] = 0.5
			}
			var n int
			for b.Loop() {
				for r := 0; r < 64; r++ {
					v.g.tileCols(nr, k, pa, mr, pb, nr, c, nr, 0)
				}
				n += 64
			}
			b.ReportMetric(float64(n)*2*k*float64(mr*nr)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// transpose8 on every level (the AVX-512 transpose plus its Go tail, and the
// pure-Go twin elsewhere) copies out[p·ld+r] = src[r·s+p] bit for bit,
// including NaN payloads and signed zeros, for every kc around the 8-wide
// blocks, any ld ≥ 8 and row stride s (also s < kc, overlapping rows),
// writes nothing else of out and leaves src unchanged.
func TestGemmPack8(t *testing.T) {
	defer setLevel(Active())
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		rapid.Check(t, func(t *rapid.T) {
			// Every tail (kc mod 8) with 0–4 whole blocks, sometimes more
			// (each element is drawn through rapid, which dominates the cost).
			kc := rapid.OneOf(rapid.IntRange(0, 35), rapid.IntRange(0, 100)).Draw(t, "kc")
			ld := 8 + rapid.IntRange(0, 20).Draw(t, "ld-8")
			s := rapid.OneOf(rapid.IntRange(kc, kc+9), rapid.IntRange(0, kc+1)).Draw(t, "s")
			srcOff := rapid.IntRange(0, 7).Draw(t, "srcOff")
			outOff := rapid.IntRange(0, 7).Draw(t, "outOff")
			special := rapid.Bool().Draw(t, "special")
			src := make([]float64, srcOff+7*s+kc)
			for i := range src {
				src[i] = drawFloat(special).Draw(t, "src")
			}
			outLen := outOff + 8 + 3
			if kc > 0 {
				outLen = outOff + (kc-1)*ld + 8 + 3
			}
			buf := make([]float64, outLen)
			for i := range buf {
				buf[i] = guard
			}
			want := clone(buf)
			for p := 0; p < kc; p++ {
				for r := 0; r < 8; r++ {
					want[outOff+p*ld+r] = src[srcOff+r*s+p]
				}
			}
			src0 := clone(src)
			v.g.transpose8(buf[outOff:], ld, src[srcOff:], s, kc)
			checkPack(t, fmt.Sprintf("%s: kc=%d ld=%d s=%d", v.level, kc, ld, s), buf, want, src, src0)
		})
	}
}

// A pack that swaps two rows must fail the comparison TestGemmPack8 uses.
func TestGemmPack8CheckCanFail(t *testing.T) {
	src := make([]float64, 8*3)
	for i := range src {
		src[i] = float64(i)
	}
	want := make([]float64, 3*8)
	got := make([]float64, 3*8)
	gemmPack8Generic(want, 8, src, 3, 3)
	gemmPack8Generic(got, 8, src, 3, 3)
	got[0], got[1] = got[1], got[0]
	if cmp.Equal(got, want, same) {
		t.Fatal("a pack with two rows swapped passed the comparison")
	}
}

// copySegs on every level: every segment width up to 30 (so the widths
// the assembly takes, multiples of 4 or 8, and the ones it leaves to Go),
// 0–12 segments, strides from w up, unaligned ends, special values; the
// packed cells bitwise the definition, every other cell of out untouched,
// src unchanged.
func TestGemmPackRow(t *testing.T) {
	defer setLevel(Active())
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		rapid.Check(t, func(t *rapid.T) {
			w := rapid.OneOf(rapid.SampledFrom([]int{4, 8, 12, 16, 24}), rapid.IntRange(0, 30)).Draw(t, "w")
			segs := rapid.IntRange(0, 12).Draw(t, "segs")
			step := w + rapid.OneOf(rapid.Just(0), rapid.IntRange(0, 40)).Draw(t, "step-w")
			srcOff := rapid.IntRange(0, 7).Draw(t, "srcOff")
			outOff := rapid.IntRange(0, 7).Draw(t, "outOff")
			special := rapid.Bool().Draw(t, "special")
			src := make([]float64, srcOff+segs*w+3)
			for i := range src {
				src[i] = drawFloat(special).Draw(t, "src")
			}
			buf := make([]float64, outOff+max(0, (segs-1)*step+w)+3)
			for i := range buf {
				buf[i] = guard
			}
			want := clone(buf)
			for seg := range segs {
				for j := range w {
					want[outOff+seg*step+j] = src[srcOff+seg*w+j]
				}
			}
			src0 := clone(src)
			v.g.copySegs(buf[outOff:], step, src[srcOff:], w, segs)
			checkPack(t, fmt.Sprintf("%s: w=%d segs=%d step=%d", v.level, w, segs, step), buf, want, src, src0)
		})
	}
}

// checkPack fails unless a pack wrote exactly want (every bit, NaN
// payloads and guard cells included) and left its source as it was (src0).
func checkPack(t *rapid.T, what string, out, want, src, src0 []float64) {
	bits := cmp.Comparer(func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	if !cmp.Equal(out, want, bits) {
		t.Fatalf("%s: packed cells differ from the definition\n%s", what, cmp.Diff(want, out, bits))
	}
	if !cmp.Equal(src, src0, bits) {
		t.Fatalf("%s: changed its source", what)
	}
}

// copySegs panics on bad sizes and short slices on every level, before
// the assembly could touch memory outside them.
func TestGemmPackRowPanics(t *testing.T) {
	defer setLevel(Active())
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		const w, segs, step = 8, 3, 20
		out, src := make([]float64, (segs-1)*step+w), make([]float64, segs*w)
		v.g.copySegs(out, step, src, w, segs) // fits exactly
		for name, call := range map[string]func(){
			"negative w":    func() { v.g.copySegs(out, step, src, -8, segs) },
			"negative segs": func() { v.g.copySegs(out, step, src, w, -1) },
			"step below w":  func() { v.g.copySegs(out, w-1, src, w, segs) },
			"short out":     func() { v.g.copySegs(out[:len(out)-1], step, src, w, segs) },
			"short src":     func() { v.g.copySegs(out, step, src[:len(src)-1], w, segs) },
		} {
			expectPanic(t, v.level.String()+": copySegs with "+name, call)
		}
	}
}

// BenchmarkGemmPackRow packs rows of a 12000×784 operand into 8-wide
// panels (kc = 392 rows of op(A) = Aᵀ, as tensor.Gemm packs the MNIST
// weight gradient's Xᵀ), doubles per second: the 75 MB source comes from
// memory, as in the product.
func BenchmarkGemmPackRow(b *testing.B) {
	defer setLevel(Active())
	for _, v := range gemmVariants(b) {
		b.Run(v.level.String(), func(b *testing.B) {
			if err := SetLevel(v.level); err != nil {
				b.Fatal(err)
			}
			const rows, cols, kc, w = 12000, 784, 392, 8
			src, out := make([]float64, rows*cols), make([]float64, kc*cols)
			var n int
			for b.Loop() {
				for p0 := 0; p0 < rows; p0 += kc {
					for p := p0; p < min(p0+kc, rows); p++ {
						v.g.copySegs(out[(p-p0)*w:], kc*w, src[p*cols:], w, cols/w)
					}
				}
				n += rows * cols
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e9, "Gdouble/s")
		})
	}
}

// BenchmarkGemmPack8 transposes 8×kc blocks (kc = 256; ld = 24 as in the
// AVX-512 B pack) on every level, packed doubles per second: "warm" packs
// one L1-resident block again and again, "cold" walks a 16 MB source (a
// transposed 1024×2048 operand, as tensor.Gemm's NT products read it once
// from memory).
func BenchmarkGemmPack8(b *testing.B) {
	defer setLevel(Active())
	for _, v := range gemmVariants(b) {
		b.Run(v.level.String()+"/warm", func(b *testing.B) {
			if err := SetLevel(v.level); err != nil {
				b.Fatal(err)
			}
			const kc, ld, s = 256, 24, 784
			src, out := make([]float64, 8*s), make([]float64, kc*ld)
			for b.Loop() {
				v.g.transpose8(out, ld, src, s, kc)
			}
			b.ReportMetric(float64(8*kc*b.N)/b.Elapsed().Seconds()/1e9, "Gdouble/s")
		})
		b.Run(v.level.String()+"/cold", func(b *testing.B) {
			if err := SetLevel(v.level); err != nil {
				b.Fatal(err)
			}
			const rows, s, kc, ld = 1024, 2048, 256, 24
			src, out := make([]float64, rows*s), make([]float64, kc*ld)
			var n int
			for b.Loop() {
				for p0 := 0; p0 < s; p0 += kc {
					for r := 0; r < rows; r += 8 {
						v.g.transpose8(out, ld, src[r*s+p0:], s, kc)
					}
				}
				n += rows * s
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e9, "Gdouble/s")
		})
	}
}

// tileWidth picks, on every level, the narrowest registered width that
// covers the columns, and tileCols accepts exactly those widths.
func TestGemmTileWidth(t *testing.T) {
	defer setLevel(Active())
	for _, v := range gemmVariants(t) {
		if err := SetLevel(v.level); err != nil {
			t.Fatal(err)
		}
		for cols := 1; cols <= v.g.nr; cols++ {
			w := v.g.tileWidth(cols)
			want := v.g.nr
			for _, n := range v.g.narrow {
				if cols <= n.w && n.w < want {
					want = n.w
				}
			}
			if w != want || w < cols {
				t.Fatalf("%s: v.g.tileWidth(%d) = %d, want %d", v.level, cols, w, want)
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Fatalf("%s: tileCols with width 3 did not panic", v.level)
				}
			}()
			v.g.tileCols(3, 0, nil, v.g.mr, nil, v.g.nr, make([]float64, v.g.mr*v.g.nr), v.g.nr, 0)
		}()
	}
}
