package main

import (
	"errors"
	"io/fs"
	"runtime/debug"
	"testing"
)

// gcPercent and memoryLimit read the collector's current settings.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func memoryLimit() int64 { return debug.SetMemoryLimit(-1) }

// envOf is an environment with the given variables.
func envOf(vars map[string]string) env { return func(k string) string { return vars[k] } }

// files is a file system of the given contents; other files do not exist.
func files(contents map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if c, ok := contents[name]; ok {
			return []byte(c), nil
		}
		return nil, fs.ErrNotExist
	}
}

func TestSetMemoryLimit(t *testing.T) {
	percent, limit := gcPercent(), memoryLimit()
	untouched := func(what string) {
		t.Helper()
		if gcPercent() != percent || memoryLimit() != limit {
			t.Errorf("%s: left GOGC %d and limit %d, want %d and %d", what, gcPercent(), memoryLimit(), percent, limit)
		}
	}

	// Outside a container nothing changes; the target reported is Go's
	// default or what GOGC made of it.
	got, restore := setMemoryLimit(envOf(nil), files(nil))
	if got != (gcSettings{Percent: 100}) {
		t.Errorf("no GOGC, no container: %+v, want the default target and no limit", got)
	}
	untouched("no GOGC, no container")
	restore()
	untouched("restore")

	for v, want := range map[string]int{"50": 50, "400": 400, "off": -1, "-5": -1, "lots": 100} {
		got, restore := setMemoryLimit(envOf(map[string]string{"GOGC": v}), files(nil))
		if got.Percent != want {
			t.Errorf("GOGC=%s: reported %d, want %d", v, got.Percent, want)
		}
		untouched("GOGC=" + v)
		restore()
	}

	// A container of 1 GiB (cgroup v2): the heap may take 80% of it.
	v2 := files(map[string]string{cgroupV2Limit: "1073741824\n"})
	got, restore = setMemoryLimit(envOf(nil), v2)
	share := memoryLimitShare
	if want := int64(float64(1<<30) * share); got.MemoryLimit != want || memoryLimit() != want {
		t.Errorf("cgroup v2 limit: returned %d, in effect %d; want %d", got.MemoryLimit, memoryLimit(), want)
	}
	restore()
	untouched("restore after a limit")

	// GOMEMLIMIT wins; "max" and cgroup v1's "no limit" set none.
	for name, c := range map[string]struct {
		env   map[string]string
		files map[string]string
	}{
		"GOMEMLIMIT set": {map[string]string{"GOMEMLIMIT": "2GiB"}, map[string]string{cgroupV2Limit: "1073741824"}},
		"v2 max":         {nil, map[string]string{cgroupV2Limit: "max\n"}},
		"v1 no limit":    {nil, map[string]string{cgroupV1Limit: "9223372036854771712\n"}},
	} {
		got, restore := setMemoryLimit(envOf(c.env), files(c.files))
		if got.MemoryLimit != 0 || memoryLimit() != limit {
			t.Errorf("%s: set a limit of %d (in effect %d)", name, got.MemoryLimit, memoryLimit())
		}
		restore()
		untouched(name)
	}
	if n := containerMemoryLimit(files(map[string]string{cgroupV1Limit: "536870912"})); n != 1<<29 {
		t.Errorf("cgroup v1 limit of 512 MiB read as %d", n)
	}
	if n := containerMemoryLimit(func(string) ([]byte, error) { return nil, errors.New("permission denied") }); n != 0 {
		t.Errorf("unreadable files gave a limit of %d", n)
	}
}
