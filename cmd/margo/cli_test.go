package main

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/margo-lab/margo/nn/teacher"
	"github.com/margo-lab/margo/steepest/train"
)

// binary is the margo executable built by TestMain (for tests that need a
// real process: kill and resume).
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || runtime.GOARCH == "arm64" {
		// Under qemu (CI's arm64 run) the go command would build for the
		// emulated architecture; the tests that need a process skip.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "margo-test-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "margo")
	// The binary is built with the tests' build tags, so that it computes
	// on the same SIMD level as the in-process runs it is compared with.
	if out, err := exec.Command("go", "build", "-tags", buildTags, "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		binary = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBinary skips where TestMain built no binary on purpose and fails
// where the build failed.
func needBinary(t *testing.T) {
	t.Helper()
	heavy(t)
	if binary == "" {
		t.Fatal("margo binary was not built")
	}
}

// heavy skips tests that run real training under -short and on arm64 (CI
// runs arm64 under qemu, 10–30× slower).
func heavy(t *testing.T) {
	t.Helper()
	if testing.Short() || runtime.GOARCH == "arm64" {
		t.Skip("heavy CLI test: skipped with -short and on arm64")
	}
}

// runMargo runs the command line in-process and returns exit code, stdout
// and stderr.
func runMargo(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeTeacherData writes a small teacher–student set (n points, d inputs)
// to dir/name.npz and returns its path.
func writeTeacherData(t *testing.T, dir, name string, n, d int, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	tc, err := teacher.New(d, 8, 3, rng)
	if err != nil {
		t.Fatal(err)
	}
	x, y := tc.Sample(n, rng)
	p := filepath.Join(dir, name+".npz")
	ds, err := train.NewDataset(name, n, d, x, y)
	if err != nil {
		t.Fatal(err)
	}
	err = train.SaveDataset(p, ds)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func oneLineErr(t *testing.T, stderr string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not exactly one line: %q", stderr)
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("stderr shows a panic: %q", stderr)
	}
}
