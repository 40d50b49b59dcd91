//go:build !unix

package bench

import "time"

// cpuTime is not measured on this system: CPU columns read zero.
func cpuTime() time.Duration { return 0 }
