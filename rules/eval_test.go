package rules_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/qorovul/qorovul/rules"
)

// input returns typicalInput (an allowed recharge) changed by edit.
func input(edit func(in *rules.Input)) *rules.Input {
	in := typicalInput()
	if edit != nil {
		edit(in)
	}
	return in
}

func codes(res rules.Result) []string {
	out := make([]string, len(res.Reasons))
	for i, r := range res.Reasons {
		out[i] = r.Code
	}
	return out
}

func ofacHit(score float64) rules.SanctionsHit {
	return rules.SanctionsHit{List: "ofac_sdn", EntryID: "35283", Name: "USMANOV, Alisher Burhanovich", Field: "beneficiary.name", Score: score}
}

func TestEval(t *testing.T) {
	policy := mustDefault(t)
	tests := []struct {
		name    string
		in      *rules.Input
		outcome string
		score   int
		codes   []string // in result order
		message string   // of the first reason, if set
	}{
		{
			name:    "TypicalRechargeAllowed",
			in:      input(nil),
			outcome: rules.OutcomeAllow,
		},
		{
			name:    "VelocityPayerCount1h",
			in:      input(func(in *rules.Input) { in.Features.PayerCount1h = 11 }),
			outcome: rules.OutcomeReview, score: 30,
			codes:   []string{"velocity_payer_count_1h"},
			message: "payer made 11 payments in 1h (limit 10)",
		},
		{
			name:    "VelocityPayerCount1hAtLimit",
			in:      input(func(in *rules.Input) { in.Features.PayerCount1h = 10 }),
			outcome: rules.OutcomeAllow,
		},
		{
			name:    "VelocityPayerAmount24h",
			in:      input(func(in *rules.Input) { in.Features.PayerAmountUSD24h = "1000.50" }),
			outcome: rules.OutcomeReview, score: 35,
			codes:   []string{"velocity_payer_amount_24h"},
			message: "payer sent 1000.50 USD in 24h (limit 1000 USD)",
		},
		{
			name:    "VelocityPayerAmount24hAtLimit",
			in:      input(func(in *rules.Input) { in.Features.PayerAmountUSD24h = "1000.00" }),
			outcome: rules.OutcomeAllow,
		},
		{
			name:    "MSISDNSpreadSixthNumber",
			in:      input(func(in *rules.Input) { in.Features.PayerDistinctMSISDN24h = 9 }),
			outcome: rules.OutcomeReview, score: 40,
			codes:   []string{"msisdn_spread_24h"},
			message: "payer topped up 9 distinct numbers in 24h (limit 5)",
		},
		{
			name:    "MSISDNSpreadFifthNumber",
			in:      input(func(in *rules.Input) { in.Features.PayerDistinctMSISDN24h = 5 }),
			outcome: rules.OutcomeAllow,
		},
		{
			name:    "MSISDNFanIn",
			in:      input(func(in *rules.Input) { in.Features.MSISDNDistinctPayers24h = 4 }),
			outcome: rules.OutcomeReview, score: 35,
			codes:   []string{"msisdn_fan_in_24h"},
			message: "number was paid by 4 distinct payers in 24h (limit 3)",
		},
		{
			name:    "InstrumentShared",
			in:      input(func(in *rules.Input) { in.Features.InstrumentDistinctPayers24h = 4 }),
			outcome: rules.OutcomeReview, score: 40,
			codes:   []string{"instrument_shared"},
			message: "instrument was used by 4 distinct payers in 24h (limit 3)",
		},
		{
			name:    "AmountOverLimit",
			in:      input(func(in *rules.Input) { in.Event.AmountUSD = "500.01" }),
			outcome: rules.OutcomeReview, score: 30,
			codes:   []string{"amount_over_limit"},
			message: "amount 500.01 USD is over the single-payment limit of 500 USD",
		},
		{
			name:    "AmountAtLimit",
			in:      input(func(in *rules.Input) { in.Event.AmountUSD = "500.00" }),
			outcome: rules.OutcomeAllow,
		},
		{
			name:    "CountryMismatchBIN",
			in:      input(func(in *rules.Input) { in.Event.BINCountry = "RU" }),
			outcome: rules.OutcomeReview, score: 20,
			codes:   []string{"country_mismatch"},
			message: "card issued in RU but payer is in US",
		},
		{
			name:    "CountryMismatchIgnoresCase",
			in:      input(func(in *rules.Input) { in.Event.BINCountry = "us" }),
			outcome: rules.OutcomeAllow,
		},
		{
			name:    "CountryMismatchDestination",
			in:      input(func(in *rules.Input) { in.Event.DestinationCountry = "TJ" }),
			outcome: rules.OutcomeReview, score: 20,
			codes:   []string{"country_mismatch"},
			message: "number is in UZ but destination country is TJ",
		},
		{
			name:    "UnknownBINCountryIsNoMismatch",
			in:      input(func(in *rules.Input) { in.Event.BINCountry = "" }),
			outcome: rules.OutcomeAllow,
		},
		{
			name:    "OperatorPrefixMismatch",
			in:      input(func(in *rules.Input) { in.Event.DestinationOperator = "Ucell" }),
			outcome: rules.OutcomeReview, score: 10,
			codes:   []string{"operator_prefix_mismatch"},
			message: "number prefix +998 90 belongs to beeline but destination operator is ucell",
		},
		{
			name: "OperatorTajikistan",
			in: input(func(in *rules.Input) {
				in.Event.MSISDN, in.Event.DestinationCountry, in.Event.DestinationOperator = "+992931234567", "TJ", "tcell"
			}),
			outcome: rules.OutcomeAllow,
		},
		{
			name: "OperatorTajikistanMismatch",
			in: input(func(in *rules.Input) {
				in.Event.MSISDN, in.Event.DestinationCountry, in.Event.DestinationOperator = "+992931234567", "TJ", "megafon"
			}),
			outcome: rules.OutcomeReview, score: 10,
			codes:   []string{"operator_prefix_mismatch"},
			message: "number prefix +992 93 belongs to tcell but destination operator is megafon",
		},
		{
			name: "OperatorUzbekFourDigitRange",
			in: input(func(in *rules.Input) {
				in.Event.MSISDN, in.Event.DestinationOperator = "+998615012345", "beeline"
			}),
			outcome: rules.OutcomeReview, score: 10,
			codes:   []string{"operator_prefix_mismatch"},
			message: "number prefix +998 6150 belongs to mobiuz but destination operator is beeline",
		},
		{
			name: "NumberOutsideThePlanIsNoSignal",
			in: input(func(in *rules.Input) {
				in.Event.MSISDN, in.Event.DestinationCountry, in.Event.DestinationOperator = "+12025550123", "US", "verizon"
			}),
			outcome: rules.OutcomeAllow,
		},
		{
			name: "OperatorAlias",
			in: input(func(in *rules.Input) {
				in.Event.MSISDN, in.Event.DestinationCountry, in.Event.DestinationOperator = "+992918123456", "TJ", "ZET-Mobile"
			}),
			outcome: rules.OutcomeAllow,
		},
		{
			name: "SanctionsMatch",
			in: input(func(in *rules.Input) {
				in.Sanctions = []rules.SanctionsHit{ofacHit(0.93), ofacHit(0.86), ofacHit(0.97)}
			}),
			outcome: rules.OutcomeDeny, score: 100,
			codes:   []string{"sanctions_match"},
			message: `beneficiary.name matches ofac_sdn entry 35283 "USMANOV, Alisher Burhanovich" (score 0.97) and 1 more`,
		},
		{
			name:    "SanctionsPossibleMatch",
			in:      input(func(in *rules.Input) { in.Sanctions = []rules.SanctionsHit{ofacHit(0.88)} }),
			outcome: rules.OutcomeReview, score: 60,
			codes:   []string{"sanctions_possible_match"},
			message: `beneficiary.name matches ofac_sdn entry 35283 "USMANOV, Alisher Burhanovich" (score 0.88)`,
		},
		{
			name:    "SanctionsBelowThreshold",
			in:      input(func(in *rules.Input) { in.Sanctions = []rules.SanctionsHit{ofacHit(0.5)} }),
			outcome: rules.OutcomeAllow,
		},
		{
			name:    "ConsentMissing",
			in:      input(func(in *rules.Input) { in.ConsentMissing = true }),
			outcome: rules.OutcomeReview, score: 50,
			codes: []string{"consent_missing"},
		},
		{
			name:    "WindowSaturated",
			in:      input(func(in *rules.Input) { in.Features.Saturated = true }),
			outcome: rules.OutcomeReview, score: 20,
			codes:   []string{"window_saturated"},
			message: "payer window is saturated: counts are lower bounds",
		},
		{
			name: "DenyFirstThenWeightScoreCapped",
			in: input(func(in *rules.Input) {
				in.Features.PayerCount1h = 20
				in.Features.PayerDistinctMSISDN24h = 8
				in.ConsentMissing = true
				in.Sanctions = []rules.SanctionsHit{ofacHit(1)}
			}),
			outcome: rules.OutcomeDeny, score: 100,
			codes: []string{"sanctions_match", "consent_missing", "msisdn_spread_24h", "velocity_payer_count_1h"},
		},
		{
			name: "ScoresAddUp",
			in: input(func(in *rules.Input) {
				in.Features.PayerCount1h = 11
				in.Event.DestinationOperator = "ucell"
			}),
			outcome: rules.OutcomeReview, score: 40,
			codes: []string{"velocity_payer_count_1h", "operator_prefix_mismatch"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := policy.Eval(context.Background(), tt.in)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if res.Outcome != tt.outcome || res.Score != tt.score {
				t.Errorf("got %s/%d, want %s/%d (reasons %v)", res.Outcome, res.Score, tt.outcome, tt.score, res.Reasons)
			}
			if got := codes(res); !slices.Equal(got, tt.codes) && !(len(got) == 0 && len(tt.codes) == 0) {
				t.Errorf("codes %v, want %v", got, tt.codes)
			}
			if tt.message != "" && (len(res.Reasons) == 0 || res.Reasons[0].Message != tt.message) {
				t.Errorf("reasons %v, want first message %q", res.Reasons, tt.message)
			}
		})
	}
}

