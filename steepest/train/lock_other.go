//go:build !unix

package train

import "os"

// lockFile is a no-op where flock is not available: runs are not guarded
// against each other there.
func lockFile(path string) (*os.File, error) { return nil, nil }

func unlockFile(f *os.File) {}
