//go:build !unix

package bench

import "time"

// processCPU is unknown here: bench's own CPU shows as 0.
func processCPU() time.Duration { return 0 }
