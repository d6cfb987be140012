package npz

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

func TestRoundTrip(t *testing.T) {
	x := Array{Shape: []int{2, 3}, Data: []float64{1, -2, 3.5, math.Inf(1), 0, math.SmallestNonzeroFloat64}}
	y := Array{Shape: []int{3}, Data: []float64{1, -1, 1}}
	var buf bytes.Buffer
	err := Encode(&buf, []Member{{Name: "X", Array: &x}, {Name: "y", Array: &y}, {Name: "meta.json", Raw: []byte(`{"a":1}`)}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(x, a.Arrays["X"]); diff != "" {
		t.Errorf("X: %s", diff)
	}
	if diff := cmp.Diff(y, a.Arrays["y"]); diff != "" {
		t.Errorf("y: %s", diff)
	}
	if string(a.Raw["meta.json"]) != `{"a":1}` {
		t.Errorf("raw member: %q", a.Raw["meta.json"])
	}
	if diff := cmp.Diff([]string{"X", "y", "meta.json"}, a.Order); diff != "" {
		t.Errorf("order: %s", diff)
	}
}

func TestWriteDeterministic(t *testing.T) {
	x := Array{Shape: []int{2, 2}, Data: []float64{1, 2, 3, 4}}
	var b1, b2 bytes.Buffer
	if err := Encode(&b1, []Member{{Name: "W1", Array: &x}}); err != nil {
		t.Fatal(err)
	}
	Encode(&b2, []Member{{Name: "W1", Array: &x}})
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Fatal("two encodings of the same arrays differ")
	}
}

// npyBytes builds a version-1 .npy member by hand, as numpy writes it.
func npyBytes(descr string, fortran bool, shape string, data []byte) []byte {
	f := "False"
	if fortran {
		f = "True"
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

func zipOf(members map[string][]byte, order ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range order {
		w, _ := zw.Create(n)
		w.Write(members[n])
	}
	zw.Close()
	return b.Bytes()
}

func TestNumpyLayouts(t *testing.T) {
	i64 := make([]byte, 0, 48)
	for _, v := range []int64{1, 2, 3, 4, 5, 6} {
		i64 = binary.LittleEndian.AppendUint64(i64, uint64(v))
	}
	// Fortran order: the 2×3 matrix [[1,2,3],[4,5,6]] is stored column by column.
	f8 := make([]byte, 0, 48)
	for _, v := range []float64{1, 4, 2, 5, 3, 6} {
		f8 = binary.LittleEndian.AppendUint64(f8, math.Float64bits(v))
	}
	be := make([]byte, 0, 16)
	for _, v := range []float64{-1, 1} {
		be = binary.BigEndian.AppendUint64(be, math.Float64bits(v))
	}
	b := zipOf(map[string][]byte{
		"a.npy": npyBytes("<i8", false, "(2, 3)", i64),
		"b.npy": npyBytes("<f8", true, "(2, 3)", f8),
		"c.npy": npyBytes(">f8", false, "(2,)", be),
		"d.npy": npyBytes("|i1", false, "(3,)", []byte{1, 0xff, 1}),
	}, "a.npy", "b.npy", "c.npy", "d.npy")
	a, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Array{Shape: []int{2, 3}, Data: []float64{1, 2, 3, 4, 5, 6}}
	for _, n := range []string{"a", "b"} {
		if diff := cmp.Diff(want, a.Arrays[n]); diff != "" {
			t.Errorf("%s: %s", n, diff)
		}
	}
	if diff := cmp.Diff([]float64{-1, 1}, a.Arrays["c"].Data); diff != "" {
		t.Errorf("big-endian: %s", diff)
	}
	if diff := cmp.Diff([]float64{1, -1, 1}, a.Arrays["d"].Data); diff != "" {
		t.Errorf("int8: %s", diff)
	}
}

func TestMalformedIsError(t *testing.T) {
	good := npyBytes("<f8", false, "(2,)", make([]byte, 16))
	cases := map[string][]byte{
		"empty":        {},
		"not zip":      []byte("hello world, not a zip"),
		"short data":   zipOf(map[string][]byte{"x.npy": good[:len(good)-3]}, "x.npy"),
		"long data":    zipOf(map[string][]byte{"x.npy": append(append([]byte{}, good...), 0)}, "x.npy"),
		"bad magic":    zipOf(map[string][]byte{"x.npy": append([]byte("XNUMPY"), good[6:]...)}, "x.npy"),
		"object dtype": zipOf(map[string][]byte{"x.npy": npyBytes("|O", false, "(2,)", make([]byte, 16))}, "x.npy"),
		"neg shape":    zipOf(map[string][]byte{"x.npy": npyBytes("<f8", false, "(-2,)", make([]byte, 16))}, "x.npy"),
		"huge shape":   zipOf(map[string][]byte{"x.npy": npyBytes("<f8", false, "(4611686018427387904, 4)", make([]byte, 16))}, "x.npy"),
		"bad hdr len":  zipOf(map[string][]byte{"x.npy": append([]byte("\x93NUMPY\x01\x00\xff\xff"), "{}\n"...)}, "x.npy"),
		"no newline":   zipOf(map[string][]byte{"x.npy": append([]byte("\x93NUMPY\x01\x00\x03\x00"), "{}x"...)}, "x.npy"),
	}
	for name, b := range cases {
		if a, err := Parse(b); err == nil {
			t.Errorf("%s: parsed without error: %+v", name, a)
		}
	}
	full := zipOf(map[string][]byte{"x.npy": good}, "x.npy")
	for n := 0; n < len(full); n++ {
		if _, err := Parse(full[:n]); err == nil {
			t.Errorf("truncated to %d of %d bytes: no error", n, len(full))
		}
	}
}

func FuzzParse(f *testing.F) {
	ents, _ := os.ReadDir("testdata/seed")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata/seed", e.Name()))
		if err == nil {
			f.Add(b)
		}
	}
	f.Add(zipOf(map[string][]byte{"x.npy": npyBytes("<f8", false, "(1, 2)", make([]byte, 16))}, "x.npy"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse(b) // must not panic
		if err != nil {
			return
		}
		for name, arr := range a.Arrays {
			n := 1
			for _, s := range arr.Shape {
				n *= s
			}
			if n != len(arr.Data) {
				t.Fatalf("%s: shape %v but %d values", name, arr.Shape, len(arr.Data))
			}
		}
	})
}

// A member is an array when its content carries the .npy magic, whatever
// its name (npyio's writer stores "X", not "X.npy"); other members stay raw.
func TestMemberByMagic(t *testing.T) {
	f8 := make([]byte, 0, 16)
	for _, v := range []float64{1.5, -2} {
		f8 = binary.LittleEndian.AppendUint64(f8, math.Float64bits(v))
	}
	b := zipOf(map[string][]byte{"X": npyBytes("<f8", false, "(2,)", f8), "y.npy": npyBytes("<f8", false, "(2,)", f8),
		"notes.txt": []byte("hello")}, "X", "y.npy", "notes.txt")
	a, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"X", "y"} {
		if got := a.Arrays[name]; len(got.Data) != 2 || got.Data[0] != 1.5 || got.Data[1] != -2 {
			t.Errorf("array %s = %v", name, got)
		}
	}
	if string(a.Raw["notes.txt"]) != "hello" || len(a.Arrays) != 2 {
		t.Errorf("raw members %v, arrays %v", a.Raw, a.Order)
	}
	// A ".npy" member without the magic is a broken array, not raw bytes.
	if _, err := Parse(zipOf(map[string][]byte{"X.npy": []byte("junk")}, "X.npy")); err == nil {
		t.Error("a .npy member without the magic was accepted")
	}
}

// zipRaw writes one member whose deflated content is body and whose zip
// header declares size bytes uncompressed (a header may lie).
func zipRaw(t *testing.T, name string, body []byte, size uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	fw.Write(body)
	fw.Close()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(body),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: size})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	return b.Bytes()
}

