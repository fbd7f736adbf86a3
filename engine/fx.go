package engine

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"

	"github.com/shopspring/decimal"
)

//go:embed fxrates.json
var defaultRatesJSON []byte

// Rates is a table of units of each currency per one US dollar, used to put
// amounts on one scale for the amount windows.
type Rates struct {
	AsOf  string                     `json:"as_of"`
	Note  string                     `json:"note,omitempty"`
	Rates map[string]decimal.Decimal `json:"rates"`
}

// DefaultRates returns the indicative table shipped with Qorovul.
func DefaultRates() Rates {
	r, err := ParseRates(defaultRatesJSON)
	if err != nil {
		panic("engine: shipped fxrates.json is broken: " + err.Error())
	}
	return r
}

// ParseRates reads a rate table from JSON ({"as_of": …, "rates": {"RUB": "81.0"}}).
func ParseRates(b []byte) (Rates, error) {
	var r Rates
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("parse fx rates: %w", err)
	}
	if len(r.Rates) == 0 {
		return r, fmt.Errorf("parse fx rates: no rates")
	}
	for c, v := range r.Rates {
		if !ValidCurrency(c) {
			return r, fmt.Errorf("parse fx rates: %q is not an ISO 4217 code", c)
		}
		if !v.IsPositive() {
			return r, fmt.Errorf("parse fx rates: rate of %s must be positive", c)
		}
	}
	return r, nil
}

var usdScale = decimal.New(1, 6)

// AmountUSD returns the event's amount in US dollars: the amount itself when
// it is in USD, else amount_local when that is in USD (the event's own
// conversion at its fx_rate), else the amount divided by the table's rate,
// rounded to a millionth of a dollar. A currency missing from the table is
// an EINVALID error on amount.currency: guessing would fail open.
func (r Rates) AmountUSD(ev *Event) (decimal.Decimal, error) {
	a := ev.Amount
	switch {
	case a.Currency == "USD":
		return a.Value, nil
	case ev.AmountLocal != nil && ev.AmountLocal.Currency == "USD":
		return ev.AmountLocal.Value, nil
	}
	rate, ok := r.Rates[a.Currency]
	if !ok {
		return decimal.Decimal{}, &Error{Code: EINVALID, Message: "invalid event",
			Fields: []FieldError{{Field: "amount.currency", Problem: "has no USD rate configured"}}}
	}
	return a.Value.DivRound(rate, 6), nil
}

// microUSD converts a dollar amount to whole millionths of a dollar.
func microUSD(d decimal.Decimal) int64 {
	// An amount with at most six decimals whose micro-dollars have at
	// most 18 digits is scaled in int64 arithmetic, exactly; anything else
	// (more decimals to round, or too large) through math/big.
	if shift := int(d.Exponent()) + 6; shift >= 0 && d.NumDigits()+shift <= 18 {
		m := d.CoefficientInt64()
		for range shift {
			m *= 10
		}
		return m
	}
	m := d.Mul(usdScale).Round(0)
	// Past the int64 range IntPart would wrap: an amount of more than
	// nine trillion dollars (only a custom rate table can make one) counts
	// as the largest there is.
	switch {
	case m.GreaterThan(maxMicroUSD):
		return math.MaxInt64
	case m.LessThan(minMicroUSD):
		return math.MinInt64
	}
	return m.IntPart()
}

var (
	maxMicroUSD = decimal.NewFromInt(math.MaxInt64)
	minMicroUSD = decimal.NewFromInt(math.MinInt64)
)

// fromMicroUSD is the inverse of microUSD.
func fromMicroUSD(m int64) decimal.Decimal {
	return decimal.New(m, -6)
}
