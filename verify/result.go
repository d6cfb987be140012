package verify

import "math"

// unit is the unit roundoff of float64, 2⁻⁵³.
const unit = 0x1p-53

// Result is the outcome of one check on one case: the worst measured
// residual and the bound it was held to (both dimensionless, in the units
// each check documents). The check passes when Residual ≤ Bound; a NaN
// residual fails.
type Result struct {
	Residual float64 `json:"residual"`
	Bound    float64 `json:"bound"`
	// Detail says where the worst residual occurred (sample, step, …).
	Detail string `json:"detail,omitempty"`
}

// Pass reports whether Residual ≤ Bound (false for NaN).
func (r Result) Pass() bool { return r.Residual <= r.Bound }

// Ratio returns Residual/Bound (+Inf for a zero bound with a positive
// residual, NaN propagates): the figure the report ranks cases by.
func (r Result) Ratio() float64 {
	if r.Bound == 0 {
		if r.Residual == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return r.Residual / r.Bound
}

// worse returns whichever of a, b has the larger ratio (a NaN ratio wins).
func worse(a, b Result) Result {
	ra, rb := a.Ratio(), b.Ratio()
	if math.IsNaN(rb) || rb > ra {
		return b
	}
	return a
}

// worst accumulates the Result with the largest ratio.
type worst struct {
	res Result
	any bool
}

func (w *worst) add(r Result) {
	if !w.any {
		w.res, w.any = r, true
		return
	}
	w.res = worse(w.res, r)
}
