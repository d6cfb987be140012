package steepest

import (
	"math"
	"strconv"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// Margins and KKT measures of a parameter vector θ (paper.md §1.3–1.4,
// §3.7), computed from the margins q_i, weights and gradient direction that
// the training step's nn.Eval already holds: no extra forward pass.
//
// Names: the code names a margin by the norm of θ in its denominator; the
// paper names it by the dual norm (paper.md §1.4). THE mapping table, with
// L the homogeneity degree:
//
//	field           formula                          JSON       paper   increased by
//	MarginLinf      q_min / ‖θ‖∞^L                   gamma1     γ_1     SD (ℓ∞), Adam
//	MarginL2        q_min / ‖θ‖₂^L                   gamma2     γ_2     GD (ℓ2)
//	MarginL1        q_min / ‖θ‖₁^L                   gammaInf   γ_∞     CD (ℓ1)
//	MarginSpectral  q_min / (max_l σ_max(W_l))^L     gammaSpec  γ_σ     spectral descent
//
// γ_σ: with a frozen last layer and one trainable matrix (the paper's
// Fig. 3, Eq. 15) this is q_min/σ_max(W), power 1; in general it is the
// margin of the modular norm max_l σ_max(W_l) (Spectral), power L.
//
// The soft margins (Soft*, JSON soft1, soft2, softInf, softSpec) replace
// q_min by Eval.SoftNumerator() = Φ⁻¹(log 1/L_sum) (−log L for the
// exponential loss). For a norm N with dual N⋆, with g the gradient (only
// its direction matters, so Eval.Grad is used):
//
//	alignment  A_N = ⟨θ, −g⟩ / (‖θ‖_N ‖g‖_N⋆)            align1 = ℓ∞, align2 = ℓ2, alignInf = ℓ1
//	Bregman    D_N = (1 − A_N) / γ_N^{2/L}                (Prop. 28 closed form, paper.md §3.7.3)
//	slackness  δ_N = ‖θ‖_N/(q_min^{2/L} ‖g‖_N⋆) · Σ_i w_i (q_i − q_min)   (§3.7.4)
//
// where w_i are the loss's relative sample weights (Eval.Weights: softmax(−q)
// for the exponential loss), which carry the e^{−q_i} of the paper up to the
// common factor that cancels against ‖g‖⋆. D and δ need q_min > 0; they are
// NaN otherwise (written as null in JSON).
type Metrics struct {
	Step    int
	Loss    float64 // L(θ) = exp(LogLoss); 0 once it underflows
	LogLoss float64
	QMin    float64

	NormL1, NormL2, NormLinf       float64 // norms of θ
	MarginLinf, MarginL2, MarginL1 float64 // γ_1, γ_2, γ_∞
	SoftLinf, SoftL2, SoftL1       float64 // soft margins in the same norms
	AlignLinf, AlignL2, AlignL1    float64 // ⟨θ,−g⟩/(‖θ‖‖g‖⋆): ℓ∞/ℓ1, ℓ2/ℓ2, ℓ1/ℓ∞
	BregmanLinf, BregmanL2         float64 // D in each norm
	BregmanL1                      float64
	SlackLinf, SlackL2, SlackL1    float64 // δ in each norm

	// Spectral metrics, present when the Meter was built with Spectral
	// (HasSpectral); the alignment and KKT ones only with SpectralDual
	// (HasSpectralDual).
	HasSpectral, HasSpectralDual bool
	LayerSpectral                []float64 // σ_max(W_l) per layer (aliases the Meter's buffer)
	NormSpectral                 float64   // max_l σ_max(W_l)
	MarginSpectral, SoftSpectral float64   // γ_σ and its soft version
	AlignSpectral                float64   // ⟨θ,−g⟩/(‖θ‖_S Σ_l ‖g_l‖_nuclear)
	BregmanSpectral              float64
	SlackSpectral                float64
}

// Field is one named value of a Metrics record.
type Field struct {
	Name  string
	Value float64
}

// Fields lists the values in a fixed order under the names the metrics
// file uses (train.Record's JSON), the per-layer spectral norms as spec_1,
// spec_2, …; spectral fields appear only when computed. Tests and tables
// compare Metrics through it.
func (m Metrics) Fields() []Field {
	f := []Field{
		{"step", float64(m.Step)}, {"loss", m.Loss}, {"log_loss", m.LogLoss}, {"qmin", m.QMin},
		{"norm_l1", m.NormL1}, {"norm_l2", m.NormL2}, {"norm_linf", m.NormLinf},
		{"gamma1", m.MarginLinf}, {"gamma2", m.MarginL2}, {"gammaInf", m.MarginL1},
		{"soft1", m.SoftLinf}, {"soft2", m.SoftL2}, {"softInf", m.SoftL1},
		{"align1", m.AlignLinf}, {"align2", m.AlignL2}, {"alignInf", m.AlignL1},
		{"bregman1", m.BregmanLinf}, {"bregman2", m.BregmanL2}, {"bregmanInf", m.BregmanL1},
		{"slack1", m.SlackLinf}, {"slack2", m.SlackL2}, {"slackInf", m.SlackL1},
	}
	if m.HasSpectral {
		f = append(f, Field{"norm_spec", m.NormSpectral}, Field{"gammaSpec", m.MarginSpectral},
			Field{"softSpec", m.SoftSpectral})
		for l, s := range m.LayerSpectral {
			f = append(f, Field{"spec_" + strconv.Itoa(l+1), s})
		}
	}
	if m.HasSpectralDual {
		f = append(f, Field{"alignSpec", m.AlignSpectral}, Field{"bregmanSpec", m.BregmanSpectral},
			Field{"slackSpec", m.SlackSpectral})
	}
	return f
}

// Meter computes Metrics. Build it once per run (it holds the warm-start
// vectors of the spectral power iteration and the polar workspaces).
//
// Cost: the ℓ1/ℓ2/ℓ∞ metrics read θ and grad once (tensor.DotNorms: the
// dot product and all six norms in one pass, where separate kernels made
// seven), plus one over the n samples (q_min and the slackness sum
// together, qminSlack). Spectral adds warm-started power iteration, at
// most PowerIters iterations per layer and call, each two matrix–vector
// products (the estimate is a lower bound of σ_max that tightens from call
// to call, as the warm start continues the iteration while θ moves
// slowly). SpectralDual adds a Newton–Schulz polar iteration per layer
// (≈ 10–30 pairs of GEMMs of the layer's size): expensive, off unless
// asked for.
// BenchmarkMetrics (AVX-512, 10 iterations, seven separate-kernel and
// one-pass runs alternated on the shared 2-core machine, medians of
// meter/evaluate within each run): 100×784×128 (p ≈ 10⁵) 10.6 % → 3.2 %,
// meter 61 → 17.5 µs; 250×2048×1024 (p ≈ 2.1·10⁶) 15.1 % → 4.2 %, meter
// 3.0 → 0.82 ms. The one pass runs at the speed
// of a Dot over the same slices (asm's BenchmarkDotNorms): it is bound by
// reading 16·p bytes, so a faster GEMM (a shorter evaluate) raises the
// ratio; then measure every k steps. Rerun the benchmark after GEMM changes.
// Since the GEMM runs on every core, so does the pass (tensor.DotNorms
// shares chunks of vectors ≥ 2^16 among the GEMM's threads, still polling
// after the gradient GEMM), with the same result bitwise. Meter over
// evaluate + sd-update with 2 threads (AVX-512, 20 iterations, 10 runs
// alternated with the one-core pass, medians; evaluate 375 µs and 14 ms on
// a machine not quite quiet): 100×784×128 5.1 % → 3.3 %, meter 20.5 →
// 13.3 µs; 250×2048×1024 4.8 % → 2.8 %, meter 0.73 → 0.41 ms. With 1
// thread (GOMAXPROCS=1, 5 runs) the meter moved 18.3 → 19.0 µs and 0.60 →
// 0.61 ms, within the noise: 3.6 → 3.7 % and 2.4 %.
// In a training loop the pass is the first to touch the fresh gradient and
// θ, and pays for bringing both into cache; MeasureStep runs the step of
// GD, normalized sign descent or Adam on each range of the vectors right
// after the pass has reduced it (fused.go), so that the two read them once.
type Meter struct {
	degree       int
	spectral     *Spectral
	spectralDual bool
	layerBuf     []float64
	dirBuf       []float64
	// Spectral says how σ_max(W_l) is computed (default SpectralExact).
	Spectral SpectralEstimate
	// PowerIters and PowerTol are the power iterations per layer per call
	// (default 3) and their relative stopping tolerance (default 1e−12),
	// for SpectralPower and SpectralCapped.
	PowerIters int
	PowerTol   float64
	// Pool runs the long reductions and the spectral GEMMs (nil: the
	// calling goroutine). Results do not depend on it.
	Pool *tensor.Pool
}

// SpectralEstimate chooses how a Meter computes each layer's σ_max.
type SpectralEstimate int

const (
	// SpectralExact computes σ_max from the eigendecomposition of the
	// layer's smaller Gram matrix (Jacobi, a few ulps relative), from θ
	// alone: the same θ always gives the same bits, so a record does not
	// depend on earlier calls (a resumed run writes what an uninterrupted
	// one writes). O(k³) per sweep for a k×· layer.
	SpectralExact SpectralEstimate = iota
	// SpectralPower runs power iteration warm-started from the previous
	// call to PowerTol, falling back to SpectralExact's Jacobi when it
	// does not converge in PowerIters iterations (σ₂ ≈ σ₁).
	SpectralPower
	// SpectralCapped stops after PowerIters warm-started iterations: a
	// lower bound of σ_max that tightens from call to call, the cheapest
	// per-step estimate.
	SpectralCapped
)

// NewMeter returns a Meter for a model of homogeneity degree L = degree
// (nn.MLP.Degree) with trainable layers layout. spectral enables the
// per-layer spectral norms and γ_σ; spectralDual also the alignment and
// KKT values in the spectral norm (implies spectral).
func NewMeter(degree int, layout nn.Layout, spectral, spectralDual bool) (*Meter, error) {
	if degree < 1 {
		return nil, errorf("meter: homogeneity degree %d, want ≥ 1", degree)
	}
	mt := &Meter{degree: degree, spectralDual: spectralDual, PowerIters: 3, PowerTol: 1e-12}
	if spectral || spectralDual {
		mt.spectral = NewSpectral(layout)
		mt.layerBuf = make([]float64, layout.Layers())
	}
	return mt, nil
}

// Measure computes the metrics of θ from ev, which must come from
// Evaluate(…, θ, …, grad = true) at this θ.
func (mt *Meter) Measure(step int, theta []float64, ev *nn.Eval) (Metrics, error) {
	if len(ev.Grad) != len(theta) {
		return Metrics{}, errorf("meter: len(Grad) = %d, len(theta) = %d (evaluate with the gradient)", len(ev.Grad), len(theta))
	}
	in := measureInput{q: ev.Q, w: ev.Weights, grad: ev.Grad, logLoss: ev.LogLoss,
		soft: ev.SoftNumerator()}
	return mt.measure(step, theta, &in, nil), nil
}

// measureInput is what Measure takes from an nn.Eval.
type measureInput struct {
	q, w, grad    []float64
	logLoss, soft float64
}

// measure computes the metrics; with then set (MeasureStep), the pass over
// θ and the gradient runs then on each range after reducing it, and
// nothing after that pass reads θ (the spectral values need mt.spectral ==
// nil).
func (mt *Meter) measure(step int, theta []float64, in *measureInput, then tensor.ChunkStep) Metrics {
	L := float64(mt.degree)
	qmin, slack := qminSlack(in.q, in.w)
	m := Metrics{Step: step, LogLoss: in.logLoss, Loss: math.Exp(in.logLoss), QMin: qmin}
	// One pass over θ and g: ⟨θ, g⟩ and the ℓ1, ℓ2, ℓ∞ norms of both.
	var dot float64
	var nt, ng asm.Norms
	if then == nil {
		dot, nt, ng = mt.Pool.DotNorms(theta, in.grad)
	} else {
		dot, nt, ng = mt.Pool.DotNormsThen(theta, in.grad, then)
	}
	ip := -dot // ⟨θ, −g⟩ in frame units
	g1, g2, gInf := ng.L1, ng.L2, ng.Linf
	m.NormL1, m.NormL2, m.NormLinf = nt.L1, nt.L2, nt.Linf
	type geom struct {
		norm, dual                         float64
		margin, soft, align, breg, slackOf *float64
	}
	for _, k := range []geom{
		{m.NormLinf, g1, &m.MarginLinf, &m.SoftLinf, &m.AlignLinf, &m.BregmanLinf, &m.SlackLinf},
		{m.NormL2, g2, &m.MarginL2, &m.SoftL2, &m.AlignL2, &m.BregmanL2, &m.SlackL2},
		{m.NormL1, gInf, &m.MarginL1, &m.SoftL1, &m.AlignL1, &m.BregmanL1, &m.SlackL1},
	} {
		*k.margin, *k.soft = ratioPow(qmin, k.norm, L), ratioPow(in.soft, k.norm, L)
		*k.align, *k.breg, *k.slackOf = kkt(ip, k.norm, k.dual, qmin, slack, L)
	}
	if mt.spectral != nil {
		if mt.spectral.pool != mt.Pool {
			mt.spectral.SetPool(mt.Pool)
		}
		m.HasSpectral = true
		lay := mt.spectral.layout
		for l := range lay.Layers() {
			p, w := mt.spectral.power[l], lay.View(theta, l)
			switch mt.Spectral {
			case SpectralPower:
				mt.layerBuf[l] = p.sigmaMax(w, mt.PowerTol, mt.PowerIters)
			case SpectralCapped:
				mt.layerBuf[l] = p.sigmaMaxCapped(w, mt.PowerTol, mt.PowerIters)
			default:
				mt.layerBuf[l] = exactSigma(mt.Pool, w)
			}
		}
		m.LayerSpectral = mt.layerBuf
		for _, s := range mt.layerBuf {
			m.NormSpectral = max(m.NormSpectral, s)
		}
		m.MarginSpectral = ratioPow(qmin, m.NormSpectral, L)
		m.SoftSpectral = ratioPow(in.soft, m.NormSpectral, L)
		if mt.spectralDual {
			m.HasSpectralDual = true
			if len(mt.dirBuf) != len(theta) {
				mt.dirBuf = make([]float64, len(theta))
			}
			dual := mt.spectral.direction(mt.dirBuf, in.grad)
			m.AlignSpectral, m.BregmanSpectral, m.SlackSpectral = kkt(ip, m.NormSpectral, dual, qmin, slack, L)
		}
	}
	return m
}

// qminSlack returns q_min = min_i q_i (NaN if any q_i is NaN, as
// nn.Eval.QMin) and the slackness sum Σ_i w_i (q_i − q_min) in one pass
// over q and w (w_i ≥ 0). When the running minimum drops from m to m', each
// term summed so far grows by w_j·(m − m'), so W·(m − m') is added, W the
// running Σ_j w_j; an element equal to the running minimum adds nothing. In
// exact arithmetic the result is the two-pass sum; in floating point every
// added term is ≥ 0 (no cancellation), each off by a few roundings plus
// W's own (≤ nε relative), so the sum is within about 2(n+3)ε relative of
// the two-pass form's (TestQMinSlack).
func qminSlack(q, w []float64) (qmin, slack float64) {
	qmin = math.Inf(1)
	var wsum float64
	for i, qi := range q {
		switch {
		case qi != qi:
			return qi, qi
		case qi < qmin:
			if wsum != 0 {
				slack += wsum * (qmin - qi)
			}
			qmin = qi
		case qi > qmin:
			slack += w[i] * (qi - qmin)
		}
		wsum += w[i]
	}
	return qmin, slack
}

// ratioPow returns num/n^L for an integer degree L without overflow or
// underflow in n^L: when n^L is not a normal float it writes n = f·2^e
// (f ∈ [0.5, 1)), forms num/f^L and scales by 2^{−e·L} exactly, so the
// result is accurate to a few ulps wherever it is representable.
func ratioPow(num, n, L float64) float64 {
	d := math.Pow(n, L)
	if n == 0 || math.IsInf(n, 0) || math.IsNaN(n) || math.IsNaN(num) ||
		(d >= 0x1p-1022 && !math.IsInf(d, 0)) {
		return num / d // n^L normal: one pow, one division
	}
	f, e := math.Frexp(n)
	return math.Ldexp(num/math.Pow(f, L), -e*int(L))
}

// kkt returns the alignment A = ip/(norm·dual), the Bregman value
// D = (1 − A)·norm²/q_min^{2/L} and the slackness residual
// δ = norm/(q_min^{2/L}·dual)·slack (NaN unless q_min > 0).
func kkt(ip, norm, dual, qmin, slack, L float64) (align, breg, delta float64) {
	align = ip / norm / dual
	if !(qmin > 0) {
		return align, math.NaN(), math.NaN()
	}
	lq := (2 / L) * math.Log(qmin)
	breg = (1 - align) * math.Exp(2*math.Log(norm)-lq)
	delta = slack * math.Exp(math.Log(norm)-lq-math.Log(dual))
	return align, breg, delta
}
