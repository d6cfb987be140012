package steepest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// drawSPD draws A = B·Bᵀ + c·I (n×n) with c ∈ [1e−3, 1] and returns it with
// its condition-number bound κ ≤ (‖B‖_F² + c)/c.
func drawSPD(t *rapid.T, n int) (*tensor.Dense, float64) {
	b := tensor.DenseOf(n, n, drawModerate(t, n*n, "b"))
	c := rapid.Float64Range(1e-3, 1).Draw(t, "c")
	a := naiveMul(b, transpose(b))
	for i := range n {
		a.Set(i, i, a.At(i, i)+c)
	}
	f := asm.Nrm2(b.Data)
	return a, (f*f + c) / c
}

// Coupled Newton inverse roots against a Jacobi eigendecomposition. The
// forward error of A^{−1/p} is about κ·n·2⁻⁵² relative (invroot.go); the
// bound is 1e−13·κ·n.
func TestInvRootMatchesEig(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(t, "n")
		p := rapid.IntRange(1, 4).Draw(t, "p")
		a, kappa := drawSPD(t, n)
		w := newInvRootWork(n)
		got := tensor.NewDense(n, n)
		if err := w.invRoot(got, a, p); err != nil {
			t.Fatalf("p = %d: %v", p, err)
		}
		want := refInvRoot(a, float64(p))
		diff, size := frobDiff(got.Data, want.Data)
		if diff > 1e-13*kappa*float64(n)*size {
			t.Fatalf("n = %d, p = %d, κ ≤ %.3g: ‖got − ref‖/‖ref‖ = %.3g (%d iterations)", n, p, kappa, diff/size, w.iters)
		}
	})
}

// The same on matrices of two or three of symMul's row blocks (n up to 136,
// block 64).
func TestInvRootMatchesEigLarge(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(symMulBlock+1, 2*symMulBlock+8).Draw(t, "n")
		// A = B·Bᵀ + c·I as in drawSPD, with B from a drawn seed (n² rapid
		// draws per case would dominate the test, above all under qemu).
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 7))
		b := tensor.NewDense(n, n)
		for i := range b.Data {
			b.Data[i] = rng.NormFloat64()
		}
		c := rapid.Float64Range(1e-3, 1).Draw(t, "c")
		a := naiveMul(b, transpose(b))
		for i := range n {
			a.Set(i, i, a.At(i, i)+c)
		}
		f := asm.Nrm2(b.Data)
		kappa := (f*f + c) / c
		w := newInvRootWork(n)
		got := tensor.NewDense(n, n)
		if err := w.invRoot(got, a, 2); err != nil {
			t.Fatal(err)
		}
		want := refInvRoot(a, 2)
		diff, size := frobDiff(got.Data, want.Data)
		if diff > 1e-13*kappa*float64(n)*size {
			t.Fatalf("n = %d, κ ≤ %.3g: ‖got − ref‖/‖ref‖ = %.3g (%d iterations)", n, kappa, diff/size, w.iters)
		}
	})
}

// symMul computes the upper triangle of A·B bitwise as the full Gemm does
// (for any A and B, symmetric product or not) and mirrors it below.
func TestSymMul(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 3*symMulBlock+5).Draw(t, "n")
		a := tensor.DenseOf(n, n, drawModerate(t, n*n, "a"))
		b := tensor.DenseOf(n, n, drawModerate(t, n*n, "b"))
		full, got := tensor.NewDense(n, n), tensor.NewDense(n, n)
		tensor.Gemm(tensor.NoTrans, tensor.NoTrans, 1, a, b, 0, full)
		newInvRootWork(n).symMul(a, b, got)
		for i := range n {
			for j := range n {
				want := full.At(i, j)
				if j < i {
					want = full.At(j, i)
				}
				if math.Float64bits(got.At(i, j)) != math.Float64bits(want) {
					t.Fatalf("n = %d: C[%d][%d] = %v, want %v", n, i, j, got.At(i, j), want)
				}
			}
		}
	})
}

func TestInvRootRejectsNonPD(t *testing.T) {
	w := newInvRootWork(2)
	dst := tensor.NewDense(2, 2)
	for _, a := range [][]float64{{0, 0, 0, 0}, {1, 0, 0, -1}, {math.NaN(), 0, 0, 1}} {
		if err := w.invRoot(dst, tensor.DenseOf(2, 2, a), 2); err == nil {
			t.Errorf("invRoot accepted %v", a)
		}
	}
}

