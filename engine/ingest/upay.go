package ingest

import (
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/qorovul/qorovul/engine"
)

// upayRecharge is a uPay.net recharge: an item of the transaction list and
// the data object of a webhook. List items carry no customer; webhooks do.
type upayRecharge struct {
	ID                jsontext.Value `json:"id"`
	DestinationMSISDN string         `json:"destination_msisdn"`
	Operator          string         `json:"operator"`
	Country           string         `json:"country"`
	AmountUSD         jsontext.Value `json:"amount_usd"`
	AmountLocal       jsontext.Value `json:"amount_local"`
	CurrencyLocal     string         `json:"currency_local"`
	FXRate            jsontext.Value `json:"fx_rate"`
	PaymentMethod     string         `json:"payment_method"`
	Status            string         `json:"status"`
	CreatedAt         jsontext.Value `json:"created_at"`
	CompletedAt       jsontext.Value `json:"completed_at"`
	Customer          *upayCustomer  `json:"customer"`
}

type upayCustomer struct {
	ID       jsontext.Value `json:"id"`
	Name     string         `json:"name"`
	Country  string         `json:"country"`
	KYCLevel string         `json:"kyc_level"`
}

// upayWebhook is the body of a recharge.* webhook.
type upayWebhook struct {
	ID      string         `json:"id"`      // the webhook delivery, "evt_…"
	Type    string         `json:"type"`    // recharge.created|delivered|failed|refunded
	Created jsontext.Value `json:"created"` // Unix seconds
	Data    *upayRecharge  `json:"data"`
}

// upayStatus maps a list item's status onto the canonical statuses.
func upayStatus(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "created", "new":
		return engine.StatusCreated, true
	case "pending", "processing":
		return engine.StatusPending, true
	case "delivered", "success":
		return engine.StatusDelivered, true
	case "failed":
		return engine.StatusFailed, true
	case "refunded":
		return engine.StatusRefunded, true
	}
	return "", false
}

// upayWebhookStatus maps a webhook type onto the canonical statuses.
func upayWebhookStatus(typ string) (string, bool) {
	switch typ {
	case "recharge.created":
		return engine.StatusCreated, true
	case "recharge.delivered":
		return engine.StatusDelivered, true
	case "recharge.failed":
		return engine.StatusFailed, true
	case "recharge.refunded":
		return engine.StatusRefunded, true
	}
	return "", false
}

// decodeUpay decodes a transaction list item or, when the body has a "type"
// or "data", a webhook. The webhook's type decides the status, whatever its
// data.status says (the object may be a snapshot from before the change).
func decodeUpay(r Record) (engine.Event, error) {
	var probe struct {
		Type jsontext.Value `json:"type"`
		Data jsontext.Value `json:"data"`
	}
	if err := decodeObject(engine.SourceUpay, r.Body, &probe); err != nil {
		return engine.Event{}, err
	}
	var p problems
	if probe.Type == nil && probe.Data == nil {
		var item upayRecharge
		if err := decodeObject(engine.SourceUpay, r.Body, &item); err != nil {
			return engine.Event{}, err
		}
		ev := p.upayRecharge(r, "", &item, "")
		return ev, p.err(engine.SourceUpay)
	}
	var wh upayWebhook
	if err := decodeObject(engine.SourceUpay, r.Body, &wh); err != nil {
		return engine.Event{}, err
	}
	status, ok := upayWebhookStatus(wh.Type)
	if !ok {
		p.add("type", "must be one of recharge.created, recharge.delivered, recharge.failed, recharge.refunded")
	}
	if wh.Data == nil {
		p.add("data", "is required: the recharge object")
		return engine.Event{}, p.err(engine.SourceUpay)
	}
	ev := p.upayRecharge(r, "data.", wh.Data, status)
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = p.when("created", wh.Created, true)
	}
	return ev, p.err(engine.SourceUpay)
}

// upayRecharge maps a recharge object; prefix is the path of its fields in
// the body: "" for a list item, which has its own status, "data." for a
// webhook, whose type gives status.
func (p *problems) upayRecharge(r Record, prefix string, it *upayRecharge, status string) engine.Event {
	ev := engine.Event{Source: engine.SourceUpay, Kind: engine.KindRecharge}
	ev.ID = ns(engine.SourceUpay, p.id(prefix+"id", it.ID))
	if prefix == "" { // a list item: its own status; a webhook: the type's
		var ok bool
		if status, ok = upayStatus(it.Status); !ok {
			p.add("status", "must be one of created, processing, delivered, failed, refunded")
		}
	}
	ev.Status = status

	// The payment's own time; a webhook falls back to its delivery time.
	switch {
	case !absent(it.CreatedAt):
		ev.OccurredAt = p.when(prefix+"created_at", it.CreatedAt, true)
	case !absent(it.CompletedAt):
		ev.OccurredAt = p.when(prefix+"completed_at", it.CompletedAt, true)
	case prefix == "":
		p.add("completed_at", "is required (or created_at)")
	}

	native := ""
	if c := it.Customer; c != nil {
		native = p.optID(prefix+"customer.id", c.ID)
		ev.Payer.Name = p.text(prefix+"customer.name", c.Name, 256)
		ev.Payer.Country = p.country(prefix+"customer.country", c.Country)
		ev.Payer.KYCLevel = p.text(prefix+"customer.kyc_level", c.KYCLevel, 16)
	}
	ev.Payer.ID = p.payer(engine.SourceUpay, r, prefix+"customer.id", native)

	ev.Instrument = p.upayMethod(prefix+"payment_method", it.PaymentMethod)
	ev.Beneficiary.MSISDN = p.required(prefix+"destination_msisdn", it.DestinationMSISDN, 32)
	op, opCountry := operatorID(p.text(prefix+"operator", it.Operator, 64))
	country := p.country(prefix+"country", it.Country)
	if country == "" {
		country = opCountry
	}
	if op != "" || country != "" {
		ev.Destination = &engine.Destination{Country: country, Operator: op}
	}
	ev.Amount = engine.Money{Value: p.amount(prefix+"amount_usd", it.AmountUSD), Currency: "USD"}
	if v := p.optAmount(prefix+"amount_local", it.AmountLocal); v != nil {
		if c := p.currency(prefix+"currency_local", it.CurrencyLocal); c != "" {
			ev.AmountLocal = &engine.Money{Value: *v, Currency: c}
		}
	}
	ev.FXRate = p.optAmount(prefix+"fx_rate", it.FXRate)
	return ev
}

// upayMethod reads a payment method: a masked card "visa_***4242" (or
// "mastercard_545454***5454", which shows the BIN), or a wallet name such as
// "paypal". An empty method gives no instrument.
func (p *problems) upayMethod(field, s string) *engine.Instrument {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil
	}
	word := func(w string) bool {
		for i := 0; i < len(w); i++ {
			if c := w[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
				return false
			}
		}
		return w != "" && len(w) <= 32
	}
	if !strings.ContainsAny(s, "0123456789") { // no last4: a wallet
		if !word(s) {
			p.add(field, "must be a masked card such as visa_***4242 or a wallet name")
			return nil
		}
		return &engine.Instrument{Type: "wallet", Brand: s}
	}
	i := strings.LastIndexByte(s, '_')
	if i <= 0 || !word(s[:i]) {
		p.add(field, "must be a masked card such as visa_***4242 or a wallet name")
		return nil
	}
	m, problem := readMask(s[i+1:])
	if problem != "" {
		p.add(field, "%s", problem)
		return nil
	}
	return &engine.Instrument{Type: "card", Brand: s[:i], BIN: m.bin(), Last4: m.last4}
}
