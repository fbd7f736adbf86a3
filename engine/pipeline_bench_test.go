package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/internal/benchmeter"
	"github.com/qorovul/qorovul/rules"
)

// BenchmarkPipeline measures the pipeline without HTTP: 64 concurrent
// callers submit distinct validated recharges for benchPayers payers;
// Badger syncs every commit. It reports events/s, p50/p99 of Submit, the
// CPU time (both cores, every goroutine) per event and the share of events
// held (reviewed or denied; near zero, as in rules.BenchmarkEval's typical
// input). As the preauth load driver does, the callers first warm the
// pipeline up until the collector has finished two cycles
// (benchmeter.WarmUp), so that the clock measures the steady state.
func BenchmarkPipeline(b *testing.B) {
	pol, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	benchPipeline(b, pol)
}

// BenchmarkPipelineOverhead is BenchmarkPipeline with a policy that allows
// everything at no cost: what the pipeline spends besides Rego.
func BenchmarkPipelineOverhead(b *testing.B) {
	benchPipeline(b, allowAll{})
}

// BenchmarkPipelineInMemory is BenchmarkPipeline on an in-memory Badger,
// with no write-ahead log and no sync: what the disk costs the pipeline.
// It is a diagnostic, not a configuration to run: nothing it decides would
// survive a crash.
func BenchmarkPipelineInMemory(b *testing.B) {
	pol, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	benchPipelineOn(b, pol, engine.StoreOptions{InMemory: true})
}

// allowAll is a policy that allows every event without evaluating anything.
type allowAll struct{}

func (allowAll) Eval(context.Context, *rules.Input) (rules.Result, error) {
	return rules.Result{Outcome: rules.OutcomeAllow}, nil
}

func (allowAll) Version() string { return "allow-all" }

func benchPipeline(b *testing.B, pol engine.Policy) { benchPipelineOn(b, pol, engine.StoreOptions{}) }

