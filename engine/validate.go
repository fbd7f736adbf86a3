package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/nyaruka/phonenumbers"
	"github.com/qorovul/qorovul/rules"
	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// Limits on the sizes of free-text fields of an event.
const (
	maxNameLen  = 256
	maxShortLen = 128
	// maxAmountDigits bounds the integer digits of an amount (a trillion).
	maxAmountDigits = 12
	// maxAmountScale bounds the decimal places of an amount.
	maxAmountScale = 8
)

// Statuses a payment can be in.
var knownStatuses = map[string]bool{
	"": true, "created": true, "pending": true, "sent": true, "delivered": true, "completed": true,
	"declined": true, "failed": true, "refunded": true, "reversed": true,
}

// fieldErrors collects every problem of an input before it is reported.
type fieldErrors []FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "invalid event", Fields: f}
}

// wireEvent is the event as it arrives: times and decimals are kept raw so
// that every malformed one is reported at once instead of aborting decoding.
type wireEvent struct {
	ID          string         `json:"id"`
	Source      string         `json:"source"`
	Kind        string         `json:"kind"`
	Status      string         `json:"status"`
	OccurredAt  jsontext.Value `json:"occurred_at"`
	Payer       Payer          `json:"payer"`
	Instrument  *Instrument    `json:"instrument"`
	Beneficiary Beneficiary    `json:"beneficiary"`
	Destination *Destination   `json:"destination"`
	Amount      *wireMoney     `json:"amount"`
	AmountLocal *wireMoney     `json:"amount_local"`
	FXRate      jsontext.Value `json:"fx_rate"`
	DeviceID    string         `json:"device_id"`
}

type wireMoney struct {
	Value    jsontext.Value `json:"value"`
	Currency string         `json:"currency"`
}

// ParseEvent decodes a canonical event from JSON strictly (unknown fields
// are refused), normalises it and validates it. The error is an *Error with
// code EINVALID naming every bad field it could find.
func ParseEvent(body []byte) (Event, error) {
	var ev Event
	var w wireEvent
	if err := DecodeJSON(body, &w, true); err != nil {
		e := err.(*Error)
		e.Message = "invalid event"
		return ev, e
	}
	var fe fieldErrors
	ev.ID, ev.Source, ev.Kind, ev.Status = w.ID, w.Source, w.Kind, w.Status
	ev.Payer, ev.Instrument, ev.Beneficiary, ev.Destination, ev.DeviceID = w.Payer, w.Instrument, w.Beneficiary, w.Destination, w.DeviceID
	if len(w.OccurredAt) == 0 || string(w.OccurredAt) == "null" {
		fe.add("occurred_at", "is required")
	} else if t, ok := parseTime(w.OccurredAt); !ok {
		fe.add("occurred_at", "must be an RFC 3339 time string")
	} else {
		ev.OccurredAt = t
	}
	if w.Amount == nil {
		fe.add("amount", "is required")
	} else {
		ev.Amount = parseMoney(&fe, "amount", w.Amount)
	}
	if w.AmountLocal != nil {
		m := parseMoney(&fe, "amount_local", w.AmountLocal)
		ev.AmountLocal = &m
	}
	if len(w.FXRate) > 0 && string(w.FXRate) != "null" {
		if d, ok := parseDecimal(w.FXRate); !ok {
			fe.add("fx_rate", "must be a decimal number")
		} else {
			ev.FXRate = &d
		}
	}
	fe = append(fe, validate(&ev, true)...)
	// One scan of the raw body covers every field; only when it finds a
	// card number are the fields scanned again, to name the one.
	if hasCardNumber(body) {
		fe.add("body", "contains a full card number; send a token, BIN and last4 only")
		if f := cardNumberField(&ev); f != "" {
			fe.add(f, "contains a full card number; send a token, BIN and last4 only")
		}
	}
	return ev, fe.err()
}

