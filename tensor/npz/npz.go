// Package npz reads NumPy .npz archives of float64 arrays with
// codeberg.org/sbinet/npyio, and writes them (Encode). Reading is
// hardened for untrusted input: every array is
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
	"slices"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// MaxMemberBytes bounds the uncompressed size of one archive member (4 GiB),
// so that a corrupt header cannot make the reader allocate without limit.
const MaxMemberBytes = 4 << 30

// MaxArchiveBytes bounds what reading one archive may allocate (8 GiB): the
// file itself, every member's inflated bytes and the float64 arrays
// decoded from them. A member's size is checked against its .npy header's
// shape before it is inflated, so a small archive that would inflate to
// gigabytes is refused after reading a few bytes of it.
const MaxArchiveBytes = 8 << 30

// maxHeaderBytes bounds a .npy header (numpy writes a few hundred bytes).
const maxHeaderBytes = 1 << 20

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

// Read reads the whole archive at path, which must be a regular file (not
// a device or a pipe, which could stream without end) of at most
// MaxArchiveBytes.
func Read(path string) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > MaxArchiveBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d an archive may have", path, fi.Size(), int64(MaxArchiveBytes))
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxArchiveBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	a, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Footprint returns about how many bytes Read(path) would allocate — the
// file, every member inflated, the float64 arrays decoded — from the zip
// directory and the members' .npy headers alone, without inflating the
// members: a caller can refuse an archive that would not fit in memory
// before reading it.
func Footprint(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file", path)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, fmt.Errorf("%s: not an npz (zip) archive: %w", path, err)
	}
	defer zr.Close()
	total := fi.Size()
	for _, f := range zr.File {
		declared := int64(min(f.UncompressedSize64, math.MaxInt64/4))
		total += declared
		rc, err := f.Open()
		if err != nil {
			return 0, fmt.Errorf("%s: member %q: %w", path, f.Name, err)
		}
		head := make([]byte, min(declared+1, maxHeaderBytes+12))
		n, _ := io.ReadFull(rc, head)
		rc.Close()
		if h, err := parseHeader(head[:n]); err == nil {
			total += 8 * h.count
		}
		if total < 0 || total > math.MaxInt64/4 {
			return math.MaxInt64, nil
		}
	}
	return total, nil
}

// Parse decodes an .npz archive held in memory. It never panics.
func Parse(b []byte) (a *Archive, err error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("not an npz (zip) archive: %w", err)
	}
	a = &Archive{Arrays: map[string]Array{}, Raw: map[string][]byte{}}
	budget := int64(MaxArchiveBytes) - int64(len(b))
	for _, f := range zr.File {
		if f.UncompressedSize64 > MaxMemberBytes {
			return nil, fmt.Errorf("member %q is too large (%d bytes)", f.Name, f.UncompressedSize64)
		}
		raw, err := readMember(f, &budget)
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

// readMember inflates one member. An array member's declared size must be
// what its .npy header's shape and dtype need, checked on the first bytes
// before the rest is inflated; budget (what the archive may still
// allocate) pays for the member and the float64 array it decodes to.
func readMember(f *zip.File, budget *int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	declared := int64(f.UncompressedSize64)
	head := make([]byte, min(declared+1, maxHeaderBytes+12))
	n, err := io.ReadFull(rc, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	head = head[:n]
	cost := declared
	if bytes.HasPrefix(head, npy.Magic[:]) {
		h, err := parseHeader(head)
		if err != nil {
			return nil, err
		}
		if want := int64(h.dataOff) + h.count*int64(h.item); want != declared {
			return nil, fmt.Errorf("shape %v with dtype %s needs %d bytes, the archive declares %d", h.shape, h.typ, want, declared)
		}
		cost += 8 * h.count
	}
	if cost > *budget {
		return nil, fmt.Errorf("needs %d bytes, more than the %d an archive may allocate", cost, int64(MaxArchiveBytes))
	}
	*budget -= cost
	// Read at most the declared size plus one byte, so a lying header is
	// caught without reading an unbounded stream.
	rest, err := io.ReadAll(io.LimitReader(rc, declared+1-int64(len(head))))
	if err != nil {
		return nil, err
	}
	b := append(head, rest...)
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

// npyHeader is what a .npy header says about its data.
type npyHeader struct {
	dataOff     int   // where the data start
	shape       []int // C or Fortran order
	typ         string
	item        int   // bytes per element
	count       int64 // elements
	fortran     bool
	headerBytes []byte // the header (version 3 rewritten as 2), for the codec
}

// parseHeader reads the header at the start of b (which need not hold the
// data): magic, version, length within b, dtype and shape, with the
// element count bounded so that it cannot overflow.
func parseHeader(b []byte) (h npyHeader, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed npy header (%v)", r)
		}
	}()
	if len(b) < 10 || !bytes.Equal(b[:6], npy.Magic[:]) {
		return h, errors.New("not an npy array (bad magic)")
	}
	switch b[6] {
	case 1:
		h.dataOff = 10 + int(binary.LittleEndian.Uint16(b[8:10]))
	case 2, 3:
		if len(b) < 12 {
			return h, errors.New("truncated npy header")
		}
		l := binary.LittleEndian.Uint32(b[8:12])
		if l > maxHeaderBytes {
			return h, fmt.Errorf("npy header of %d bytes", l)
		}
		h.dataOff = 12 + int(l)
	default:
		return h, fmt.Errorf("unsupported npy version %d", b[6])
	}
	if h.dataOff > len(b) || h.dataOff < 0 {
		return h, errors.New("truncated npy header")
	}
	hb := append([]byte(nil), b[:h.dataOff]...)
	if hb[6] == 3 { // version 3 differs only in the header's text encoding
		hb[6] = 2
	}
	if bytes.IndexByte(hb, '\n') < 0 || bytes.IndexByte(hb, '}') < 0 {
		return h, errors.New("malformed npy header")
	}
	r, err := npy.NewReader(bytes.NewReader(hb))
	if err != nil {
		return h, fmt.Errorf("npy header: %w", err)
	}
	h.typ = strings.Trim(r.Header.Descr.Type, "'\"")
	var ok bool
	if h.item, ok = dtypes[h.typ]; !ok {
		return h, fmt.Errorf("unsupported dtype %q (want a numeric type such as <f8)", r.Header.Descr.Type)
	}
	h.shape = append([]int(nil), r.Header.Descr.Shape...)
	h.count = 1
	for _, s := range h.shape {
		if s < 0 {
			return h, fmt.Errorf("negative dimension in shape %v", h.shape)
		}
		if s != 0 && h.count > math.MaxInt32*64/int64(s) {
			return h, fmt.Errorf("shape %v is too large", h.shape)
		}
		h.count *= int64(s)
	}
	h.fortran, h.headerBytes = r.Header.Descr.Fortran, hb
	return h, nil
}

// parseNPY decodes one .npy member. The header is checked by hand before the
// codec sees it (parseHeader), and the data size is checked against the
// shape before anything is allocated for it.
func parseNPY(b []byte) (arr Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed npy data (%v)", r)
		}
	}()
	h, err := parseHeader(b)
	if err != nil {
		return arr, err
	}
	if have := int64(len(b) - h.dataOff); have != h.count*int64(h.item) {
		return arr, fmt.Errorf("shape %v with dtype %s needs %d data bytes, the file has %d", h.shape, h.typ, h.count*int64(h.item), have)
	}
	if b[6] == 3 {
		b = append(append([]byte(nil), h.headerBytes...), b[h.dataOff:]...)
	}
	r, err := npy.NewReader(bytes.NewReader(b))
	if err != nil {
		return arr, fmt.Errorf("npy header: %w", err)
	}
	data, err := decode(r, h.typ, int(h.count))
	if err != nil {
		return arr, fmt.Errorf("npy data: %w", err)
	}
	if h.fortran && len(h.shape) > 1 {
		data = fromFortran(data, h.shape)
	}
	return Array{Shape: h.shape, Data: data}, nil
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
	// Stored writes the member without compression (zip's Store method).
	// Deflate saves a few per cent on float64 data and costs more time than
	// the rest of the encoding: checkpoints, written often and read only
	// by margo, are stored.
	Stored bool
}

