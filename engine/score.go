package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"

	"github.com/qorovul/qorovul/rules"
)

// Policy is what the scorer needs of the rules package.
type Policy interface {
	Eval(ctx context.Context, in *rules.Input) (rules.Result, error)
	Version() string
}

// NameScreener screens one name against the sanctions lists and returns the
// matches at or above its review threshold, best first. Implementations must
// be safe for concurrent use.
type NameScreener interface {
	ScreenName(name string) ([]SanctionsMatch, error)
	Version() string
}

// Scorer turns an event and its features into a decision. It never fails
// open: a policy error gives review with policy_error, a screening error
// review with screening_error.
type Scorer struct {
	Policy   Policy
	Screener NameScreener // optional: nil screens nothing
	Clock    Clock
	Log      *slog.Logger

	swapped atomic.Pointer[policyBox] // set by SwapPolicy; wins over Policy
}

type policyBox struct{ p Policy }

// SwapPolicy makes p the policy of every decision scored from now on and
// returns the one it replaces. Decisions being scored keep the policy they
// began with: each takes its policy_version and its result from the same
// one.
func (s *Scorer) SwapPolicy(p Policy) Policy {
	old := s.policy()
	s.swapped.Store(&policyBox{p})
	return old
}

func (s *Scorer) policy() Policy {
	if b := s.swapped.Load(); b != nil {
		return b.p
	}
	return s.Policy
}

// evalPolicy is Policy.Eval with a panic turned into an error, so that a
// fault in the policy engine holds the payment for review (policy_error)
// instead of stopping the service.
func (s *Scorer) evalPolicy(ctx context.Context, pol Policy, in *rules.Input, eventID string) (res rules.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.Log.Error("policy evaluation panicked", "event_id", eventID, "panic", v, "stack", string(debug.Stack()))
			res, err = rules.Result{}, fmt.Errorf("policy evaluation panicked: %v", v)
		}
	}()
	return pol.Eval(ctx, in)
}

// Score decides ev given its features.
func (s *Scorer) Score(ctx context.Context, ev *Event, f *Features) Decision {
	return s.score(ctx, ev, f, DecisionID(ev.ID))
}

// score is Score with the event's decision id, which the pipeline has
// already derived.
func (s *Scorer) score(ctx context.Context, ev *Event, f *Features, decisionID string) Decision {
	d := Decision{
		DecisionID: decisionID,
		EventID:    ev.ID,
		Features:   *f,
		CreatedAt:  s.Clock.Now().UTC(),
	}
	in := rules.Input{Event: ruleEvent(ev, f), Features: ruleFeatures(f)}
	screenErr := false
	if s.Screener != nil {
		d.ListsVersion = s.Screener.Version()
		for _, field := range [2]struct{ name, value string }{{"payer.name", ev.Payer.Name}, {"beneficiary.name", ev.Beneficiary.Name}} {
			if field.value == "" {
				continue
			}
			ms, err := s.Screener.ScreenName(field.value)
			if err != nil {
				s.Log.Error("screening failed", "event_id", ev.ID, "field", field.name, "err", err)
				screenErr = true
				continue
			}
			for _, m := range ms {
				m.Field, m.Query = field.name, field.value
				d.Sanctions = append(d.Sanctions, m)
				in.Sanctions = append(in.Sanctions, rules.SanctionsHit{List: m.List, EntryID: m.EntryID, Name: m.Name, Field: m.Field, Score: m.Score})
			}
		}
	}
	pol := s.policy()
	d.PolicyVersion = pol.Version()
	res, err := s.evalPolicy(ctx, pol, &in, ev.ID)
	if err != nil {
		s.Log.Error("policy evaluation failed", "event_id", ev.ID, "err", err)
		d.Outcome, d.Score = OutcomeReview, 100
		d.Reasons = []Reason{{Code: ReasonPolicyError, Message: "the policy could not be evaluated; held for review"}}
	} else {
		d.Outcome, d.Score = res.Outcome, res.Score
		d.Reasons = make([]Reason, 0, len(res.Reasons)+1)
		for _, r := range res.Reasons {
			d.Reasons = append(d.Reasons, Reason{Code: r.Code, Message: r.Message})
		}
	}
	if screenErr {
		if d.Outcome == OutcomeAllow {
			d.Outcome = OutcomeReview
		}
		d.Reasons = append(d.Reasons, Reason{Code: ReasonScreeningError, Message: "sanctions screening failed; held for review"})
	}
	if d.Outcome == OutcomeReview {
		d.HoldID = HoldID(ev.ID)
	}
	return d
}

func ruleEvent(ev *Event, f *Features) rules.Event {
	r := rules.Event{
		ID: ev.ID, Source: ev.Source, Kind: ev.Kind, Status: ev.Status,
		PayerID: ev.Payer.ID, PayerCountry: ev.Payer.Country, KYCLevel: ev.Payer.KYCLevel,
		MSISDN: ev.Beneficiary.MSISDN,
		Amount: decimalString(ev.Amount.Value), Currency: ev.Amount.Currency,
		AmountUSD: decimalString(f.AmountUSD),
	}
	if in := ev.Instrument; in != nil {
		r.InstrumentType, r.InstrumentBrand, r.BINCountry, r.InstrumentToken = in.Type, in.Brand, in.BINCountry, in.Token
	}
	if d := ev.Destination; d != nil {
		r.DestinationCountry, r.DestinationOperator = d.Country, d.Operator
	}
	return r
}

func ruleFeatures(f *Features) rules.Features {
	return rules.Features{
		PayerCount1h: f.PayerCount1h, PayerCount24h: f.PayerCount24h, PayerCount7d: f.PayerCount7d,
		PayerAmountUSD1h: decimalString(f.PayerAmountUSD1h), PayerAmountUSD24h: decimalString(f.PayerAmountUSD24h),
		PayerAmountUSD7d:       decimalString(f.PayerAmountUSD7d),
		PayerDistinctMSISDN24h: f.PayerDistinctMSISDN24h, PayerDistinctMSISDN7d: f.PayerDistinctMSISDN7d,
		MSISDNDistinctPayers24h: f.MSISDNDistinctPayers24h, InstrumentDistinctPayers24h: f.InstrumentDistinctPayers24h,
		Saturated: f.Saturated,
	}
}

// DecisionID is derived from the event id, so that one event id has one
// decision id however often it is decided (a replay into a fresh store
// included).
func DecisionID(eventID string) string { return "dec_" + idHash("decision", eventID) }

// HoldID is the id of the hold a review decision creates.
func HoldID(eventID string) string { return "hold_" + idHash("hold", eventID) }

func idHash(kind, id string) string {
	var buf [128]byte
	b := append(append(append(buf[:0], kind...), 0), id...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}
