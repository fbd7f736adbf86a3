package main

import (
	"bytes"
	"math"
	"runtime/debug"
	"strconv"
)

// The collector keeps Go's default target (GOGC=100) unless GOGC is set.
// A higher one (400 from 57366de to 49a4afa) made the collector run four
// times less often and looked better on runs of a fresh process, but in
// the steady state it doubled BenchmarkPreauth's p99 (11.8-14.5 ms at 100,
// 30.9-34.3 ms at 400 in one sweep, BENCHMARKS.md): each of its rarer
// cycles frees and touches several hundred megabytes at once.

// memoryLimitShare is the share of a container's memory limit that the
// heap may take before the collector runs regardless of its target.
const memoryLimitShare = 0.8

// The files that hold a container's memory limit, cgroup v2 and v1.
const (
	cgroupV2Limit = "/sys/fs/cgroup/memory.max"
	cgroupV1Limit = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
)

// gcSettings is the collector's configuration that setMemoryLimit found
// or put in effect, for the start-up log.
type gcSettings struct {
	Percent     int   // the collector's target (GOGC); -1 for off
	MemoryLimit int64 // bytes; 0 when none was set here
}

// setMemoryLimit sets a soft memory limit of 80% of the container's memory
// limit, if there is one and GOMEMLIMIT is not set, so that the collector
// runs harder as the heap nears it instead of the container running out.
// It returns the settings in effect and a function that restores the
// previous limit.
func setMemoryLimit(getenv env, readFile func(string) ([]byte, error)) (gcSettings, func()) {
	s := gcSettings{Percent: 100}
	if v := getenv("GOGC"); v != "" {
		// What the runtime made of it: "off" or a negative number is off,
		// another number is the target, anything else is 100.
		if n, err := strconv.Atoi(v); err == nil {
			s.Percent = max(n, -1)
		} else if v == "off" {
			s.Percent = -1
		}
	}
	restore := func() {}
	if getenv("GOMEMLIMIT") == "" {
		if limit := containerMemoryLimit(readFile); limit > 0 {
			s.MemoryLimit = int64(float64(limit) * memoryLimitShare)
			prev := debug.SetMemoryLimit(s.MemoryLimit)
			restore = func() { debug.SetMemoryLimit(prev) }
		}
	}
	return s, restore
}

// containerMemoryLimit returns the memory limit of the process's cgroup in
// bytes, or 0 when there is none (no file, "max", or a value so large it
// stands for none).
func containerMemoryLimit(readFile func(string) ([]byte, error)) int64 {
	for _, f := range [...]string{cgroupV2Limit, cgroupV1Limit} {
		b, err := readFile(f)
		if err != nil {
			continue
		}
		v := string(bytes.TrimSpace(b))
		if v == "max" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n >= math.MaxInt64/2 {
			return 0 // cgroup v1 writes about 2^63 for no limit
		}
		return n
	}
	return 0
}
