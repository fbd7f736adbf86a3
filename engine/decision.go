package engine

import "time"

// Outcomes of a decision.
const (
	OutcomeAllow  = "allow"  // released to the provider
	OutcomeReview = "review" // held for a compliance officer
	OutcomeDeny   = "deny"   // refused
)

// Reason codes that are produced by the engine itself rather than by policy.
// Policy reason codes are stable strings owned by the shipped Rego policy.
const (
	ReasonPolicyError    = "policy_error"
	ReasonScreeningError = "screening_error"
)

// Decision is the engine's verdict on one event. One event id has exactly one
// decision, forever.
type Decision struct {
	DecisionID    string           `json:"decision_id"`
	EventID       string           `json:"event_id"`
	Outcome       string           `json:"outcome"`
	Score         int              `json:"score"`
	Reasons       []Reason         `json:"reasons"`
	Sanctions     []SanctionsMatch `json:"sanctions,omitempty"`
	Features      Features         `json:"features"`
	PolicyVersion string           `json:"policy_version"`
	ListsVersion  string           `json:"lists_version,omitempty"`
	HoldID        string           `json:"hold_id,omitempty"`
	CreatedAt     time.Time        `json:"created_at"`
}

// Reason explains one contribution to a decision.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// SanctionsMatch is one sanctions-list hit on a name in the event, explained.
type SanctionsMatch struct {
	List    string  `json:"list"`
	EntryID string  `json:"entry_id"`
	Name    string  `json:"name"`
	Field   string  `json:"field"`
	Query   string  `json:"query"`
	Score   float64 `json:"score"`
	Via     string  `json:"via,omitempty"`
}
