package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTrainSmoke(t *testing.T) {
	dir := t.TempDir()
	data := writeTeacherData(t, dir, "train", 40, 10, 1)
	m := filepath.Join(dir, "m.jsonl")
	code, _, errs := runMargo("train", "--data", data, "--width", "16", "--alg", "sd", "--lr", "0.01", "--steps", "50", "--metrics", m, "--save", filepath.Join(dir, "p.npz"), "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows, err := readMetrics(m)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0]["step"] != 0 || rows[len(rows)-1]["step"] != 50 {
		t.Fatalf("records from %v to %v, want 0 to 50", rows[0]["step"], rows[len(rows)-1]["step"])
	}
	b, _ := os.ReadFile(m)
	t.Logf("%s", b[:min(len(b), 600)])
}
