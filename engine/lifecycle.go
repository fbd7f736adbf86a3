package engine

import "fmt"

// Canonical statuses of a payment. Every source's own statuses map onto
// these; Event.Status is one of them or "" (not said).
const (
	StatusCreated   = "created"   // accepted, nothing moved yet
	StatusPending   = "pending"   // in flight at the provider or bank
	StatusSent      = "sent"      // value sent on (a transfer paid out to the card)
	StatusDelivered = "delivered" // a top-up credited to the number
	StatusCompleted = "completed" // the payment is done
	StatusDeclined  = "declined"  // refused before any value moved
	StatusFailed    = "failed"    // attempted and failed
	StatusRefunded  = "refunded"  // the payer got the money back
	StatusReversed  = "reversed"  // cancelled or reversed by the bank or provider
)

// transitions is the status lifecycle: for each status, the statuses it may
// move to. A status may always "move" to itself (a redelivered record). It is
// read-only.
var transitions = map[string][]string{
	StatusCreated:   {StatusPending, StatusSent, StatusDelivered, StatusCompleted, StatusDeclined, StatusFailed, StatusReversed},
	StatusPending:   {StatusSent, StatusDelivered, StatusCompleted, StatusDeclined, StatusFailed, StatusReversed},
	StatusSent:      {StatusDelivered, StatusCompleted, StatusFailed, StatusRefunded, StatusReversed},
	StatusDelivered: {StatusRefunded, StatusReversed},
	StatusCompleted: {StatusRefunded, StatusReversed},
	StatusFailed:    {StatusRefunded}, // the card charge of a failed top-up is returned
	StatusDeclined:  nil,
	StatusRefunded:  nil,
	StatusReversed:  nil,
}

// Transition reports whether a payment may move from status from to status
// to. It returns nil when the move is allowed or the status is unchanged, an
// *Error with code ECONFLICT naming both statuses when the lifecycle forbids
// it (a declined transfer cannot later be sent), and one with code EINVALID
// for a status that is not canonical.
//
// An empty status means "not said": from "" is read as created, and to ""
// changes nothing.
func Transition(from, to string) error {
	if from == "" {
		from = StatusCreated
	}
	for _, s := range []string{from, to} {
		if _, ok := transitions[s]; !ok && s != "" {
			return &Error{Code: EINVALID, Message: fmt.Sprintf("unknown payment status %q", s),
				Fields: []FieldError{{Field: "status", Problem: fmt.Sprintf("%q is not a known status", s)}}}
		}
	}
	if to == "" || to == from {
		return nil
	}
	for _, next := range transitions[from] {
		if next == to {
			return nil
		}
	}
	return &Error{Code: ECONFLICT, Message: fmt.Sprintf("status cannot change from %s to %s", from, to),
		Fields: []FieldError{{Field: "status", Problem: fmt.Sprintf("cannot change from %s to %s", from, to)}}}
}

// IsTerminal reports whether status settles the payment's outcome: the value
// was delivered, or it definitely will not move. Providers stop retrying at a
// terminal status; afterwards only a refund or a reversal can follow.
func IsTerminal(status string) bool {
	switch status {
	case StatusDelivered, StatusCompleted, StatusDeclined, StatusFailed, StatusRefunded, StatusReversed:
		return true
	}
	return false
}
