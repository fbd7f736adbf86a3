package ingest

import (
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/qorovul/qorovul/engine"
)

// telecomTopup is the global top-up API's POST /telecom/topup request and,
// with tx_id, status and the delivered side filled in, its response and the
// data of its topup.* webhooks. external_tx_id is the partner's idempotency
// key and so the event id.
type telecomTopup struct {
	ExternalTxID jsontext.Value `json:"external_tx_id"`
	TxID         jsontext.Value `json:"tx_id"` // the API's own id (response, webhook)
	ProductID    string         `json:"product_id"`
	OperatorID   string         `json:"operator_id"` // request: "ucell_uz"
	Operator     *struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Country string `json:"country"`
	} `json:"operator"` // response
	MSISDN              string         `json:"msisdn"`
	Amount              jsontext.Value `json:"amount"`
	Currency            string         `json:"currency"`
	DestinationAmount   jsontext.Value `json:"destination_amount"`
	DestinationCurrency string         `json:"destination_currency"`
	FXRate              jsontext.Value `json:"fx_rate"`
	Status              string         `json:"status"`
	CreatedAt           jsontext.Value `json:"created_at"`
	Sender              *telecomPerson `json:"sender"`
	Recipient           *telecomPerson `json:"recipient"`
}

type telecomPerson struct {
	ID        jsontext.Value `json:"id"`
	FirstName string         `json:"first_name"`
	LastName  string         `json:"last_name"`
	Country   string         `json:"country"`
}

// telecomWebhook is the body of a topup.completed, topup.failed or
// topup.pending webhook.
type telecomWebhook struct {
	Event      string         `json:"event"`
	EventID    string         `json:"event_id"`
	OccurredAt jsontext.Value `json:"occurred_at"`
	Data       *telecomTopup  `json:"data"`
}

// decodeTelecom decodes a webhook (a body with "event"), a response (with
// "tx_id") or else a top-up request. A request carries no time: the
// occurred-at header gives it. The webhook's event decides the status.
func decodeTelecom(r Record) (engine.Event, error) {
	var probe struct {
		Event jsontext.Value `json:"event"`
		Data  jsontext.Value `json:"data"`
		TxID  jsontext.Value `json:"tx_id"`
	}
	if err := decodeObject(engine.SourceTelecom, r.Body, &probe); err != nil {
		return engine.Event{}, err
	}
	var p problems
	if probe.Event == nil && probe.Data == nil {
		var t telecomTopup
		if err := decodeObject(engine.SourceTelecom, r.Body, &t); err != nil {
			return engine.Event{}, err
		}
		ev := p.telecomTopup(r, "", &t, "", probe.TxID != nil)
		return ev, p.err(engine.SourceTelecom)
	}
	var wh telecomWebhook
	if err := decodeObject(engine.SourceTelecom, r.Body, &wh); err != nil {
		return engine.Event{}, err
	}
	var status string
	switch wh.Event {
	case "topup.completed":
		status = engine.StatusCompleted
	case "topup.failed":
		status = engine.StatusFailed
	case "topup.pending":
		status = engine.StatusPending
	default:
		p.add("event", "must be one of topup.completed, topup.failed, topup.pending")
	}
	if wh.Data == nil {
		p.add("data", "is required: the top-up object")
		return engine.Event{}, p.err(engine.SourceTelecom)
	}
	ev := p.telecomTopup(r, "data.", wh.Data, status, true)
	if ev.OccurredAt.IsZero() && absent(wh.Data.CreatedAt) {
		ev.OccurredAt = p.when("occurred_at", wh.OccurredAt, true)
	}
	return ev, p.err(engine.SourceTelecom)
}

// telecomTopup maps a top-up; prefix is the path of its fields ("data." in a
// webhook, whose event gives status), and answered says it is the API's
// answer (response or webhook data) rather than the partner's request.
func (p *problems) telecomTopup(r Record, prefix string, t *telecomTopup, status string, answered bool) engine.Event {
	ev := engine.Event{Source: engine.SourceTelecom, Kind: engine.KindRecharge}
	ev.ID = ns(engine.SourceTelecom, p.id(prefix+"external_tx_id", t.ExternalTxID))
	switch {
	case prefix != "": // webhook data: the event gives the status
		ev.Status = status
	case !answered:
		ev.Status = engine.StatusCreated
		if strings.TrimSpace(t.Status) != "" {
			p.add(prefix+"status", "must not be set in a top-up request")
		}
	default:
		switch s := strings.ToLower(strings.TrimSpace(t.Status)); s {
		case "pending", "processing", "submitted":
			ev.Status = engine.StatusPending
		case "completed", "successful":
			ev.Status = engine.StatusCompleted
		case "failed", "rejected", "declined":
			ev.Status = engine.StatusFailed
		case "refunded":
			ev.Status = engine.StatusRefunded
		default:
			p.add(prefix+"status", "must be one of pending, processing, completed, failed, refunded")
		}
	}
	if answered {
		p.optID(prefix+"tx_id", t.TxID)
	}
	if answered || !absent(t.CreatedAt) {
		ev.OccurredAt = p.when(prefix+"created_at", t.CreatedAt, prefix == "")
	} else {
		ev.OccurredAt = p.envelopeTime(r)
	}

	native := ""
	if s := t.Sender; s != nil {
		native = p.optID(prefix+"sender.id", s.ID)
		ev.Payer.Name = p.text(prefix+"sender", joinName(s.FirstName, s.LastName), 256)
		ev.Payer.Country = p.country(prefix+"sender.country", s.Country)
	}
	ev.Payer.ID = p.payer(engine.SourceTelecom, r, prefix+"sender.id", native)
	if rc := t.Recipient; rc != nil {
		ev.Beneficiary.Name = p.text(prefix+"recipient", joinName(rc.FirstName, rc.LastName), 256)
	}
	ev.Beneficiary.MSISDN = p.required(prefix+"msisdn", t.MSISDN, 32)

	var op, country string
	switch {
	case t.Operator != nil:
		op, country = operatorID(p.text(prefix+"operator.id", firstOf(t.Operator.ID, t.Operator.Name), 64))
		if c := p.country(prefix+"operator.country", t.Operator.Country); c != "" {
			country = c
		}
	case strings.TrimSpace(t.OperatorID) != "":
		op, country = operatorID(p.text(prefix+"operator_id", t.OperatorID, 64))
	case strings.TrimSpace(t.ProductID) == "":
		p.add(prefix+"product_id", "is required (or operator_id)")
	}
	p.text(prefix+"product_id", t.ProductID, 64)
	if op != "" || country != "" {
		ev.Destination = &engine.Destination{Country: country, Operator: op}
	}

	ev.Amount = engine.Money{Value: p.amount(prefix+"amount", t.Amount), Currency: p.currency(prefix+"currency", t.Currency)}
	if v := p.optAmount(prefix+"destination_amount", t.DestinationAmount); v != nil {
		if c := p.currency(prefix+"destination_currency", t.DestinationCurrency); c != "" {
			ev.AmountLocal = &engine.Money{Value: *v, Currency: c}
		}
	}
	ev.FXRate = p.optAmount(prefix+"fx_rate", t.FXRate)
	return ev
}

func firstOf(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
