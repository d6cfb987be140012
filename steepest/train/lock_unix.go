//go:build unix

package train

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Lock takes an exclusive advisory lock (flock) on path+".lock", creating
// the file and writing this process's id into it, for as long as the
// caller holds it: a run locks its metrics file and checkpoint (New), a
// command its output directory. With wait it blocks until the lock is
// free; without, it fails at once, naming the process that holds it. The
// kernel drops the lock when the process dies, so a lock file left by a
// killed process blocks no one. unlock removes the file and releases the
// lock.
func Lock(path string, wait bool) (unlock func(), err error) {
	f, err := lockFile(path, wait)
	if err != nil {
		return nil, err
	}
	return func() { unlockFile(f) }, nil
}

func lockFile(path string, wait bool) (*os.File, error) {
	name := path + ".lock"
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		for {
			if err = syscall.Flock(int(f.Fd()), how); !errors.Is(err, syscall.EINTR) {
				break
			}
		}
		if err != nil {
			b := make([]byte, 64)
			n, _ := f.ReadAt(b, 0)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				who := strings.TrimSpace(string(b[:n]))
				if who == "" {
					who = "another process"
				}
				return nil, fmt.Errorf("%s is in use by another run (%s); wait for it to end or write elsewhere", path, who)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder before us may have removed the file after we opened it:
		// then our lock is on a deleted inode; start over.
		fi, err1 := f.Stat()
		cur, err2 := os.Stat(name)
		if err1 != nil || err2 != nil || !os.SameFile(fi, cur) {
			f.Close()
			continue
		}
		f.Truncate(0)
		f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
		return f, nil
	}
}

// unlockFile removes the lock file and releases the lock.
func unlockFile(f *os.File) {
	if f == nil {
		return
	}
	os.Remove(f.Name())
	f.Close()
}
