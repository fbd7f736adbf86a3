// Package benchmeter measures the project's benchmarks the same way
// everywhere: throughput, the process's CPU time per operation (which
// depends much less than throughput on what else the machine runs) and the
// latency percentiles of concurrent callers.
package benchmeter

import (
	"fmt"
	"os"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Meter measures a benchmark's wall and CPU time from Start.
type Meter struct {
	start time.Time
	cpu   time.Duration
	csw   int64
	cls   [len(cpuClasses)]metrics.Sample
}

// cpuClasses are the runtime's estimates of where the process's CPU
// time went, read at Start and Report.
var cpuClasses = [...]string{"/cpu/classes/total:cpu-seconds", "/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/idle:cpu-seconds"}

func readCPUClasses() [len(cpuClasses)]metrics.Sample {
	var s [len(cpuClasses)]metrics.Sample
	for i, n := range cpuClasses {
		s[i].Name = n
	}
	metrics.Read(s[:])
	return s
}

// Start starts measuring.
func Start(tb testing.TB) Meter {
	cpu, csw := usage(tb)
	return Meter{start: time.Now(), cpu: cpu, csw: csw, cls: readCPUClasses()}
}

// Report reports n operations since Start as "<unit>s/s" and
// "cpu-µs/<unit>", the process's context switches per operation
// ("csw/<unit>": a thread that blocked or was preempted; on a virtual
// machine each costs more when the host is busy), and the share of the available CPU time (GOMAXPROCS
// times the wall time) that went to the garbage collector ("gc%") and that
// no goroutine used ("idle%"). The runtime updates those two estimates at
// the end of each collection, so they cover the cycles completed between
// Start and Report, and are left out when there was none.
func (m Meter) Report(b *testing.B, n int, unit string) {
	cpu, csw := usage(b)
	elapsed, cpu, csw := time.Since(m.start), cpu-m.cpu, csw-m.csw
	b.ReportMetric(float64(n)/elapsed.Seconds(), unit+"s/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/"+unit)
	b.ReportMetric(float64(csw)/float64(n), "csw/"+unit)
	now := readCPUClasses()
	delta := func(i int) float64 { return now[i].Value.Float64() - m.cls[i].Value.Float64() }
	if total := delta(0); total > 0 {
		b.ReportMetric(100*delta(1)/total, "gc%")
		b.ReportMetric(100*delta(2)/total, "idle%")
	}
}

// CPUTime is the CPU time (user and system, every thread) this process
// has used.
func CPUTime(tb testing.TB) time.Duration {
	cpu, _ := usage(tb)
	return cpu
}

// usage is the CPU time this process has used and the context switches
// of its threads, voluntary and not.
func usage(tb testing.TB) (time.Duration, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Nvcsw + ru.Nivcsw
}

// Latencies holds the latencies of concurrent callers, one slice each, so
// that callers record without locks.
type Latencies [][]time.Duration

// NewLatencies makes room for callers recording about n latencies in all.
func NewLatencies(callers, n int) Latencies {
	l := make(Latencies, callers)
	for c := range l {
		l[c] = make([]time.Duration, 0, n/callers+1)
	}
	return l
}

// Report reports the median and the 99th and 99.9th percentiles as
// p50-ms, p99-ms and p99.9-ms.
func (l Latencies) Report(b *testing.B) {
	all := slices.Concat(l...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	at := func(perMille int) float64 { return float64(all[len(all)*perMille/1000].Microseconds()) / 1000 }
	b.ReportMetric(at(500), "p50-ms")
	b.ReportMetric(at(990), "p99-ms")
	b.ReportMetric(at(999), "p99.9-ms")
}

// Run makes n calls of op from len(l) concurrent callers, each taking the
// next i in [0, n) and recording the call's latency, and returns the first
// error (a caller stops at its first). Each caller sends its next call as
// soon as the last returns: the load is as high as the callers can make
// it, and the latency is that of a saturated server.
func (l Latencies) Run(n int, op func(caller, i int) error) error {
	return l.RunPaced(n, 0, op)
}

// RunPaced is Run at a constant rate of calls per second, an open loop:
// call i is due i/rate seconds after the start, and a caller takes the next
// call, waits until it is due, and records its latency from when it was
// due, not from when it was sent. A call that had to wait for a free
// caller, or for a late timer, counts that wait, as its client would. A
// rate of 0 is Run.
func (l Latencies) RunPaced(n int, rate float64, op func(caller, i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for c := range l {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				if rate > 0 {
					t = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(t))
				}
				if err := op(c, i); err != nil {
					once.Do(func() { first = err })
					return
				}
				l[c] = append(l[c], time.Since(t))
			}
		}()
	}
	wg.Wait()
	return first
}

// WarmUp makes calls of op (i = 0, 1, ...) from callers concurrent callers,
// in chunks, until the garbage collector has finished two cycles or limit
// calls were made, and returns how many it made. Before that the heap is
// still growing towards its first goal and every call pays for page faults
// on memory the process has never touched, which a service that has run for
// a minute has long stopped paying; a benchmark timed after it measures the
// steady state.
func WarmUp(callers, limit int, op func(caller, i int) error) (int, error) {
	const chunk = 4096
	gc0 := gcCycles()
	n := 0
	for n < limit && gcCycles() < gc0+2 {
		base := n
		if err := NewLatencies(callers, chunk).Run(chunk, func(c, i int) error { return op(c, base+i) }); err != nil {
			return n, fmt.Errorf("warm-up: %w", err)
		}
		n += chunk
	}
	return n, nil
}

// gcCycles is how many garbage collection cycles the process has finished.
func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// DataDir returns a new directory for a benchmark's store. When the
// benchmark ends (after the cleanups registered later, such as closing the
// store) the directory is removed and the filesystem synced, so that the
// disk's work of freeing it is done before the next benchmark starts rather
// than in its timed run: on a filesystem with online discard (ext4's
// "discard"), freeing a store's hundred or so megabytes is trimmed at the
// next journal commit, and a sync waits behind it for tens of milliseconds
// (BENCHMARKS.md).
func DataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "qorovul-bench-")
	if err != nil {
		tb.Fatalf("data dir: %v", err)
	}
	tb.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			tb.Errorf("remove %s: %v", dir, err)
		}
		syscall.Sync()
	})
	return dir
}
