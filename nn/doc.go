// Package nn holds the models of the paper (shared/paper.md §1, §5):
// bias-free ReLU and leaky-ReLU MLPs, which are L-homogeneous in their
// trainable weights (and, beyond the paper, MLPs with hidden-layer biases,
// which in general are not),
// with their forward and backward passes on tensor's GEMM and exponential
// and logistic losses computed in log space (§8.3).
//
// # Models and parameters
//
// An MLP computes f(x) = W_D σ(W_{D−1} … σ(W_1 x)) with σ(z) = max(z, s·z)
// (ReLU for s = 0, leaky ReLU for 0 < s < 1; both positively
// 1-homogeneous, so the slope does not change the degree), no biases
// (unless Config.Bias, below) and a scalar output. D = 1 is the linear model f(x) = W_1 x. All trainable parameters
// live in one flat []float64 θ, described by a Layout: W_1, …, W_D, each
// row-major (Out×In), concatenated; package steepest works on that vector
// and every norm of the paper is a norm of it. With Config.FreezeLast the
// last layer stays out of θ (MLP.Frozen holds it) and f is
// (D−1)-homogeneous in θ; MLP.Degree reports L.
//
// # Biases: leaving homogeneity
//
// With Config.Bias every hidden layer gets a trainable bias,
// h_l = σ(W_l h_{l−1} + b_l); the output layer stays bias-free. The biases
// sit in θ after all weights (b_1, …, b_{D−1}; Layout.Bias), so the weights
// keep their offsets and Init draws them exactly as without biases. A bias
// in the first hidden layer is a weight on a constant input: a depth-2
// network with biases is still 2-homogeneous in θ. A bias in any later
// layer is not scaled like the path below it (W_l h_{l−1} scales by c^l, b_l
// by c), and f is not homogeneous: MLP.Homogeneous reports false, Degree 0
// (undefined), and NominalDegree keeps the layer count that the margin
// formulas use. Euler's identity then reads
// ⟨∇f, θ⟩ = L f − Σ_l (l−1)⟨∂f/∂b_l, b_l⟩.
//
// # Batches without allocation
//
// Forward and Evaluate run a whole batch (the rows of X) through GEMMs:
// H_l = σ(H_{l−1}·W_lᵀ) forward, dW_l = Gᵀ·H_{l−1} and G_{l−1} = (G·W_l)⊙σ'
// backward. A Workspace holds every buffer; after the first call a step
// allocates nothing.
//
// # Mini-batches
//
// A Batcher draws the batches of stochastic training from a seed: each
// epoch a random permutation of the n samples cut into ⌊n/B⌋ batches of B
// (no sample twice within an epoch), the batch of step t a function of
// (seed, t) alone so that a resumed run draws what the uninterrupted one
// would. Batch(t) gathers its rows into storage the Batcher owns and
// Evaluate runs on it like on any Dataset, allocating nothing per step;
// with B = n it returns the dataset itself, bitwise the full batch.
//
// # Losses in log space
//
// The objective is L(θ) = Σ_i ℓ(q_i) with q_i = y_i f(x_i; θ) (or the mean),
// ℓ(q) = e^{−q} (Exp) or log(1 + e^{−q}) (Logistic). Eval keeps log L, never
// L itself, and the gradient as ∇L(θ) = exp(LogScale)·Grad where Grad is
// the weighted sum Σ_i w_i·(−y_i ∇f(x_i; θ)) with weights w = softmax(−q)
// for Exp (softmax(−softplus(q)) for Logistic). Scale-invariant steps (sign
// descent, coordinate descent, normalised steps, Adam with ε = 0) use Grad
// directly and stay exact when L is far below 1e−308; a loss such as
// e^{−10⁴} is still represented by its logarithm, and badly misclassified
// points early in training (q ≪ 0) do not overflow either. Eval.QMin and
// Eval.SoftNumerator give the numerators of the hard and soft margins.
//
// # Initialisation
//
// MLP.Init draws θ from math/rand/v2 (use a PCG source for reproducible
// runs): the paper's uniform scheme (§5.1), its coordinate-descent variant,
// or N(0, α²). Explicit weights are copied into θ through Layout.View (and
// into Frozen for a frozen last layer).
package nn
