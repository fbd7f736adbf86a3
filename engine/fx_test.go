package engine_test

import (
	"testing"

	"github.com/qorovul/qorovul/engine"
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