// Encode writes the members as an npz archive to w: a zip file whose
// array members are .npy files (format 2.0, dtype <f8, C order), named
// Name+".npy". The output is deterministic (no timestamps), and each
// member's bytes are those npyio's npy.Write produces for the array (a
// []float64 for 1-D, a *mat.Dense for 2-D; TestEncodeMatchesNpyio).
//
// The .npy encoding is written here rather than by npy.Write because
// npy.Write discovers a slice's dtype by reflection over every element and
// writes a matrix 8 bytes at a time: checkpoints written that way were 17 %
// of the CPU time of `margo reproduce fig2` (docs/benchmarks.md).
func Encode(w io.Writer, members []Member) error {
	zw := zip.NewWriter(w)
	seen := map[string]bool{}
	var buf []byte
	for _, m := range members {
		name := m.Name
		if m.Array != nil {
			name += ".npy"
		}
		if seen[name] {
			return fmt.Errorf("duplicate member %q", name)
		}
		seen[name] = true
		method := zip.Deflate
		if m.Stored {
			method = zip.Store
		}
		ew, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			return err
		}
		if m.Array == nil {
			if _, err := ew.Write(m.Raw); err != nil {
				return err
			}
			continue
		}
		if buf, err = appendNPY(buf[:0], *m.Array); err != nil {
			return fmt.Errorf("array %q: %w", m.Name, err)
		}
		if _, err := ew.Write(buf); err != nil {
			return err
		}
	}
	return zw.Close()
}

// appendNPY appends the .npy 2.0 encoding of a 1-D or non-empty 2-D
// array to b: the magic, the version, the header length (uint32, little
// endian), the header dictionary padded with spaces and ended by a
// newline, then the values as little-endian float64. The padding is
// npyio's ((12 + len + 1) mod 16 spaces), so that files keep the bytes
// margo wrote with npy.Write.
func appendNPY(b []byte, a Array) ([]byte, error) {
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
	var shape string
	switch len(a.Shape) {
	case 1:
		shape = fmt.Sprintf("(%d,)", a.Shape[0])
	case 2:
		if n == 0 {
			return nil, fmt.Errorf("empty 2-D array %v cannot be written", a.Shape)
		}
		shape = fmt.Sprintf("(%d, %d)", a.Shape[0], a.Shape[1])
	default:
		return nil, fmt.Errorf("only 1-D and 2-D arrays can be written, shape %v", a.Shape)
	}
	dict := "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }"
	const prefix = len(npy.Magic) + 2 + 4 // magic, version 2.0, uint32 length
	pad := (prefix + len(dict) + 1) % 16
	b = append(b, npy.Magic[:]...)
	b = append(b, 2, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)+pad+1))
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", pad)...)
	b = append(b, '\n')
	b = slices.Grow(b, 8*n)
	for _, v := range a.Data {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}
