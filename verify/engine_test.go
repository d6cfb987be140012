package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunSmall runs the engine over every check with a fixed seed: the
// table lists each check, nothing fails and nothing is written.
func TestRunSmall(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	rep, err := Run(Config{Seed: 3, Cases: 5, Short: true, FailDir: dir}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Fatalf("failures:\n%s", buf.String())
	}
	for _, name := range Checks() {
		if !strings.Contains(buf.String(), name) {
			t.Errorf("table lacks %s:\n%s", name, buf.String())
		}
	}
	for _, c := range rep.Checks {
		if c.Cases != 5 || c.Skipped == c.Cases {
			t.Errorf("%s: %d cases, %d skipped", c.Check, c.Cases, c.Skipped)
		}
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("files written without failures: %v", files)
	}
}

// TestRunSameSeedSameCases: a seed determines the cases.
func TestRunSameSeedSameCases(t *testing.T) {
	for _, name := range Checks() {
		a, _ := Generate(name, NewRandSource(5, 2), false)
		b, _ := Generate(name, NewRandSource(5, 2), false)
		c, _ := Generate(name, NewRandSource(5, 3), false)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		jc, _ := json.Marshal(c)
		if string(ja) != string(jb) || string(ja) == string(jc) {
			t.Errorf("%s: same seed %s vs %s; other index %s", name, ja, jb, jc)
		}
	}
}

// TestRunShrinksWritesAndReplays injects a check that fails whenever the
// case has at least 3 samples and a hidden layer: Run must report the
// failure, shrink it to exactly that (n = 3, one hidden layer of width 1),
// write it, and Replay must re-run it and fail again.
func TestRunShrinksWritesAndReplays(t *testing.T) {
	const name = "test-fails-large"
	saved := registry
	t.Cleanup(func() { registry = saved })
	registry = append(registry[:len(registry):len(registry)], check{name: name, doc: "test",
		gen: func(src Source, short bool) Case {
			c := Case{Seed: src.Uint64("seed"), N: src.Int("n", 5, 9)}
			drawModel(src, &c)
			c.Widths = append(c.Widths, 4)
			return c
		},
		run: func(c Case) (Result, error) {
			if c.N >= 3 && len(c.Widths) > 0 {
				return Result{Residual: float64(c.N), Bound: 2, Detail: "too large"}, nil
			}
			return Result{Residual: 0, Bound: 2}, nil
		}})
	dir := t.TempDir()
	var buf bytes.Buffer
	rep, err := Run(Config{Seed: 1, Cases: 3, Checks: []string{name}, FailDir: dir}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	cr := rep.Checks[0]
	if !rep.Failed() || cr.Failures != 3 || cr.Failing == nil {
		t.Fatalf("report %+v", cr)
	}
	if f := cr.Failing; f.N != 3 || len(f.Widths) != 1 || f.Widths[0] != 1 || f.In != 1 {
		t.Errorf("not shrunk to n = 3, widths [1], d = 1: %+v", *f)
	}
	if !strings.Contains(buf.String(), cr.FailFile) || filepath.Dir(cr.FailFile) != dir {
		t.Errorf("file %q not under %s or not printed:\n%s", cr.FailFile, dir, buf.String())
	}
	buf.Reset()
	rr, err := Replay(cr.FailFile, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if !rr.Failed() || rr.Checks[0].Worst.Residual != 3 {
		t.Errorf("replay: %+v\n%s", rr, buf.String())
	}
}

func TestReplayErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var buf bytes.Buffer
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.json"), "no such file"},
		{write("bad.json", "{"), "unexpected end"},
		{write("unknown.json", `{"check":"nope","in":1,"n":1}`), "unknown check"},
	} {
		if _, err := Replay(tc.path, &buf); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.path, err, tc.want)
		}
	}
	// A case out of range fails (as a failure of the check, not of Replay).
	rep, err := Replay(write("range.json", `{"check":"euler","in":0,"n":1}`), &buf)
	if err != nil || !rep.Failed() {
		t.Errorf("out-of-range case: %v %+v", err, rep)
	}
	if _, err := Run(Config{Checks: []string{"nope"}}, &buf); err == nil {
		t.Error("unknown check accepted by Run")
	}
}

// ExampleRun shows the table margo verify prints.
func ExampleRun() {
	rep, err := Run(Config{Seed: 1, Cases: 3, Short: true, Checks: []string{"euler"}}, os.Stdout)
	fmt.Println(rep.Failed(), err)
}
