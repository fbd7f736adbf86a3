package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"github.com/open-policy-agent/opa/v1/ast"
)

// Field names of the policy input (documented in policy/qorovul.rego).
var (
	topFields = [...]string{"event", "features", "sanctions", "consent_missing"}

	eventStringFields = [...]string{
		"id", "source", "kind", "status",
		"payer_id", "payer_country", "kyc_level",
		"instrument_type", "instrument_brand", "bin_country", "instrument_token",
		"msisdn", "destination_country", "destination_operator", "currency",
		"msisdn_calling_code", "msisdn_national",
	}
	eventNumberFields = [...]string{"amount", "amount_usd"}

	featureFields = [...]string{
		"payer_count_1h", "payer_count_24h", "payer_count_7d",
		"payer_amount_usd_1h", "payer_amount_usd_24h", "payer_amount_usd_7d",
		"payer_distinct_msisdn_24h", "payer_distinct_msisdn_7d",
		"msisdn_distinct_payers_24h", "instrument_distinct_payers_24h",
		"window_saturated",
	}

	hitFields = [...]string{"list", "entry_id", "name", "field", "score"}
)

// keyTerms holds the key terms of the input and decision objects, made once
// per Policy and shared (read-only) by every evaluation, so that building an
// input allocates only its values and reading a decision nothing.
type keyTerms struct {
	top      [len(topFields)]*ast.Term
	strings  [len(eventStringFields)]*ast.Term
	numbers  [len(eventNumberFields)]*ast.Term
	features [len(featureFields)]*ast.Term
	hit      [len(hitFields)]*ast.Term

	// Keys of the decision object and of its reasons (result.go).
	outcome, score, reasons         *ast.Term
	code, message, severity, weight *ast.Term
}

func newKeyTerms() *keyTerms {
	k := &keyTerms{}
	fill := func(dst []*ast.Term, names []string) {
		for i, n := range names {
			dst[i] = ast.StringTerm(n)
		}
	}
	fill(k.top[:], topFields[:])
	fill(k.strings[:], eventStringFields[:])
	fill(k.numbers[:], eventNumberFields[:])
	fill(k.features[:], featureFields[:])
	fill(k.hit[:], hitFields[:])
	k.outcome, k.score, k.reasons = ast.StringTerm("outcome"), ast.StringTerm("score"), ast.StringTerm("reasons")
	k.code, k.message = ast.StringTerm("code"), ast.StringTerm("message")
	k.severity, k.weight = ast.StringTerm("severity"), ast.StringTerm("weight")
	return k
}

// build turns in into the OPA input value directly as AST terms: no JSON
// round trip, no reflection. Amounts become numbers carrying the exact
// decimal text (json.Number), never floats. Empty event strings are left out
// (unknown); country codes are upper-cased and the operator id lower-cased.
func (k *keyTerms) build(in *Input) (ast.Value, error) {
	event, err := k.event(&in.Event)
	if err != nil {
		return nil, err
	}
	features, err := k.featuresObject(&in.Features)
	if err != nil {
		return nil, err
	}
	sanctions, err := k.sanctions(in.Sanctions)
	if err != nil {
		return nil, err
	}
	var terms [3]ast.Term
	terms[0].Value, terms[1].Value, terms[2].Value = event, features, sanctions
	return ast.NewObject(
		[2]*ast.Term{k.top[0], &terms[0]},
		[2]*ast.Term{k.top[1], &terms[1]},
		[2]*ast.Term{k.top[2], &terms[2]},
		[2]*ast.Term{k.top[3], ast.InternedTerm(in.ConsentMissing)},
	), nil
}

