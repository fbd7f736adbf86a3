package engine

import "time"

// Hold statuses.
const (
	HoldOpen     = "open"
	HoldReleased = "released"
	HoldRejected = "rejected"
)

// Hold is a payment held for a compliance officer by a review decision.
type Hold struct {
	ID         string    `json:"hold_id"`
	EventID    string    `json:"event_id"`
	DecisionID string    `json:"decision_id"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}
