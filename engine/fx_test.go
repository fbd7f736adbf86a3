package engine_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/shopspring/decimal"
)

func TestParseRates(t *testing.T) {
	if r := engine.DefaultRates(); !r.Rates["UZS"].IsPositive() || r.AsOf == "" {
		t.Fatalf("shipped table: %+v", r)
	}
	for name, body := range map[string]string{
		"ErrTypo":         `{"as_of": "2026-11-01", "rate": {"RUB": "81"}}`,
		"ErrEmpty":        `{"as_of": "2026-11-01", "rates": {}}`,
		"ErrNotCurrency":  `{"rates": {"RUBLE": "81"}}`,
		"ErrNotPositive":  `{"rates": {"RUB": "0"}}`,
		"ErrFloatNotJSON": `{"rates": {"RUB": 8e1x}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := engine.ParseRates([]byte(body)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestMicroUSD: the int64 fast path gives what decimal arithmetic gives,
// rounding half away from zero past six decimals, and amounts past the
// int64 range stop at its bounds instead of wrapping.
func TestMicroUSD(t *testing.T) {
	usdScale := decimal.New(1, 6)
	want := func(d decimal.Decimal) int64 {
		m := d.Mul(usdScale).Round(0).BigInt()
		if m.IsInt64() {
			return m.Int64()
		}
		if m.Sign() > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	for s, w := range map[string]int64{"9223372036854.775807": math.MaxInt64, "9223372036854.775808": math.MaxInt64,
		"1e20": math.MaxInt64, "-9223372036854.775808": math.MinInt64, "-1e20": math.MinInt64} {
		if got := engine.MicroUSD(decimal.RequireFromString(s)); got != w {
			t.Errorf("MicroUSD(%s) = %d, want %d", s, got, w)
		}
	}
	for _, s := range []string{"0", "10.00", "-10.5", "0.000001", "0.0000005", "-0.0000005", "0.00000049",
		"123456789012.123456", "999999999999.999999", "1e3", "12.5e-3", "9223372036.854775807"} {
		d := decimal.RequireFromString(s)
		if got := engine.MicroUSD(d); got != want(d) {
			t.Errorf("MicroUSD(%s) = %d, want %d", s, got, want(d))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		d := decimal.New(r.Int64N(1e15)-5e14, int32(r.IntN(14))-10)
		if got := engine.MicroUSD(d); got != want(d) {
			t.Fatalf("MicroUSD(%s) = %d, want %d", d, got, want(d))
		}
	}
}
