package steepest

import (
	"math"
	"testing"

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
	f := tensor.Nrm2(b.Data)
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
// compared to a relative 1e−5 of the step.
func TestShampooMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, n := rapid.IntRange(1, 4).Draw(t, "m"), rapid.IntRange(1, 4).Draw(t, "n")
		textbook := rapid.Bool().Draw(t, "textbook")
		lay := nn.NewLayout(nn.Shape{Out: m, In: n})
		eps := 1e-4
		lr := 0.1
		opt, err := NewShampoo(lay, lr, eps)
		if err != nil {
			t.Fatal(err)
		}
		opt.Textbook = textbook
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
			Gt := naiveMul(refInvRoot(L, 2), G)
			right := Gt
			if textbook {
				right = G
			}
			R = addTo(R, naiveMul(transpose(right), right))
			upd := naiveMul(Gt, refInvRoot(R, 2))
			for i := range want {
				want[i] -= eta * upd.Data[i]
			}
			diff, _ := frobDiff(theta, want)
			if diff > 1e-5*eta*tensor.Nrm2(upd.Data)+1e-12 {
				t.Fatalf("step %d: ‖θ − θ_ref‖ = %v, step size %v", step, diff, eta*tensor.Nrm2(upd.Data))
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
