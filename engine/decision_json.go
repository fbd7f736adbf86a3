package engine

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// AppendJSON appends d encoded as JSON, byte for byte what json.Marshal
// gives for it, without reflection: the pipeline encodes every decision
// once and stores, audits and returns those bytes. A sanctions score that
// is not a finite number is an error, as it is for json.Marshal.
func (d *Decision) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"decision_id":`...)
	dst = appendJSONString(dst, d.DecisionID)
	dst = append(dst, `,"event_id":`...)
	dst = appendJSONString(dst, d.EventID)
	dst = append(dst, `,"outcome":`...)
	dst = appendJSONString(dst, d.Outcome)
	dst = append(dst, `,"score":`...)
	dst = strconv.AppendInt(dst, int64(d.Score), 10)
	dst = append(dst, `,"reasons":`...)
	if d.Reasons == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, r := range d.Reasons {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"code":`...)
			dst = appendJSONString(dst, r.Code)
			dst = append(dst, `,"message":`...)
			dst = appendJSONString(dst, r.Message)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(d.Sanctions) > 0 {
		dst = append(dst, `,"sanctions":[`...)
		for i, m := range d.Sanctions {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"list":`...)
			dst = appendJSONString(dst, m.List)
			dst = append(dst, `,"entry_id":`...)
			dst = appendJSONString(dst, m.EntryID)
			dst = append(dst, `,"name":`...)
			dst = appendJSONString(dst, m.Name)
			dst = append(dst, `,"field":`...)
			dst = appendJSONString(dst, m.Field)
			dst = append(dst, `,"query":`...)
			dst = appendJSONString(dst, m.Query)
			dst = append(dst, `,"score":`...)
			var err error
			if dst, err = appendJSONFloat(dst, m.Score); err != nil {
				return dst, err
			}
			if m.Via != "" {
				dst = append(dst, `,"via":`...)
				dst = appendJSONString(dst, m.Via)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	f := &d.Features
	dst = append(dst, `,"features":{"amount_usd":`...)
	dst = appendJSONDecimal(dst, f.AmountUSD)
	dst = append(dst, `,"payer_count_1h":`...)
	dst = strconv.AppendInt(dst, int64(f.PayerCount1h), 10)
	dst = append(dst, `,"payer_count_24h":`...)
	dst = strconv.AppendInt(dst, int64(f.PayerCount24h), 10)
	dst = append(dst, `,"payer_count_7d":`...)
	dst = strconv.AppendInt(dst, int64(f.PayerCount7d), 10)
	dst = append(dst, `,"payer_amount_usd_1h":`...)
	dst = appendJSONDecimal(dst, f.PayerAmountUSD1h)
	dst = append(dst, `,"payer_amount_usd_24h":`...)
	dst = appendJSONDecimal(dst, f.PayerAmountUSD24h)
	dst = append(dst, `,"payer_amount_usd_7d":`...)
	dst = appendJSONDecimal(dst, f.PayerAmountUSD7d)
	dst = append(dst, `,"payer_distinct_msisdn_24h":`...)
	dst = strconv.AppendInt(dst, int64(f.PayerDistinctMSISDN24h), 10)
	dst = append(dst, `,"payer_distinct_msisdn_7d":`...)
	dst = strconv.AppendInt(dst, int64(f.PayerDistinctMSISDN7d), 10)
	dst = append(dst, `,"msisdn_distinct_payers_24h":`...)
	dst = strconv.AppendInt(dst, int64(f.MSISDNDistinctPayers24h), 10)
	dst = append(dst, `,"instrument_distinct_payers_24h":`...)
	dst = strconv.AppendInt(dst, int64(f.InstrumentDistinctPayers24h), 10)
	if f.Saturated {
		dst = append(dst, `,"window_saturated":true`...)
	}
	dst = append(dst, `},"policy_version":`...)
	dst = appendJSONString(dst, d.PolicyVersion)
	if d.ListsVersion != "" {
		dst = append(dst, `,"lists_version":`...)
		dst = appendJSONString(dst, d.ListsVersion)
	}
	if d.HoldID != "" {
		dst = append(dst, `,"hold_id":`...)
		dst = appendJSONString(dst, d.HoldID)
	}
	dst = append(dst, `,"created_at":`...)
	if y := d.CreatedAt.Year(); y < 0 || y > 9999 {
		return dst, fmt.Errorf("encode decision: created_at year %d outside [0,9999]", y)
	}
	dst = append(dst, '"')
	dst = d.CreatedAt.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `"}`...)
	return dst, nil
}

// appendJSONDecimal writes a decimal as shopspring/decimal's MarshalJSON
// does: its exact text, quoted.
func appendJSONDecimal(dst []byte, d decimal.Decimal) []byte {
	dst = append(dst, '"')
	dst = appendDecimal(dst, d)
	return append(dst, '"')
}

// appendDecimal writes d.String(). Amounts here have at most 18 digits
// and no positive exponent, so they are formatted from the int64
// coefficient instead of through math/big; anything else goes to String.
func appendDecimal(dst []byte, d decimal.Decimal) []byte {
	exp := int(d.Exponent())
	if exp > 0 || exp < -18 || d.NumDigits() > 18 {
		return append(dst, d.String()...)
	}
	c := d.CoefficientInt64()
	if c < 0 {
		dst = append(dst, '-')
	}
	var buf [20]byte
	digits := strconv.AppendUint(buf[:0], absInt64(c), 10)
	scale := -exp
	var intPart, frac []byte
	zeros := 0
	if len(digits) > scale {
		intPart, frac = digits[:len(digits)-scale], digits[len(digits)-scale:]
	} else {
		intPart, zeros, frac = []byte{'0'}, scale-len(digits), digits
	}
	if decimal.TrimTrailingZeros {
		for len(frac) > 0 && frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		if len(frac) == 0 {
			zeros = 0
		}
	}
	dst = append(dst, intPart...)
	if zeros+len(frac) > 0 {
		dst = append(dst, '.')
		for range zeros {
			dst = append(dst, '0')
		}
		dst = append(dst, frac...)
	}
	return dst
}

func absInt64(c int64) uint64 {
	if c < 0 {
		return uint64(-c) // -MinInt64 wraps to its own magnitude as uint64
	}
	return uint64(c)
}

// decimalString is d.String() by appendDecimal.
func decimalString(d decimal.Decimal) string {
	var buf [32]byte
	return string(appendDecimal(buf[:0], d))
}

// appendJSONFloat writes f as encoding/json does.
func appendJSONFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, fmt.Errorf("encode decision: unsupported score %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted as encoding/json does by default: with
// <, > and & escaped, invalid UTF-8 replaced by U+FFFD, and U+2028 and
// U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
