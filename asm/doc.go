// Package asm holds margo's SIMD kernels: float64 operations on slices, each
// written once in plain Go (the reference that defines what the kernel means)
// and again in assembly for amd64 (AVX2+FMA, AVX-512F) and arm64 (NEON).
//
// # Dispatch
//
// At init the package asks github.com/klauspost/cpuid/v2 what the processor
// supports and picks the best Level for which every kernel is implemented:
// AVX512 over AVX2 over Generic on amd64, NEON on arm64 (ASIMD is baseline
// there, as the Go standard library treats it). The environment variable
//
//	MARGO_SIMD=generic|avx2|avx512|neon
//
// forces a level. cpuid ignores GODEBUG, so this override is margo's own. If
// the forced level is unknown or the processor lacks it, the package stays on
// the best available level and ConfigError reports the problem; programs
// (cmd/margo) print it as one line and exit, tests fail on it. Built with
// -tags purego, or on any other architecture, only Generic exists.
//
// # Shared semantics
//
// Lengths: kernels on two or more slices use the length of the first and
// require the others to be at least that long (a shorter one panics with an
// index error, as a programming mistake). Slices may start at any offset.
//
//   - Sign: sign(x) ∈ {−1, 0, +1}, sign(±0) = +0, sign(NaN) = NaN (as torch.sign).
//   - ReLU: x if x > 0, +0 if x ≤ 0 (−0 becomes +0), NaN stays NaN so that a
//     diverging run shows up downstream.
//   - ReLUMask: g_i if z_i > 0, else +0 (a selection, not a multiplication: a
//     NaN or Inf in g is dropped where the mask is off).
//   - MaxAbs: max_i |x_i|, 0 for an empty slice, NaN if any element is NaN.
//   - ArgMaxAbs: the first index of the largest |x_i| (ties to the first, as
//     torch.argmax); NaN counts as larger than everything, so the first NaN
//     wins; −1 for an empty slice.
//   - Nrm2: the Euclidean norm without overflow or underflow wherever the
//     result is representable (a scaled second pass runs when the plain sum of
//     squares is not safely inside the normal range).
//   - DotNorms: Σ x_i·y_i and the ℓ1, ℓ2, ℓ∞ norms of x and of y (Norms)
//     from one read of both slices, each value with the semantics of the
//     separate kernel (Dot, AbsSum, Nrm2, MaxAbs): seven passes become one,
//     which is what a memory-bound caller (steepest's Meter) pays for.
//   - Adam: the update of torch.optim.Adam, ε outside the square root; where
//     the denominator √v̂+ε is exactly 0 (then m is 0 too) the parameter does
//     not move, where torch would write NaN.
//   - Fused optimizer steps (one pass over the gradient g and θ instead of
//     one per operation; they return the maxima that the finiteness checks
//     of package steepest and of the trainer need, with MaxAbs's rules:
//     0 for empty slices, NaN if any element is NaN):
//     SignStep: θ_i += a·sign(g_i), returns max|g_i| and max|θ_i| after the
//     update. a·sign(g_i) is exact, so the one rounding of the sum is the
//     same fused or not: every level agrees with the reference bitwise.
//     AxpyStep: θ_i += a·g_i, returns the same maxima; θ is rounded exactly
//     as Axpy rounds it on the same level (fused on the SIMD levels).
//     AdamStep: Adam with the moments rescaled in the same pass,
//     m ← β1·(r1·m) + (1−β1)·g and v ← β2·(r2·v) + (1−β2)·g², returning
//     max|m_i|, max|v_i| and max|θ_i| after the update; each product is
//     rounded on its own, so it equals Scal(r1, m), Scal(r2, v), Adam on
//     the same level bitwise (Adam is AdamStep with r1 = r2 = 1). The
//     arithmetic is plain (0·Inf = NaN): a caller that drops an old moment
//     (β = 0) passes r = 1 for it.
//     In SignStep and AxpyStep g may be θ itself (tested); partially
//     overlapping slices are not supported.
//
// Reductions (Dot, AbsSum, Nrm2, and the sums of DotNorms) may sum in a
// different order on each level, so their results agree with the reference
// to a stated relative bound, not bitwise; Sign, MaxAbs (and DotNorms's ℓ∞
// norms), ArgMaxAbs, ReLU, ReLUMask and Scal agree exactly.
// Every level sums in a fixed order that does not depend on anything but the
// length, so each level is deterministic.
//
// # GEMM
//
// Gemm is the package's matrix product: C = α·op(A)·op(B) + β·C on
// row-major slices, computed on the calling goroutine, blocked and packed
// (Goto and BLIS) around a register-tile micro-kernel of the active level
// (8×24 on AVX-512, 4×12 on AVX2, 4×8 on NEON, 4×4 in Go). Every element
// of C is summed in an order fixed by k and the level alone, so any block
// of C computed on its own is bitwise that block of the whole product.
// tensor.Gemm relies on that: it cuts a product into blocks, one per
// thread, and runs Gemm on each with the thread's own GemmWorkspace;
// GemmGrain and GemmCost are the two queries its choice of blocks needs.
//
// # A small public face
//
// The package exports what a user of the kernels calls: the level-1
// kernels above, Gemm with its workspace and its two queries, the Level
// machinery (Active, Available, SetLevel, MARGO_SIMD), one benchmark
// loop, PeakFMA, and its calibration FMAWidthRatio (whether 512-bit FMAs
// run at full rate, which cpuid cannot tell). The GEMM plumbing (micro-kernel tiles and strips, their
// narrow variants, the packing copies, the block sizes) is unexported:
// it depends on the level's registers and caches and changes with them,
// and the only code that used it, tensor's blocked product, now lives here
// (gemm_block.go) behind Gemm. PeakFMA stays exported because a figure
// in GFLOP/s means little without the peak of the same core measured in
// the same process: margo bench reports its products as a percentage of
// it, and nothing else in the package can measure that ceiling.
//
// # One registry
//
// Each level has one table of every kernel, level-1 and GEMM alike
// (dispatch.go, kernels); SetLevel switches the active table and so every
// exported kernel at once. A kernel a SIMD level lacks falls back to its
// generic twin when the table is registered (in plain code, one line per
// kernel, no reflection), and the tests require that no SIMD level falls
// back on any kernel, the GEMM micro-kernel included.
//
// # Hand-encoded arm64 instructions
//
// Go's arm64 assembler has no vector FADD, FMUL, FDIV, FMAX, FABS, FSQRT,
// FCMGT, FCMGE, FCMEQ, FADDP and FMAXP on .2D, so the NEON kernels carry
// them as
//
//	WORD $0xHHHHHHHH // INSTRUCTION
//
// with the instruction in GNU as syntax alone in the comment. Both halves
// of such a line come from one call of the encoder in asm/_gen/arm64 (one
// documented function per instruction, the bit layout from the Arm
// Architecture Reference Manual; its test holds words that
// aarch64-linux-gnu-as produced). The test TestARM64Encodings (run by
// .ci/asm-check.sh) assembles every such comment with aarch64-linux-gnu-as
// and fails where the word differs.
//
// # Generated assembly
//
// Every .s file is generated: its first line reads "Code generated …
// DO NOT EDIT". The generators live in asm/_gen, a module of its own (so
// that avo never enters margo's go.mod). Edit the generator and run
//
//	go generate ./asm/...
//
// .ci/asm-check.sh fails when that changes a committed file, or when a
// .s file is not generated.
//
// amd64: avo generators, one per kernel family, each emitting the AVX2
// and the AVX-512 kernels from one description parameterised by the
// vector width: axpy_amd64.s (Axpy, Scal), sign_amd64.s (Sign),
// relu_amd64.s (ReLU, ReLUMask), dot_amd64.s (Dot), step_amd64.s
// (SignStep, AxpyStep), adam_amd64.s (Adam, AdamStep), dotnorms_amd64.s
// (DotNorms's one pass), peak_amd64.s (PeakFMA's loops), norms_amd64.s
// (AbsSum, Nrm2's sum of squares, MaxAbs, ArgMaxAbs), gemm_amd64.s (the
// GEMM micro-kernels 8×24, 8×16, 8×8 on AVX-512 and 4×12 on AVX2 from one
// tile description, the strip loops, the C prefetch, the transposing and
// the plain packs, the GEMM peak loops).
//
// arm64: avo emits amd64 only, so asm/_gen/arm64 is a small emitter of its
// own (instructions as text in Go's syntax, labels, the TEXT header with
// the frame size and argument names taken from the Go signature, the
// encoder above) with the parts the kernels share: the loops over blocks
// of 8 (or 4) elements and over pairs, the last odd element sent through
// the same body in lane 0, the loads and stores of a block, the
// reductions of the accumulators and running maxima. The command
// asm/_gen/neon writes one family per run (-family FAMILY for FAMILY_arm64.s,
// run by the //go:generate line in FAMILY.go); the generated files
// assemble to the same machine code as the hand-written kernels they
// replaced, every TEXT symbol compared word for word.
//
// Still hand-written: none.
package asm