func benchPipelineOn(b *testing.B, pol engine.Policy, opts engine.StoreOptions) {
	const callers = 64
	clock := fixedClock{t0}
	opts.Clock = clock
	store, err := engine.OpenStore(benchmeter.DataDir(b), opts)
	if err != nil {
		b.Fatal(err)
	}
	commits := new(commitCounter)
	p, err := engine.NewPipeline(engine.PipelineConfig{Observer: commits, Store: store, Scorer: &engine.Scorer{Policy: pol, Clock: clock, Log: discard}, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close(); store.Close() })
	event := func(i int) (engine.Event, error) {
		payer := i % benchPayers
		ev := recharge(fmt.Sprint("bench_", i), fmt.Sprint("usr_", payer), fmt.Sprintf("+99890%07d", payer*3+i%3), t0.Add(time.Duration(i)*time.Millisecond), "10.00")
		ev.Payer.Name, ev.Beneficiary.Name = "John Smith", "Alisher Karimov"
		return ev, engine.Validate(&ev)
	}
	ctx := context.Background()
	warm, err := benchmeter.WarmUp(callers, 100_000, func(_, i int) error {
		ev, err := event(i)
		if err == nil {
			_, err = p.Submit(ctx, ev)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	events := make([]engine.Event, b.N)
	for i := range events {
		if events[i], err = event(warm + i); err != nil {
			b.Fatal(err)
		}
	}
	lat := benchmeter.NewLatencies(callers, b.N)
	var held atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	commits.n.Store(0)
	commits.took.Store(0)
	m := benchmeter.Start(b)
	err = lat.Run(b.N, func(_, i int) error {
		res, err := p.Submit(ctx, events[i])
		if err == nil && res.Decision.Outcome != engine.OutcomeAllow {
			held.Add(1)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	m.Report(b, b.N, "event")
	b.StopTimer()
	lat.Report(b)
	b.ReportMetric(float64(b.N)/float64(commits.n.Load()), "events/commit")
	b.ReportMetric(float64(commits.took.Load())/float64(commits.n.Load())/1e3, "commit-µs")
	b.ReportMetric(100*float64(held.Load())/float64(b.N), "%held")
}

// benchPayers is how many payers the pipeline benchmarks' traffic spreads
// over, as many as the preauth load driver's: each pays every 50 seconds of
// event time, so windows stay under their limits through a warm-up and a
// timed run.
const benchPayers = 50_000

// commitCounter is an Observer that counts commits and adds up the time
// they took (writing the batch and syncing it).
type commitCounter struct{ n, took atomic.Int64 }

func (*commitCounter) Decided(string, bool)               {}
func (c *commitCounter) Committed(_ int, d time.Duration) { c.n.Add(1); c.took.Add(int64(d)) }

// BenchmarkSubmitDuringBacklog is a caller's Submit while the stream works
// through a backlog: 2,048 background submitters (the stream's records in
// flight) keep the pipeline busy, and callers submit b.N events, 200 a
// second over 64 of them (an open loop; latency counted from when each was
// due, so a call that waited for a free caller counts that wait). It
// reports the caller's p50/p99 and the background lane's events/s. With
// the lane ("lane", MaxBackground 64) the caller's event waits behind at
// most 64 of the stream's; "no-lane" lets the stream fill the pipeline, as
// it did before there were lanes.
func BenchmarkSubmitDuringBacklog(b *testing.B) {
	pol, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		max  int
	}{{"lane", 0}, {"no-lane", 1 << 30}} {
		b.Run(c.name, func(b *testing.B) {
			_, p := newBenchPipeline(b, pol, c.max)
			event := func(prefix string, i int) engine.Event { return benchEvent(b, prefix, i) }
			ctx, stop := context.WithCancel(context.Background())
			var bg atomic.Int64
			var wg sync.WaitGroup
			var next atomic.Int64
			for range 2048 {
				wg.Go(func() {
					for ctx.Err() == nil {
						i := int(next.Add(1))
						if _, err := p.Background().Submit(context.Background(), event("bg_", i)); err != nil {
							b.Error(err)
							return
						}
						bg.Add(1)
					}
				})
			}
			time.Sleep(time.Second) // the backlog builds up
			calls := make([]engine.Event, b.N)
			for i := range calls {
				calls[i] = event("caller_", i)
			}
			lat := benchmeter.NewLatencies(64, b.N)
			b.ResetTimer()
			bg0, start := bg.Load(), time.Now()
			err = lat.RunPaced(b.N, 200, func(_, i int) error {
				_, err := p.Submit(context.Background(), calls[i])
				return err
			})
			b.ReportMetric(float64(bg.Load()-bg0)/time.Since(start).Seconds(), "background-events/s")
			b.StopTimer()
			stop()
			wg.Wait()
			if err != nil {
				b.Fatal(err)
			}
			lat.Report(b)
		})
	}
}

// newBenchPipeline opens a store in a benchmark's data dir and a pipeline
// over it deciding with pol (MaxBackground max), both closed at the end.
func newBenchPipeline(b *testing.B, pol engine.Policy, max int) (*engine.Store, *engine.Pipeline) {
	clock := fixedClock{t0}
	store, err := engine.OpenStore(benchmeter.DataDir(b), engine.StoreOptions{Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	p, err := engine.NewPipeline(engine.PipelineConfig{Store: store, Scorer: &engine.Scorer{Policy: pol, Clock: clock, Log: discard}, Clock: clock, MaxBackground: max})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close(); store.Close() })
	return store, p
}

// benchEvent is the i-th validated recharge of the benchmarks' load, spread
// over benchPayers payers, its id prefixed.
func benchEvent(b *testing.B, prefix string, i int) engine.Event {
	payer := i % benchPayers
	ev := recharge(fmt.Sprint(prefix, i), fmt.Sprint("usr_", payer), fmt.Sprintf("+99890%07d", payer*3+i%3), t0.Add(time.Duration(i)*time.Millisecond), "10.00")
	if err := engine.Validate(&ev); err != nil {
		b.Fatal(err)
	}
	return ev
}
