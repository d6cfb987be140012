package main

import "github.com/margo-lab/margo/nn"

// newSteepestStepper returns the algorithms that come from package steepest
// (ℓp, spectral, Shampoo). Until it is merged they are reported as missing.
func newSteepestStepper(o trainOptions, m *nn.MLP) (stepper, error) {
	return nil, usagef("--alg %s is not available in this build (package steepest is missing)", o.Alg)
}