// An inflation bomb is refused after its header, before it is inflated: a
// 256 MiB member of zeros (a few hundred KB deflated) whose .npy header
// says it holds 2 values. The check allocates a few MB, where inflating
// the member first took 256 MiB and more (the reader of 791f4bd).
func TestInflationBombRefusedEarly(t *testing.T) {
	const size = 256 << 20
	body := make([]byte, size)
	copy(body, npyBytes("<f8", false, "(2,)", make([]byte, 16)))
	b := zipRaw(t, "X.npy", body, size)
	body = nil
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Parse(b)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "declares") {
		t.Fatalf("bomb: err %v, want the header/size mismatch", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("refusing the bomb allocated %d MB", got>>20)
	}
	// Footprint sees a truthful header's whole cost without inflating.
	p := filepath.Join(t.TempDir(), "big.npz")
	head := npyBytes("<f8", false, "(100000000,)", make([]byte, 2<<20)) // the first 2 MB of the 800 MB
	os.WriteFile(p, zipRaw(t, "X.npy", head, uint64(len(head)-2<<20+800000000)), 0o644)
	fp, err := Footprint(p)
	if err != nil || fp < 1600000000 {
		t.Errorf("Footprint of a declared 800 MB array: %d, %v", fp, err)
	}
	if _, err := Read("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Read(/dev/zero): %v", err)
	}
}

