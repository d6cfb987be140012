package tensor

// Packing copies a block of op(A) or op(B) into the panel layout of the
// micro-kernel (asm.GemmTile): micro-panels of mr rows of op(A) stored
// column after column (mr values per p), and micro-panels of nr columns of
// op(B) stored row after row (nr values per p). Rows or columns past the
// matrix edge are padded with zeros, so edge tiles run the same kernel.

// packA packs rows [i0, i0+mc) and columns [p0, p0+kc) of α·op(A) into dst
// as ceil(mc/mr) micro-panels of kc·mr values.
func packA(dst []float64, a *Dense, tA Op, alpha float64, i0, mc, p0, kc, mr int) {
	s := a.Stride
	for ir := 0; ir < mc; ir += mr {
		panel := dst[(ir/mr)*kc*mr : (ir/mr+1)*kc*mr]
		rows := min(mr, mc-ir)
		if rows < mr {
			clear(panel)
		}
		if tA {
			// op(A)[i][p] = A[p][i]: mr contiguous values per p.
			for p := 0; p < kc; p++ {
				src := a.Data[(p0+p)*s+i0+ir : (p0+p)*s+i0+ir+rows]
				dp := panel[p*mr : p*mr+rows]
				if alpha == 1 {
					copy(dp, src)
				} else {
					for r, v := range src {
						dp[r] = alpha * v
					}
				}
			}
			continue
		}
		// op(A)[i][p] = A[i][p]: each row is contiguous over p. Walk p in
		// the outer loop so that the panel is written sequentially.
		base := (i0+ir)*s + p0
		for p := 0; p < kc; p++ {
			dp := panel[p*mr : p*mr+rows]
			src := a.Data[base+p:]
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
// units of panels) are written, so that threads can share the work.
func packB(dst []float64, b *Dense, tB Op, p0, kc, j0, nc, nr, jr0, jr1 int) {
	s := b.Stride
	for jp := jr0; jp < jr1; jp++ {
		jr := jp * nr
		panel := dst[jp*kc*nr : (jp+1)*kc*nr]
		cols := min(nr, nc-jr)
		if cols < nr {
			clear(panel)
		}
		if !tB {
			// op(B)[p][j] = B[p][j]: nr contiguous values per p.
			for p := 0; p < kc; p++ {
				copy(panel[p*nr:p*nr+cols], b.Data[(p0+p)*s+j0+jr:(p0+p)*s+j0+jr+cols])
			}
			continue
		}
		// op(B)[p][j] = B[j][p]: each column of op(B) is a contiguous row of
		// B. Walk p in the outer loop so that the panel is written
		// sequentially (the nr source rows stay in L1 between steps).
		base := (j0+jr)*s + p0
		for p := 0; p < kc; p++ {
			dp := panel[p*nr : p*nr+cols]
			src := b.Data[base+p:]
			for c := range dp {
				dp[c] = src[c*s]
			}
		}
	}
}
