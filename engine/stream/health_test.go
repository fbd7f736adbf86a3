package stream_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/stream"
)

// TestHealthFollowsTheBrokers: a consumer whose broker goes away says so
// within a check or two, keeps running, and once the broker is back on the
// same address with its data says so too and decides what came meanwhile,
// with nothing decided twice in the ledger.
func TestHealthFollowsTheBrokers(t *testing.T) {
	dataDir := t.TempDir()
	topics := []string{stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic, stream.DefaultStatusTopic}
	start := func(addr string) *stream.Broker {
		t.Helper()
		b, err := stream.StartBroker(stream.BrokerConfig{Addr: addr, DataDir: dataDir, SyncWrites: true, Partitions: 3, Topics: topics})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := start("127.0.0.1:0")
	addr := b.Addr()
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	r := MustRun(t, b, p, stream.Config{HealthInterval: 50 * time.Millisecond})

	tr := benchTraffic("health-", 30)
	produce := func(b *stream.Broker, from, to int) {
		t.Helper()
		var recs []stream.TrafficRecord
		for i := from; i < to; i++ {
			recs = append(recs, tr.Record(i))
		}
		cl := MustClient(t, b)
		MustProduce(t, cl, recs...)
		cl.Close()
	}
	await := func(what string, ok func(stream.Health) bool) stream.Health {
		t.Helper()
		deadline := time.Now().Add(waitFor)
		for {
			h := r.Health()
			if ok(h) {
				return h
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %v, not %s: %+v", waitFor, what, h)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	up := await("connected", func(h stream.Health) bool { return h.Connected })
	if up.Err != nil || up.Stopped != nil {
		t.Fatalf("health while connected: %+v", up)
	}
	produce(b, 0, 50)
	WaitCommitted(t, r, 50)

	b.Close()
	down := await("disconnected", func(h stream.Health) bool { return !h.Connected })
	if down.Err == nil || !down.Since.After(up.Since) || down.Stopped != nil {
		t.Fatalf("health while the broker is away: %+v (before: %+v)", down, up)
	}
	// Still away a few checks later: the time it went away stays.
	time.Sleep(200 * time.Millisecond)
	if h := r.Health(); h.Connected || !h.Since.Equal(down.Since) || h.Stopped != nil {
		t.Fatalf("health later in the outage: %+v, want disconnected since %v", h, down.Since)
	}

	b = start(addr)
	t.Cleanup(b.Close)
	back := await("connected again", func(h stream.Health) bool { return h.Connected })
	if back.Err != nil || !back.Since.After(down.Since) {
		t.Fatalf("health after the broker came back: %+v", back)
	}
	produce(b, 50, 100)
	WaitCommitted(t, r, 100)
	if st := r.Stats(); st.Decided-st.Duplicates != 100 || st.DeadLettered != 0 {
		t.Fatalf("stats %+v: want 100 events decided once each", st)
	}
	// Every event once in the decisions topic, after de-duplication.
	ids := MustDecisionsByEvent(t, b)
	if len(ids) != 100 {
		t.Fatalf("%d events on the decisions topic, want 100", len(ids))
	}
	if h := r.Health(); h.Stopped != nil {
		t.Fatalf("the consumer stopped: %v", h.Stopped)
	}
}

// statusUnrecorded is a pipeline whose store refuses to record that a
// status change was published.
type statusUnrecorded struct{ *engine.Pipeline }

func (statusUnrecorded) StatusEmitted(context.Context, string, string) error {
	return errors.New("no space left on device")
}

// TestHealthSaysStopped: a consumer that stops on a record it cannot
// finish says so in its health, with the error Run returned.
func TestHealthSaysStopped(t *testing.T) {
	b := MustStartBroker(t)
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	c, err := stream.New(stream.Config{Brokers: []string{b.Addr()}, Partitions: 3}, statusUnrecorded{p})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsureTopics(context.Background()); err != nil {
		t.Fatal(err)
	}
	MustProduce(t, MustClient(t, b), stream.Traffic{Start: t0, Prefix: "stop-"}.Drift(1, "sent")...)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	runErr := c.Run(ctx)
	if runErr == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v (context: %v), want it to stop on the record", runErr, ctx.Err())
	}
	if h := c.Health(); h.Stopped != runErr || !h.Connected {
		t.Fatalf("health %+v, want connected and stopped on %v", h, runErr)
	}
}
