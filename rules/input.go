package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Field names of the policy input (see policy/qorovul.rego).
const (
	keyEvent          = "event"
	keyFeatures       = "features"
	keySanctions      = "sanctions"
	keyConsentMissing = "consent_missing"
)

// buildInput turns in into the OPA input value directly as AST terms: no
// JSON round trip, no reflection. Amounts become numbers with the exact
// decimal text (json.Number), never floats. Empty event strings are left out
// (unknown), country codes are upper-cased and the operator id lower-cased.
func buildInput(in *Input) (ast.Value, error) {
	event, err := eventObject(&in.Event)
	if err != nil {
		return nil, err
	}
	features, err := featuresObject(&in.Features)
	if err != nil {
		return nil, err
	}
	sanctions, err := sanctionsArray(in.Sanctions)
	if err != nil {
		return nil, err
	}
	return ast.NewObject(
		[2]*ast.Term{ast.InternedTerm(keyEvent), ast.NewTerm(event)},
		[2]*ast.Term{ast.InternedTerm(keyFeatures), ast.NewTerm(features)},
		[2]*ast.Term{ast.InternedTerm(keySanctions), ast.NewTerm(sanctions)},
		[2]*ast.Term{ast.InternedTerm(keyConsentMissing), ast.InternedTerm(in.ConsentMissing)},
	), nil
}

func eventObject(e *Event) (ast.Object, error) {
	if !isDecimal(e.AmountUSD) {
		return nil, fmt.Errorf("event amount_usd %q is not a decimal", e.AmountUSD)
	}
	if e.Amount != "" && !isDecimal(e.Amount) {
		return nil, fmt.Errorf("event amount %q is not a decimal", e.Amount)
	}
	fields := [...]struct {
		key, value string
	}{
		{"id", e.ID},
		{"source", e.Source},
		{"kind", e.Kind},
		{"status", e.Status},
		{"payer_id", e.PayerID},
		{"payer_country", strings.ToUpper(e.PayerCountry)},
		{"kyc_level", e.KYCLevel},
		{"instrument_type", e.InstrumentType},
		{"instrument_brand", e.InstrumentBrand},
		{"bin_country", strings.ToUpper(e.BINCountry)},
		{"instrument_token", e.InstrumentToken},
		{"msisdn", e.MSISDN},
		{"destination_country", strings.ToUpper(e.DestinationCountry)},
		{"destination_operator", strings.ToLower(e.DestinationOperator)},
		{"currency", e.Currency},
	}
	items := make([][2]*ast.Term, 0, len(fields)+2)
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		items = append(items, [2]*ast.Term{ast.InternedTerm(f.key), ast.StringTerm(f.value)})
	}
	if e.Amount != "" {
		items = append(items, [2]*ast.Term{ast.InternedTerm("amount"), ast.NumberTerm(json.Number(e.Amount))})
	}
	items = append(items, [2]*ast.Term{ast.InternedTerm("amount_usd"), ast.NumberTerm(json.Number(e.AmountUSD))})
	return ast.NewObject(items...), nil
}

func featuresObject(f *Features) (ast.Object, error) {
	amounts := [...]struct {
		key, value string
	}{
		{"payer_amount_usd_1h", f.PayerAmountUSD1h},
		{"payer_amount_usd_24h", f.PayerAmountUSD24h},
		{"payer_amount_usd_7d", f.PayerAmountUSD7d},
	}
	for _, a := range amounts {
		if !isDecimal(a.value) {
			return nil, fmt.Errorf("feature %s %q is not a decimal", a.key, a.value)
		}
	}
	return ast.NewObject(
		[2]*ast.Term{ast.InternedTerm("payer_count_1h"), ast.InternedTerm(f.PayerCount1h)},
		[2]*ast.Term{ast.InternedTerm("payer_count_24h"), ast.InternedTerm(f.PayerCount24h)},
		[2]*ast.Term{ast.InternedTerm("payer_count_7d"), ast.InternedTerm(f.PayerCount7d)},
		[2]*ast.Term{ast.InternedTerm(amounts[0].key), ast.NumberTerm(json.Number(amounts[0].value))},
		[2]*ast.Term{ast.InternedTerm(amounts[1].key), ast.NumberTerm(json.Number(amounts[1].value))},
		[2]*ast.Term{ast.InternedTerm(amounts[2].key), ast.NumberTerm(json.Number(amounts[2].value))},
		[2]*ast.Term{ast.InternedTerm("payer_distinct_msisdn_24h"), ast.InternedTerm(f.PayerDistinctMSISDN24h)},
		[2]*ast.Term{ast.InternedTerm("payer_distinct_msisdn_7d"), ast.InternedTerm(f.PayerDistinctMSISDN7d)},
		[2]*ast.Term{ast.InternedTerm("msisdn_distinct_payers_24h"), ast.InternedTerm(f.MSISDNDistinctPayers24h)},
		[2]*ast.Term{ast.InternedTerm("instrument_distinct_payers_24h"), ast.InternedTerm(f.InstrumentDistinctPayers24h)},
		[2]*ast.Term{ast.InternedTerm("window_saturated"), ast.InternedTerm(f.Saturated)},
	), nil
}

func sanctionsArray(hits []SanctionsHit) (*ast.Array, error) {
	arr := ast.NewArrayWithCapacity(len(hits))
	for _, h := range hits {
		if math.IsNaN(h.Score) || math.IsInf(h.Score, 0) {
			return nil, fmt.Errorf("sanctions hit %s/%s score is %v", h.List, h.EntryID, h.Score)
		}
		arr = arr.Append(ast.ObjectTerm(
			[2]*ast.Term{ast.InternedTerm("list"), ast.StringTerm(h.List)},
			[2]*ast.Term{ast.InternedTerm("entry_id"), ast.StringTerm(h.EntryID)},
			[2]*ast.Term{ast.InternedTerm("name"), ast.StringTerm(h.Name)},
			[2]*ast.Term{ast.InternedTerm("field"), ast.StringTerm(h.Field)},
			[2]*ast.Term{ast.InternedTerm("score"), ast.NumberTerm(json.Number(strconv.FormatFloat(h.Score, 'f', -1, 64)))},
		))
	}
	return arr, nil
}

// isDecimal reports whether s is a plain decimal number: an optional minus,
// digits, and optionally a point followed by digits ("10", "-0.50").
func isDecimal(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if !allDigits(intPart) {
		return false
	}
	return !hasPoint || allDigits(frac)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
