package stream_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
	"github.com/qorovul/qorovul/engine/stream"
	"github.com/qorovul/qorovul/rules"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// t0 is the event time the generated traffic starts at.
var t0 = time.Date(2026, 4, 22, 12, 0, 0, 0, time.UTC)

// waitFor is how long a test waits for the stream to catch up before it
// fails; it bounds a hang, it does not measure speed.
const waitFor = 90 * time.Second

// MustStartBroker starts an in-memory kfake broker on a free port.
func MustStartBroker(t testing.TB) *stream.Broker {
	t.Helper()
	b, err := stream.StartBroker(stream.BrokerConfig{Addr: "127.0.0.1:0", Partitions: 3,
		Topics: []string{stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic, stream.DefaultStatusTopic}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// MustOpenStore opens a Badger store in dir, closed at the end of the test.
func MustOpenStore(t testing.TB, dir string) *engine.Store {
	t.Helper()
	s, err := engine.OpenStore(dir, engine.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// MustOpenPipeline starts a pipeline with the shipped policy on store. Its
// Close is idempotent; it is closed at the end of the test.
func MustOpenPipeline(t testing.TB, store *engine.Store, maxBatch int) *engine.Pipeline {
	t.Helper()
	pol, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	return MustOpenPipelineWith(t, store, pol, engine.PipelineConfig{MaxBatch: maxBatch})
}

// MustOpenPipelineWith starts a pipeline on store that decides with pol;
// cfg gives the rest (batch sizes, an observer).
func MustOpenPipelineWith(t testing.TB, store *engine.Store, pol engine.Policy, cfg engine.PipelineConfig) *engine.Pipeline {
	t.Helper()
	cfg.Store = store
	cfg.Scorer = &engine.Scorer{Policy: pol, Clock: engine.SystemClock{}, Log: slog.New(slog.DiscardHandler)}
	p, err := engine.NewPipeline(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Running is a consumer running in the background.
type Running struct {
	*stream.Consumer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// Stop ends Run (it finishes in-flight records and commits) and closes
// the client.
func (r *Running) Stop(t testing.TB) {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		if err := <-r.done; err != nil {
			t.Errorf("run: %v", err)
		}
		r.Close()
	})
}

// MustRun creates the topics and runs a consumer on the broker.
func MustRun(t testing.TB, b *stream.Broker, p *engine.Pipeline, cfg stream.Config) *Running {
	t.Helper()
	cfg.Brokers = []string{b.Addr()}
	cfg.Partitions = 3
	c, err := stream.New(cfg, p.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureTopics(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{Consumer: c, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx) }()
	t.Cleanup(func() { r.Stop(t) })
	return r
}

// MustClient is a plain client of the broker for producing and reading.
func MustClient(t testing.TB, b *stream.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// MustProduce produces recs to the input topic, in order, and waits for
// the broker's acknowledgement.
func MustProduce(t testing.TB, cl *kgo.Client, recs ...stream.TrafficRecord) {
	t.Helper()
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = r.Kafka(stream.DefaultInputTopic)
	}
	if err := cl.ProduceSync(context.Background(), krs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// MustReadTopic reads every record of topic (all of it: up to its end
// offsets at the time of the call).
func MustReadTopic(t testing.TB, b *stream.Broker, topic string) []*kgo.Record {
	t.Helper()
	adm := kadm.NewClient(MustClient(t, b))
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(0)
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	if want == 0 {
		return nil
	}
	cl := MustClient(t, b, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var out []*kgo.Record
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %s: %d of %d records: %v", topic, len(out), want, err)
		}
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Logf("read %s: %v", topic, err)
			}
		})
		out = append(out, fs.Records()...)
	}
	return out
}

// MustDecisionsByEvent reads the decisions topic and returns each event's
// decision id, failing if an event has two different ones (the topic may
// repeat a decision; it must not contradict one).
func MustDecisionsByEvent(t testing.TB, b *stream.Broker) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, rec := range MustReadTopic(t, b, stream.DefaultDecisionsTopic) {
		id, _ := header(rec, stream.HeaderEventID)
		dec, _ := header(rec, stream.HeaderDecisionID)
		if prev, ok := ids[id]; ok && prev != dec {
			t.Fatalf("event %s has two decisions on the topic: %s and %s", id, prev, dec)
		}
		ids[id] = dec
	}
	return ids
}

// WaitCommitted waits until the consumer committed at least n records.
func WaitCommitted(t testing.TB, r *Running, n int64) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for r.Stats().Committed < n {
		if time.Now().After(deadline) {
			t.Fatalf("committed %d of %d records in %s: %+v", r.Stats().Committed, n, waitFor, r.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// header returns the value of a record header.
func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// decodeGenerated decodes a generated record as the consumer does.
func decodeGenerated(t testing.TB, r stream.TrafficRecord) engine.Event {
	t.Helper()
	h := map[string]string{}
	for k, v := range r.Headers {
		h[k] = v
	}
	ev, err := ingest.Decode(ingest.Record{Source: r.Source, Key: []byte(r.Key), Headers: h, Body: r.Value})
	if err != nil {
		t.Fatalf("decode generated %s record: %v %v", r.Source, err, engine.ErrorFields(err))
	}
	if err := engine.Validate(&ev); err != nil {
		t.Fatalf("validate generated %s record: %v %v", r.Source, err, engine.ErrorFields(err))
	}
	return ev
}
