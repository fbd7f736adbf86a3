package ingest

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/qorovul/qorovul/engine"
	"github.com/shopspring/decimal"
)

// The Uzum Bank Merchant API webhooks, named by their paths.
const (
	UzumCheck   = "check"
	UzumCreate  = "create"
	UzumConfirm = "confirm"
	UzumReverse = "reverse"
	UzumStatus  = "status"
)

// UzumRequest is the body of one Uzum Bank Merchant API webhook. The bank
// calls /check before a payment, /create to open the transaction, /confirm
// once it has debited the customer, /reverse to cancel, and /status (up to
// ten times) when a call failed.
type UzumRequest struct {
	Method    string    // one of the Uzum* constants
	ServiceID int64     // the partner's service
	Timestamp time.Time // when the bank sent the request
	TransID   string    // lower-case UUID; every method but check
	// Params are the payment details the customer entered; "account" is
	// always there (check, create).
	Params map[string]string
	Amount decimal.Decimal // in UZS: the tiyin sent divided by 100 (create)
	// Confirm only.
	PaymentSource             string // UZCARD, HUMO…
	Tariff                    string
	ProcessingReferenceNumber string
	Phone                     string // the customer's phone
}

// Account returns params.account.
func (q UzumRequest) Account() string { return q.Params["account"] }

type uzumWire struct {
	ServiceID                 jsontext.Value            `json:"serviceId"`
	Timestamp                 jsontext.Value            `json:"timestamp"`
	TransID                   jsontext.Value            `json:"transId"`
	Params                    map[string]jsontext.Value `json:"params"`
	Amount                    jsontext.Value            `json:"amount"`
	PaymentSource             string                    `json:"paymentSource"`
	Tariff                    string                    `json:"tariff"`
	ProcessingReferenceNumber string                    `json:"processingReferenceNumber"`
	Phone                     string                    `json:"phone"`
}

// maxTiyinDigits bounds an amount in tiyin (10^16 tiyin is 10^14 UZS).
const maxTiyinDigits = 16

// ParseUzum reads the body of the Uzum webhook method (check, create,
// confirm, reverse or status; a leading "/" is ignored). Errors are
// *engine.Error with code EINVALID naming the field.
func ParseUzum(method string, body []byte) (UzumRequest, error) {
	q := UzumRequest{Method: strings.ToLower(strings.TrimPrefix(strings.TrimSpace(method), "/"))}
	switch q.Method {
	case UzumCheck, UzumCreate, UzumConfirm, UzumReverse, UzumStatus:
	case "":
		return UzumRequest{}, invalid(engine.SourceUzum, HeaderUzumMethod, "is required: one of check, create, confirm, reverse, status")
	default:
		return UzumRequest{}, invalid(engine.SourceUzum, HeaderUzumMethod, "must be one of check, create, confirm, reverse, status")
	}
	var w uzumWire
	if err := decodeObject(engine.SourceUzum, body, &w); err != nil {
		return UzumRequest{}, err
	}
	var p problems
	if s, quoted, ok := token(w.ServiceID); absent(w.ServiceID) {
		p.add("serviceId", "is required")
	} else if n, good := integer(s); !ok || quoted || !good || n <= 0 {
		p.add("serviceId", "must be a positive integer")
	} else {
		q.ServiceID = n
	}
	if absent(w.Timestamp) {
		p.add("timestamp", "is required")
	} else if t, ok := unixMillis(w.Timestamp); !ok {
		p.add("timestamp", "must be Unix milliseconds between 2000 and 2100")
	} else {
		q.Timestamp = t
	}
	if q.Method != UzumCheck {
		if id, ok := engine.Unquote(w.TransID); absent(w.TransID) {
			p.add("transId", "is required")
		} else if !ok || !isUUID(id) {
			p.add("transId", "must be a UUID string")
		} else {
			q.TransID = strings.ToLower(id)
		}
	}
	if q.Method == UzumCheck || q.Method == UzumCreate {
		q.Params = make(map[string]string, len(w.Params))
		for k, raw := range w.Params {
			s, _, ok := token(raw)
			if !ok {
				p.add("params."+k, "must be a string or a number")
				continue
			}
			q.Params[k] = p.text("params."+k, s, 128)
		}
		if q.Params["account"] == "" {
			p.add("params.account", "is required")
		}
	}
	if q.Method == UzumCreate {
		q.Amount = p.tiyin("amount", w.Amount)
	}
	if q.Method == UzumConfirm {
		q.PaymentSource = p.text("paymentSource", w.PaymentSource, 32)
		q.Tariff = p.text("tariff", w.Tariff, 64)
		q.ProcessingReferenceNumber = p.text("processingReferenceNumber", w.ProcessingReferenceNumber, 64)
		q.Phone = p.text("phone", w.Phone, 32)
	}
	if err := p.err(engine.SourceUzum); err != nil {
		return UzumRequest{}, err
	}
	return q, nil
}

