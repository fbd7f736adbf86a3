package engine

import (
	"time"

	"github.com/shopspring/decimal"
)

// Sources an event may come from. SourceAPI is a partner that sends the
// canonical event itself.
const (
	SourceAPI      = "api"
	SourceUpay     = "upay"
	SourceAnjirpay = "anjirpay"
	SourceUpmobile = "upmobile"
	SourceUzum     = "uzum"
	SourceTelecom  = "telecom"
)

// Kinds of payment an event describes.
const (
	KindRecharge    = "recharge"
	KindTransfer    = "transfer"
	KindBillPayment = "bill_payment"
)

// MaxEventIDLen bounds the idempotency key.
const MaxEventIDLen = 128

// Event is the canonical payment event every source adapter produces. It is
// the JSON of DESIGN.md; amounts are decimals, MSISDNs E.164.
type Event struct {
	ID          string           `json:"id"`
	Source      string           `json:"source"`
	Kind        string           `json:"kind"`
	Status      string           `json:"status,omitempty"`
	OccurredAt  time.Time        `json:"occurred_at"`
	Payer       Payer            `json:"payer"`
	Instrument  *Instrument      `json:"instrument,omitempty"`
	Beneficiary Beneficiary      `json:"beneficiary"`
	Destination *Destination     `json:"destination,omitempty"`
	Amount      Money            `json:"amount"`
	AmountLocal *Money           `json:"amount_local,omitempty"`
	FXRate      *decimal.Decimal `json:"fx_rate,omitempty"`
	DeviceID    string           `json:"device_id,omitempty"`
}

// Payer is who pays.
type Payer struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Country  string `json:"country,omitempty"`
	KYCLevel string `json:"kyc_level,omitempty"`
}

// Instrument is how the payer pays. Only a token, BIN and last four digits
// are ever kept; a full card number is refused at validation.
type Instrument struct {
	Type       string `json:"type,omitempty"`
	Brand      string `json:"brand,omitempty"`
	BIN        string `json:"bin,omitempty"`
	Last4      string `json:"last4,omitempty"`
	BINCountry string `json:"bin_country,omitempty"`
	Token      string `json:"token,omitempty"`
}

// Beneficiary is who receives the value: a phone number, a masked card or an
// account (at least one of them).
type Beneficiary struct {
	MSISDN     string `json:"msisdn,omitempty"`
	Name       string `json:"name,omitempty"`
	CardMasked string `json:"card_masked,omitempty"`
	Account    string `json:"account,omitempty"`
}

// Destination is the country and operator the value goes to.
type Destination struct {
	Country  string `json:"country,omitempty"`
	Operator string `json:"operator,omitempty"`
}

// Money is a decimal amount in an ISO 4217 currency.
type Money struct {
	Value    decimal.Decimal `json:"value"`
	Currency string          `json:"currency"`
}
