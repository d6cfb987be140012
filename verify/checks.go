package verify

import (
	"errors"
	"fmt"
	"math"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/steepest"
)

func genHomogeneity(src Source, _ bool) Case {
	c := Case{Seed: src.Uint64("seed")}
	drawModel(src, &c)
	c.N = src.Int("n", 1, 16)
	// c away from 1 so that a bias b shows as |b|·|1 − c^L|.
	if src.Int("up", 0, 1) == 1 {
		c.Factor = src.Float("factor", 1.25, 4)
	} else {
		c.Factor = src.Float("factor", 0.25, 0.8)
	}
	drawFirstLayerBias(src, &c)
	return c
}

func runHomogeneity(c Case) (Result, error) {
	s, err := build(c)
	if err != nil {
		return Result{}, err
	}
	return homogeneityOn(c, s)
}

// homogeneityOn runs Homogeneity on the case's drawn setup.
func homogeneityOn(c Case, s *setup) (Result, error) {
	return Homogeneity(s.model, s.theta, s.x, c.Factor)
}

func genEuler(src Source, _ bool) Case {
	c := Case{Seed: src.Uint64("seed")}
	drawModel(src, &c)
	c.N = src.Int("n", 1, 16)
	drawFirstLayerBias(src, &c)
	return c
}

func runEuler(c Case) (Result, error) {
	s, err := build(c)
	if err != nil {
		return Result{}, err
	}
	return eulerOn(c, s)
}

// eulerOn runs Euler on the case's drawn setup, with random labels.
func eulerOn(c Case, s *setup) (Result, error) {
	d, err := nn.NewDataset(s.x, s.randomLabels(c.N))
	if err != nil {
		return Result{}, err
	}
	return Euler(s.model, s.theta, d)
}

func genGradient(src Source, _ bool) Case {
	c := Case{Seed: src.Uint64("seed")}
	drawModel(src, &c)
	c.N = src.Int("n", 1, 16)
	drawLoss(src, &c)
	c.Mean = src.Int("mean", 0, 1) == 1
	// Biases anywhere: the gradient is right whether or not f is homogeneous.
	c.Bias = len(c.Widths) > 0 && src.Int("bias", 0, 3) == 0
	return c
}

func runGradient(c Case) (Result, error) {
	s, err := build(c)
	if err != nil {
		return Result{}, err
	}
	loss, err := lossOf(c.Loss)
	if err != nil {
		return Result{}, err
	}
	d, err := nn.NewDataset(s.x, s.randomLabels(c.N))
	if err != nil {
		return Result{}, err
	}
	v := make([]float64, len(s.theta))
	for i := range v {
		v[i] = s.rng.NormFloat64()
	}
	return GradientCheck(s.model, s.theta, d, nn.Objective{Loss: loss, Mean: c.Mean}, v)
}

// genTraining draws what a training case needs: model, data size, norm,
// steps and the relative step length.
func genTraining(src Source, short bool, c *Case) {
	drawModel(src, c)
	c.N = src.Int("n", 2, 16)
	drawNorm(src, c)
	c.Normal = c.Norm != "l2" || src.Int("normalized", 0, 1) == 1
	if short {
		c.Steps = src.Int("steps", 3, 30)
	} else {
		c.Steps = src.Int("steps", 10, 150)
	}
	c.RelStep = math.Exp(src.Float("log_rel_step", math.Log(1e-3), math.Log(3e-2)))
}

func genMonotone(src Source, short bool) Case {
	c := Case{Seed: src.Uint64("seed")}
	genTraining(src, short, &c)
	drawLoss(src, &c)
	c.Mean = src.Int("mean", 0, 1) == 1
	return c
}

