package asm

//go:generate go -C _gen run ./dotnorms -out ../dotnorms_amd64.s
//go:generate go -C _gen run ./neon -family dotnorms -out ../dotnorms_arm64.s

import "math"

// Norms holds the ℓ1, ℓ2 and ℓ∞ norms of one vector.
type Norms struct {
	L1   float64 // Σ|x_i|, as AbsSum
	L2   float64 // √(Σ x_i²) free of overflow and underflow, as Nrm2
	Linf float64 // max|x_i|, as MaxAbs (exactly)
}

// DotNorms returns Σ x_i·y_i over i < len(x) and the ℓ1, ℓ2 and ℓ∞ norms
// of x and of y[:len(x)], reading each slice once: what Dot, AbsSum, Nrm2
// and MaxAbs (x and y) give in seven passes. Each value follows the
// separate kernel's semantics: the ℓ∞ norms are exactly MaxAbs's (NaN if
// the vector holds a NaN, 0 if empty); the ℓ2 norms are Nrm2's (free of
// overflow and underflow wherever representable, NaN if a NaN is present,
// else +Inf if an Inf is); the dot product and the ℓ1 norms are sums in
// another order than the separate kernels', so they agree with them to the
// usual reduction bound, not bitwise.
func DotNorms(x, y []float64) (dot float64, nx, ny Norms) {
	return active.dotNorms(x, y[:len(x)])
}

// dotNormsSums is the fast pass of one level: the dot product, then for x
// and for y the sum of |·|, the plain sum of squares and max|·|, in one
// pass over both slices. The maxima must be exact where the vector holds
// no NaN; where it does, the sum of |·| is NaN (a sum of non-negative
// values and at least one NaN) and the maximum may be anything: finishNorms
// replaces it.
type dotNormsSums func(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)

// dotNormsWith turns one level's fast pass into DotNorms's results.
func dotNormsWith(sums dotNormsSums, x, y []float64) (float64, Norms, Norms) {
	dot, l1x, ssqx, maxx, l1y, ssqy, maxy := sums(x, y)
	return dot, finishNorms(x, l1x, ssqx, maxx), finishNorms(y, l1y, ssqy, maxy)
}

// finishNorms applies the shared rules to one vector's sums. NaN: Σ|x_i|
// of non-negative terms is NaN exactly when some x_i is NaN (Inf + Inf
// stays Inf), and then max|x_i| is that NaN, as MaxAbs says. ℓ2: Nrm2's
// rule (nrm2Low): the plain sum of squares is used when it lies in
// [2^-800, MaxFloat64] — no square overflowed, and the squares lost to
// underflow (each below 2^-1022, at most n·2^-1075 in all) are far below
// one ulp of it — else the scaled second pass runs, with the maximum
// already in hand (so x is read twice only in that rare case).
func finishNorms(x []float64, l1, ssq, m float64) Norms {
	if l1 != l1 {
		m = l1
	}
	l2 := math.Sqrt(ssq)
	if !(ssq >= nrm2Low && ssq <= math.MaxFloat64) {
		l2 = nrm2Scaled(x, m)
	}
	return Norms{L1: l1, L2: l2, Linf: m}
}

func dotNormsGeneric(x, y []float64) (float64, Norms, Norms) {
	return dotNormsWith(dotNormsSumsGeneric, x, y)
}

// dotNormsSumsGeneric is the meaning of the fast pass, one element at a
// time (NaN makes a > m false, so the maxima skip NaN; finishNorms
// restores it).
func dotNormsSumsGeneric(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64) {
	y = y[:len(x)]
	for i, a := range x {
		b := y[i]
		dot += a * b
		ssqx += a * a
		ssqy += b * b
		a, b = math.Abs(a), math.Abs(b)
		l1x += a
		l1y += b
		if a > maxx {
			maxx = a
		}
		if b > maxy {
			maxy = b
		}
	}
	return dot, l1x, ssqx, maxx, l1y, ssqy, maxy
}
