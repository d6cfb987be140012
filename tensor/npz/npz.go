// Package npz reads and writes NumPy .npz archives of float64 arrays with
// codeberg.org/sbinet/npyio, hardened for untrusted input: every array is
// size-checked against its zip entry before it is decoded, the codec's
// panics become errors, and numeric arrays of any common dtype are returned
// as float64. A member is an array when its content starts with the .npy
// magic, as numpy's np.load decides (whatever its name: npyio's writer
// stores arrays without the ".npy" suffix); other members are returned as
// raw bytes, which is how np.load exposes them too.
//
// Only importers of this package depend on npyio: the core packages (asm,
// tensor, nn, steepest) do not. steepest/train writes archives atomically
// with Encode.
package npz

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"gonum.org/v1/gonum/mat"
)

// MaxMemberBytes bounds the uncompressed size of one archive member (4 GiB),
// so that a corrupt header cannot make the reader allocate without limit.
const MaxMemberBytes = 4 << 30

// Array is an n-dimensional float64 array in C (row-major) order.
type Array struct {
	Shape []int
	Data  []float64
}

// Archive is the content of an .npz file: arrays by name (without ".npy")
// and raw members by their full name.
type Archive struct {
	Arrays map[string]Array
	Raw    map[string][]byte
	Order  []string // member names in file order (array names without ".npy")
}

// Read reads the whole archive at path.
func Read(path string) (*Archive, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	a, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Parse decodes an .npz archive held in memory. It never panics.
func Parse(b []byte) (a *Archive, err error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("not an npz (zip) archive: %w", err)
	}
	a = &Archive{Arrays: map[string]Array{}, Raw: map[string][]byte{}}
	for _, f := range zr.File {
		if f.UncompressedSize64 > MaxMemberBytes {
			return nil, fmt.Errorf("member %q is too large (%d bytes)", f.Name, f.UncompressedSize64)
		}
		raw, err := readMember(f)
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", f.Name, err)
		}
		// An array is a member with the .npy magic, whatever its name (as
		// np.load decides); a ".npy" member without it is a broken array.
		if !bytes.HasPrefix(raw, npy.Magic[:]) && !strings.HasSuffix(f.Name, ".npy") {
			if _, dup := a.Raw[f.Name]; dup {
				return nil, fmt.Errorf("duplicate member %q", f.Name)
			}
			a.Raw[f.Name] = raw
			a.Order = append(a.Order, f.Name)
			continue
		}
		name := strings.TrimSuffix(f.Name, ".npy")
		if _, dup := a.Arrays[name]; dup {
			return nil, fmt.Errorf("duplicate array %q", name)
		}
		arr, err := parseNPY(raw)
		if err != nil {
			return nil, fmt.Errorf("array %q: %w", name, err)
		}
		a.Arrays[name] = arr
		a.Order = append(a.Order, name)
	}
	return a, nil
}

func readMember(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// Read at most the declared size plus one byte, so a lying header is
	// caught without reading an unbounded stream.
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) != f.UncompressedSize64 {
		return nil, fmt.Errorf("size %d does not match the declared %d", len(b), f.UncompressedSize64)
	}
	return b, nil
}

// dtypes maps the NPY type strings we accept to their item size.
var dtypes = map[string]int{
	"<f8": 8, ">f8": 8, "<f4": 4, ">f4": 4,
	"<i8": 8, ">i8": 8, "<i4": 4, ">i4": 4, "<i2": 2, ">i2": 2, "|i1": 1,
	"<u8": 8, ">u8": 8, "<u4": 4, ">u4": 4, "<u2": 2, ">u2": 2, "|u1": 1,
	"|b1": 1,
}

