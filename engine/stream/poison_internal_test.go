package stream

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/rules"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestDecoderPanicDeadLetters: a record whose decoding panics (a bug no
// fuzzer found) goes to the DLQ with error_code=internal, and the consumer
// decides the records around it, instead of the process dying on it at
// every restart.
func TestDecoderPanicDeadLetters(t *testing.T) {
	b, err := StartBroker(BrokerConfig{Addr: "127.0.0.1:0", Partitions: 1,
		Topics: []string{DefaultInputTopic, DefaultDecisionsTopic, DefaultDLQTopic, DefaultStatusTopic}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	store, err := engine.OpenStore(t.TempDir(), engine.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	pol, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.NewPipeline(engine.PipelineConfig{Store: store, Scorer: &engine.Scorer{Policy: pol, Clock: engine.SystemClock{}, Log: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	c, err := New(Config{Brokers: []string{b.Addr()}, Partitions: 1}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.decode = func(r *kgo.Record) (engine.Event, error) {
		if string(r.Key) == "poison" {
			var m map[string]int
			m["boom"]++ // a nil map: the kind of bug that panics
		}
		return decode(r)
	}
	if err := c.EnsureTopics(context.Background()); err != nil {
		t.Fatal(err)
	}
	tr := Traffic{Start: time.Now().Add(-time.Hour).Truncate(time.Second), Prefix: "poison-"}
	recs := []*kgo.Record{tr.Record(0).Kafka(DefaultInputTopic), tr.Record(6).Kafka(DefaultInputTopic), tr.Record(12).Kafka(DefaultInputTopic)}
	recs[1].Key = []byte("poison")
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumeTopics(DefaultDLQTopic, DefaultDecisionsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	var decided int
	var dead *kgo.Record
	for decided < 2 || dead == nil {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d decisions, dead letter %v", decided, dead)
		}
		fs.EachRecord(func(r *kgo.Record) {
			switch r.Topic {
			case DefaultDecisionsTopic:
				decided++
			case DefaultDLQTopic:
				dead = r
			}
		})
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	headers := map[string]string{}
	for _, h := range dead.Headers {
		headers[h.Key] = string(h.Value)
	}
	if headers[HeaderErrorCode] != engine.EINTERNAL || headers[HeaderOriginalOffset] != "1" || string(dead.Value) != string(recs[1].Value) {
		t.Fatalf("dead letter headers %v, value %q", headers, dead.Value)
	}
	if st := c.Stats(); st.Decided != 2 || st.DeadLettered != 1 {
		t.Fatalf("stats %+v", st)
	}
}
