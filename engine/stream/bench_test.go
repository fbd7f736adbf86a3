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

// benchRecords are b.N generated records of every source, as Kafka records
// of the input topic.
func benchRecords(b *testing.B, prefix string) []*kgo.Record {
	b.Helper()
	tr := stream.Traffic{Start: t0, Step: 50 * time.Millisecond, Payers: 500, Prefix: prefix}
	recs := make([]*kgo.Record, b.N)
	for i := range recs {
		recs[i] = kafkaRecord(stream.DefaultInputTopic, tr.Record(i))
	}
	return recs
}

// BenchmarkBroker is the raw broker rate over kfake: the same records
// produced (acks=all, idempotent) and consumed back by a plain client, with
// no decoding and no pipeline.
func BenchmarkBroker(b *testing.B) {
	br := MustStartBroker(b)
	recs := benchRecords(b, fmt.Sprintf("raw%d-", b.N))
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
// topic to decisions produced and offsets committed, through the real
// pipeline on a Badger store with synced commits (as in production) and the
// shipped policy. It includes joining the group once.
func BenchmarkEndToEnd(b *testing.B) {
	br := MustStartBroker(b)
	store := MustOpenStore(b, b.TempDir())
	p := MustOpenPipeline(b, store, 0)
	recs := benchRecords(b, fmt.Sprintf("e2e%d-", b.N))
	if err := MustClient(b, br).ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	m := benchmeter.Start(b)
	r := MustRun(b, br, p, stream.Config{})
	for r.Stats().Committed < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	m.Report(b, b.N, "event")
	b.StopTimer()
	if st := r.Stats(); st.Decided != int64(b.N) || st.DeadLettered != 0 {
		b.Fatalf("stats %+v", st)
	}
}

// BenchmarkScore is the engine's scoring alone (the shipped Rego policy and
// building the decision), in parallel, on the same generated events with
// their window features: the yardstick for BenchmarkEndToEnd beside
// rules.BenchmarkEval/Parallel, which evaluates one fixed input.
func BenchmarkScore(b *testing.B) {
	pol, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	scorer := &engine.Scorer{Policy: pol, Clock: engine.SystemClock{}, Log: slog.New(slog.DiscardHandler)}
	tr := stream.Traffic{Start: t0, Step: 50 * time.Millisecond, Payers: 500, Prefix: "score-"}
	const n = 4096
	evs := make([]engine.Event, n)
	feats := make([]engine.Features, n)
	w := engine.NewWindows(0)
	rates := engine.DefaultRates()
	for i := range evs {
		evs[i] = decodeGenerated(b, tr.Record(i))
		usd, err := rates.AmountUSD(&evs[i])
		if err != nil {
			b.Fatal(err)
		}
		we := engine.WindowEvent{At: evs[i].OccurredAt.UnixMilli(), PayerID: evs[i].Payer.ID, MSISDN: evs[i].Beneficiary.MSISDN, MicroUSD: usd.Shift(6).IntPart()}
		feats[i] = w.Apply(we)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	m := benchmeter.Start(b)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) % n
			if d := scorer.Score(ctx, &evs[i], &feats[i]); d.Outcome == "" {
				b.Fatal("no outcome")
			}
		}
	})
	m.Report(b, b.N, "event")
}
