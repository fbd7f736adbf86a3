package rules_test

import (
	"context"
	"testing"

	"github.com/qorovul/qorovul/internal/benchmeter"
	"github.com/qorovul/qorovul/rules"
)

// typicalInput is the common case: a small recharge from a known payer with
// some history, no sanctions hits, consent on record. The policy allows it.
func typicalInput() *rules.Input {
	return &rules.Input{
		Event: rules.Event{
			ID: "tx_92f1", Source: "upay", Kind: "recharge", Status: "created",
			PayerID: "usr_18429", PayerCountry: "US", KYCLevel: "L1",
			InstrumentType: "card", InstrumentBrand: "visa", BINCountry: "US", InstrumentToken: "tok_8a1c",
			MSISDN: "+998901234567", DestinationCountry: "UZ", DestinationOperator: "beeline",
			Amount: "10.00", Currency: "USD", AmountUSD: "10.00",
		},
		Features: rules.Features{
			PayerCount1h: 1, PayerCount24h: 3, PayerCount7d: 8,
			PayerAmountUSD1h: "10.00", PayerAmountUSD24h: "45.50", PayerAmountUSD7d: "120.00",
			PayerDistinctMSISDN24h: 2, PayerDistinctMSISDN7d: 3,
			MSISDNDistinctPayers24h: 1, InstrumentDistinctPayers24h: 1,
		},
	}
}

func BenchmarkEval(b *testing.B) {
	policy := mustDefault(b)
	in := typicalInput()
	ctx := context.Background()
	check := func(res rules.Result, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if res.Outcome != rules.OutcomeAllow {
			b.Fatalf("outcome %s, want allow", res.Outcome)
		}
	}
	b.Run("Serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			check(policy.Eval(ctx, in))
		}
	})
	// For comparison: an event with two reasons (messages are formatted).
	b.Run("SerialReview", func(b *testing.B) {
		in := typicalInput()
		in.Features.PayerDistinctMSISDN24h = 9
		in.Event.DestinationOperator = "ucell"
		b.ReportAllocs()
		for b.Loop() {
			res, err := policy.Eval(ctx, in)
			if err != nil || res.Outcome != rules.OutcomeReview {
				b.Fatalf("Eval = %+v, %v; want review", res, err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		m := benchmeter.Start(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				check(policy.Eval(ctx, in))
			}
		})
		m.Report(b, b.N, "eval")
	})
}

func mustDefault(tb testing.TB) *rules.Policy {
	tb.Helper()
	p, err := rules.Default()
	if err != nil {
		tb.Fatalf("Default: %v", err)
	}
	return p
}
