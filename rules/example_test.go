package rules_test

import (
	"context"
	"fmt"

	"github.com/qorovul/qorovul/rules"
)

// A payer who topped up a sixth distinct number in 24 hours is held for review.
func Example() {
	policy, err := rules.Default()
	if err != nil {
		panic(err)
	}
	res, err := policy.Eval(context.Background(), &rules.Input{
		Event: rules.Event{
			ID: "tx_92f1", Source: "upay", Kind: "recharge", PayerID: "usr_18429",
			PayerCountry: "US", BINCountry: "US", MSISDN: "+998901234567",
			DestinationCountry: "UZ", DestinationOperator: "beeline",
			Amount: "10.00", Currency: "USD", AmountUSD: "10.00",
		},
		Features: rules.Features{
			PayerCount1h: 2, PayerCount24h: 6, PayerCount7d: 9,
			PayerAmountUSD1h: "20.00", PayerAmountUSD24h: "60.00", PayerAmountUSD7d: "90.00",
			PayerDistinctMSISDN24h: 6, PayerDistinctMSISDN7d: 6,
			MSISDNDistinctPayers24h: 1, InstrumentDistinctPayers24h: 1,
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Outcome, res.Score)
	for _, r := range res.Reasons {
		fmt.Printf("%s: %s\n", r.Code, r.Message)
	}
	// Output:
	// review 40
	// msisdn_spread_24h: payer topped up 6 distinct numbers in 24h (limit 5)
}
