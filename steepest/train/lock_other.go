//go:build !unix

package train

import "os"

// Lock is a no-op where flock is not available: runs are not guarded
// against each other there.
func Lock(path string, wait bool) (unlock func(), err error) { return func() {}, nil }

func lockFile(path string, wait bool) (*os.File, error) { return nil, nil }

func unlockFile(f *os.File) {}
