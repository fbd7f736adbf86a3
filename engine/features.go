package engine

import "github.com/shopspring/decimal"

// Features are the event-time window aggregates seen by the policy for one
// event. Each window ends at the event's occurred_at and includes the event
// itself; amounts are in USD.
type Features struct {
	AmountUSD                   decimal.Decimal `json:"amount_usd"`
	PayerCount1h                int             `json:"payer_count_1h"`
	PayerCount24h               int             `json:"payer_count_24h"`
	PayerCount7d                int             `json:"payer_count_7d"`
	PayerAmountUSD1h            decimal.Decimal `json:"payer_amount_usd_1h"`
	PayerAmountUSD24h           decimal.Decimal `json:"payer_amount_usd_24h"`
	PayerAmountUSD7d            decimal.Decimal `json:"payer_amount_usd_7d"`
	PayerDistinctMSISDN24h      int             `json:"payer_distinct_msisdn_24h"`
	PayerDistinctMSISDN7d       int             `json:"payer_distinct_msisdn_7d"`
	MSISDNDistinctPayers24h     int             `json:"msisdn_distinct_payers_24h"`
	InstrumentDistinctPayers24h int             `json:"instrument_distinct_payers_24h"`
	// Saturated is true when the payer's window hit its memory bound, so the
	// counts above are lower bounds; policy treats it as a reason to review.
	Saturated bool `json:"window_saturated,omitempty"`
}
