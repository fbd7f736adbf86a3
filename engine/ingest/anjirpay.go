package ingest

import (
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/qorovul/qorovul/engine"
)

// anjirTransfer is an AnjirPay card-to-card transfer: RUB card to an Uzcard,
// Humo or Visa card. Its status drifts after first sight: pending, then sent
// or declined.
type anjirTransfer struct {
	ID            jsontext.Value `json:"id"`
	CreatedAt     jsontext.Value `json:"created_at"`
	ClientID      jsontext.Value `json:"client_id"`
	AmountRUB     jsontext.Value `json:"amount_rub"`
	AmountUZS     jsontext.Value `json:"amount_uzs"`
	FXRate        jsontext.Value `json:"fx_rate"`
	FeeRUB        jsontext.Value `json:"fee_rub"`
	SourceMasked  string         `json:"source_masked"` // the payer's card
	DestScheme    string         `json:"dest_scheme"`   // uzcard, humo, visa
	DestMasked    string         `json:"dest_masked"`   // "8600 **** **** 1234"
	RecipientName string         `json:"recipient_name"`
	Status        string         `json:"status"`
}

// anjirService is an AnjirPay service payment: a mobile operator, a utility
// or another biller, paid by account.
type anjirService struct {
	ID        jsontext.Value `json:"id"`
	ClientID  jsontext.Value `json:"client_id"`
	Provider  string         `json:"provider"`
	Account   string         `json:"account"`
	Amount    jsontext.Value `json:"amount"`
	Currency  string         `json:"currency"` // RUB when left out
	Status    string         `json:"status"`
	CreatedAt jsontext.Value `json:"created_at"`
	PaidAt    jsontext.Value `json:"paid_at"`
}

// moscow is AnjirPay's local time for times without a zone; Moscow has kept
// UTC+3 all year since 2014.
func moscow() *time.Location { return time.FixedZone("MSK", 3*60*60) }

// decodeAnjirpay decodes a transfer or, when the body has a "provider", a
// service payment.
func decodeAnjirpay(r Record) (engine.Event, error) {
	var probe struct {
		Provider   jsontext.Value `json:"provider"`
		AmountRUB  jsontext.Value `json:"amount_rub"`
		DestScheme jsontext.Value `json:"dest_scheme"`
	}
	if err := decodeObject(engine.SourceAnjirpay, r.Body, &probe); err != nil {
		return engine.Event{}, err
	}
	var p problems
	var ev engine.Event
	switch {
	case probe.Provider != nil:
		var sp anjirService
		if err := decodeObject(engine.SourceAnjirpay, r.Body, &sp); err != nil {
			return engine.Event{}, err
		}
		ev = p.anjirService(r, &sp)
	case probe.AmountRUB != nil || probe.DestScheme != nil:
		var tr anjirTransfer
		if err := decodeObject(engine.SourceAnjirpay, r.Body, &tr); err != nil {
			return engine.Event{}, err
		}
		ev = p.anjirTransfer(r, &tr)
	default:
		return engine.Event{}, invalid(engine.SourceAnjirpay, "body",
			"is neither a transfer (amount_rub, dest_scheme) nor a service payment (provider, account)")
	}
	return ev, p.err(engine.SourceAnjirpay)
}

