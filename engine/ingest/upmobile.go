package ingest

import (
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/qorovul/qorovul/engine"
	"github.com/shopspring/decimal"
)

// upmobileOperation is an Upmobile operation: a withdrawal from a
// crypto-funded account that pays a mobile top-up, a game account or a
// crypto wallet. breakdown splits amount into its parts (principal, fee…).
type upmobileOperation struct {
	ID            jsontext.Value `json:"id"`
	Type          string         `json:"type"`          // withdrawal
	CategoryCode  string         `json:"category_code"` // mobile, game, crypto
	Amount        jsontext.Value `json:"amount"`
	CurrencyCode  string         `json:"currency_code"` // RUB, USD
	Destination   string         `json:"destination"`   // "+7…", a game account or a wallet
	OperatorCode  string         `json:"operator_code"` // "mts_ru", "beeline_uz", "steam"
	Status        string         `json:"status"`
	FromAccountID jsontext.Value `json:"from_account_id"`
	CreatedAt     jsontext.Value `json:"created_at"` // Unix seconds or RFC 3339
	Breakdown     []upmobilePart `json:"breakdown"`
}

type upmobilePart struct {
	Type   string         `json:"type"`
	Amount jsontext.Value `json:"amount"`
}

func decodeUpmobile(r Record) (engine.Event, error) {
	var op upmobileOperation
	if err := decodeObject(engine.SourceUpmobile, r.Body, &op); err != nil {
		return engine.Event{}, err
	}
	var p problems
	ev := engine.Event{Source: engine.SourceUpmobile}
	ev.ID = ns(engine.SourceUpmobile, p.id("id", op.ID))
	switch t := strings.ToLower(strings.TrimSpace(op.Type)); t {
	case "withdrawal":
	case "":
		p.add("type", "is required")
	default:
		p.add("type", "must be withdrawal: a %s moves no value out and is not scored", t)
	}
	switch s := strings.ToLower(strings.TrimSpace(op.Status)); s {
	case "new", "created":
		ev.Status = engine.StatusCreated
	case "pending", "processing":
		ev.Status = engine.StatusPending
	case "success", "done", "completed":
		ev.Status = engine.StatusCompleted
	case "error", "failed":
		ev.Status = engine.StatusFailed
	case "canceled", "cancelled", "rejected":
		ev.Status = engine.StatusDeclined
	case "refunded":
		ev.Status = engine.StatusRefunded
	default:
		p.add("status", "must be one of new, processing, success, error, canceled, refunded")
	}
	ev.OccurredAt = p.when("created_at", op.CreatedAt, true)
	ev.Payer.ID = p.payer(engine.SourceUpmobile, r, "from_account_id", p.optID("from_account_id", op.FromAccountID))

	dest := p.required("destination", op.Destination, 128)
	operator, country := operatorID(p.text("operator_code", op.OperatorCode, 64))
	switch c := strings.ToLower(strings.TrimSpace(op.CategoryCode)); c {
	case "mobile":
		ev.Kind = engine.KindRecharge
		ev.Beneficiary.MSISDN = dest
		if operator != "" || country != "" {
			ev.Destination = &engine.Destination{Country: country, Operator: operator}
		}
	case "game":
		ev.Kind = engine.KindBillPayment
		if dest != "" {
			ev.Beneficiary.Account = ns(operator, dest)
		}
	case "crypto":
		ev.Kind = engine.KindTransfer
		ev.Beneficiary.Account = dest
	case "":
		p.add("category_code", "is required")
	default:
		p.add("category_code", "must be one of mobile, game, crypto")
	}

	amount := p.amount("amount", op.Amount)
	ev.Amount = engine.Money{Value: amount}
	switch c := strings.ToUpper(strings.TrimSpace(op.CurrencyCode)); c {
	case "RUB", "USD":
		ev.Amount.Currency = c
	case "":
		p.add("currency_code", "is required")
	default:
		p.add("currency_code", "must be RUB or USD")
	}
	if len(op.Breakdown) > 0 {
		var sum decimal.Decimal
		ok := true
		for i, part := range op.Breakdown {
			field := "breakdown[" + strconv.Itoa(i) + "].amount"
			d, good := decimalOf(part.Amount)
			if !good || d.IsNegative() {
				p.add(field, "must be a non-negative decimal")
				ok = false
				continue
			}
			sum = sum.Add(d)
		}
		if ok && amount.IsPositive() && !sum.Equal(amount) {
			p.add("breakdown", "parts add up to %s, but amount is %s", sum, amount)
		}
	}
	return ev, p.err(engine.SourceUpmobile)
}
