package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qorovul/qorovul/audit"
	"github.com/qorovul/qorovul/engine"
)

func withStatus(ev engine.Event, status string, after time.Duration) engine.Event {
	ev.Status = status
	ev.OccurredAt = ev.OccurredAt.Add(after)
	return ev
}

func TestStatusDrift(t *testing.T) {
	p, store := MustOpenPipeline(t, t.TempDir())
	t.Run("PendingToSentOnce", func(t *testing.T) {
		ev := recharge("anjirpay:1001", "anjirpay:u1", "+998901234567", t0, "10.00")
		first := MustSubmit(t, p, withStatus(ev, "pending", 0))
		if first.StatusChange != nil || first.Duplicate {
			t.Fatalf("first sight: %+v", first)
		}
		sent := MustSubmit(t, p, withStatus(ev, "sent", time.Minute))
		if sent.StatusChange == nil || sent.StatusChange.From != "pending" || sent.StatusChange.To != "sent" || sent.Decision.DecisionID != first.Decision.DecisionID {
			t.Fatalf("sent: %+v", sent)
		}
		// Until the change is published, a redelivery reports it again
		// (a crash may have come between the commit and the publish).
		again := MustSubmit(t, p, withStatus(ev, "sent", time.Minute))
		if again.StatusChange == nil || again.StatusChange.To != "sent" || !again.Duplicate {
			t.Fatalf("an unpublished change was not reported again: %+v", again)
		}
		if err := p.StatusEmitted(context.Background(), ev.ID, "sent"); err != nil {
			t.Fatal(err)
		}
		again = MustSubmit(t, p, withStatus(ev, "sent", time.Minute))
		if again.StatusChange != nil || !again.Duplicate {
			t.Fatalf("a redelivered, published sent record changed something: %+v", again)
		}
		if st, err := store.Status(ev.ID); err != nil || st != "sent" {
			t.Fatalf("stored status %q %v", st, err)
		}
	})
	t.Run("ErrDeclinedThenSent", func(t *testing.T) {
		ev := recharge("anjirpay:1002", "anjirpay:u2", "+998901234567", t0, "10.00")
		MustSubmit(t, p, withStatus(ev, "pending", 0))
		if r := MustSubmit(t, p, withStatus(ev, "declined", time.Minute)); r.StatusChange == nil {
			t.Fatalf("declined: %+v", r)
		}
		bad := withStatus(ev, "sent", 2*time.Minute)
		_, err := p.Submit(context.Background(), bad)
		if engine.ErrorCode(err) != engine.ECONFLICT || len(engine.ErrorFields(err)) == 0 {
			t.Fatalf("declined -> sent: %v", err)
		}
		if st, _ := store.Status(ev.ID); st != "declined" {
			t.Fatalf("status after the refused transition: %s", st)
		}
	})
	t.Run("CountedOnceAtFirstSight", func(t *testing.T) {
		// A transaction counts once in the windows whatever its later
		// records say; a reversal does not take its amount out of the
		// amount windows (they measure attempted volume).
		ev := recharge("anjirpay:1003", "anjirpay:u3", "+998901234567", t0, "100.00")
		MustSubmit(t, p, withStatus(ev, "pending", 0))
		MustSubmit(t, p, withStatus(ev, "completed", time.Minute))
		MustSubmit(t, p, withStatus(ev, "reversed", 2*time.Minute))
		next := MustSubmit(t, p, recharge("anjirpay:1004", "anjirpay:u3", "+998901234567", t0.Add(3*time.Minute), "1.00"))
		if next.Decision.Features.PayerCount1h != 2 || next.Decision.Features.PayerAmountUSD1h.String() != "101" {
			t.Fatalf("features %+v", next.Decision.Features)
		}
	})
	t.Run("ConcurrentFirstSightAndChange", func(t *testing.T) {
		// Records of one transaction racing: whichever is sequenced first
		// is its first sight; a status record arriving while the first
		// sight is in flight waits for it. At most one change results, the
		// final status is sent, and a pending seen after sent is refused.
		for round := range 30 {
			ev := recharge(fmt.Sprint("anjirpay:conc", round), "anjirpay:u4", "+998901234567", t0, "1.00")
			if err := engine.Validate(&ev); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			results := make([]engine.Result, 6)
			errs := make([]error, 6)
			for i := range results {
				st := "pending"
				if i%2 == 1 {
					st = "sent"
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = p.Submit(context.Background(), withStatus(ev, st, 0))
				}()
			}
			wg.Wait()
			ids := map[string]bool{}
			for i, r := range results {
				if errs[i] != nil {
					if engine.ErrorCode(errs[i]) != engine.ECONFLICT {
						t.Fatalf("round %d: %v", round, errs[i])
					}
					continue
				}
				ids[r.Decision.DecisionID] = true
				// Until the change is published, a duplicate may report it
				// again; it is always the same change.
				if ch := r.StatusChange; ch != nil && (ch.From != "pending" || ch.To != "sent") {
					t.Fatalf("round %d: change %+v", round, ch)
				}
			}
			if st, _ := store.Status(ev.ID); st != "sent" || len(ids) != 1 {
				t.Fatalf("round %d: status %s, %d decision ids", round, st, len(ids))
			}
		}
		// However the records raced, each transaction changed at most once:
		// the ledger holds at most one status change per event id.
		var buf bytes.Buffer
		if _, err := audit.Export(store.DB(), engine.LedgerAudit, &buf, audit.ExportOptions{}); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var e struct{ Kind, Subject string }
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatal(err)
			}
			if e.Kind == "status.change" && strings.HasPrefix(e.Subject, "anjirpay:conc") {
				if seen[e.Subject]++; seen[e.Subject] > 1 {
					t.Fatalf("%s changed status twice", e.Subject)
				}
			}
		}
	})
}

func TestSubmitStatus(t *testing.T) {
	p, store := MustOpenPipeline(t, t.TempDir())
	ctx := context.Background()
	only := engine.Event{ID: "uzum:5f1c", Source: "uzum", Status: "completed", OccurredAt: t0.Add(time.Minute)}
	t.Run("ErrUnknownTransaction", func(t *testing.T) {
		if _, err := p.SubmitStatus(ctx, only); engine.ErrorCode(err) != engine.ENOTFOUND {
			t.Fatalf("%v", err)
		}
	})
	t.Run("ConfirmThenReverse", func(t *testing.T) {
		ev := recharge("uzum:5f1c", "uzum:acc1", "+998901234567", t0, "10.00")
		ev.Source = "uzum"
		first := MustSubmit(t, p, withStatus(ev, "created", 0))
		r, err := p.SubmitStatus(ctx, only)
		if err != nil || r.StatusChange == nil || r.StatusChange.To != "completed" || r.Decision.DecisionID != first.Decision.DecisionID {
			t.Fatalf("%+v %v", r, err)
		}
		rev := only
		rev.Status = "reversed"
		if r, err := p.SubmitStatus(ctx, rev); err != nil || r.StatusChange.From != "completed" {
			t.Fatalf("%+v %v", r, err)
		}
		if st, _ := store.Status("uzum:5f1c"); st != "reversed" {
			t.Fatalf("status %s", st)
		}
		if _, err := p.SubmitStatus(ctx, only); engine.ErrorCode(err) != engine.ECONFLICT {
			t.Fatalf("reversed -> completed: %v", err)
		}
	})
	t.Run("ErrUnknownStatus", func(t *testing.T) {
		bad := only
		bad.Status = "teleported"
		if _, err := p.SubmitStatus(ctx, bad); engine.ErrorCode(err) != engine.EINVALID {
			t.Fatalf("%v", err)
		}
	})
}
