package lists_test

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/lists"
)

// benchQueries is a screening mix drawn from the snapshot itself: listed names as written,
// the same names with a letter dropped and words swapped, and unlisted corridor names.
func benchQueries(b *testing.B, ix *sanctions.Index) []sanctions.Query {
	b.Helper()
	var qs []sanctions.Query
	for _, name := range []string{
		"Алишер Усманов", "Alisher Usmonov", "USMANOV Alisher Burkhanovich", "Alisher Karimov",
		"Jamshid Toshmatov", "Dilshod Rahimov", "Гулнора Юлдашева", "Sardor Nazarov",
		"Иван Петрович Сидоренко", "Muhammad Aliyev", "Тоҷиддин Раҳимзода", "Farrux Yusupov",
		"John Smith", "Maria Garcia", "Ahmed Hassan Ali", "Kim Jong Un", "Li Wei",
	} {
		qs = append(qs, sanctions.Query{Name: name})
	}
	for i, e := range ix.Entities() {
		if i%40 != 0 {
			continue
		}
		n := e.Primary()
		qs = append(qs, sanctions.Query{Name: n})
		if r := []rune(n); len(r) > 6 {
			qs = append(qs, sanctions.Query{Name: string(r[:3]) + string(r[4:])})
		}
	}
	return qs
}

func mustDefault(b *testing.B) *sanctions.Index {
	b.Helper()
	ix, err := lists.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	return ix
}

// BenchmarkScreen screens a name per op over OFAC + UN + CSL and reports latency percentiles.
// Run with -cpu 1 for the single-core numbers.
func BenchmarkScreen(b *testing.B) {
	ix := mustDefault(b)
	qs := benchQueries(b, ix)
	for _, q := range qs { // warm the scratch pool and caches
		ix.Screen(q)
	}
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		ix.Screen(qs[i%len(qs)])
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(len(qs)), "queries")
}

// BenchmarkScreenParallel is Screen from all procs at once (the pipeline's parallel scoring).
func BenchmarkScreenParallel(b *testing.B) {
	ix := mustDefault(b)
	qs := benchQueries(b, ix)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			ix.Screen(qs[i%len(qs)])
			i++
		}
	})
}

// BenchmarkLoadDefault loads and indexes the embedded OFAC + UN + CSL snapshot per op
// (gunzip, parse, map, index) and reports the heap the index holds after GC.
func BenchmarkLoadDefault(b *testing.B) {
	var ix *sanctions.Index
	var before, after runtime.MemStats
	for i := 0; i < b.N; i++ {
		ix = nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		var err error
		ix, err = lists.LoadDefault()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-inuse-MB")
	b.ReportMetric(float64(after.HeapInuse-min(before.HeapInuse, after.HeapInuse))/(1<<20), "index-heap-MB")
	b.ReportMetric(float64(ix.Names()), "names")
	if rss, ok := residentMB(); ok {
		b.ReportMetric(rss, "rss-MB")
	}
	runtime.KeepAlive(ix)
}

// residentMB is the process's resident set (VmRSS) on Linux.
func residentMB() (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return 0, false
			}
			return float64(kb) / 1024, true
		}
	}
	return 0, false
}

// BenchmarkNewIndex is the index build alone, from already mapped entities.
func BenchmarkNewIndex(b *testing.B) {
	ix := mustDefault(b)
	ents := ix.Entities()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sanctions.NewIndex(ents, ix.Version()); err != nil {
			b.Fatal(err)
		}
	}
}
