package asm

// Packing copies a block of op(A) or op(B) into the panel layout of the
// micro-kernel (gemm.go): micro-panels of mr rows of op(A) stored
// column after column (mr values per p), and micro-panels of nr columns of
// op(B) stored row after row (nr values per p). Rows or columns past the
// matrix edge are padded with zeros, so edge tiles run the same kernel.
//
// Every loop walks the source in storage order where it can: a stored row
// is read once from end to end and scattered over the micro-panels, so
// that no cache line of the source is fetched twice. The plain copies
// (op(A) = Aᵀ, op(B) = B) move a row's full-width segments with copySegs
// (a zmm or ymm loop on AVX-512 and AVX2). Transposing copies (op(A) = A,
// op(B) = Bᵀ) take eight stored rows at a time through transpose8 (an 8×8
// register transpose on AVX-512, 4×4 on AVX2, a Go loop elsewhere),
// whenever the block has eight rows to take and α = 1.

// packA packs rows [i0, i0+mc) and columns [p0, p0+kc) of α·op(A) into dst
// as ceil(mc/mr) micro-panels of kc·mr values.
func packA(g *gemmKernels, dst []float64, a operand, tA bool, alpha float64, i0, mc, p0, kc int) {
	mr, s := g.mr, a.stride
	if rem := mc % mr; rem != 0 {
		clear(dst[(mc/mr)*kc*mr : (mc/mr+1)*kc*mr]) // the zero padding of the last panel
	}
	if tA {
		// op(A)[i][p] = A[p][i]: row p0+p of A holds column p of op(A).
		full := mc / mr * mr
		for p := 0; p < kc; p++ {
			src := a.data[(p0+p)*s+i0 : (p0+p)*s+i0+mc]
			ir := 0
			if alpha == 1 {
				g.copySegs(dst[p*mr:], kc*mr, src, mr, full/mr)
				ir = full
			}
			for ; ir < mc; ir += mr {
				seg := src[ir:min(ir+mr, mc)]
				dp := dst[(ir/mr)*kc*mr+p*mr:]
				dp = dp[:len(seg)]
				if alpha == 1 {
					copy(dp, seg)
				} else {
					for r, v := range seg {
						dp[r] = alpha * v
					}
				}
			}
		}
		return
	}
	// op(A)[i][p] = A[i][p]: read mr rows side by side, p in the outer loop,
	// so that each panel is written sequentially.
	for ir := 0; ir < mc; ir += mr {
		panel := dst[(ir/mr)*kc*mr : (ir/mr+1)*kc*mr]
		rows := min(mr, mc-ir)
		base := (i0+ir)*s + p0
		if rows == 8 && alpha == 1 {
			g.transpose8(panel, 8, a.data[base:], s, kc)
			continue
		}
		for p := 0; p < kc; p++ {
			dp := panel[p*mr : p*mr+rows]
			src := a.data[base+p:]
			if alpha == 1 {
				for r := range dp {
					dp[r] = src[r*s]
				}
			} else {
				for r := range dp {
					dp[r] = alpha * src[r*s]
				}
			}
		}
	}
}

// packB packs rows [p0, p0+kc) and columns [j0, j0+nc) of op(B) into dst
// as ceil(nc/nr) micro-panels of kc·nr values; only panels [jr0, jr1) (in
// units of panels) are written: run packs only the padded last panel when
// it reads the others in place.
func packB(g *gemmKernels, dst []float64, b operand, tB bool, p0, kc, j0, nc, jr0, jr1 int) {
	if jr0 >= jr1 {
		return
	}
	nr, s := g.nr, b.stride
	if jr1*nr > nc {
		last := jr1 - 1
		clear(dst[last*kc*nr : (last+1)*kc*nr]) // the zero padding of the last panel
	}
	if !tB {
		// op(B)[p][j] = B[p][j]: read row p0+p across all the panels.
		lo, hi := jr0*nr, min(jr1*nr, nc)
		full := (hi - lo) / nr * nr
		for p := 0; p < kc; p++ {
			src := b.data[(p0+p)*s+j0+lo : (p0+p)*s+j0+hi]
			g.copySegs(dst[jr0*kc*nr+p*nr:], kc*nr, src, nr, full/nr)
			if full < hi-lo {
				seg := src[full:]
				copy(dst[(jr0+full/nr)*kc*nr+p*nr:][:len(seg)], seg)
			}
		}
		return
	}
	// op(B)[p][j] = B[j][p]: each column of op(B) is a contiguous row of B.
	// Eight rows at a time are transposed by transpose8 as in packA; the nr
	// source rows of a panel stay in L1 while p advances.
	for jp := jr0; jp < jr1; jp++ {
		jr := jp * nr
		panel := dst[jp*kc*nr : (jp+1)*kc*nr]
		cols := min(nr, nc-jr)
		base := (j0+jr)*s + p0
		c := 0
		for ; c+8 <= cols; c += 8 {
			g.transpose8(panel[c:], nr, b.data[base+c*s:], s, kc)
		}
		for ; c < cols; c++ {
			src := b.data[base+c*s : base+c*s+kc]
			for p, v := range src {
				panel[p*nr+c] = v
			}
		}
	}
}
