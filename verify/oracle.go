package verify

import (
	"errors"
	"fmt"
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
)

// Margin returns min_i y_i⟨θ, x_i⟩/‖θ‖ for the linear model f(x) = ⟨θ, x⟩
// (the geometric margin of Eq. 4 with L = 1).
func Margin(d *nn.Dataset, theta []float64, norm steepest.Norm) float64 {
	qmin := math.Inf(1)
	for i := range d.Len() {
		qmin = math.Min(qmin, d.Y[i]*asm.Dot(d.X.Row(i), theta))
	}
	return qmin / norm.Value(theta)
}

// MaxMargin returns the max-margin direction of a linear model on separable
// data for norm, θ⋆ ∈ argmax_{‖θ‖ ≤ 1} min_i y_i⟨θ, x_i⟩, with ‖θ⋆‖ = 1, and
// its margin. It is the limit direction of steepest descent w.r.t. that norm
// (paper.md §3.7 item 7; Gunasekar et al. 2018):
//
//	steepest.L2    gradient descent        hard-margin SVM (a QP, solved here by dual coordinate ascent)
//	steepest.LInf  sign descent (SD)       LP: max t s.t. y_i⟨θ, x_i⟩ ≥ t, −1 ≤ θ_j ≤ 1      (the paper's γ_1)
//	steepest.L1    coordinate descent (CD) LP: max t s.t. y_i⟨θ, x_i⟩ ≥ t, ‖θ‖₁ ≤ 1 (θ = u − v) (the paper's γ_∞)
//
// The LPs are solved by a two-phase simplex method with Bland's rule
// (simplex.go; gonum's simplex was tried first and cycled on degenerate
// instances of these LPs). It is an error if the data are not
// linearly separable through the origin.
func MaxMargin(d *nn.Dataset, norm steepest.Norm) ([]float64, float64, error) {
	var theta []float64
	var err error
	switch norm.(type) {
	case steepest.L2:
		theta, _, err = SVM(d)
	case steepest.LInf:
		theta, err = lpLinf(d)
	case steepest.L1:
		theta, err = lpL1(d)
	default:
		return nil, 0, fmt.Errorf("verify: max margin: norm %s not supported (l2, linf, l1)", norm.Name())
	}
	if err != nil {
		return nil, 0, err
	}
	s := norm.Value(theta)
	if !(s > 0) {
		return nil, 0, fmt.Errorf("verify: max margin (%s): zero solution: data not separable", norm.Name())
	}
	for i := range theta {
		theta[i] /= s
	}
	gm := Margin(d, theta, norm)
	if !(gm > 0) {
		return nil, 0, fmt.Errorf("verify: max margin (%s): margin %v: data not separable through the origin", norm.Name(), gm)
	}
	return theta, gm, nil
}

// lpLinf solves max t s.t. y_i⟨θ, x_i⟩ ≥ t, |θ_j| ≤ 1 in standard form
// over z = (θ' = θ + 1, t, r, s) ≥ 0: y_i⟨x_i, θ'⟩ − t − r_i = y_i⟨x_i, 1⟩,
// θ'_j + s_j = 2 (t ≥ 0 loses nothing on separable data).
func lpLinf(d *nn.Dataset) ([]float64, error) {
	n, dim := d.Len(), d.X.Cols
	nv := dim + 1 + n + dim
	A := newLPMatrix(n+dim, nv)
	b := make([]float64, n+dim)
	c := make([]float64, nv)
	c[dim] = -1
	for i := range n {
		for j := range dim {
			v := d.Y[i] * d.X.At(i, j)
			A.Set(i, j, v)
			b[i] += v
		}
		A.Set(i, dim, -1)
		A.Set(i, dim+1+i, -1)
	}
	for j := range dim {
		A.Set(n+j, j, 1)
		A.Set(n+j, dim+1+n+j, 1)
		b[n+j] = 2
	}
	z, err := solveLP(c, A, b)
	if err != nil {
		return nil, fmt.Errorf("verify: max margin (linf): %w", err)
	}
	theta := make([]float64, dim)
	for j := range theta {
		theta[j] = z[j] - 1
	}
	return theta, nil
}

// lpL1 solves max t s.t. y_i⟨u − v, x_i⟩ ≥ t, Σ(u + v) ≤ 1 in standard form
// over z = (u, v, t, r, s) ≥ 0: y_i⟨x_i, u − v⟩ − t − r_i = 0,
// Σ(u + v) + s = 1.
func lpL1(d *nn.Dataset) ([]float64, error) {
	n, dim := d.Len(), d.X.Cols
	nv := 2*dim + 1 + n + 1
	A := newLPMatrix(n+1, nv)
	b := make([]float64, n+1)
	c := make([]float64, nv)
	c[2*dim] = -1
	for i := range n {
		for j := range dim {
			v := d.Y[i] * d.X.At(i, j)
			A.Set(i, j, v)
			A.Set(i, dim+j, -v)
		}
		A.Set(i, 2*dim, -1)
		A.Set(i, 2*dim+1+i, -1)
	}
	for j := range 2 * dim {
		A.Set(n, j, 1)
	}
	A.Set(n, nv-1, 1)
	b[n] = 1
	z, err := solveLP(c, A, b)
	if err != nil {
		return nil, fmt.Errorf("verify: max margin (l1): %w", err)
	}
	theta := make([]float64, dim)
	for j := range dim {
		theta[j] = z[j] - z[dim+j]
	}
	return theta, nil
}

