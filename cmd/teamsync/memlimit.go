package main

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
)

// softLimitPercent is the share of the container's memory limit serve and
// apply give the Go runtime as its soft limit: the collector works harder as
// the heap nears it, well before the kernel's OOM kill at the hard limit.
// The rest covers what the runtime does not count (the binary, thread
// stacks outside the heap) and the time a collection takes.
const softLimitPercent = 80

// cgroupLimitFiles hold the container's memory limit: cgroup v2, then v1.
var cgroupLimitFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// setMemoryLimit gives serve and apply (the commands that run in pods, the
// Deployment's and the CronJob's) a soft memory limit, so that a large run makes
// the collector work harder instead of growing past the pod's limit:
// GOMEMLIMIT when it is set (the runtime has read it already), otherwise
// softLimitPercent of the container's memory limit. Outside a memory-limited
// container it sets nothing. It says what it chose in one debug line (at
// debug so that a CLI run's output does not depend on the machine's cgroup).
func setMemoryLimit(getenv func(string) string, readFile func(string) ([]byte, error), log *slog.Logger) {
	if v := strings.TrimSpace(getenv("GOMEMLIMIT")); v != "" {
		log.Debug("memory: soft limit from GOMEMLIMIT", "limit", v)
		return
	}
	limit := cgroupMemoryLimit(readFile)
	if limit <= 0 {
		return
	}
	soft := limit / 100 * softLimitPercent
	debug.SetMemoryLimit(soft)
	log.Debug(fmt.Sprintf("memory: soft limit %d MiB, %d%% of the container's limit of %d MiB (set GOMEMLIMIT to choose another)",
		soft>>20, softLimitPercent, limit>>20))
}

// cgroupMemoryLimit is the container's memory limit in bytes, or 0 when
// there is none ("max", or v1's huge "unlimited" value) or it cannot be read.
func cgroupMemoryLimit(readFile func(string) ([]byte, error)) int64 {
	for _, path := range cgroupLimitFiles {
		b, err := readFile(path)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0
		}
		return n
	}
	return 0
}