func (p *problems) anjirTransfer(r Record, tr *anjirTransfer) engine.Event {
	ev := engine.Event{Source: engine.SourceAnjirpay, Kind: engine.KindTransfer}
	ev.ID = ns(engine.SourceAnjirpay, p.id("id", tr.ID))
	ev.OccurredAt = p.anjirTime("created_at", tr.CreatedAt, true)
	switch s := strings.ToLower(strings.TrimSpace(tr.Status)); s {
	case engine.StatusPending, engine.StatusSent, engine.StatusDeclined:
		ev.Status = s
	default:
		p.add("status", "must be one of pending, sent, declined")
	}
	ev.Payer.ID = p.payer(engine.SourceAnjirpay, r, "client_id", p.optID("client_id", tr.ClientID))
	if s := strings.TrimSpace(tr.SourceMasked); s != "" {
		if m, problem := readCardMask(s); problem != "" {
			p.add("source_masked", "%s", problem)
		} else {
			ev.Instrument = &engine.Instrument{Type: "card", Brand: brandOf(m.lead), BIN: m.bin(), Last4: m.last4}
		}
	}

	scheme := strings.ToLower(strings.TrimSpace(tr.DestScheme))
	switch scheme {
	case "uzcard", "humo":
		ev.Destination = &engine.Destination{Country: "UZ"}
	case "visa": // issued anywhere
	case "":
		p.add("dest_scheme", "is required")
	default:
		p.add("dest_scheme", "must be one of uzcard, humo, visa")
		scheme = ""
	}
	if strings.TrimSpace(tr.DestMasked) == "" {
		p.add("dest_masked", "is required")
	} else if m, problem := readCardMask(tr.DestMasked); problem != "" {
		p.add("dest_masked", "%s", problem)
	} else {
		if b := brandOf(m.lead); b != "" && scheme != "" && b != scheme {
			p.add("dest_masked", "is a %s card but dest_scheme is %s", b, scheme)
		}
		ev.Beneficiary.CardMasked = m.String()
	}
	ev.Beneficiary.Name = p.text("recipient_name", tr.RecipientName, 256)

	ev.Amount = engine.Money{Value: p.amount("amount_rub", tr.AmountRUB), Currency: "RUB"}
	if v := p.optAmount("amount_uzs", tr.AmountUZS); v != nil {
		ev.AmountLocal = &engine.Money{Value: *v, Currency: "UZS"}
	}
	ev.FXRate = p.optAmount("fx_rate", tr.FXRate)
	p.fee("fee_rub", tr.FeeRUB)
	return ev
}

func (p *problems) anjirService(r Record, sp *anjirService) engine.Event {
	ev := engine.Event{Source: engine.SourceAnjirpay, Kind: engine.KindBillPayment}
	// Service payments are numbered apart from transfers.
	if id := p.id("id", sp.ID); id != "" {
		ev.ID = engine.SourceAnjirpay + ":service:" + id
	}
	switch s := strings.ToLower(strings.TrimSpace(sp.Status)); s {
	case "pending", "processing":
		ev.Status = engine.StatusPending
	case "paid", "success":
		ev.Status = engine.StatusCompleted
	case "failed":
		ev.Status = engine.StatusFailed
	case "refunded":
		ev.Status = engine.StatusRefunded
	default:
		p.add("status", "must be one of pending, paid, failed, refunded")
	}
	if !absent(sp.PaidAt) {
		ev.OccurredAt = p.anjirTime("paid_at", sp.PaidAt, true)
	} else if !absent(sp.CreatedAt) {
		ev.OccurredAt = p.anjirTime("created_at", sp.CreatedAt, true)
	} else {
		p.add("paid_at", "is required (or created_at while the payment is pending)")
	}
	ev.Payer.ID = p.payer(engine.SourceAnjirpay, r, "client_id", p.optID("client_id", sp.ClientID))

	provider := p.required("provider", sp.Provider, 64)
	account := p.required("account", sp.Account, 64)
	op, country := operatorID(provider)
	if isMobileOperator(op) {
		ev.Kind = engine.KindRecharge
		ev.Beneficiary.MSISDN = account
		ev.Destination = &engine.Destination{Country: country, Operator: op}
	} else if provider != "" && account != "" {
		ev.Beneficiary.Account = strings.ToLower(provider) + ":" + account
	}

	currency := sp.Currency
	if strings.TrimSpace(currency) == "" {
		currency = "RUB"
	}
	ev.Amount = engine.Money{Value: p.amount("amount", sp.Amount), Currency: p.currency("currency", currency)}
	return ev
}

// anjirTime reads an RFC 3339 time, or AnjirPay's "2006-01-02 15:04:05" in
// Moscow time.
func (p *problems) anjirTime(field string, raw jsontext.Value, required bool) time.Time {
	if s, quoted, ok := token(raw); ok && quoted && len(s) == len(time.DateTime) {
		if t, err := time.ParseInLocation(time.DateTime, s, moscow()); err == nil {
			if t, ok := inRange(t); ok {
				return t
			}
		}
		p.add(field, "must be an RFC 3339 time or \"YYYY-MM-DD hh:mm:ss\" Moscow time")
		return time.Time{}
	}
	return p.when(field, raw, required)
}
