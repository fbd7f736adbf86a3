package stream_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/stream"
	"github.com/qorovul/qorovul/internal/benchmeter"
	"github.com/qorovul/qorovul/rules"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Payers the benchmark traffic spreads over. With quietPayers a payer
// sends a payment or two in a run, as most do, and nearly every event is
// allowed: the same work per evaluation as rules.BenchmarkEval's typical
// input. With busyPayers each sends dozens within the hour and about 70% of
// the events are reviewed, whose evaluation formats reason messages and
// costs more.
const (
	quietPayers = 20_000
	busyPayers  = 500
)

// benchTraffic is the generated traffic of the stream benchmarks.
func benchTraffic(prefix string, payers int) stream.Traffic {
	return stream.Traffic{Start: t0, Step: 50 * time.Millisecond, Payers: payers, Prefix: prefix}
}

// benchRecords are the first n generated records of tr, of every source, as
// Kafka records of the input topic.
func benchRecords(tr stream.Traffic, n int) []*kgo.Record {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = tr.Record(i).Kafka(stream.DefaultInputTopic)
	}
	return recs
}

// BenchmarkBroker is the raw broker rate over kfake: the same records
// produced (acks=all, idempotent) and consumed back by a plain client, with
// no decoding and no pipeline.
func BenchmarkBroker(b *testing.B) {
	br := MustStartBroker(b)
	recs := benchRecords(benchTraffic(fmt.Sprintf("raw%d-", b.N), quietPayers), b.N)
	prod := MustClient(b, br, kgo.ProducerLinger(time.Millisecond))
	// A new broker per run: its input topic is empty.
	cons := MustClient(b, br, kgo.ConsumeTopics(stream.DefaultInputTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	b.ReportAllocs()
	b.ResetTimer()
	m := benchmeter.Start(b)
	done := make(chan int)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		n := 0
		for n < b.N && ctx.Err() == nil {
			n += cons.PollFetches(ctx).NumRecords()
		}
		done <- n
	}()
	if err := prod.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	if n := <-done; n != b.N {
		b.Fatalf("consumed %d of %d records", n, b.N)
	}
	m.Report(b, b.N, "event")
}

// BenchmarkEndToEnd is events per second from records waiting in the input
// topic to decisions produced, through the real pipeline on a Badger store
// with synced commits (as in production) and the shipped policy, on traffic
// where nearly every event is allowed. It is the steady-state rate: the
// clock runs from the streamMargin-th decision to the (streamMargin+b.N)-th,
// with streamMargin more records behind them, so it leaves out joining the
// group (50-85 ms here) and the wait for the last periodic offset commit
// (up to CommitInterval), which a run of 20,000 events would otherwise
// count as 8-10% of its time. Every record's offset is still committed, and
// checked, before the benchmark ends.
func BenchmarkEndToEnd(b *testing.B) { benchEndToEnd(b, quietPayers) }

// BenchmarkEndToEndBusy is BenchmarkEndToEnd on busy payers' traffic,
// about 70% reviews.
func BenchmarkEndToEndBusy(b *testing.B) { benchEndToEnd(b, busyPayers) }

// BenchmarkEndToEndOverhead is BenchmarkEndToEnd with a policy that allows
// everything at no cost: what the stream and the pipeline spend besides Rego.
func BenchmarkEndToEndOverhead(b *testing.B) { benchEndToEndWith(b, quietPayers, allowAll{}) }

// allowAll is a policy that allows every event without evaluating anything.
type allowAll struct{}

func (allowAll) Eval(context.Context, *rules.Input) (rules.Result, error) {
	return rules.Result{Outcome: rules.OutcomeAllow}, nil
}

func (allowAll) Version() string { return "allow-all" }

func benchEndToEnd(b *testing.B, payers int) {
	pol, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	benchEndToEndWith(b, payers, pol)
}

// streamMargin is the records decided before the clock starts and left
// after it stops: twice the records the consumer keeps in flight, so the
// pipeline is full at both ends of the timed window.
const streamMargin = 2 * stream.DefaultMaxInFlight

func benchEndToEndWith(b *testing.B, payers int, pol engine.Policy) {
	br := MustStartBroker(b)
	store := MustOpenStore(b, benchmeter.DataDir(b))
	commits := new(commitCounter)
	p := MustOpenPipelineWith(b, store, pol, engine.PipelineConfig{Observer: commits})
	total := streamMargin + b.N + streamMargin
	recs := benchRecords(benchTraffic(fmt.Sprintf("e2e%d-", b.N), payers), total)
	if err := MustClient(b, br).ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	r := MustRun(b, br, p, stream.Config{})
	awaitDecided(b, r, streamMargin)
	b.ReportAllocs()
	b.ResetTimer()
	m := benchmeter.Start(b)
	commits0 := commits.n.Load()
	st0 := r.Stats()
	awaitDecided(b, r, streamMargin+b.N)
	// The rate is of the decisions made between the two readings, which
	// may overshoot either mark by a poll's worth (all of a tiny b.N's).
	st1 := r.Stats()
	m.Report(b, max(int(st1.Decided-st0.Decided), 1), "event")
	b.StopTimer()
	batches := commits.n.Load() - commits0
	deadline := time.Now().Add(waitFor)
	for r.Stats().Committed < int64(total) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := r.Stats(); st.Decided != int64(total) || st.Committed != int64(total) || st.DeadLettered != 0 {
		b.Fatalf("stats %+v, want %d records decided and committed", st, total)
	}
	if decided := st1.Decided - st0.Decided; decided > 0 && batches > 0 {
		held := (st1.Review + st1.Deny) - (st0.Review + st0.Deny)
		b.ReportMetric(100*float64(held)/float64(decided), "%held")
		b.ReportMetric(float64(decided)/float64(batches), "events/commit")
	}
}

// awaitDecided waits until r has produced n decisions.
func awaitDecided(b *testing.B, r *Running, n int) {
	deadline := time.Now().Add(waitFor)
	for r.Stats().Decided < int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d decisions after %v", r.Stats().Decided, n, waitFor)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// commitCounter is a pipeline Observer that counts commits.
type commitCounter struct{ n atomic.Int64 }

func (*commitCounter) Decided(string, bool)           {}
func (c *commitCounter) Committed(int, time.Duration) { c.n.Add(1) }

// BenchmarkScore is the engine's scoring alone (the shipped Rego policy and
// building the decision), in parallel, on the very events of
// BenchmarkEndToEnd with the window features they get there: its yardstick
// beside rules.BenchmarkEval/Parallel, which evaluates one fixed input.
func BenchmarkScore(b *testing.B) { benchScore(b, quietPayers) }

// BenchmarkScoreBusy is the yardstick of BenchmarkEndToEndBusy.
func BenchmarkScoreBusy(b *testing.B) { benchScore(b, busyPayers) }

func benchScore(b *testing.B, payers int) {
	pol, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	scorer := &engine.Scorer{Policy: pol, Clock: engine.SystemClock{}, Log: slog.New(slog.DiscardHandler)}
	tr := benchTraffic("score-", payers)
	evs := make([]engine.Event, b.N)
	feats := make([]engine.Features, b.N)
	w := engine.NewWindows(0)
	rates := engine.DefaultRates()
	for i := range evs {
		evs[i] = decodeGenerated(b, tr.Record(i))
		usd, err := rates.AmountUSD(&evs[i])
		if err != nil {
			b.Fatal(err)
		}
		we := engine.WindowEvent{At: evs[i].OccurredAt.UnixMilli(), PayerID: evs[i].Payer.ID, MSISDN: evs[i].Beneficiary.MSISDN, MicroUSD: usd.Shift(6).IntPart()}
		if in := evs[i].Instrument; in != nil {
			we.Token = in.Token
		}
		feats[i] = w.Apply(we)
	}
	ctx := context.Background()
	var held atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	m := benchmeter.Start(b)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			d := scorer.Score(ctx, &evs[i], &feats[i])
			switch d.Outcome {
			case "":
				b.Fatal("no outcome")
			case engine.OutcomeReview, engine.OutcomeDeny:
				held.Add(1)
			}
		}
	})
	m.Report(b, b.N, "event")
	b.ReportMetric(100*float64(held.Load())/float64(b.N), "%held")
}
