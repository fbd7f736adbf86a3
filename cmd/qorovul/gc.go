package main

import (
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

// setGCPercent applies DefaultGCPercent unless GOGC is set (the runtime has
// applied that already). It returns the target in effect (-1 for "off")
// and a function that restores the previous one.
func setGCPercent(getenv env) (int, func()) {
	if v := getenv("GOGC"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1
		}
		return n, func() {}
	}
	prev := debug.SetGCPercent(DefaultGCPercent)
	return DefaultGCPercent, func() { debug.SetGCPercent(prev) }
}
