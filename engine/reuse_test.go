package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// TestReusedEventIDRefused: a record that reuses a decided event id for
// another payment (another amount, number or payer) gets a conflict, not
// the first payment's decision, and is not counted; the same payment again
// still gets its decision back, and a status change of it still applies.
// The print survives a restart.
func TestReusedEventIDRefused(t *testing.T) {
	dir := t.TempDir()
	p, store := MustOpenPipeline(t, dir)
	named := func(ev engine.Event, payer, beneficiary string) engine.Event {
		ev.Payer.Name, ev.Beneficiary.Name = payer, beneficiary
		return ev
	}
	first := MustSubmit(t, p, named(recharge("tx_reuse", "usr_r", "+998901234567", t0, "10.00"), "John Smith", "Alisher Karimov"))

	refused := func(p *engine.Pipeline, ev engine.Event, part string) {
		t.Helper()
		if err := engine.Validate(&ev); err != nil {
			t.Fatal(err)
		}
		_, err := p.Submit(context.Background(), ev)
		if engine.ErrorCode(err) != engine.ECONFLICT || !strings.Contains(err.Error(), "tx_reuse") || !strings.Contains(err.Error(), part) {
			t.Fatalf("reused id with another %s: %v, want a conflict naming the id and the %s", part, err, part)
		}
	}
	refused(p, recharge("tx_reuse", "usr_r", "+998901234567", t0, "5000.00"), "amount")
	refused(p, recharge("tx_reuse", "usr_r", "+998931112233", t0, "10.00"), "beneficiary msisdn")
	refused(p, recharge("tx_reuse", "usr_other", "+998901234567", t0, "10.00"), "payer")
	// The names are screened: another name under the id was never screened.
	refused(p, named(recharge("tx_reuse", "usr_r", "+998901234567", t0, "10.00"), "Ivan Petrov", ""), "payer name")
	refused(p, named(recharge("tx_reuse", "usr_r", "+998901234567", t0, "10.00"), "", "Dilshod Rakhimov"), "beneficiary name")
	sent := recharge("tx_reuse", "usr_r", "+998901234567", t0, "5000.00")
	sent.Status = engine.StatusSent
	refused(p, sent, "amount")

	// The same payment again, with its names as another record of the
	// source may write them, or without them.
	for _, ev := range []engine.Event{
		recharge("tx_reuse", "usr_r", "+998901234567", t0, "10.00"),
		named(recharge("tx_reuse", "usr_r", "+998901234567", t0, "10"), "JOHN  SMITH", "alisher karimov"),
	} {
		again := MustSubmit(t, p, ev)
		if !again.Duplicate || again.Decision.DecisionID != first.Decision.DecisionID {
			t.Fatalf("the same payment again: %+v", again)
		}
	}
	change := recharge("tx_reuse", "usr_r", "+998901234567", t0.Add(time.Minute), "10.00")
	change.Status = engine.StatusSent
	if r := MustSubmit(t, p, change); r.StatusChange == nil || r.StatusChange.To != engine.StatusSent {
		t.Fatalf("status change of the same payment: %+v", r)
	}
	next := MustSubmit(t, p, recharge("tx_reuse_next", "usr_r", "+998901234567", t0.Add(2*time.Minute), "10.00"))
	if next.Decision.Features.PayerCount1h != 2 || next.Decision.Features.PayerAmountUSD1h.String() != "20" {
		t.Fatalf("counted %d payments (%s USD), want 2 (20): a refused record was counted",
			next.Decision.Features.PayerCount1h, next.Decision.Features.PayerAmountUSD1h)
	}

	p.Close()
	store.Close()
	p, _ = MustOpenPipeline(t, dir)
	refused(p, recharge("tx_reuse", "usr_r", "+998901234567", t0, "5000.00"), "amount")
}

// TestReusedEventIDConcurrent: two payments under one id submitted at once
// get one decision and one conflict, whichever comes first.
func TestReusedEventIDConcurrent(t *testing.T) {
	p, _ := MustOpenPipeline(t, t.TempDir())
	for round := range 20 {
		id := "tx_race_" + string(rune('a'+round))
		evs := []engine.Event{
			recharge(id, "usr_race", "+998901234567", t0, "10.00"),
			recharge(id, "usr_race", "+998901234567", t0, "900.00"),
		}
		var wg sync.WaitGroup
		errs := make([]error, len(evs))
		res := make([]engine.Result, len(evs))
		for i := range evs {
			if err := engine.Validate(&evs[i]); err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i], errs[i] = p.Submit(context.Background(), evs[i])
			}()
		}
		wg.Wait()
		decided, conflicts := 0, 0
		for i, err := range errs {
			switch {
			case err == nil && !res[i].Duplicate:
				decided++
			case engine.ErrorCode(err) == engine.ECONFLICT:
				conflicts++
			default:
				t.Fatalf("round %d payment %d: %+v, %v", round, i, res[i], err)
			}
		}
		if decided != 1 || conflicts != 1 {
			t.Fatalf("round %d: %d decided and %d conflicts, want one of each", round, decided, conflicts)
		}
	}
}
