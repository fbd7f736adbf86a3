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

// TestScorerSwapPolicy: while the policy is swapped back and forth, every
// decision takes its outcome and its policy_version from the same policy.
func TestScorerSwapPolicy(t *testing.T) {
	load := func(outcome string) *rules.Policy {
		t.Helper()
		dir := t.TempDir()
		rego := "package qorovul\n\ndecision := {\"outcome\": \"allow\", \"score\": 0, \"reasons\": set()}\n"
		if outcome == "review" {
			rego = "package qorovul\n\ndecision := {\"outcome\": \"review\", \"score\": 10, \"reasons\": {{\"code\": \"amount_over_limit\", \"message\": \"m\", \"severity\": \"review\", \"weight\": 10}}}\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(rego), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := rules.Load(os.DirFS(dir))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	allow, review := load("allow"), load("review")
	outcomeOf := map[string]string{allow.Version(): engine.OutcomeAllow, review.Version(): engine.OutcomeReview}
	s := &engine.Scorer{Policy: allow, Clock: fixedClock{t0}, Log: discard}
	if old := s.SwapPolicy(review); old != allow {
		t.Fatalf("SwapPolicy returned %v, want the policy it replaced", old)
	}
	s.SwapPolicy(allow)

	ev := recharge("tx_swap", "usr_swap", "+998901234567", t0, "10.00")
	if err := engine.Validate(&ev); err != nil {
		t.Fatal(err)
	}
	f := engine.Features{PayerCount1h: 1}
	stop, swapped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(swapped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				s.SwapPolicy(review)
			} else {
				s.SwapPolicy(allow)
			}
		}
	}()
	seen := map[string]int{}
	for range 2000 {
		d := s.Score(context.Background(), &ev, &f)
		if want := outcomeOf[d.PolicyVersion]; d.Outcome != want {
			t.Fatalf("outcome %s under policy %s, whose outcome is %q", d.Outcome, d.PolicyVersion, want)
		}
		seen[d.Outcome]++
	}
	close(stop)
	<-swapped
	if seen[engine.OutcomeAllow] == 0 || seen[engine.OutcomeReview] == 0 {
		t.Fatalf("outcomes %v: the swaps did not interleave with the scoring", seen)
	}
}
