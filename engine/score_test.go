package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/rules"
)

// failingScreener stands at a true boundary (the lists): it always fails.
type failingScreener struct{}

func (failingScreener) ScreenName(string) ([]engine.SanctionsMatch, error) {
	return nil, errors.New("index unavailable")
}
func (failingScreener) Version() string { return "sha256:test" }

// panickingPolicy stands for a fault inside the policy engine: it panics.
type panickingPolicy struct{}

func (panickingPolicy) Eval(context.Context, *rules.Input) (rules.Result, error) {
	var m map[string]int
	m["boom"]++ // assignment to a nil map
	return rules.Result{}, nil
}
func (panickingPolicy) Version() string { return "sha256:panics" }

func TestScorerFailsClosed(t *testing.T) {
	ev := recharge("tx_fc", "usr_fc", "+998901234567", t0, "10.00")
	ev.Beneficiary.Name = "Alisher Karimov"
	if err := engine.Validate(&ev); err != nil {
		t.Fatal(err)
	}
	f := engine.Features{PayerCount1h: 1, PayerCount24h: 1, PayerCount7d: 1}
	f.AmountUSD, f.PayerAmountUSD1h, f.PayerAmountUSD24h, f.PayerAmountUSD7d = ev.Amount.Value, ev.Amount.Value, ev.Amount.Value, ev.Amount.Value
	pol, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Allowed", func(t *testing.T) {
		s := &engine.Scorer{Policy: pol, Clock: fixedClock{t0}, Log: discard}
		if d := s.Score(context.Background(), &ev, &f); d.Outcome != engine.OutcomeAllow {
			t.Fatalf("baseline: %+v", d)
		}
	})
	t.Run("PolicyPanic", func(t *testing.T) {
		s := &engine.Scorer{Policy: panickingPolicy{}, Clock: fixedClock{t0}, Log: discard}
		d := s.Score(context.Background(), &ev, &f)
		if d.Outcome != engine.OutcomeReview || !hasReason(d, engine.ReasonPolicyError) || d.HoldID == "" {
			t.Fatalf("%+v", d)
		}
	})
	t.Run("ScreeningError", func(t *testing.T) {
		s := &engine.Scorer{Policy: pol, Screener: failingScreener{}, Clock: fixedClock{t0}, Log: discard}
		d := s.Score(context.Background(), &ev, &f)
		if d.Outcome != engine.OutcomeReview || !hasReason(d, engine.ReasonScreeningError) || d.HoldID == "" {
			t.Fatalf("%+v", d)
		}
	})
	for name, rego := range map[string]string{
		"UndefinedResult": "package qorovul\n\ndecision := {\"outcome\": \"allow\", \"score\": 0, \"reasons\": []} if { input.never_there }\n",
		"BuiltinError":    "package qorovul\n\ndecision := {\"outcome\": \"allow\", \"score\": to_number(\"x\"), \"reasons\": []}\n",
		"WrongShape":      "package qorovul\n\ndecision := \"allow\"\n",
	} {
		t.Run("PolicyError"+name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(rego), 0o644); err != nil {
				t.Fatal(err)
			}
			broken, err := rules.Load(os.DirFS(dir))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			s := &engine.Scorer{Policy: broken, Clock: fixedClock{t0}, Log: discard}
			d := s.Score(context.Background(), &ev, &f)
			if d.Outcome != engine.OutcomeReview || !hasReason(d, engine.ReasonPolicyError) || d.PolicyVersion != broken.Version() {
				t.Fatalf("%+v", d)
			}
		})
	}
}
