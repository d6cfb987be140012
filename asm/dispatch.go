package asm

import (
	"fmt"
	"os"
	"reflect"
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

// kernels is one implementation of every level-1 kernel. A nil field falls
// back to the generic twin when the table is registered (see register), and
// fallbacks reports which ones did, so that a missing kernel is visible.
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
}

var (
	tables      = map[Level]*kernels{Generic: &genericKernels}
	missing     = map[Level][]string{}
	level       = Generic
	active      = &genericKernels
	configErr   error
	levelHooks  []func(Level) // other kernel families (GEMM) switch with the level
	cpuSupports = func(Level) bool { return false }
)

// register makes k the table of level l, filling nil entries from the
// generic table and remembering their names (fallbacks reports them).
func register(l Level, k kernels) {
	g := genericKernels
	kv, gv := reflect.ValueOf(&k).Elem(), reflect.ValueOf(&g).Elem()
	// The fields are unexported: reach them through their addresses.
	field := func(v reflect.Value, i int) reflect.Value {
		f := v.Field(i)
		return reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem()
	}
	for i := 0; i < kv.NumField(); i++ {
		if f := field(kv, i); f.IsNil() {
			missing[l] = append(missing[l], kv.Type().Field(i).Name)
			f.Set(field(gv, i))
		}
	}
	tables[l] = &k
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

// SetLevel switches every kernel family to level l. It is meant for tests
// and benchmarks that compare paths in one process; it must not run
// concurrently with kernels.
func SetLevel(l Level) error {
	if !Supported(l) {
		return fmt.Errorf("SIMD level %s is not available here (available: %s)", l, availableNames())
	}
	setLevel(l)
	return nil
}

func setLevel(l Level) {
	level = l
	active = tables[l]
	for _, h := range levelHooks {
		h(l)
	}
}