// tiyin reads a positive whole number of tiyin and returns it in UZS.
func (p *problems) tiyin(field string, raw jsontext.Value) decimal.Decimal {
	s, _, ok := token(raw)
	switch {
	case absent(raw):
		p.add(field, "is required")
	case !ok || !isDigits(strings.TrimSpace(s)) || len(s) > maxTiyinDigits:
		p.add(field, "must be a whole number of tiyin (1/100 UZS), at most %d digits", maxTiyinDigits)
	default:
		n, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil || !n.IsPositive() {
			p.add(field, "must be a positive whole number of tiyin")
			break
		}
		return n.Shift(-2)
	}
	return decimal.Decimal{}
}

// decodeUzum maps /create to a new event and /confirm and /reverse to
// status-only events (see StatusOnly); /check and /status move nothing.
func decodeUzum(r Record) (engine.Event, error) {
	q, err := ParseUzum(r.Header(HeaderUzumMethod), r.Body)
	if err != nil {
		return engine.Event{}, err
	}
	ev := engine.Event{ID: ns(engine.SourceUzum, q.TransID), Source: engine.SourceUzum, OccurredAt: q.Timestamp}
	switch q.Method {
	case UzumConfirm:
		ev.Status = engine.StatusCompleted
		return ev, nil
	case UzumReverse:
		ev.Status = engine.StatusReversed
		return ev, nil
	case UzumCheck, UzumStatus:
		return engine.Event{}, invalid(engine.SourceUzum, HeaderUzumMethod, q.Method+" is a query, not a payment event")
	}
	var p problems
	ev.Status = engine.StatusCreated
	ev.Payer.ID = p.payer(engine.SourceUzum, r, "", "")
	ev.Amount = engine.Money{Value: q.Amount, Currency: "UZS"}
	ev.Destination = &engine.Destination{Country: "UZ"}
	if msisdn, ok := uzPhone(q.Account()); ok {
		ev.Kind = engine.KindRecharge
		ev.Beneficiary.MSISDN = msisdn
	} else {
		ev.Kind = engine.KindBillPayment
		ev.Beneficiary.Account = "uzum-service-" + strconv.FormatInt(q.ServiceID, 10) + ":" + q.Account()
	}
	return ev, p.err(engine.SourceUzum)
}

// uzPhone reports whether an account is an Uzbek mobile number, national
// ("901234567") or international ("998901234567", "+998 90 123 45 67"), and
// returns it with its country code.
func uzPhone(account string) (string, bool) {
	d := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, account)
	d = strings.TrimPrefix(d, "+")
	if len(d) == 12 && strings.HasPrefix(d, "998") {
		d = d[3:]
	}
	if len(d) != 9 || !isDigits(d) {
		return "", false
	}
	switch d[:2] {
	case "20", "33", "50", "55", "77", "88", "90", "91", "93", "94", "95", "97", "98", "99":
		return "+998" + d, true
	}
	return "", false
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
