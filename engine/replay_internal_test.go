package engine

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/qorovul/qorovul/audit"
	"github.com/qorovul/qorovul/rules"
	"github.com/shopspring/decimal"
)

// TestReplaySkipsWhatBadgerHas is a crash of the process between Badger's
// commit of a batch and the journal's append of it: Badger keeps the batch
// (the page cache outlives the process), the journal ends before it and
// still holds the batch before. Replaying that older batch over the newer
// one set the audit head back behind the entries, and the store no longer
// opened; the replay now skips what Badger has.
func TestReplaySkipsWhatBadgerHas(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline(PipelineConfig{Store: s, Scorer: &Scorer{Policy: pol, Clock: SystemClock{}, Log: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	event := func(id string) Event {
		ev := Event{ID: id, Source: SourceAPI, Kind: KindRecharge, OccurredAt: time.Now().Add(-time.Hour),
			Payer: Payer{ID: "usr_replay", Country: "US"}, Beneficiary: Beneficiary{MSISDN: "+998901234567"},
			Amount: Money{Value: decimal.RequireFromString("10.00"), Currency: "USD"}}
		if err := Validate(&ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	ctx := context.Background()
	first, err := p.Submit(ctx, event("replay_1"))
	if err != nil {
		t.Fatal(err)
	}
	// The process dies after Badger's commit of the next batch, before
	// the journal's append.
	s.journal.mu.Lock()
	s.journal.err = errors.New("the process died here")
	s.journal.mu.Unlock()
	if _, err := p.Submit(ctx, event("replay_2")); err == nil {
		t.Fatal("the second batch was acknowledged without its journal append")
	}
	p.Close()
	if err := s.db.Close(); err != nil { // what Badger committed stays, as in the page cache
		t.Fatal(err)
	}
	s.journal.close() // not finished: its records are replayed at the next open

	s2, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer s2.Close()
	rep, err := audit.Verify(s2.DB(), LedgerAudit, nil)
	if err != nil {
		t.Fatalf("audit verify after the crash: %v (%+v)", err, rep)
	}
	if d, err := s2.Decision("replay_1"); err != nil || d.DecisionID != first.Decision.DecisionID {
		t.Fatalf("the acknowledged decision after the crash: %+v %v", d, err)
	}
	if rep.Head.Seq != 2 {
		t.Fatalf("the ledger holds %d entries, want the two batches Badger committed", rep.Head.Seq)
	}
}
