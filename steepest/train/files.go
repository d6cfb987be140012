package train

// The files of a run: written so that a reader (or a process killed half
// way) never sees a partial file — the content goes to a temporary file in
// the same directory, is synced, and is renamed over the target — and
// guarded so that two runs never write the same file.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes the output of write to path atomically: either path keeps
// its old content (or does not exist) or it holds everything write wrote.
// The temporary file is removed on any error.
func WriteFile(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// CheckWritable reports whether a file can be created at path, without
// leaving anything behind: it creates and removes a temporary file in the
// target's directory. Use it to refuse a run before any work is done.
func CheckWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("output %s is a directory", path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".margo-probe-*")
	if err != nil {
		return fmt.Errorf("output %s is not writable: %w", path, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// syncDir makes a rename durable where the platform allows it; failures are
// ignored because some file systems do not support syncing directories.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// tempPattern is the name WriteFile gives its temporary file for path.
func tempPattern(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".tmp-*")
}

// removeOrphans removes the temporary files that WriteFile calls for path
// left behind when their process was killed mid-write. Call it only while
// holding the run's lock: another run's WriteFile may be in progress.
func removeOrphans(path string) {
	tmp, _ := filepath.Glob(tempPattern(path))
	for _, f := range tmp {
		os.Remove(f)
	}
}

// SamePath reports whether a and b name the same file: equal after
// cleaning and resolving symbolic links (of the longest existing prefix),
// or, when both exist, the same device and inode (hard links, bind mounts).
func SamePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	return resolve(a) == resolve(b)
}

// resolve returns the absolute, cleaned path with the symbolic links of
// its longest existing prefix resolved.
func resolve(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	rest := ""
	for dir := abs; ; {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// Distinct checks that no two of the named paths are the same file
// (SamePath); names says what each is, for the error.
func Distinct(names, paths []string) error {
	for i := range paths {
		for j := i + 1; j < len(paths); j++ {
			if SamePath(paths[i], paths[j]) {
				return fmt.Errorf("%s and %s are the same file (%s)", names[i], names[j], paths[i])
			}
		}
	}
	return nil
}
