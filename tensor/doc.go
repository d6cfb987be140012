// Package tensor holds margo's float64 matrices and vectors: a row-major
// Dense matrix with views that share storage, the matrix product GEMM, and
// the vector operations nn/ and steepest/ need, all running on the kernels
// of package asm. Operations write into destinations the caller provides;
// none allocates in a hot path.
package tensor
