package verify

import (
	"errors"
	"runtime"
	"testing"

	"pgregory.net/rapid"
)

// rapidSource draws case parameters with rapid's generators, so that rapid
// shrinks a failing case and records it under testdata/rapid.
type rapidSource struct{ t *rapid.T }

func (s rapidSource) Int(name string, lo, hi int) int { return rapid.IntRange(lo, hi).Draw(s.t, name) }
func (s rapidSource) Float(name string, lo, hi float64) float64 {
	return rapid.Float64Range(lo, hi).Draw(s.t, name)
}
func (s rapidSource) Uint64(name string) uint64 { return rapid.Uint64().Draw(s.t, name) }

// slow reports whether the training trajectories should be trimmed: in
// -short mode and off amd64 (CI runs arm64 under qemu, ≈ 20× slower).
func slow() bool { return testing.Short() || runtime.GOARCH != "amd64" }

// TestChecks runs every check of the registry on cases drawn by rapid: the
// theory's statements hold on random architectures, data, losses, norms and
// step sizes (each check documents its statement and tolerance), and fail
// on the non-homogeneous models of the checks expected to fail.
func TestChecks(t *testing.T) {
	for _, name := range Checks() {
		t.Run(name, func(t *testing.T) {
			xfail := ExpectedToFail(name)
			rapid.Check(t, func(rt *rapid.T) {
				c, err := Generate(name, rapidSource{rt}, slow())
				if err != nil {
					rt.Fatal(err)
				}
				res, err := RunCase(c)
				if errors.Is(err, errSkip) {
					rt.Skip(err)
				}
				if err != nil {
					rt.Fatalf("%+v: %v", c, err)
				}
				if xfail {
					if !failedAsExpected(res) {
						rt.Fatalf("%+v: expected to fail, passed: residual %.6g ≤ bound %.6g (%s)", c, res.Residual, res.Bound, res.Detail)
					}
					return
				}
				if !res.Pass() {
					rt.Fatalf("%+v: residual %.6g > bound %.6g (%s)", c, res.Residual, res.Bound, res.Detail)
				}
			})
		})
	}
}
