package rules

// Outcomes a decision may have, from least to most severe.
const (
	OutcomeAllow  = "allow"
	OutcomeReview = "review"
	OutcomeDeny   = "deny"
)

// Event is the part of a canonical event the policy sees. Every field is a
// string: amounts are decimal strings ("10.00"), never floats; empty means
// unknown.
type Event struct {
	ID, Source, Kind, Status                                     string
	PayerID, PayerCountry, KYCLevel                              string
	InstrumentType, InstrumentBrand, BINCountry, InstrumentToken string
	MSISDN                                                       string // E.164 "+998901234567" or ""
	DestinationCountry, DestinationOperator                      string
	Amount, Currency                                             string // decimal string in the original currency, e.g. "10.00", "USD"
	AmountUSD                                                    string // decimal string, converted to USD
}

// Features are the payer, number and instrument window aggregates for the
// event. Amounts are decimal strings in USD.
type Features struct {
	PayerCount1h, PayerCount24h, PayerCount7d             int
	PayerAmountUSD1h, PayerAmountUSD24h, PayerAmountUSD7d string
	PayerDistinctMSISDN24h, PayerDistinctMSISDN7d         int
	MSISDNDistinctPayers24h, InstrumentDistinctPayers24h  int
	Saturated                                             bool // counts are lower bounds
}

// SanctionsHit is one sanctions-list match on a name in the event; Score is
// the screening similarity in [0, 1].
type SanctionsHit struct {
	List, EntryID, Name, Field string
	Score                      float64
}

// Input is everything the policy decides on.
type Input struct {
	Event          Event
	Features       Features
	Sanctions      []SanctionsHit
	ConsentMissing bool
}

// Reason is one stable reason code with a human message.
type Reason struct {
	Code, Message string
}

// Result is the policy's verdict: Outcome is allow, review or deny; Score is
// 0..100; Reasons are ordered most severe first (deny before review, then by
// weight, then by code).
type Result struct {
	Outcome string
	Score   int
	Reasons []Reason
}
