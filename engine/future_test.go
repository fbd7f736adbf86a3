package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// TestFutureEventRefused: an event dated more than MaxFutureSkew ahead of
// the engine's clock is refused, naming occurred_at, and leaves the
// windows as they were: had it been applied, every later event of the
// present would be older than the 7 days the windows keep, counted
// nowhere and flagged saturated.
func TestFutureEventRefused(t *testing.T) {
	p, _ := MustOpenPipeline(t, t.TempDir()) // its clock stands at t0
	MustSubmit(t, p, recharge("fut_1", "usr_f", "+998901234567", t0.Add(-time.Minute), "10.00"))

	ev := recharge("fut_far", "usr_x", "+998931112233", t0.Add(30*24*time.Hour), "10.00")
	if err := engine.Validate(&ev); err != nil {
		t.Fatal(err)
	}
	_, err := p.Submit(context.Background(), ev)
	if fe := engine.ErrorFields(err); engine.ErrorCode(err) != engine.EINVALID || len(fe) != 1 || fe[0].Field != "occurred_at" {
		t.Fatalf("an event 30 days ahead: %v %v, want invalid occurred_at", err, fe)
	}

	// Within the bound is accepted.
	MustSubmit(t, p, recharge("fut_near", "usr_y", "+998931112233", t0.Add(engine.DefaultMaxFutureSkew-time.Minute), "10.00"))

	r := MustSubmit(t, p, recharge("fut_2", "usr_f", "+998901234567", t0, "10.00"))
	if f := r.Decision.Features; f.PayerCount1h != 2 || f.Saturated || r.Decision.Outcome != engine.OutcomeAllow {
		t.Fatalf("the next event of the present: %+v, outcome %s; want 2 events counted, not saturated, allowed", f, r.Decision.Outcome)
	}
}
