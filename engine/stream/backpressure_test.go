package stream_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine/stream"
)

// TestBackpressureBound: with a slow disk (one fsynced Badger transaction
// per event) and a backlog far larger than the bound, the consumer never
// holds more than MaxInFlight records, and still decides them all.
func TestBackpressureBound(t *testing.T) {
	b := MustStartBroker(t)
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 1)
	tr := stream.Traffic{Start: t0, Prefix: "bp-"}
	const n, bound = 600, 16
	var recs []stream.TrafficRecord
	for i := range n {
		recs = append(recs, tr.Record(i))
	}
	MustProduce(t, MustClient(t, b), recs...)
	r := MustRun(t, b, p, stream.Config{MaxInFlight: bound})
	WaitCommitted(t, r, n)
	st := r.Stats()
	if st.MaxInFlight > bound || st.MaxInFlight == 0 {
		t.Fatalf("at most %d records were in flight, bound %d", st.MaxInFlight, bound)
	}
	if st.Consumed != n || st.Decided != n || st.InFlight != 0 || st.Lag != 0 {
		t.Fatalf("stats %+v", st)
	}
	// The records were decided by handler goroutines, no more of them
	// than records were in flight, and they end with Run.
	if h := handlers(); h == 0 || h > bound {
		t.Fatalf("%d handler goroutines after the backlog, want 1 to %d", h, bound)
	}
	r.Stop(t)
	deadline := time.Now().Add(5 * time.Second)
	for handlers() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d handler goroutines still running after Run returned", handlers())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// handlers counts the consumer's handler goroutines.
func handlers() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte("stream.(*loop).handler("))
}
