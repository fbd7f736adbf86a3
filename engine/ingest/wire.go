package ingest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/qorovul/qorovul/engine"
	"github.com/shopspring/decimal"
)

// Bounds on what a source may send.
const (
	// maxNumberLen bounds a decimal or integer token.
	maxNumberLen = 40
	// maxIDLen bounds a native id; the namespaced id must fit engine.MaxEventIDLen.
	maxIDLen = 100
)

// Times outside [2000-01-01, 2100-01-01) UTC are refused: they are almost
// always milliseconds sent as seconds or the other way round.
const (
	minUnix = 946684800
	maxUnix = 4102444800
)

// problems collects every bad field of one record before it is reported.
type problems []engine.FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, engine.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// err returns the collected problems as an EINVALID error, or nil.
func (p problems) err(source string) error {
	if len(p) == 0 {
		return nil
	}
	return &engine.Error{Code: engine.EINVALID, Message: "invalid " + source + " record", Fields: p}
}

func invalid(source, field, problem string) error {
	return &engine.Error{Code: engine.EINVALID, Message: "invalid " + source + " record",
		Fields: []engine.FieldError{{Field: field, Problem: problem}}}
}

// decodeObject decodes body, which must be exactly one JSON object, into v.
// Unknown fields are tolerated: sources add fields without notice.
func decodeObject(source string, body []byte, v any) error {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return invalid(source, "body", "is empty")
	}
	if b[0] != '{' {
		return invalid(source, "body", "must be a JSON object")
	}
	if err := engine.DecodeJSON(b, v, false); err != nil {
		e := err.(*engine.Error)
		e.Message = "invalid " + source + " record"
		return e
	}
	return nil
}

// absent reports whether a raw JSON value was left out or null.
func absent(raw jsontext.Value) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// token returns the text of a JSON string or number token and whether it was
// a string. Anything else (object, array, bool) gives ok false.
func token(raw jsontext.Value) (text string, quoted, ok bool) {
	if len(raw) == 0 {
		return "", false, false
	}
	if raw[0] == '"' {
		s, ok := engine.Unquote(raw)
		return s, true, ok
	}
	if raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' {
		return string(raw), false, true
	}
	return "", false, false
}

// decimalOf reads a decimal from a JSON string or number token, exactly:
// the digits go straight into the decimal, never through a float.
func decimalOf(raw jsontext.Value) (decimal.Decimal, bool) {
	s, _, ok := token(raw)
	s = strings.TrimSpace(s)
	if !ok || s == "" || len(s) > maxNumberLen || strings.ContainsAny(s, "eE_") {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil
}

// amount reads a required positive decimal.
func (p *problems) amount(field string, raw jsontext.Value) decimal.Decimal {
	if absent(raw) {
		p.add(field, "is required")
		return decimal.Decimal{}
	}
	d, ok := decimalOf(raw)
	if !ok || !d.IsPositive() {
		p.add(field, "must be a positive decimal, e.g. \"10.00\"")
		return decimal.Decimal{}
	}
	return d
}

// optAmount reads an optional positive decimal; nil when absent or bad.
func (p *problems) optAmount(field string, raw jsontext.Value) *decimal.Decimal {
	if absent(raw) {
		return nil
	}
	d := p.amount(field, raw)
	if !d.IsPositive() {
		return nil
	}
	return &d
}

// fee reads an optional non-negative decimal.
func (p *problems) fee(field string, raw jsontext.Value) {
	if absent(raw) {
		return
	}
	if d, ok := decimalOf(raw); !ok || d.IsNegative() {
		p.add(field, "must be a non-negative decimal")
	}
}

// id reads a required native id: a JSON string, or an integer number token
// (some sources number their records). It must be printable, without spaces.
func (p *problems) id(field string, raw jsontext.Value) string {
	if absent(raw) {
		p.add(field, "is required")
		return ""
	}
	s, quoted, ok := token(raw)
	switch {
	case !ok:
		p.add(field, "must be a string or an integer")
	case !quoted && !isDigits(s):
		p.add(field, "must be a string or an integer")
	case s == "":
		p.add(field, "is required")
	case len(s) > maxIDLen:
		p.add(field, "must be at most %d characters", maxIDLen)
	case !printable(s):
		p.add(field, "must be printable text without spaces")
	default:
		return s
	}
	return ""
}

// optID reads an optional native id; "" when absent or bad.
func (p *problems) optID(field string, raw jsontext.Value) string {
	if absent(raw) {
		return ""
	}
	return p.id(field, raw)
}

// text checks an optional free-text field.
func (p *problems) text(field, s string, max int) string {
	switch {
	case len(s) > max:
		p.add(field, "must be at most %d bytes", max)
	case !utf8.ValidString(s):
		p.add(field, "must be valid UTF-8")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		p.add(field, "must not contain control characters")
	default:
		return strings.TrimSpace(s)
	}
	return ""
}

// required checks a required free-text field.
func (p *problems) required(field, s string, max int) string {
	if strings.TrimSpace(s) == "" {
		p.add(field, "is required")
		return ""
	}
	return p.text(field, s, max)
}

// timeOf reads a time from an RFC 3339 string or an integer of Unix seconds.
func timeOf(raw jsontext.Value) (time.Time, bool) {
	s, quoted, ok := token(raw)
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	if quoted {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, false
		}
	} else {
		n, ok := integer(s)
		if !ok {
			return time.Time{}, false
		}
		t = time.Unix(n, 0)
	}
	return inRange(t)
}

// unixMillis reads an integer of Unix milliseconds.
func unixMillis(raw jsontext.Value) (time.Time, bool) {
	s, quoted, ok := token(raw)
	if !ok || quoted {
		return time.Time{}, false
	}
	n, ok := integer(s)
	if !ok {
		return time.Time{}, false
	}
	return inRange(time.UnixMilli(n))
}

func inRange(t time.Time) (time.Time, bool) {
	if t.Unix() < minUnix || t.Unix() >= maxUnix {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// when reads a time field; required says whether absence is a problem.
func (p *problems) when(field string, raw jsontext.Value, required bool) time.Time {
	if absent(raw) {
		if required {
			p.add(field, "is required")
		}
		return time.Time{}
	}
	t, ok := timeOf(raw)
	if !ok {
		p.add(field, "must be an RFC 3339 time or Unix seconds between 2000 and 2100")
	}
	return t
}

func integer(s string) (int64, bool) {
	if len(s) > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func printable(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || !unicode.IsPrint(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// currency checks an ISO 4217 code; the case is normalised to upper.
func (p *problems) currency(field, code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	switch {
	case c == "":
		p.add(field, "is required")
	case !engine.ValidCurrency(c):
		p.add(field, "must be an ISO 4217 currency code, e.g. UZS")
	default:
		return c
	}
	return ""
}

// country checks an optional ISO 3166-1 alpha-2 code.
func (p *problems) country(field, code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "" {
		return ""
	}
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		p.add(field, "must be an ISO 3166-1 alpha-2 country code, e.g. UZ")
		return ""
	}
	return c
}

// joinName joins the parts of a person's name that are present.
func joinName(parts ...string) string {
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}