// parseNPY decodes one .npy member. The header is checked by hand before the
// codec sees it (magic, header length within the member), and the data size
// is checked against the shape before anything is allocated for it.
func parseNPY(b []byte) (arr Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed npy data (%v)", r)
		}
	}()
	if len(b) < 10 || !bytes.Equal(b[:6], npy.Magic[:]) {
		return arr, errors.New("not an npy array (bad magic)")
	}
	var hdrEnd int
	switch b[6] {
	case 1:
		hdrEnd = 10 + int(binary.LittleEndian.Uint16(b[8:10]))
	case 2, 3:
		if len(b) < 12 {
			return arr, errors.New("truncated npy header")
		}
		hdrEnd = 12 + int(binary.LittleEndian.Uint32(b[8:12]))
	default:
		return arr, fmt.Errorf("unsupported npy version %d", b[6])
	}
	if hdrEnd > len(b) || hdrEnd < 0 {
		return arr, errors.New("truncated npy header")
	}
	if b[6] == 3 { // version 3 differs only in the header's text encoding
		b = append([]byte(nil), b...)
		b[6] = 2
	}
	hdr := b[:hdrEnd]
	if bytes.IndexByte(hdr, '\n') < 0 || bytes.IndexByte(hdr, '}') < 0 {
		return arr, errors.New("malformed npy header")
	}
	rd := bytes.NewReader(b)
	r, err := npy.NewReader(rd)
	if err != nil {
		return arr, fmt.Errorf("npy header: %w", err)
	}
	typ := r.Header.Descr.Type
	typ = strings.Trim(typ, "'\"")
	size, ok := dtypes[typ]
	if !ok {
		return arr, fmt.Errorf("unsupported dtype %q (want a numeric type such as <f8)", r.Header.Descr.Type)
	}
	shape := append([]int(nil), r.Header.Descr.Shape...)
	n := 1
	for _, s := range shape {
		if s < 0 {
			return arr, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if s != 0 && n > math.MaxInt32*64/s {
			return arr, fmt.Errorf("shape %v is too large", shape)
		}
		n *= s
	}
	if rd.Len() != n*size {
		return arr, fmt.Errorf("shape %v with dtype %s needs %d data bytes, the file has %d", shape, typ, n*size, rd.Len())
	}
	data, err := decode(r, typ, n)
	if err != nil {
		return arr, fmt.Errorf("npy data: %w", err)
	}
	if r.Header.Descr.Fortran && len(shape) > 1 {
		data = fromFortran(data, shape)
	}
	return Array{Shape: shape, Data: data}, nil
}

// decode reads n elements of type typ and converts them to float64.
func decode(r *npy.Reader, typ string, n int) ([]float64, error) {
	if n == 0 {
		return []float64{}, nil
	}
	out := make([]float64, n)
	conv := func(ptr any, get func(i int) float64) error {
		if err := r.Read(ptr); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		for i := range out {
			out[i] = get(i)
		}
		return nil
	}
	switch typ[1:] {
	case "f8":
		if err := r.Read(&out); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return out, nil
	case "f4":
		v := make([]float32, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "i8":
		v := make([]int64, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "i4":
		v := make([]int32, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "i2":
		v := make([]int16, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "i1":
		v := make([]int8, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "u8":
		v := make([]uint64, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "u4":
		v := make([]uint32, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "u2":
		v := make([]uint16, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "u1":
		v := make([]uint8, n)
		return out, conv(&v, func(i int) float64 { return float64(v[i]) })
	case "b1":
		v := make([]bool, n)
		return out, conv(&v, func(i int) float64 {
			if v[i] {
				return 1
			}
			return 0
		})
	}
	return nil, fmt.Errorf("unsupported dtype %q", typ)
}

// fromFortran reorders column-major data of the given shape to row-major.
func fromFortran(data []float64, shape []int) []float64 {
	out := make([]float64, len(data))
	nd := len(shape)
	idx := make([]int, nd)
	for f := range data { // f walks column-major order: first index fastest
		c := 0
		for k := 0; k < nd; k++ {
			c = c*shape[k] + idx[k]
		}
		out[c] = data[f]
		for k := 0; k < nd; k++ {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out
}

// Member is one entry to write: a float64 array (Array) or raw bytes (Raw,
// stored under Name as it is; numpy returns such members as bytes).
type Member struct {
	Name  string
	Array *Array
	Raw   []byte
}

// Encode writes the members as an npz archive to w: a zip file whose
// array members are .npy files encoded by npyio, named Name+".npy", dtype
// <f8 in C order. The output is deterministic (no timestamps).
func Encode(w io.Writer, members []Member) error {
	zw := zip.NewWriter(w)
	seen := map[string]bool{}
	for _, m := range members {
		name := m.Name
		if m.Array != nil {
			name += ".npy"
		}
		if seen[name] {
			return fmt.Errorf("duplicate member %q", name)
		}
		seen[name] = true
		ew, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			return err
		}
		if m.Array == nil {
			if _, err := ew.Write(m.Raw); err != nil {
				return err
			}
			continue
		}
		v, err := npyValue(*m.Array)
		if err != nil {
			return fmt.Errorf("array %q: %w", m.Name, err)
		}
		if err := npy.Write(ew, v); err != nil {
			return fmt.Errorf("array %q: %w", m.Name, err)
		}
	}
	return zw.Close()
}

func npyValue(a Array) (any, error) {
	n := 1
	for _, s := range a.Shape {
		if s < 0 {
			return nil, fmt.Errorf("negative dimension in %v", a.Shape)
		}
		n *= s
	}
	if n != len(a.Data) {
		return nil, fmt.Errorf("shape %v holds %d values, have %d", a.Shape, n, len(a.Data))
	}
	switch len(a.Shape) {
	case 1:
		return a.Data, nil
	case 2:
		if n == 0 {
			return nil, fmt.Errorf("empty 2-D array %v cannot be written", a.Shape)
		}
		return mat.NewDense(a.Shape[0], a.Shape[1], a.Data), nil
	}
	return nil, fmt.Errorf("only 1-D and 2-D arrays can be written, shape %v", a.Shape)
}
