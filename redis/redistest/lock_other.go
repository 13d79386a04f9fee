//go:build !unix

package redistest

import "testing"

// lockSingle does nothing where flock is missing: run the fault test alone
// there (go test -p 1).
func lockSingle(testing.TB, bool) {}
