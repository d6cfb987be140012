package asm

import "testing"

// The fused steps against the unfused sequences they replace in steepest
// (the optimizer steps before the fusion, with the gradient check before
// the step and the trainer's MaxAbs θ after it). b.SetBytes counts the
// bytes the fused kernel moves (g read, θ read and written: 24 per element;
// Adam 56), for both forms, so their MB/s compare as effective rates.
// Ratios mean something only within one run on this shared machine.

// benchFusedPair runs BenchmarkX/fused/path/length and
// BenchmarkX/unfused/path/length.
func benchFusedPair(b *testing.B, bytesPerElem int, fused, unfused func(k *kernels, n int)) {
	b.Run("fused", func(b *testing.B) { benchKernel(b, bytesPerElem, fused) })
	b.Run("unfused", func(b *testing.B) { benchKernel(b, bytesPerElem, unfused) })
}

// Sign descent: MaxAbs g, Sign, Scal(−1), Axpy, MaxAbs θ (five passes).
// a is tiny so that θ stays bounded over many calls.
func BenchmarkSignStep(b *testing.B) {
	benchFusedPair(b, 24, func(k *kernels, n int) {
		sinkF, _ = k.signStep(-1e-12, benchBuf.x[:n], benchBuf.y[:n])
	}, func(k *kernels, n int) {
		g, th, dir := benchBuf.x[:n], benchBuf.y[:n], benchBuf.dst[:n]
		sinkF = k.maxAbs(g)
		k.sign(dir, g)
		k.scal(-1, dir)
		k.axpy(1e-12, dir, th)
		sinkF = k.maxAbs(th)
	})
}

// GD: MaxAbs g, Axpy, MaxAbs θ (three passes).
func BenchmarkAxpyStep(b *testing.B) {
	benchFusedPair(b, 24, func(k *kernels, n int) {
		sinkF, _ = k.axpyStep(-1e-12, benchBuf.x[:n], benchBuf.y[:n])
	}, func(k *kernels, n int) {
		g, th := benchBuf.x[:n], benchBuf.y[:n]
		sinkF = k.maxAbs(g)
		k.axpy(-1e-12, g, th)
		sinkF = k.maxAbs(th)
	})
}

// Adam with a new gradient frame: MaxAbs g, Scal M, Scal V, MaxAbs V,
// MaxAbs M, Adam, MaxAbs θ, against one AdamStep. r = 1 keeps the moments
// bounded over many calls (the cost does not depend on r).
func BenchmarkAdamStep(b *testing.B) {
	benchFusedPair(b, 56, func(k *kernels, n int) {
		sinkF, _, _ = k.adam(benchBuf.dst[:n], benchBuf.m[:n], benchBuf.v[:n], benchBuf.x[:n], 1, 1, 0.9, 0.999, 1e-9, 0.5, 1e-8)
	}, func(k *kernels, n int) {
		th, m, v, g := benchBuf.dst[:n], benchBuf.m[:n], benchBuf.v[:n], benchBuf.x[:n]
		sinkF = k.maxAbs(g)
		k.scal(1, m)
		k.scal(1, v)
		sinkF = k.maxAbs(v)
		sinkF = k.maxAbs(m)
		k.adam(th, m, v, g, 1, 1, 0.9, 0.999, 1e-9, 0.5, 1e-8)
		sinkF = k.maxAbs(th)
	})
}