func parseTime(raw jsontext.Value) (time.Time, bool) {
	s, ok := Unquote(raw)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// parseDecimal accepts a JSON string or number holding a finite decimal; it
// never goes through float.
func parseDecimal(raw jsontext.Value) (decimal.Decimal, bool) {
	s := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var ok bool
		if s, ok = Unquote(raw); !ok {
			return decimal.Decimal{}, false
		}
	}
	if s == "" || len(s) > 64 || strings.ContainsAny(s, "eE") {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil
}

func parseMoney(fe *fieldErrors, field string, w *wireMoney) Money {
	m := Money{Currency: w.Currency}
	if len(w.Value) == 0 || string(w.Value) == "null" {
		fe.add(field+".value", "is required")
	} else if d, ok := parseDecimal(w.Value); !ok || !d.IsPositive() {
		fe.add(field+".value", "must be a positive decimal")
	} else {
		m.Value = d
	}
	return m
}

// Validate normalises ev in place (MSISDN to E.164, country and currency
// codes to upper case) and checks it. Adapters that build events themselves
// call it; ParseEvent calls it too.
func Validate(ev *Event) error {
	return fieldErrors(validate(ev, false)).err()
}

// validate returns the problems of ev; fromWire says that ParseEvent already
// checked the presence and form of occurred_at and the amounts' values.
func validate(ev *Event, fromWire bool) fieldErrors {
	var fe fieldErrors
	switch {
	case ev.ID == "":
		fe.add("id", "is required")
	case len(ev.ID) > MaxEventIDLen:
		fe.add("id", "must be at most %d characters", MaxEventIDLen)
	case !printable(ev.ID):
		fe.add("id", "must be printable text without spaces")
	}
	switch ev.Source {
	case SourceAPI, SourceUpay, SourceAnjirpay, SourceUpmobile, SourceUzum, SourceTelecom:
	case "":
		fe.add("source", "is required")
	default:
		fe.add("source", "must be one of api, upay, anjirpay, upmobile, uzum, telecom")
	}
	switch ev.Kind {
	case KindRecharge, KindTransfer, KindBillPayment:
	case "":
		fe.add("kind", "is required")
	default:
		fe.add("kind", "must be one of recharge, transfer, bill_payment")
	}
	if !knownStatuses[ev.Status] {
		fe.add("status", "is not a known status")
	}
	if ev.OccurredAt.IsZero() && !fromWire {
		fe.add("occurred_at", "is required")
	}
	ev.OccurredAt = ev.OccurredAt.UTC()
	checkText(&fe, "payer.id", ev.Payer.ID, maxShortLen, true)
	checkText(&fe, "payer.name", ev.Payer.Name, maxNameLen, false)
	checkCountry(&fe, "payer.country", &ev.Payer.Country)
	checkText(&fe, "payer.kyc_level", ev.Payer.KYCLevel, 16, false)
	if in := ev.Instrument; in != nil {
		checkText(&fe, "instrument.type", in.Type, 32, false)
		checkText(&fe, "instrument.brand", in.Brand, 32, false)
		if in.BIN != "" && (!allDigits(in.BIN) || len(in.BIN) < 6 || len(in.BIN) > 8) {
			fe.add("instrument.bin", "must be 6 to 8 digits")
		}
		if in.Last4 != "" && (!allDigits(in.Last4) || len(in.Last4) != 4) {
			fe.add("instrument.last4", "must be 4 digits")
		}
		checkCountry(&fe, "instrument.bin_country", &in.BINCountry)
		checkText(&fe, "instrument.token", in.Token, maxShortLen, false)
	}
	b := &ev.Beneficiary
	if b.MSISDN == "" && b.CardMasked == "" && b.Account == "" {
		fe.add("beneficiary", "needs at least one of msisdn, card_masked, account")
	}
	if b.MSISDN != "" {
		region := ""
		if ev.Destination != nil {
			region = strings.ToUpper(ev.Destination.Country)
		}
		if n, ok := NormalizeMSISDN(b.MSISDN, region); ok {
			b.MSISDN = n
		} else {
			fe.add("beneficiary.msisdn", "must be a phone number in E.164 form, e.g. +998901234567")
		}
	}
	checkText(&fe, "beneficiary.name", b.Name, maxNameLen, false)
	checkText(&fe, "beneficiary.card_masked", b.CardMasked, 32, false)
	checkText(&fe, "beneficiary.account", b.Account, maxShortLen, false)
	if d := ev.Destination; d != nil {
		checkCountry(&fe, "destination.country", &d.Country)
		checkText(&fe, "destination.operator", d.Operator, 32, false)
		d.Operator = strings.ToLower(d.Operator)
	}
	checkMoney(&fe, "amount", &ev.Amount, fromWire)
	if ev.AmountLocal != nil {
		checkMoney(&fe, "amount_local", ev.AmountLocal, fromWire)
	}
	if ev.FXRate != nil && !ev.FXRate.IsPositive() {
		fe.add("fx_rate", "must be a positive decimal")
	}
	checkText(&fe, "device_id", ev.DeviceID, maxShortLen, false)
	if fromWire {
		// ParseEvent scans the raw body instead.
	} else if f := cardNumberField(ev); f != "" {
		fe.add(f, "contains a full card number; send a token, BIN and last4 only")
	}
	return fe
}

func checkText(fe *fieldErrors, field, s string, max int, required bool) {
	switch {
	case s == "" && required:
		fe.add(field, "is required")
	case len(s) > max:
		fe.add(field, "must be at most %d bytes", max)
	case !utf8.ValidString(s):
		fe.add(field, "must be valid UTF-8")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		fe.add(field, "must not contain control characters")
	}
}

func checkCountry(fe *fieldErrors, field string, c *string) {
	if *c == "" {
		return
	}
	if len(*c) != 2 {
		fe.add(field, "must be an ISO 3166-1 alpha-2 country code")
		return
	}
	r, err := language.ParseRegion(*c)
	if err != nil || !r.IsCountry() {
		fe.add(field, "must be an ISO 3166-1 alpha-2 country code")
		return
	}
	*c = r.String()
}

// checkMoney checks m; valueChecked skips the positivity check that the
// wire decoding made already.
func checkMoney(fe *fieldErrors, field string, m *Money, valueChecked bool) {
	switch {
	case m.Value.IsZero() && valueChecked:
	case !m.Value.IsPositive():
		fe.add(field+".value", "must be a positive decimal")
	case m.Value.Exponent() < -maxAmountScale:
		fe.add(field+".value", "must have at most %d decimal places", maxAmountScale)
	case len(m.Value.Truncate(0).String()) > maxAmountDigits:
		fe.add(field+".value", "must be below 10^%d", maxAmountDigits)
	}
	if !ValidCurrency(m.Currency) {
		fe.add(field+".currency", "must be an ISO 4217 currency code, e.g. USD")
	}
}

// ValidCurrency reports whether code is an upper-case ISO 4217 code of a
// real currency.
func ValidCurrency(code string) bool {
	if len(code) != 3 || strings.ToUpper(code) != code || code[0] == 'X' && code != "XOF" && code != "XAF" && code != "XCD" && code != "XPF" {
		return false
	}
	_, err := currency.ParseISO(code)
	return err == nil
}

// NormalizeMSISDN returns s as an E.164 number ("+998901234567"). Spaces,
// dashes and brackets are ignored; a number without "+" is read as
// international first and, failing that, as national in region.
func NormalizeMSISDN(s, region string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	t := strings.TrimSpace(s)
	if e, ok := fastE164(t); ok {
		return e, true
	}
	if e, ok := fastInternational(t, region); ok {
		return e, true
	}
	return normalizeMSISDN(t, region)
}

// normalizeMSISDN is NormalizeMSISDN through libphonenumber's parser.
func normalizeMSISDN(t, region string) (string, bool) {
	parse := func(text, region string) (*phonenumbers.PhoneNumber, bool) {
		n, err := phonenumbers.Parse(text, region)
		return n, err == nil && phonenumbers.IsPossibleNumber(n)
	}
	e164 := func(n *phonenumbers.PhoneNumber) string { return phonenumbers.Format(n, phonenumbers.E164) }
	switch {
	case strings.HasPrefix(t, "+"):
	case strings.HasPrefix(t, "00"):
		t = "+" + t[2:]
	default:
		// Without a "+": a valid national number of the destination
		// region wins, then the digits read as international.
		if region != "" {
			if n, ok := parse(t, region); ok && phonenumbers.IsValidNumber(n) {
				return e164(n), true
			}
		}
		if t != "" && t[0] >= '1' && t[0] <= '9' {
			if n, ok := parse("+"+t, ""); ok {
				return e164(n), true
			}
		}
		if region == "" {
			return "", false
		}
		n, ok := parse(t, region)
		if !ok {
			return "", false
		}
		return e164(n), true
	}
	n, ok := parse(t, "")
	if !ok {
		return "", false
	}
	return e164(n), true
}

// fastInternational is the fast path for the common number written
// without "+" that begins with the calling code of its destination region
// ("998901234567" to UZ) and is too long to be one of that region's
// national numbers. The parser then reads it as the calling code and the
// rest, whatever the region's number patterns say, so the answer is that of
// "+" and the digits. ok is false when the slow path must decide: when the
// rest begins with the region's national prefix, which the parser may strip,
// and for every region but the corridors' destinations, whose national
// prefix rules TestFastInternationalAgreesWithParser checks against the
// parser (in some regions the parser rewrites the rest by rules of their
// own: Brazil's carrier codes, Norfolk Island's transform).
func fastInternational(t, region string) (string, bool) {
	switch region {
	case "UZ", "TJ", "KG":
	default:
		return "", false
	}
	if len(t) < 7 || len(t) > 15 || !allDigits(t) {
		return "", false
	}
	cc := phonenumbers.GetCountryCodeForRegion(region)
	if cc == 0 {
		return "", false
	}
	code := strconv.Itoa(cc)
	rest, ok := strings.CutPrefix(t, code)
	if !ok {
		return "", false
	}
	if ndd := phonenumbers.GetNddPrefixForRegion(region, true); ndd != "" && strings.HasPrefix(rest, ndd) {
		return "", false
	}
	whole, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		return "", false
	}
	c := int32(cc)
	if phonenumbers.IsPossibleNumberWithReason(&phonenumbers.PhoneNumber{CountryCode: &c, NationalNumber: &whole}) != phonenumbers.TOO_LONG {
		return "", false
	}
	return fastE164("+" + t)
}

// fastE164 checks a number already written in E.164 ("+" and digits)
// without libphonenumber's parser, which is regular-expression heavy: it
// splits off the calling code and asks the same possibility question of
// the metadata. ok is false when the slow path must decide (it then gives
// the same answer).
func fastE164(t string) (string, bool) {
	if len(t) < 8 || len(t) > 16 || t[0] != '+' || t[1] == '0' || !allDigits(t[1:]) {
		return "", false
	}
	code, national, ok := rules.SplitE164(t)
	if !ok || national[0] == '0' {
		return "", false // no known calling code, or a national number with a leading zero: the parser knows
	}
	cc, _ := strconv.Atoi(code)
	nn, err := strconv.ParseUint(national, 10, 64)
	if err != nil {
		return "", false
	}
	c := int32(cc)
	return t, phonenumbers.IsPossibleNumber(&phonenumbers.PhoneNumber{CountryCode: &c, NationalNumber: &nn})
}

func printable(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || !unicode.IsPrint(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