// FuzzDecodeNPY fuzzes the .npy member decoder directly (FuzzParse's
// mutations mostly break the zip checksum before a member is decoded):
// parseNPY never panics, a decoded array's shape matches its values, and
// its header (parseHeader) agrees on the shape. The corpus is in
// testdata/fuzz/FuzzDecodeNPY.
func FuzzDecodeNPY(f *testing.F) {
	f8 := make([]byte, 0, 48)
	for _, v := range []float64{1, -2, 3.5, math.Inf(1), math.NaN(), 0} {
		f8 = binary.LittleEndian.AppendUint64(f8, math.Float64bits(v))
	}
	f.Add(npyBytes("<f8", false, "(2, 3)", f8))
	f.Add(npyBytes("<f8", true, "(3, 2)", f8))
	f.Add(npyBytes("<i4", false, "(4,)", f8[:16]))
	f.Add(npyBytes("|u1", false, "(2, 2, 2)", f8[:8]))
	f.Add(npyBytes(">f4", false, "()", f8[:4]))
	v2 := npyBytes("<f8", false, "(6,)", f8)
	f.Add(append([]byte("\x93NUMPY\x02\x00"), append([]byte{byte(len(v2) - 58), 0, 0, 0}, v2[10:]...)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		arr, err := parseNPY(b)
		if err != nil {
			return
		}
		n := 1
		for _, s := range arr.Shape {
			n *= s
		}
		if n != len(arr.Data) {
			t.Fatalf("shape %v but %d values", arr.Shape, len(arr.Data))
		}
		h, err := parseHeader(b)
		if err != nil || !slices.Equal(h.shape, arr.Shape) || h.count != int64(n) {
			t.Fatalf("header %+v (%v) disagrees with the decoded shape %v", h, err, arr.Shape)
		}
	})
}

// Encode writes each array member exactly as npyio's npy.Write writes it
// (a []float64 for 1-D, a *mat.Dense for 2-D), so archives keep the bytes
// they had when npy.Write encoded them — except an empty 1-D array, which
// npy.Write gives shape () (a 0-d array without its value) and Encode
// (0,), as numpy does; that one must read back as itself.
func TestEncodeMatchesNpyio(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var a Array
		var ref bytes.Buffer
		if rapid.Bool().Draw(t, "2-D") {
			r, c := rapid.IntRange(1, 40).Draw(t, "rows"), rapid.IntRange(1, 1200).Draw(t, "cols")
			a = Array{Shape: []int{r, c}, Data: rapid.SliceOfN(rapid.Float64(), r*c, r*c).Draw(t, "data")}
			if err := npy.Write(&ref, mat.NewDense(r, c, a.Data)); err != nil {
				t.Fatal(err)
			}
		} else {
			n := rapid.IntRange(1, 100000).Draw(t, "n")
			a = Array{Shape: []int{n}, Data: make([]float64, n)}
			for i := range a.Data {
				a.Data[i] = float64(i) - 0.5*float64(n)
			}
			if err := npy.Write(&ref, a.Data); err != nil {
				t.Fatal(err)
			}
		}
		got, err := appendNPY(nil, a)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, ref.Bytes()) {
			t.Fatalf("shape %v: %d bytes, npy.Write %d; first header %q, npyio %q", a.Shape, len(got), ref.Len(), got[:min(len(got), 80)], ref.Bytes()[:min(ref.Len(), 80)])
		}
	})
}

func TestEncodeEmptyVector(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, []Member{{Name: "v", Array: &Array{Shape: []int{0}}}}); err != nil {
		t.Fatal(err)
	}
	a, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if v := a.Arrays["v"]; !slices.Equal(v.Shape, []int{0}) || len(v.Data) != 0 {
		t.Errorf("empty vector read back as shape %v with %d values", v.Shape, len(v.Data))
	}
}

// A Stored member is written with zip's Store method (its bytes appear
// as they are in the archive) and reads back the same as a deflated one.
func TestStoredMember(t *testing.T) {
	x := Array{Shape: []int{3}, Data: []float64{1.5, -2, 3}}
	var def, sto bytes.Buffer
	if err := Encode(&def, []Member{{Name: "x", Array: &x}, {Name: "m", Raw: []byte("meta meta meta meta")}}); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&sto, []Member{{Name: "x", Array: &x, Stored: true}, {Name: "m", Raw: []byte("meta meta meta meta"), Stored: true}}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(sto.Bytes()), int64(sto.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Method != zip.Store {
			t.Errorf("member %s: method %d, want Store", f.Name, f.Method)
		}
	}
	if !bytes.Contains(sto.Bytes(), []byte("meta meta meta meta")) || bytes.Contains(def.Bytes(), []byte("meta meta meta meta")) {
		t.Errorf("the stored archive should hold the raw bytes as they are, the deflated one not")
	}
	a, err := Parse(sto.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(x, a.Arrays["x"]); d != "" || string(a.Raw["m"]) != "meta meta meta meta" {
		t.Errorf("stored archive reads back differently: %s %q", d, a.Raw["m"])
	}
}
