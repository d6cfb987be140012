package steepest

import (
	"strings"

	"github.com/margo-lab/margo/nn"
)

// Config selects an optimizer by name for New (the CLI's flags map onto it).
type Config struct {
	// Name is one of gd, sd, cd, lp, spectral, adam, shampoo, or a CD
	// variant: cd-layer (LayerCD), cd-kink (KinkCD, flat), cd-layer-kink
	// (KinkCD per layer); see cd.go's table.
	Name string
	// LR is the (initial) learning rate η > 0.
	LR float64
	// Normalized selects ‖Δθ‖ = η (true) or ‖Δθ‖ = η‖∇L‖⋆ (false) for sd,
	// cd and its variants, lp and spectral. gd is always θ −= η∇L (for a
	// normalized ℓ2 step use NewSteepest(L2{}, lr, true)).
	Normalized bool
	// P is the exponent of lp (1 < P < ∞).
	P float64
	// Beta1, Beta2, Eps are Adam's parameters (any β ∈ [0, 1), ε ≥ 0).
	Beta1, Beta2, Eps float64
	// ShampooEps is Shampoo's initial preconditioner scale (0: 1e−4, the
	// torch-optimizer default); UpdateFreq its inverse-root period (0: 1).
	ShampooEps float64
	UpdateFreq int
	// Layout is the model's trainable layout (nn.MLP.Layout), needed by
	// spectral, shampoo and the CD variants and used for the parameter count of adam.
	Layout nn.Layout
}

// New returns the optimizer cfg describes.
func New(cfg Config) (Optimizer, error) {
	switch strings.ToLower(cfg.Name) {
	case "gd":
		return asOptimizer(NewGD(cfg.LR))
	case "sd":
		return asOptimizer(NewSD(cfg.LR, cfg.Normalized))
	case "cd":
		return asOptimizer(NewCD(cfg.LR, cfg.Normalized))
	case "lp":
		return asOptimizer(NewLpDescent(cfg.P, cfg.LR, cfg.Normalized))
	}
	if cfg.Layout.Layers() == 0 {
		return nil, errorf("optimizer %q needs the model's layout", cfg.Name)
	}
	switch strings.ToLower(cfg.Name) {
	case "spectral":
		return asOptimizer(NewSpectralDescent(cfg.Layout, cfg.LR, cfg.Normalized))
	case "cd-layer":
		return asOptimizer(NewLayerCD(cfg.Layout, cfg.LR, cfg.Normalized))
	case "cd-kink":
		return asOptimizer(NewKinkCD(cfg.Layout.Size(), cfg.LR, cfg.Normalized))
	case "cd-layer-kink":
		return asOptimizer(NewLayerKinkCD(cfg.Layout, cfg.LR, cfg.Normalized))
	case "adam":
		return asOptimizer(NewAdam(cfg.Layout.Size(), cfg.LR, cfg.Beta1, cfg.Beta2, cfg.Eps))
	case "shampoo":
		eps := cfg.ShampooEps
		if eps == 0 {
			eps = 1e-4
		}
		s, err := NewShampoo(cfg.Layout, cfg.LR, eps)
		if err != nil {
			return nil, err
		}
		if cfg.UpdateFreq > 0 {
			s.UpdateFreq = cfg.UpdateFreq
		}
		return s, nil
	}
	return nil, errorf("unknown optimizer %q (want gd, sd, cd, cd-layer, cd-kink, cd-layer-kink, lp, spectral, adam, shampoo)", cfg.Name)
}

// asOptimizer converts a constructor's result, keeping a nil interface (not
// a typed nil pointer) on error.
func asOptimizer[T Optimizer](o T, err error) (Optimizer, error) {
	if err != nil {
		return nil, err
	}
	return o, nil
}
