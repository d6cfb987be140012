package steepest

import (
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// Shampoo is the Shampoo variant the paper used for its Fig. 3
// (paper.md §5.3, §7): torch-optimizer's Shampoo (Novik 2020,
// torch_optimizer/shampoo.py) with momentum 0 and weight decay 0. For every
// weight matrix W (m×n) with true gradient G = ∇_W L it keeps
// preconditioners L (m×m) and R (n×n), both started at Eps·I, and each step
//
//	L ← L + G·Gᵀ;               if t mod UpdateFreq = 0: L⁻ ← L^{−1/Root}
//	G̃ = L⁻·G
//	R ← R + G̃ᵀ·G̃;              if t mod UpdateFreq = 0: R⁻ ← R^{−1/Root}
//	W ← W − η·G̃·R⁻,   t ← t+1
//
// with Root = 2 (torch-optimizer's order = the tensor's number of
// dimensions; not the −1/4 of Eq. 81). Note that torch-optimizer
// accumulates the right preconditioner from the left-preconditioned
// gradient G̃ = L⁻G, as written here; Textbook = true accumulates R += GᵀG
// instead (Gupta et al. 2018). This is NOT the pure spectral steepest step
// of Eq. 82 (NewSpectralDescent) once gradients accumulate. Its very first
// step from ε → 0 is: L^{−1/2}G = U·Vᵀ, R = V·Vᵀ, so the update is U·Vᵀ
// (tested); the textbook ordering would give U·Σ⁻¹·Vᵀ (paper.md §7).
//
// Shampoo uses the true gradient scale exp(logScale) (the preconditioners
// mix gradients of all past steps). Inverse roots come from the coupled
// Newton iteration of invroot.go.
type Shampoo struct {
	layout     nn.Layout
	logLR      float64
	Eps        float64 // initial preconditioner scale ε (torch-optimizer default 1e−4)
	UpdateFreq int     // recompute the inverse roots every UpdateFreq steps (default 1)
	Root       int     // p of the inverse p-th root (default 2)
	Textbook   bool    // R += GᵀG instead of torch-optimizer's R += G̃ᵀG̃
	T          int     // steps taken

	L, R, LInv, RInv []*tensor.Dense // per layer
	g, gt, upd       []*tensor.Dense // per-layer scratch: G, G̃, update
	work             map[int]*invRootWork
	pool             *tensor.Pool
}

// NewShampoo returns Shampoo (torch-optimizer variant) for the layers of
// layout, with initial preconditioner scale eps (> 0; the default of
// torch-optimizer is 1e−4).
func NewShampoo(layout nn.Layout, lr, eps float64) (*Shampoo, error) {
	l, err := checkLR(lr)
	if err != nil {
		return nil, errorf("shampoo: %w", err)
	}
	if !(eps > 0) || math.IsInf(eps, 1) {
		return nil, errorf("shampoo: eps %v, want finite eps > 0", eps)
	}
	s := &Shampoo{layout: layout, logLR: l, Eps: eps, UpdateFreq: 1, Root: 2, work: map[int]*invRootWork{}}
	for i := range layout.Layers() {
		sh := layout.Shape(i)
		s.L = append(s.L, scaledIdentity(sh.Out, eps))
		s.R = append(s.R, scaledIdentity(sh.In, eps))
		s.LInv = append(s.LInv, tensor.NewDense(sh.Out, sh.Out))
		s.RInv = append(s.RInv, tensor.NewDense(sh.In, sh.In))
		s.g = append(s.g, tensor.NewDense(sh.Out, sh.In))
		s.gt = append(s.gt, tensor.NewDense(sh.Out, sh.In))
		s.upd = append(s.upd, tensor.NewDense(sh.Out, sh.In))
	}
	return s, nil
}

func scaledIdentity(n int, c float64) *tensor.Dense {
	d := tensor.NewDense(n, n)
	for i := range n {
		d.Set(i, i, c)
	}
	return d
}

// Name returns e.g. "shampoo(eps=0.0001)".
func (s *Shampoo) Name() string {
	n := "shampoo(eps=" + formatFloat(s.Eps)
	if s.Root != 2 {
		n += ",root=" + formatFloat(float64(s.Root))
	}
	if s.Textbook {
		n += ",textbook"
	}
	return n + ")"
}

// LogLR returns log η.
func (s *Shampoo) LogLR() float64 { return s.logLR }

// SetLogLR sets log η.
func (s *Shampoo) SetLogLR(l float64) { s.logLR = l }

// State returns, per layer, L, R, L⁻, R⁻ (aliasing the matrices' data) and
// finally {T}.
func (s *Shampoo) State() [][]float64 {
	var st [][]float64
	for i := range s.L {
		st = append(st, s.L[i].Data, s.R[i].Data, s.LInv[i].Data, s.RInv[i].Data)
	}
	return append(st, []float64{float64(s.T)})
}

// SetState restores a State.
func (s *Shampoo) SetState(st [][]float64) error {
	dst := s.State()
	t := []float64{0}
	dst[len(dst)-1] = t
	if err := setState(s.Name(), dst, st); err != nil {
		return err
	}
	if t[0] < 0 || t[0] != math.Trunc(t[0]) {
		return errorf("%s: bad step count %v", s.Name(), t[0])
	}
	s.T = int(t[0])
	return nil
}

// Step applies one step from ev (see Optimizer).
func (s *Shampoo) Step(theta []float64, ev *nn.Eval) error {
	return s.Update(theta, ev.Grad, ev.LogScale)
}

// Update applies one Shampoo step. On error θ is unchanged but the
// preconditioners may have advanced (restore State to roll back).
func (s *Shampoo) Update(theta, grad []float64, logScale float64) error {
	if err := checkStep(s, theta, grad, logScale); err != nil {
		return err
	}
	if len(theta) != s.layout.Size() {
		return errorf("%s: built for %d parameters, got %d", s.Name(), s.layout.Size(), len(theta))
	}
	if s.Root < 1 || s.UpdateFreq < 1 {
		return errorf("%s: Root %d and UpdateFreq %d must be ≥ 1", s.Name(), s.Root, s.UpdateFreq)
	}
	scale := math.Exp(logScale)
	refresh := s.T%s.UpdateFreq == 0
	for i := range s.L {
		g, gt, upd := s.g[i], s.gt[i], s.upd[i]
		copy(g.Data, s.layout.View(grad, i).Data)
		asm.Scal(scale, g.Data)
		s.pool.Gemm(tensor.NoTrans, tensor.Trans, 1, g, g, 1, s.L[i])
		if refresh {
			if err := s.invRoot(s.LInv[i], s.L[i]); err != nil {
				return errorf("%s: layer %d left preconditioner: %w", s.Name(), i+1, err)
			}
		}
		s.pool.Gemm(tensor.NoTrans, tensor.NoTrans, 1, s.LInv[i], g, 0, gt)
		right := gt
		if s.Textbook {
			right = g
		}
		s.pool.Gemm(tensor.Trans, tensor.NoTrans, 1, right, right, 1, s.R[i])
		if refresh {
			if err := s.invRoot(s.RInv[i], s.R[i]); err != nil {
				return errorf("%s: layer %d right preconditioner: %w", s.Name(), i+1, err)
			}
		}
		s.pool.Gemm(tensor.NoTrans, tensor.NoTrans, 1, gt, s.RInv[i], 0, upd)
	}
	// θ changes only after every layer's preconditioner succeeded.
	lr := math.Exp(s.logLR)
	for i := range s.L {
		asm.Axpy(-lr, s.upd[i].Data, s.layout.View(theta, i).Data)
	}
	s.T++
	return nil
}

func (s *Shampoo) invRoot(dst, a *tensor.Dense) error {
	w := s.work[a.Rows]
	if w == nil {
		w = newInvRootWork(a.Rows)
		s.work[a.Rows] = w
	}
	w.pool = s.pool
	return w.invRoot(dst, a, s.Root)
}

// SetPool makes the step's GEMMs run on p (nil: the calling goroutine).
func (s *Shampoo) SetPool(p *tensor.Pool) { s.pool = p }
