package asm

//go:generate go -C _gen run ./norms -out ../norms_amd64.s
//go:generate go -C _gen run ./neon -family norms -out ../norms_arm64.s

import "math"

// AbsSum returns the ℓ1 norm Σ|x_i|.
func AbsSum(x []float64) float64 { return active.absSum(x) }

// Nrm2 returns the ℓ2 norm √(Σ x_i²), free of overflow and underflow
// wherever the result is representable. NaN if any x_i is NaN, else +Inf if
// any is infinite.
func Nrm2(x []float64) float64 { return active.nrm2(x) }

// MaxAbs returns the ℓ∞ norm max|x_i|: 0 for an empty slice, NaN if any x_i
// is NaN.
func MaxAbs(x []float64) float64 { return active.maxAbs(x) }

// ArgMaxAbs returns the first index of the largest |x_i|, treating NaN as
// larger than everything (so the first NaN wins), and −1 for an empty slice.
func ArgMaxAbs(x []float64) int { return active.argMaxAbs(x) }

func absSumGeneric(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += math.Abs(v)
	}
	return s
}

// The plain sum of squares is accurate when it lies in [nrm2Low, +Inf): no
// square overflowed, and the squares that underflowed (each below 2^-1022)
// cannot change it by more than n·2^-1022, far below one ulp of 2^-800.
const nrm2Low = 0x1p-800

func nrm2Generic(x []float64) float64 {
	var ssq float64
	for _, v := range x {
		ssq += v * v
	}
	if ssq >= nrm2Low && ssq <= math.MaxFloat64 {
		return math.Sqrt(ssq)
	}
	return nrm2Scaled(x, maxAbsGeneric(x))
}

// nrm2Scaled is the slow second pass of every level's Nrm2: the plain sum of
// squares overflowed, underflowed, or met Inf or NaN. m is max|x_i|. The
// elements are scaled by a power of two that brings m near 1 (exact, up to
// elements that fall into the subnormals and do not matter), summed, and
// scaled back.
func nrm2Scaled(x []float64, m float64) float64 {
	switch {
	case math.IsNaN(m) || math.IsInf(m, 0):
		return m
	case m == 0:
		return 0
	}
	_, e := math.Frexp(m) // m = f·2^e, f ∈ [0.5, 1)
	// Scale by 2^-e in two halves: 2^1074 itself is not representable.
	e1 := -e / 2
	e2 := -e - e1
	s1, s2 := math.Ldexp(1, e1), math.Ldexp(1, e2)
	var ssq float64
	for _, v := range x {
		v = v * s1 * s2
		ssq += v * v
	}
	return math.Sqrt(ssq) / s1 / s2
}

func maxAbsGeneric(x []float64) float64 {
	var m float64
	for _, v := range x {
		a := math.Abs(v)
		if a > m {
			m = a
		} else if a != a {
			return a
		}
	}
	return m
}

func argMaxAbsGeneric(x []float64) int {
	best, m := -1, -1.0
	for i, v := range x {
		a := math.Abs(v)
		if a != a {
			return i
		}
		if a > m {
			best, m = i, a
		}
	}
	return best
}
