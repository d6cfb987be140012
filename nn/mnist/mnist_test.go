package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// idx builds an unsigned-byte IDX file with the given dimensions and data.
func idx(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestParseImages(t *testing.T) {
	im, err := ParseImages(idx([]uint32{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}))
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 2 || im.Rows != 2 || im.Cols != 3 || im.Pixels[11] != 255 {
		t.Fatalf("got %+v", im)
	}
	s := &Set{Images: im, Labels: []byte{3, 6}}
	x := s.Features(s.Indices(6))
	if len(x) != 6 || x[0] != 6.0/255 || x[5] != 1 {
		t.Fatalf("features of digit 6: %v", x)
	}
}

func TestMalformed(t *testing.T) {
	good := idx([]uint32{1, 2, 2}, []byte{1, 2, 3, 4})
	bad := map[string][]byte{
		"short":      good[:len(good)-1],
		"long":       append(append([]byte{}, good...), 0),
		"magic":      append([]byte{1}, good[1:]...),
		"type":       append([]byte{0, 0, 9}, good[3:]...),
		"dims":       idx([]uint32{1, 4}, []byte{1, 2, 3, 4}),
		"huge":       idx([]uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil),
		"header cut": good[:7],
	}
	for name, b := range bad {
		if _, err := ParseImages(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ParseLabels(idx([]uint32{2}, []byte{1})); err == nil {
		t.Error("labels with missing byte: no error")
	}
	if _, err := Gunzip([]byte("not gzip")); err == nil {
		t.Error("not gzip: no error")
	}
	z := gz(good)
	if _, err := Gunzip(z[:len(z)-4]); err == nil {
		t.Error("truncated gzip: no error")
	}
}

func TestLoadMismatch(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, TestImages), gz(idx([]uint32{2, 1, 1}, []byte{1, 2})), 0o644)
	os.WriteFile(filepath.Join(dir, TestLabels), gz(idx([]uint32{1}, []byte{1})), 0o644)
	if _, err := Load(dir, false); err == nil {
		t.Fatal("2 images, 1 label: no error")
	}
	os.WriteFile(filepath.Join(dir, TestLabels), gz(idx([]uint32{2}, []byte{1, 12})), 0o644)
	if _, err := Load(dir, false); err == nil {
		t.Fatal("label 12: no error")
	}
	os.WriteFile(filepath.Join(dir, TestLabels), gz(idx([]uint32{2}, []byte{1, 2})), 0o644)
	if s, err := Load(dir, false); err != nil || s.Images.N != 2 {
		t.Fatalf("valid files: %v", err)
	}
}

func FuzzParseIDX(f *testing.F) {
	ents, _ := os.ReadDir("testdata/seed")
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join("testdata/seed", e.Name())); err == nil {
			f.Add(b)
		}
	}
	f.Add(gz(idx([]uint32{1, 2, 2}, []byte{1, 2, 3, 4})))
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := Gunzip(b)
		if err != nil {
			raw = b // also fuzz the uncompressed parser directly
		}
		if im, err := ParseImages(raw); err == nil && len(im.Pixels) != im.N*im.Rows*im.Cols {
			t.Fatalf("%d pixels for %d×%d×%d", len(im.Pixels), im.N, im.Rows, im.Cols)
		}
		ParseLabels(raw)
	})
}