func TestEvalRejectsBadInput(t *testing.T) {
	policy := mustDefault(t)
	tests := []struct {
		name string
		in   *rules.Input
	}{
		{"Nil", nil},
		{"AmountUSDEmpty", input(func(in *rules.Input) { in.Event.AmountUSD = "" })},
		{"AmountUSDFloatText", input(func(in *rules.Input) { in.Event.AmountUSD = "1e3" })},
		{"AmountNotDecimal", input(func(in *rules.Input) { in.Event.Amount = "ten" })},
		{"FeatureAmountEmpty", input(func(in *rules.Input) { in.Features.PayerAmountUSD24h = "" })},
		{"FeatureAmountJunk", input(func(in *rules.Input) { in.Features.PayerAmountUSD7d = "12.5.1" })},
		{"SanctionsScoreNaN", input(func(in *rules.Input) { in.Sanctions = []rules.SanctionsHit{ofacHit(math.NaN())} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := policy.Eval(context.Background(), tt.in)
			if err == nil {
				t.Fatalf("Eval = %+v, want an error", res)
			}
		})
	}
}

func TestEvalCancelledContext(t *testing.T) {
	policy := mustDefault(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := policy.Eval(ctx, typicalInput())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Eval with cancelled context: %v, want context.Canceled", err)
	}
}

// One Policy serves many goroutines; each gets the answer for its input.
func TestEvalConcurrent(t *testing.T) {
	policy := mustDefault(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				spread := (g + i) % 9
				res, err := policy.Eval(context.Background(), input(func(in *rules.Input) {
					in.Features.PayerDistinctMSISDN24h = spread
				}))
				if err != nil {
					errs <- err
					return
				}
				want := rules.OutcomeAllow
				if spread > 5 {
					want = rules.OutcomeReview
				}
				if res.Outcome != want {
					errs <- errors.New("spread " + strings.Repeat("|", spread) + ": outcome " + res.Outcome + ", want " + want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