// trainCase draws the teacher data of a case, builds its optimizer with
// step length RelStep·‖θ_0‖ and trains it for c.Steps steps.
func trainCase(c Case, obj nn.Objective) (*setup, *nn.Dataset, steepest.Norm, Trajectory, error) {
	s, err := build(c)
	if err != nil {
		return nil, nil, nil, Trajectory{}, err
	}
	d, err := s.teacherData()
	if err != nil {
		return nil, nil, nil, Trajectory{}, err
	}
	norm, err := normOf(c.Norm)
	if err != nil {
		return nil, nil, nil, Trajectory{}, err
	}
	lr := c.RelStep * norm.Value(s.theta)
	if !c.Normal {
		// GD moves by η·L·‖∇log L‖: start at the same relative length.
		ev := nn.NewEval(d.Len(), len(s.theta))
		s.model.Evaluate(s.theta, d, obj, ev)
		lr /= math.Exp(ev.LogScale) * asm.Nrm2(ev.Grad)
	}
	opt, err := steepest.NewSteepest(norm, lr, c.Normal)
	if err != nil {
		return nil, nil, nil, Trajectory{}, err
	}
	tr, err := Train(s.model, d, obj, opt, s.theta, c.Steps)
	if errors.Is(err, ErrDiverged) && !separated(obj.Loss, tr.Points[len(tr.Points)-1].LogLoss) {
		// The run left the separated region before diverging; the checks
		// stop there anyway (see MarginMonotone).
		err = nil
	}
	return s, d, norm, tr, err
}

func runMonotone(c Case) (Result, error) {
	loss, err := lossOf(c.Loss)
	if err != nil {
		return Result{}, err
	}
	_, _, norm, tr, err := trainCase(c, nn.Objective{Loss: loss, Mean: c.Mean})
	if err != nil {
		return Result{}, err
	}
	return MarginMonotone(tr, norm)
}

func genKKT(src Source, short bool) Case {
	c := Case{Seed: src.Uint64("seed")}
	genTraining(src, short, &c)
	return c
}

// runKKT trains with the exponential sum loss and, at the first, middle
// and last iterate, checks what holds at every finite t ≥ t0 (t0 = 0 here,
// the teacher data start separated):
//
//   - the identity Σ λ_i y_i h̃_i = ‖θ̃‖(−g)/‖g‖⋆ of Prop. 28's proof, to
//     16·(n + 2p)·u relative (n per-sample gradients summed against one
//     batch gradient, each with ≈ 2p·u relative backpropagation error);
//   - Prop. 28: D ≤ (1 − A)/γ̃(t0)^{2/L} and δ ≤ m/(e γ̃(t0)^{2/L} L log(1/L)),
//     to 1e−9 relative (D, δ and the bounds are each a few dozen roundings);
//   - ℓ2 (Cor. 30, where the Bregman divergence is ½‖·‖₂²): ε²/2 = D, to
//     64·(n + p)·u·‖θ̃‖₂²;
//
// Residual and Bound are of the worst of these (ratio).
func runKKT(c Case) (Result, error) {
	s, d, norm, tr, err := trainCase(c, nn.Objective{Loss: nn.Exp})
	if err != nil {
		return Result{}, err
	}
	n, p := float64(d.Len()), float64(len(s.theta))
	var acc worst
	add := acc.add
	last := 0 // the last iterate of the separated prefix (see MarginMonotone)
	for last+1 < len(tr.Points) && separated(nn.Exp, tr.Points[last+1].LogLoss) {
		last++
	}
	for _, t := range []int{0, last / 2, last} {
		kr, err := KKT(s.model, tr.Points[t].Theta, d, norm, KKTOptions{Refit: t == last})
		if err != nil {
			return Result{}, err
		}
		at := fmt.Sprintf("step %d: ", t)
		if t == last { // the residuals themselves, for the report (Thm 4 is a limit statement)
			at = fmt.Sprintf("step %d (ε/‖θ̃‖ %.2g, δ/‖θ̃‖² %.2g; NNLS λ: %.2g, %.2g): ", t, kr.EpsRel, kr.DeltaRel, kr.EpsFitRel, kr.DeltaFitRel)
		}
		add(Result{kr.IdentityErr, 16 * (n + 2*p) * unit, at + "Prop. 28 identity"})
		add(Result{kr.Bregman, kr.BregmanBound*(1+1e-9) + 1e-300, at + fmt.Sprintf("Prop. 28 Bregman D = %.6g", kr.Bregman)})
		add(Result{kr.Delta, kr.DeltaBound * (1 + 1e-9), at + fmt.Sprintf("Prop. 28 slackness δ = %.6g", kr.Delta)})
		if c.Norm == "l2" {
			tt2 := kr.NormTilde * kr.NormTilde
			add(Result{math.Abs(kr.Eps*kr.Eps/2 - kr.Bregman), 64 * (n + p) * unit * tt2, at + "Cor. 30: ε²/2 = D"})
		}
	}
	return acc.res, nil
}