// solveLP minimises cᵀz s.t. Az = b, z ≥ 0 (simplex.go). Bland's rule
// cannot cycle in exact arithmetic, but rounding can make a degenerate
// vertex cycle; then the right-hand side is perturbed by 1e−9·(i+1)/m
// (which moves the optimum by about as much, far below the gaps measured)
// and the LP solved again.
func solveLP(c []float64, A *lpMatrix, b []float64) ([]float64, error) {
	x, err := simplex(c, A.data, b, A.rows, A.cols, lpTol)
	if !errors.Is(err, errLPStalled) {
		return x, err
	}
	pb := make([]float64, len(b))
	for i, v := range b {
		pb[i] = v + 1e-9*float64(i+1)/float64(len(b))
	}
	return simplex(c, A.data, pb, A.rows, A.cols, lpTol)
}

// lpMatrix is a dense row-major constraint matrix.
type lpMatrix struct {
	rows, cols int
	data       []float64
}

func newLPMatrix(r, c int) *lpMatrix { return &lpMatrix{r, c, make([]float64, r*c)} }

// Set sets entry (i, j).
func (a *lpMatrix) Set(i, j int, v float64) { a.data[i*a.cols+j] = v }

// SVMStats reports how well SVM solved the hard-margin problem.
type SVMStats struct {
	Sweeps int
	// Lower and Upper bracket the ℓ2 max margin: Lower = min_i y_i⟨w, x_i⟩/‖w‖₂
	// of the returned w (achieved), Upper = 1/√(2·D(α)) from weak duality
	// (D(α) = Σα − ½‖Σ α_i y_i x_i‖² ≤ ½‖w⋆‖² = 1/(2·M²)).
	Lower, Upper float64
}

// SVM solves the hard-margin SVM through the origin, min ½‖w‖₂² s.t.
// y_i⟨w, x_i⟩ ≥ 1, by coordinate ascent on its dual max_{α ≥ 0} Σα_i −
// ½‖Σ α_i y_i x_i‖² (each coordinate maximised exactly:
// α_i ← max(0, α_i + (1 − y_i⟨w, x_i⟩)/‖x_i‖²)), until the certified
// bracket of the margin is tight to 1e−10 relative (an error after 10⁶
// sweeps; coordinate ascent converges linearly but slowly on nearly
// collinear data). It
// returns w = Σ α_i y_i x_i (unnormalised), and the bracket.
func SVM(d *nn.Dataset) ([]float64, SVMStats, error) {
	n, dim := d.Len(), d.X.Cols
	w := make([]float64, dim)
	alpha := make([]float64, n)
	sq := make([]float64, n)
	for i := range n {
		sq[i] = asm.Dot(d.X.Row(i), d.X.Row(i))
	}
	var st SVMStats
	for st.Sweeps = 1; st.Sweeps <= 1_000_000; st.Sweeps++ {
		for i := range n {
			if sq[i] == 0 {
				continue
			}
			x := d.X.Row(i)
			na := math.Max(0, alpha[i]+(1-d.Y[i]*asm.Dot(w, x))/sq[i])
			asm.Axpy((na-alpha[i])*d.Y[i], x, w)
			alpha[i] = na
		}
		if st.Sweeps%16 != 0 {
			continue
		}
		ww := asm.Dot(w, w)
		var sa float64
		for _, a := range alpha {
			sa += a
		}
		dual := sa - ww/2
		qmin := math.Inf(1)
		for i := range n {
			qmin = math.Min(qmin, d.Y[i]*asm.Dot(w, d.X.Row(i)))
		}
		st.Lower = qmin / math.Sqrt(ww)
		st.Upper = 1 / math.Sqrt(2*dual)
		if ww > 1e30 {
			return nil, st, fmt.Errorf("verify: svm: ‖w‖ diverges: data not separable through the origin")
		}
		if st.Upper-st.Lower <= 1e-10*st.Upper {
			return w, st, nil
		}
	}
	return w, st, fmt.Errorf("verify: svm: margin bracket [%g, %g] not tight after %d sweeps", st.Lower, st.Upper, st.Sweeps-1)
}

// lpTol is the simplex tolerance (pivots and reduced costs); the data are
// O(1) Gaussians, so 1e−11 is far above rounding and far below any margin.
const lpTol = 1e-11