func (k *keyTerms) event(e *Event) (ast.Object, error) {
	if !isDecimal(e.AmountUSD) {
		return nil, fmt.Errorf("event amount_usd %q is not a decimal", e.AmountUSD)
	}
	if e.Amount != "" && !isDecimal(e.Amount) {
		return nil, fmt.Errorf("event amount %q is not a decimal", e.Amount)
	}
	code, national, _ := SplitE164(e.MSISDN)
	values := [len(eventStringFields) + len(eventNumberFields)]string{
		e.ID, e.Source, e.Kind, e.Status,
		e.PayerID, strings.ToUpper(e.PayerCountry), e.KYCLevel,
		e.InstrumentType, e.InstrumentBrand, strings.ToUpper(e.BINCountry), e.InstrumentToken,
		e.MSISDN, strings.ToUpper(e.DestinationCountry), strings.ToLower(e.DestinationOperator), e.Currency,
		code, national,
		e.Amount, e.AmountUSD,
	}
	var terms [len(values)]ast.Term
	var items [len(values)][2]*ast.Term
	n := 0
	for i, v := range values {
		if v == "" {
			continue
		}
		if i < len(eventStringFields) {
			terms[n].Value = ast.String(v)
			items[n] = [2]*ast.Term{k.strings[i], &terms[n]}
		} else {
			terms[n].Value = ast.Number(v)
			items[n] = [2]*ast.Term{k.numbers[i-len(eventStringFields)], &terms[n]}
		}
		n++
	}
	return ast.NewObject(items[:n]...), nil
}

func (k *keyTerms) featuresObject(f *Features) (ast.Object, error) {
	amounts := [...]string{f.PayerAmountUSD1h, f.PayerAmountUSD24h, f.PayerAmountUSD7d}
	var terms [len(amounts)]ast.Term
	for i, a := range amounts {
		if !isDecimal(a) {
			return nil, fmt.Errorf("feature %s %q is not a decimal", featureFields[3+i], a)
		}
		terms[i].Value = ast.Number(a)
	}
	kf := &k.features
	return ast.NewObject(
		[2]*ast.Term{kf[0], ast.InternedTerm(f.PayerCount1h)},
		[2]*ast.Term{kf[1], ast.InternedTerm(f.PayerCount24h)},
		[2]*ast.Term{kf[2], ast.InternedTerm(f.PayerCount7d)},
		[2]*ast.Term{kf[3], &terms[0]},
		[2]*ast.Term{kf[4], &terms[1]},
		[2]*ast.Term{kf[5], &terms[2]},
		[2]*ast.Term{kf[6], ast.InternedTerm(f.PayerDistinctMSISDN24h)},
		[2]*ast.Term{kf[7], ast.InternedTerm(f.PayerDistinctMSISDN7d)},
		[2]*ast.Term{kf[8], ast.InternedTerm(f.MSISDNDistinctPayers24h)},
		[2]*ast.Term{kf[9], ast.InternedTerm(f.InstrumentDistinctPayers24h)},
		[2]*ast.Term{kf[10], ast.InternedTerm(f.Saturated)},
	), nil
}

func (k *keyTerms) sanctions(hits []SanctionsHit) (*ast.Array, error) {
	if len(hits) == 0 {
		return ast.NewArray(), nil
	}
	elems := make([]*ast.Term, len(hits))
	for i, h := range hits {
		if math.IsNaN(h.Score) || math.IsInf(h.Score, 0) {
			return nil, fmt.Errorf("sanctions hit %s/%s score is %v", h.List, h.EntryID, h.Score)
		}
		elems[i] = ast.ObjectTerm(
			[2]*ast.Term{k.hit[0], ast.StringTerm(h.List)},
			[2]*ast.Term{k.hit[1], ast.StringTerm(h.EntryID)},
			[2]*ast.Term{k.hit[2], ast.StringTerm(h.Name)},
			[2]*ast.Term{k.hit[3], ast.StringTerm(h.Field)},
			[2]*ast.Term{k.hit[4], ast.NumberTerm(json.Number(strconv.FormatFloat(h.Score, 'f', -1, 64)))},
		)
	}
	return ast.NewArray(elems...), nil
}

// SplitE164 splits an E.164 number ("+998901234567") into its country
// calling code ("998") and national number ("901234567"), as libphonenumber
// knows the calling codes. Calling codes are prefix-free, so the first known
// one is the only one. ok is false unless s is "+", a known calling code and
// at least one more digit. The policy input carries both parts, and the
// engine's E.164 check splits numbers with it too.
func SplitE164(s string) (code, national string, ok bool) {
	if len(s) < 3 || s[0] != '+' || !allDigits(s[1:]) {
		return "", "", false
	}
	known := phonenumbers.GetSupportedCallingCodes()
	c := 0
	for n := 1; n <= 3 && n+1 < len(s); n++ {
		c = c*10 + int(s[n]-'0')
		if known[c] {
			return s[1 : n+1], s[n+1:], true
		}
	}
	return "", "", false
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