// Shampoo against a direct transcription of torch-optimizer's loop (its
// _matrix_power by eigendecomposition here), over several steps, true
// gradient e^s·g. The inverse roots agree to ≈ κ·n·1e−13 relative with κ up
// to ‖ΣG Gᵀ‖/ε ≈ 1e6 for ε = 1e−4 and these gradients, so the updates are
// compared to a relative 1e−5 of each step, summed over the steps.
func TestShampooMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, n := rapid.IntRange(1, 4).Draw(t, "m"), rapid.IntRange(1, 4).Draw(t, "n")
		textbook := rapid.Bool().Draw(t, "textbook")
		freq := rapid.IntRange(1, 3).Draw(t, "updateFreq")
		lay := nn.NewLayout(nn.Shape{Out: m, In: n})
		eps := 1e-4
		lr := 0.1
		opt, err := NewShampoo(lay, lr, eps)
		if err != nil {
			t.Fatal(err)
		}
		opt.Textbook = textbook
		opt.UpdateFreq = freq
		var lInv, rInv *tensor.Dense // the reference's cached inverse roots
		bound := 0.0
		theta := drawModerate(t, m*n, "theta")
		want := append([]float64(nil), theta...)
		L, R := scaledIdentity(m, eps), scaledIdentity(n, eps)
		eta := math.Exp(math.Log(lr))
		for step := range rapid.IntRange(1, 4).Draw(t, "steps") {
			g := rapid.SliceOfN(rapid.Float64Range(-1, 1), m*n, m*n).Draw(t, "g")
			s := rapid.Float64Range(-2, 1).Draw(t, "logScale")
			if err := opt.Update(theta, g, s); err != nil {
				t.Fatal(err)
			}
			G := tensor.NewDense(m, n)
			for i := range g {
				G.Data[i] = math.Exp(s) * g[i]
			}
			L = addTo(L, naiveMul(G, transpose(G)))
			if step%freq == 0 {
				lInv = refInvRoot(L, 2)
			}
			Gt := naiveMul(lInv, G)
			right := Gt
			if textbook {
				right = G
			}
			R = addTo(R, naiveMul(transpose(right), right))
			if step%freq == 0 {
				rInv = refInvRoot(R, 2)
			}
			upd := naiveMul(Gt, rInv)
			for i := range want {
				want[i] -= eta * upd.Data[i]
			}
			// Errors accumulate over the steps: the bound is the sum of the
			// per-step bounds, plus θ's own rounding (1e−12).
			bound += 1e-5 * eta * asm.Nrm2(upd.Data)
			diff, _ := frobDiff(theta, want)
			if diff > bound+1e-12 {
				t.Fatalf("step %d: ‖θ − θ_ref‖ = %v, accumulated bound %v", step, diff, bound)
			}
		}
	})
}

func addTo(a, b *tensor.Dense) *tensor.Dense {
	for i := range a.Data {
		a.Data[i] += b.Data[i]
	}
	return a
}

// Checkpointing: Shampoo's State/SetState resume exactly, including the
// step count that decides when the inverse roots are refreshed.
func TestShampooStateRoundTrip(t *testing.T) {
	lay := nn.NewLayout(nn.Shape{Out: 2, In: 3}, nn.Shape{Out: 1, In: 2})
	a, _ := NewShampoo(lay, 0.1, 1e-4)
	a.UpdateFreq = 2
	th := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	g1 := []float64{0.1, -0.2, 0.3, 0, 0.5, -0.1, 0.2, 0.3}
	g2 := []float64{-1, 2, 0.5, 0.25, 0.1, 0.3, -0.2, 0.4}
	if err := a.Update(th, g1, -1); err != nil {
		t.Fatal(err)
	}
	var saved [][]float64
	for _, part := range a.State() {
		saved = append(saved, append([]float64(nil), part...))
	}
	th2 := append([]float64(nil), th...)
	if err := a.Update(th, g2, -1.5); err != nil {
		t.Fatal(err)
	}
	b, _ := NewShampoo(lay, 0.1, 1e-4)
	b.UpdateFreq = 2
	if err := b.SetState(saved); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(th2, g2, -1.5); err != nil {
		t.Fatal(err)
	}
	for i := range th {
		if th[i] != th2[i] {
			t.Fatalf("resumed θ[%d] = %v, uninterrupted %v", i, th2[i], th[i])
		}
	}
	if err := b.SetState(saved[1:]); err == nil {
		t.Error("SetState accepted a short state")
	}
}

// One step of torch-optimizer's Shampoo from ε·I with ε → 0 is the spectral
// step of Eq. 82: L^{−1/2}G = U·Vᵀ (on G's range), then R = (UVᵀ)ᵀ(UVᵀ) =
// V·Vᵀ and UVᵀ·R^{−1/2} = U·Vᵀ. With ε > 0 each singular direction is
// scaled by σ/√(σ² + ε) (twice), an error ≤ ε/σ_min²; the inverse roots
// add ≈ 1e−13·κ·n with κ = (‖G‖_F² + ε)/ε. The textbook ordering (R from
// GᵀG) gives U·Σ⁻¹·Vᵀ instead, which the last check tells apart.
func TestShampooFirstStepIsSpectral(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, n := rapid.IntRange(1, 4).Draw(t, "m"), rapid.IntRange(1, 4).Draw(t, "n")
		g := tensor.DenseOf(m, n, rapid.SliceOfN(rapid.Float64Range(-1, 1), m*n, m*n).Draw(t, "g"))
		_, sv, _ := jacobiSVD(g)
		smin := sv[len(sv)-1]
		if smin < 0.1 {
			return
		}
		eps := 1e-8
		lay := nn.NewLayout(nn.Shape{Out: m, In: n})
		sh, _ := NewShampoo(lay, 1, eps)
		delta := make([]float64, m*n)
		if err := sh.Update(delta, g.Data, 0); err != nil {
			t.Fatal(err)
		}
		ref, _ := refPolar(g, 0)
		asm.Scal(-1, ref.Data)
		f := asm.Nrm2(g.Data)
		kappa := (f*f + eps) / eps
		bound := (eps/(smin*smin) + 1e-13*kappa*float64(max(m, n))) * asm.Nrm2(ref.Data)
		if diff, _ := frobDiff(delta, ref.Data); diff > bound {
			t.Fatalf("first Shampoo step differs from −UVᵀ by %v (bound %v)", diff, bound)
		}
		if sv[0]/smin > 1.5 { // the textbook variant is U·Σ⁻¹·Vᵀ: visibly different
			tb, _ := NewShampoo(lay, 1, eps)
			tb.Textbook = true
			d2 := make([]float64, m*n)
			if err := tb.Update(d2, g.Data, 0); err != nil {
				t.Fatal(err)
			}
			if diff, _ := frobDiff(d2, ref.Data); diff < 0.1 {
				t.Fatalf("textbook Shampoo step equals −UVᵀ (diff %v)", diff)
			}
		}
	})
}
