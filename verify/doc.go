// Package verify checks numerically, on a model, a norm or optimizer and a
// dataset, what "Flavors of Margin" (Tsilivis, Gronich, Kempe, Vardi;
// shared/paper.md) proves, and drives those checks over random cases: the
// same checks run as `go test ./verify/...` (cases drawn by rapid, which
// shrinks failures) and as `margo verify` (cases drawn from a seed).
//
// # Checks and what they test
//
//	check            statement (paper.md)                                   function
//	homogeneity      (A2): f(x; cθ) = c^L f(x; θ)                           Homogeneity
//	euler            ⟨∇f, θ⟩ = L f: Lemma 15 (MFCQ), Thm 1's proof, Prop. 28  Euler
//	homogeneity-bias the same two statements on MLPs with hidden biases in   Homogeneity,
//	euler-bias       ≥ 2 layers, which are not homogeneous: expected to fail  Euler
//	gradient         ∇log L of nn.Evaluate vs finite differences              GradientCheck
//	margin-monotone  Theorem 1/9 (exp), Theorem 22 (logistic): the soft       MarginMonotone
//	                 margin in the algorithm's own norm does not decrease
//	                 after separation, up to the second-order terms of a step
//	kkt              Def. 16 residuals with λ of Prop. 28 (and NNLS λ);       KKT
//	                 the identity of Prop. 28's proof, its bounds on D and δ,
//	                 Cor. 30 (ℓ2: ε²/2 = D); Thm 4/20 at the oracle points
//	oracle           §3.7 item 7 (Gunasekar et al. 2018; Thm 4 with L = 1):   MaxMargin, LinearGaps
//	                 each steepest descent on a linear model nears its own
//	                 norm's max-margin direction, closer than the others
//
// # Expected failures
//
// The paper's theory needs (A2), positive homogeneity. The homogeneity
// and Euler checks also draw networks whose single hidden layer has biases
// (a weight on a constant input: still homogeneous, and they must pass).
// The checks homogeneity-bias and euler-bias draw networks with biases in
// two or more hidden layers (nn.Config.Bias), which are not homogeneous,
// claim the degree of the bias-free architecture, and expect every case to
// fail: the table marks them "(expect fail)" and counts their failures in
// its expected column, and the run passes. A case that passes anyway is an
// unexpected pass, counted as a failure (and shrunk and written like
// one): a check that cannot tell a non-homogeneous model would pass
// vacuously on the others. A ReLU case in which no upper bias reaches f on
// any sample shows nothing and is skipped.
//
// Names follow the parameter norm (paper.md §1.4): steepest descent w.r.t.
// ℓ∞ (sign descent) maximises min y⟨θ, x⟩/‖θ‖∞ (the paper's γ_1, an LP);
// w.r.t. ℓ1 (coordinate descent) min y⟨θ, x⟩/‖θ‖₁ (γ_∞, an LP); GD
// min y⟨θ, x⟩/‖θ‖₂ (γ_2, the hard-margin SVM).
//
// # Tolerances
//
// Every check returns a Result: the worst measured residual and the bound it
// is held to, both dimensionless; each function's comment derives its bound.
// In short: homogeneity, Euler and the Prop. 28 identity are held to
// first-order floating-point error bounds (a multiple of Size·u, u = 2⁻⁵³,
// against a magnitude that bounds every partial sum: the network on |θ|,
// |x|); the gradient check to a Richardson estimate of the finite-difference
// truncation error plus rounding; margin monotonicity to the exact
// second-order remainder of one step (log-sum-exp curvature, (N+h)^L − N^L −
// L h N^{L−1}, and the curvature remainder r of f, measured); Prop. 28's
// inequalities to 1e−9 relative; the oracle's KKT residuals to 1e−5; the
// oracle comparisons are orderings (bound 1 on a ratio). Nothing passes
// vacuously: broken_test.go feeds a model with an output offset, a wrong degree, a
// gradient with a flipped layer, steepest ascent, and the max-margin points
// of other norms, and expects each to fail.
//
// # Discrete time
//
// The theorems are about the flow. Discrete steps can cross ReLU kinks and,
// with a large step, leave the separated region; the checks then judge the
// step that did so by its measured remainder and stop at it (MarginMonotone
// says so in Result.Detail). Proposition 28's bounds are checked in the
// sharper form of its proof, with γ̃(θ_t) where the statement has γ̃(θ_{t0})
// (the step between the two is Theorem 1, which margin-monotone checks).
// A constant normalized step leaves the hard margin oscillating at the
// scale of one step, so the oracle check asks the soft-margin gap
// 1 − γ̃/γ⋆ (≥ the hard gap) to shrink, and compares hard gaps across
// algorithms only where the max-margin directions differ by ≥ 10% and the
// other algorithm is near its own limit.
//
// # Cases, seeds and replays
//
// A Case holds every parameter of one random instance (architecture, data
// size, loss, norm, steps, step length, and a seed for data, weights and
// directions), so a failing case is a small JSON file. Run draws case i of a
// check from NewRandSource(seed ^ hash(check), i) (math/rand/v2's PCG),
// shrinks the first failure of each check greedily (fewer samples, layers,
// widths, inputs and steps while it still fails), writes it, and prints a
// table (check, cases, failures, skipped, worst residual, bound, ratio,
// where). Replay re-runs such a file. In tests the same generators draw
// through rapid (verify_test.go), whose shrinking and failure files apply.
//
// Models enter through the Model interface; NewMLPModel adapts an nn.MLP.
package verify
