package main

import (
	"runtime/debug"
	"testing"
)

// gcPercent reads the collector's current target.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestSetGCPercent(t *testing.T) {
	before := gcPercent()
	got, restore := setGCPercent(func(string) string { return "" })
	if got != DefaultGCPercent || gcPercent() != DefaultGCPercent {
		t.Errorf("without GOGC: returned %d, in effect %d; want %d", got, gcPercent(), DefaultGCPercent)
	}
	restore()
	if gcPercent() != before {
		t.Errorf("restore left %d, want %d", gcPercent(), before)
	}
	for v, want := range map[string]int{"50": 50, "off": -1} {
		got, restore := setGCPercent(func(k string) string {
			if k == "GOGC" {
				return v
			}
			return ""
		})
		restore()
		if got != want || gcPercent() != before {
			t.Errorf("GOGC=%s: returned %d, in effect %d; want %d and %d untouched", v, got, gcPercent(), want, before)
		}
	}
}
