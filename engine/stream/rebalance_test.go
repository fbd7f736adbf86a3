package stream_test

import (
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine/stream"
)

// TestRebalanceLosesNothing: a second consumer joins the group while the
// first is busy. The first finishes and commits what it polled before the
// partitions move, so together they read every record exactly once and
// decide each event once.
func TestRebalanceLosesNothing(t *testing.T) {
	b := MustStartBroker(t)
	// One synced Badger commit per event keeps the first consumer busy.
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 1)
	tr := stream.Traffic{Start: t0, Payers: 30, Prefix: "reb-"}
	cl := MustClient(t, b)
	n := 0
	produce := func(k int) {
		var recs []stream.TrafficRecord
		for range k {
			recs = append(recs, tr.Record(n))
			n++
		}
		MustProduce(t, cl, recs...)
	}
	produce(2000)
	r1 := MustRun(t, b, p, stream.Config{ClientID: "one", MaxInFlight: 128})
	WaitCommitted(t, r1, 100)
	r2 := MustRun(t, b, p, stream.Config{ClientID: "two", MaxInFlight: 128})
	// However fast the first consumer is, records keep coming until the
	// rebalance has given the second some of them.
	for deadline := time.Now().Add(waitFor); r2.Stats().Consumed == 0 && time.Now().Before(deadline); {
		produce(100)
		time.Sleep(50 * time.Millisecond)
	}
	waitTotal(t, int64(n), r1, r2)
	s1, s2 := r1.Stats(), r2.Stats()
	t.Logf("first consumer read %d, second %d", s1.Consumed, s2.Consumed)
	if s2.Consumed == 0 {
		t.Fatalf("the second consumer got no partition: %+v", s2)
	}
	if s1.Consumed+s2.Consumed != int64(n) || s1.Duplicates+s2.Duplicates != 0 {
		t.Fatalf("read %d+%d records (%d+%d duplicates), want exactly %d once", s1.Consumed, s2.Consumed, s1.Duplicates, s2.Duplicates, n)
	}
	ids := map[string]bool{}
	for _, rec := range MustReadTopic(t, b, stream.DefaultDecisionsTopic) {
		id, _ := header(rec, stream.HeaderEventID)
		if ids[id] {
			t.Fatalf("event %s decided twice on the topic", id)
		}
		ids[id] = true
	}
	if len(ids) != n {
		t.Fatalf("%d events on the decisions topic, want %d", len(ids), n)
	}
}

// waitTotal waits until the consumers together committed n records.
func waitTotal(t *testing.T, n int64, rs ...*Running) {
	t.Helper()
	sum := func() (s int64) {
		for _, r := range rs {
			s += r.Stats().Committed
		}
		return s
	}
	deadline := time.Now().Add(waitFor)
	for sum() < n {
		if time.Now().After(deadline) {
			t.Fatalf("committed %d of %d records", sum(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
