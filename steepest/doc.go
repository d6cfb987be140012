// Package steepest implements the optimizers and measurements of "Flavors
// of Margin" (Tsilivis, Gronich, Kempe, Vardi; shared/paper.md): steepest
// descent under any norm, Adam and Shampoo, learning-rate schedules, and the
// margins and KKT measures that the paper's theorems are about.
//
// # Norms (paper.md §2)
//
// A Norm gives ‖θ‖, its dual ‖g‖⋆, the steepest unit direction
// argmin{⟨u, g⟩ : ‖u‖ ≤ 1} and a subgradient of ‖θ‖. L2, LInf, L1 and Lp
// act on the flat parameter vector; Modular is the paper's max-over-layers
// norm max_l ‖W_l‖_(l) over the layers of an nn.Layout, and Spectral its
// spectral case max_l σ_max(W_l). Spectral directions
// U·Vᵀ come from a Newton–Schulz polar iteration and σ_max from warm-started
// power iteration, on tensor GEMMs; there is no SVD dependency.
//
// # Optimizers
//
// Every Optimizer takes the gradient in nn.Eval's frame form (the true
// gradient is exp(LogScale)·Grad), so scale-invariant steps never underflow
// and scale-dependent ones (GD, unnormalized steps, Adam with ε > 0,
// Shampoo) see the true scale:
//
//	NewGD(lr)                          θ −= η·∇L                   (§2.3, ℓ2)
//	NewSD(lr, normalized)              θ −= η·sign(∇L)             (§2.3, ℓ∞; the paper's SD is normalized)
//	NewCD(lr, normalized)              one coordinate, argmax|g_i|  (§2.3, ℓ1)
//	NewLayerCD(layout, lr, normalized) one coordinate per layer     (max_l ‖W_l‖₁)
//	NewKinkCD(p, lr, normalized)       CD held at kinks             (margo's extension, §2.2)
//	NewLayerKinkCD(layout, lr, n)      per-layer CD held at kinks   (margo's extension)
//	NewLpDescent(p, lr, normalized)    ℓp steepest descent
//	NewSpectralDescent(layout, lr, n)  W_l −= η·U_l·V_lᵀ           (Eq. 82)
//	NewSteepest(norm, lr, normalized)  any Norm, e.g. NewModular(layout, …)
//	NewAdam(p, lr, β1, β2, ε)          torch.optim.Adam             (Eq. 80)
//	NewShampoo(layout, lr, ε)          torch-optimizer's Shampoo    (§7, the paper's Fig. 3)
//	New(Config)                        any of these by name, for the CLI
//
// opt.Step(θ, ev) applies one step from an nn.Eval. State/SetState expose
// the optimizer state for checkpoints and roll-backs.
//
// # Schedules
//
// Constant (the paper, §2.4) and LossAdaptive (Lyu & Li 2020, §8.2: η ∝ 1/L,
// grow on success, roll back and shrink on failure). Learning rates travel
// as logarithms so that η = Base/L may exceed the float range.
//
// # Metrics (§1.3–1.4, §3.7)
//
// A Meter turns (θ, nn.Eval) into Metrics: q_min, norms, hard and soft
// margins in ℓ1, ℓ2, ℓ∞ (and the spectral norm), the alignment
// ⟨θ, −g⟩/(‖θ‖‖g‖⋆), the Bregman stationarity value D = (1 − A)/γ^{2/L}
// and the complementary-slackness residual δ. Code names margins by the
// norm of θ in the denominator (MarginLinf = q_min/‖θ‖∞^L); the one table
// mapping them to the paper's γ names (γ_1 = MarginLinf, …) is on Metrics.
package steepest
