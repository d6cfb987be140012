package asm

import (
	"fmt"
	"os"
	"strings"
)

// Level names one implementation path of the kernels.
type Level int

// The implementation paths. Generic is always available.
const (
	Generic Level = iota // plain Go, the reference
	AVX2                 // amd64 AVX2 + FMA3
	AVX512               // amd64 AVX-512F
	NEON                 // arm64 Advanced SIMD
)

var levelNames = [...]string{Generic: "generic", AVX2: "avx2", AVX512: "avx512", NEON: "neon"}

// String returns the name MARGO_SIMD uses for the level.
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel turns a MARGO_SIMD value into a Level.
func ParseLevel(s string) (Level, error) {
	for l, name := range levelNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Level(l), nil
		}
	}
	return Generic, fmt.Errorf("unknown SIMD level %q (want one of %s)", s, strings.Join(levelNames[:], ", "))
}

// kernels is one level's implementation of every kernel: the level-1
// kernels and the GEMM micro-kernel with its packing copies. It is the one
// registry of the package: SetLevel switches every exported kernel by
// switching this table. A nil kernel falls back to the generic twin when
// the table is registered (see register), and fallbacks reports which ones
// did, so that a missing kernel is visible.
type kernels struct {
	dot       func(x, y []float64) float64
	axpy      func(a float64, x, y []float64)
	scal      func(a float64, x []float64)
	absSum    func(x []float64) float64
	nrm2      func(x []float64) float64
	maxAbs    func(x []float64) float64
	argMaxAbs func(x []float64) int
	sign      func(dst, x []float64)
	relu      func(dst, x []float64)
	reluMask  func(dst, g, z []float64)
	adam      func(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)

	// Fused optimizer steps (step.go).
	signStep func(a float64, g, theta []float64) (maxG, maxTheta float64)
	axpyStep func(a float64, g, theta []float64) (maxG, maxTheta float64)

	// One-pass dot product and norms (dotnorms.go).
	dotNorms func(x, y []float64) (float64, Norms, Norms)

	// The GEMM micro-kernel of the level (gemm.go); missing when its tile
	// is nil.
	gemm gemmKernels
}

var genericKernels = kernels{
	dot:       dotGeneric,
	axpy:      axpyGeneric,
	scal:      scalGeneric,
	absSum:    absSumGeneric,
	nrm2:      nrm2Generic,
	maxAbs:    maxAbsGeneric,
	argMaxAbs: argMaxAbsGeneric,
	sign:      signGeneric,
	relu:      reluGeneric,
	reluMask:  reluMaskGeneric,
	adam:      adamGeneric,

	signStep: signStepGeneric,
	axpyStep: axpyStepGeneric,

	dotNorms: dotNormsGeneric,

	gemm: gemmKernels{mr: 4, nr: 4, tile: gemm4x4Generic},
}

var (
	tables      = map[Level]*kernels{Generic: &genericKernels}
	missing     = map[Level][]string{}
	level       = Generic
	active      = &genericKernels
	configErr   error
	cpuSupports = func(Level) bool { return false }
)

// register makes k the table of level l, filling its missing kernels from
// the generic table and remembering their names (fallbacks reports them).
func register(l Level, k kernels) {
	missing[l] = k.fillFrom(&genericKernels)
	tables[l] = &k
}

// fillFrom sets every missing kernel of k to g's and returns the names of
// the kernels it set. It names every field of kernels once, in plain code;
// TestFillFromCoversEveryField fails when a field is added to kernels but
// not here.
func (k *kernels) fillFrom(g *kernels) (filled []string) {
	take := func(name string, isMissing bool, set func()) {
		if isMissing {
			set()
			filled = append(filled, name)
		}
	}
	take("dot", k.dot == nil, func() { k.dot = g.dot })
	take("axpy", k.axpy == nil, func() { k.axpy = g.axpy })
	take("scal", k.scal == nil, func() { k.scal = g.scal })
	take("absSum", k.absSum == nil, func() { k.absSum = g.absSum })
	take("nrm2", k.nrm2 == nil, func() { k.nrm2 = g.nrm2 })
	take("maxAbs", k.maxAbs == nil, func() { k.maxAbs = g.maxAbs })
	take("argMaxAbs", k.argMaxAbs == nil, func() { k.argMaxAbs = g.argMaxAbs })
	take("sign", k.sign == nil, func() { k.sign = g.sign })
	take("relu", k.relu == nil, func() { k.relu = g.relu })
	take("reluMask", k.reluMask == nil, func() { k.reluMask = g.reluMask })
	take("adam", k.adam == nil, func() { k.adam = g.adam })
	take("signStep", k.signStep == nil, func() { k.signStep = g.signStep })
	take("axpyStep", k.axpyStep == nil, func() { k.axpyStep = g.axpyStep })
	take("dotNorms", k.dotNorms == nil, func() { k.dotNorms = g.dotNorms })
	take("gemm", k.gemm.tile == nil, func() { k.gemm = g.gemm })
	return filled
}

// fallbacks lists the kernels of level l that run the generic code.
func fallbacks(l Level) []string { return missing[l] }

func init() {
	registerArch() // per architecture: cpuSupports and the SIMD tables
	best := Generic
	for _, l := range Available() {
		best = l // Available is ordered from slowest to fastest
	}
	if s, ok := os.LookupEnv("MARGO_SIMD"); ok && s != "" {
		l, err := ParseLevel(s)
		if err == nil && !Supported(l) {
			err = fmt.Errorf("MARGO_SIMD=%s: this processor or build does not support %s (available: %s)", s, l, availableNames())
		} else if err != nil {
			err = fmt.Errorf("MARGO_SIMD: %w", err)
		}
		if err != nil {
			configErr = err
		} else {
			best = l
		}
	}
	setLevel(best)
}

// Supported reports whether level l can run here: the processor has the
// instructions and this build has kernels for it.
func Supported(l Level) bool {
	if l == Generic {
		return true
	}
	_, ok := tables[l]
	return ok && cpuSupports(l)
}

// Available lists the levels that can run here, slowest first.
func Available() []Level {
	var out []Level
	for l := Generic; int(l) < len(levelNames); l++ {
		if Supported(l) {
			out = append(out, l)
		}
	}
	return out
}

func availableNames() string {
	var s []string
	for _, l := range Available() {
		s = append(s, l.String())
	}
	return strings.Join(s, ", ")
}

// Active returns the level the exported kernels run on.
func Active() Level { return level }

// ConfigError reports a MARGO_SIMD value that could not be honoured, or nil.
func ConfigError() error { return configErr }

// SetLevel switches every kernel, the GEMM included, to level l. It is meant for tests
// and benchmarks that compare paths in one process; it must not run
// concurrently with kernels.
func SetLevel(l Level) error {
	if !Supported(l) {
		return fmt.Errorf("SIMD level %s is not available here (available: %s)", l, availableNames())
	}
	setLevel(l)
	return nil
}

// setLevel switches the active table: every exported kernel reads it.
func setLevel(l Level) {
	level = l
	active = tables[l]
}
