package main

import (
	"bytes"
	"math"
	"runtime/debug"
	"strconv"
)

// DefaultGCPercent is the garbage collector's target that serve and demo
// set unless GOGC is in the environment. With Go's default of 100 the
// collector runs three times a second under load: the live heap is about
// 130 MB (the sanctions index and Badger's memtables) and a decision
// allocates about 30 KB. Each run slows the whole process for tens of
// milliseconds, and the callers in flight wait: BenchmarkPreauth's p99 fell
// by a quarter at 400 (BENCHMARKS.md), for a heap that may grow to five
// times the live one, some 650 MB.
const DefaultGCPercent = 400

// memoryLimitShare is the share of a container's memory limit that the
// heap may take before the collector runs regardless of its target.
const memoryLimitShare = 0.8

// The files that hold a container's memory limit, cgroup v2 and v1.
const (
	cgroupV2Limit = "/sys/fs/cgroup/memory.max"
	cgroupV1Limit = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
)

// gcSettings is what setGCPercent put in effect.
type gcSettings struct {
	Percent     int   // the collector's target; -1 for off
	MemoryLimit int64 // bytes; 0 when none was set here
}

// setGCPercent applies DefaultGCPercent unless GOGC is set (the runtime has
// applied that already). Because a higher target lets the heap grow
// further, it also sets a soft memory limit of 80% of the container's
// memory limit, if there is one and GOMEMLIMIT is not set. It returns what
// is in effect and a function that restores the previous settings.
func setGCPercent(getenv env, readFile func(string) ([]byte, error)) (gcSettings, func()) {
	var s gcSettings
	restore := func() {}
	if v := getenv("GOGC"); v != "" {
		// What the runtime made of it: "off", a number, or else 100.
		switch n, err := strconv.Atoi(v); {
		case v == "off":
			s.Percent = -1
		case err == nil:
			s.Percent = n
		default:
			s.Percent = 100
		}
	} else {
		prev := debug.SetGCPercent(DefaultGCPercent)
		s.Percent = DefaultGCPercent
		restore = func() { debug.SetGCPercent(prev) }
	}
	if getenv("GOMEMLIMIT") == "" {
		if limit := containerMemoryLimit(readFile); limit > 0 {
			s.MemoryLimit = int64(float64(limit) * memoryLimitShare)
			prev := debug.SetMemoryLimit(s.MemoryLimit)
			restorePercent := restore
			restore = func() { restorePercent(); debug.SetMemoryLimit(prev) }
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
