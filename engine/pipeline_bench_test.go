package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// BenchmarkPipeline measures the pipeline without HTTP: 64 concurrent
// callers submit distinct validated recharges for 5,000 payers; Badger
// syncs every commit. It reports events/s and p50/p99 of Submit.
func BenchmarkPipeline(b *testing.B) {
	const callers = 64
	p, _ := MustOpenPipeline(b, b.TempDir())
	events := make([]engine.Event, 0, b.N+callers)
	for i := range b.N + callers {
		payer := i % 5000
		ev := recharge(fmt.Sprint("bench_", i), fmt.Sprint("usr_", payer), fmt.Sprintf("+99890%07d", payer*3+i%3), t0.Add(time.Duration(i)*time.Millisecond), "10.00")
		ev.Payer.Name, ev.Beneficiary.Name = "John Smith", "Alisher Karimov"
		if err := engine.Validate(&ev); err != nil {
			b.Fatal(err)
		}
		events = append(events, ev)
	}
	lat := make([][]time.Duration, callers)
	var next atomic.Int64
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t := time.Now()
				if _, err := p.Submit(ctx, events[i]); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}
