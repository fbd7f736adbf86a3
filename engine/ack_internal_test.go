package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/qorovul/qorovul/rules"
	"github.com/shopspring/decimal"
)

// TestNoAnswerBeforeSync holds the journal's fdatasync and checks that no
// caller is answered meanwhile, neither the one whose batch waits for the
// sync nor those queued behind it, nor a retry of an id whose decision
// Badger holds but the disk does not yet; then it lets the syncs go and
// every caller gets its decision, the retry the same one.
func TestNoAnswerBeforeSync(t *testing.T) {
	s, err := OpenStore(t.TempDir(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gate := make(chan struct{})
	var mu sync.Mutex
	syncs := 0
	s.journal.syncFile = func(f *os.File) error {
		<-gate
		mu.Lock()
		syncs++
		mu.Unlock()
		return fdatasync(f)
	}
	pol, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline(PipelineConfig{Store: s, Scorer: &Scorer{Policy: pol, Clock: SystemClock{}, Log: slog.New(slog.DiscardHandler)}, MinBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	event := func(i int) Event {
		ev := Event{ID: fmt.Sprint("ack_", i), Source: SourceAPI, Kind: KindRecharge, OccurredAt: time.Now().Add(-time.Hour),
			Payer: Payer{ID: fmt.Sprint("usr_ack_", i), Country: "US"}, Beneficiary: Beneficiary{MSISDN: fmt.Sprintf("+99890%07d", i)},
			Amount: Money{Value: decimal.RequireFromString("10.00"), Currency: "USD"}}
		if err := Validate(&ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	type answer struct {
		i   int
		res Result
		err error
	}
	answers := make(chan answer, 16)
	submit := func(i int) {
		go func() {
			res, err := p.Submit(context.Background(), event(i))
			answers <- answer{i, res, err}
		}()
	}
	// The first batch is committed to Badger and its sync held; the next
	// events queue behind it.
	for i := range 6 {
		submit(i)
		time.Sleep(20 * time.Millisecond) // separate batches, mostly
	}
	// A retry of the first id: Badger holds its decision, the disk may not.
	submit(0)
	select {
	case a := <-answers:
		t.Fatalf("event %d answered (%v) while every sync was held", a.i, a.err)
	case <-time.After(300 * time.Millisecond):
	}
	close(gate)
	got := map[int][]Result{}
	for range 7 {
		a := <-answers
		if a.err != nil {
			t.Fatalf("event %d: %v", a.i, a.err)
		}
		got[a.i] = append(got[a.i], a.res)
	}
	if r := got[0]; len(r) != 2 || r[0].Decision.DecisionID != r[1].Decision.DecisionID || r[0].Duplicate == r[1].Duplicate {
		t.Fatalf("event 0 and its retry: %+v", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if syncs == 0 {
		t.Fatal("no sync ran")
	}
}
