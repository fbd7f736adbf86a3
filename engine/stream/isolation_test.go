package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine/stream"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestAbortedTransactionsSkipped: records of a producer's aborted
// transaction are never decided (they were never sent, as far as the
// producer's readers know); those of its committed transaction are.
func TestAbortedTransactionsSkipped(t *testing.T) {
	b := MustStartBroker(t)
	store := MustOpenStore(t, t.TempDir())
	p := MustOpenPipeline(t, store, 0)
	r := MustRun(t, b, p, stream.Config{})

	// One payer, so one key and one partition: the aborted records come
	// before the committed ones in it, and before the last one.
	tr := stream.Traffic{Start: t0, Payers: 1, Prefix: "txn-"}
	txn := MustClient(t, b, kgo.TransactionalID("payments-app"), kgo.DefaultProduceTopic(stream.DefaultInputTopic))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	const each = 10
	for k, end := range []kgo.TransactionEndTry{kgo.TryAbort, kgo.TryCommit} {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := range each {
			if err := txn.ProduceSync(ctx, tr.Record(k*each+i).Kafka(stream.DefaultInputTopic)).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.EndTransaction(ctx, end); err != nil {
			t.Fatal(err)
		}
	}
	MustProduce(t, MustClient(t, b), tr.Record(2*each))

	deadline := time.Now().Add(waitFor)
	for r.Stats().Decided < each+1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	WaitCommitted(t, r, each+1)
	if st := r.Stats(); st.Consumed != each+1 || st.Decided != each+1 || st.DeadLettered != 0 {
		t.Fatalf("stats %+v: want only the committed transaction's %d records and the last one", st, each)
	}
	for i := range 2*each + 1 {
		id := decodeGenerated(t, tr.Record(i)).ID
		_, err := store.Status(id)
		if decided := err == nil; decided != (i >= each) {
			t.Errorf("record %d (%s): decided %v, status error %v", i, id, decided, err)
		}
	}
}
