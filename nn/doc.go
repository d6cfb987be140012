// Package nn holds the models of the paper (shared/paper.md §1, §5):
// bias-free ReLU MLPs, which are L-homogeneous in their trainable weights,
// with their forward and backward passes on tensor's GEMM and exponential
// and logistic losses computed in log space.
//
// All trainable parameters live in one flat []float64 θ, described by a
// Layout (W_1, …, W_D, each row-major, concatenated); package steepest works
// on that vector.
package nn
