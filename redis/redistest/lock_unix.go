//go:build unix

package redistest

import (
	"os"
	"syscall"
	"testing"
)

// lockSingle takes the lock on the single server, shared or exclusive,
// until tb ends. flock locks belong to the open file, so two tests of one
// binary take their own locks like two binaries do.
func lockSingle(tb testing.TB, exclusive bool) {
	tb.Helper()
	f, err := os.OpenFile(lockPath(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		tb.Fatalf("open the Redis test lock: %v", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		tb.Fatalf("lock %s: %v", f.Name(), err)
	}
	tb.Cleanup(func() { f.Close() }) // closing the file releases the lock
}
