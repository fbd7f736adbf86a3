package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/engine"
)

var allStatuses = []string{
	engine.StatusCreated, engine.StatusPending, engine.StatusSent, engine.StatusDelivered,
	engine.StatusCompleted, engine.StatusDeclined, engine.StatusFailed, engine.StatusRefunded,
	engine.StatusReversed,
}

func TestTransition(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		code     string // "" when allowed
	}{
		// AnjirPay drift after first sight.
		{"pending", "sent", ""},
		{"pending", "declined", ""},
		{"declined", "sent", engine.ECONFLICT},
		{"declined", "pending", engine.ECONFLICT},
		{"sent", "declined", engine.ECONFLICT},
		{"sent", "pending", engine.ECONFLICT},
		{"sent", "refunded", ""},
		// uPay webhooks.
		{"created", "delivered", ""},
		{"created", "failed", ""},
		{"delivered", "refunded", ""},
		{"failed", "refunded", ""},
		{"failed", "delivered", engine.ECONFLICT},
		{"refunded", "delivered", engine.ECONFLICT},
		// Uzum create, confirm, reverse.
		{"created", "completed", ""},
		{"completed", "reversed", ""},
		{"created", "reversed", ""},
		{"reversed", "completed", engine.ECONFLICT},
		// Telecom.
		{"pending", "completed", ""},
		{"pending", "failed", ""},
		{"completed", "pending", engine.ECONFLICT},
		{"completed", "failed", engine.ECONFLICT},
		{"completed", "created", engine.ECONFLICT},
		// Unchanged and unsaid.
		{"sent", "sent", ""},
		{"declined", "declined", ""},
		{"", "created", ""},
		{"", "pending", ""},
		{"", "refunded", engine.ECONFLICT},
		{"completed", "", ""},
		// Not canonical.
		{"pending", "paid", engine.EINVALID},
		{"SENT", "declined", engine.EINVALID},
		{"CONFIRMED", "", engine.EINVALID},
	} {
		t.Run(tc.from+"->"+tc.to, func(t *testing.T) {
			err := engine.Transition(tc.from, tc.to)
			if got := engine.ErrorCode(err); got != tc.code {
				t.Fatalf("Transition(%q, %q) = %v, want code %q", tc.from, tc.to, err, tc.code)
			}
			if err == nil {
				return
			}
			var e *engine.Error
			if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "status" {
				t.Fatalf("error %#v does not name the status field", err)
			}
			if tc.code == engine.ECONFLICT && (!strings.Contains(e.Message, tc.to) || !strings.Contains(e.Message, orCreated(tc.from))) {
				t.Fatalf("message %q does not name both %q and %q", e.Message, tc.from, tc.to)
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	want := map[string]bool{
		"created": false, "pending": false, "sent": false, "delivered": true, "completed": true,
		"declined": true, "failed": true, "refunded": true, "reversed": true, "": false, "paid": false,
	}
	for s, w := range want {
		if got := engine.IsTerminal(s); got != w {
			t.Errorf("IsTerminal(%q) = %v, want %v", s, got, w)
		}
	}
}

// After a terminal status the only moves left are a refund or a reversal, and
// nothing leaves refunded, reversed or declined.
func TestTerminalStatusesOnlyUnwind(t *testing.T) {
	for _, from := range allStatuses {
		for _, to := range allStatuses {
			if from == to || engine.Transition(from, to) != nil {
				continue
			}
			if engine.IsTerminal(from) && to != engine.StatusRefunded && to != engine.StatusReversed {
				t.Errorf("terminal %s may move to %s", from, to)
			}
			switch from {
			case engine.StatusRefunded, engine.StatusReversed, engine.StatusDeclined:
				t.Errorf("%s may move to %s", from, to)
			}
			if to == engine.StatusCreated {
				t.Errorf("%s may move back to created", from)
			}
		}
	}
}

// Every non-terminal status can still reach a terminal one.
func TestNonTerminalStatusesCanSettle(t *testing.T) {
	for _, from := range allStatuses {
		if engine.IsTerminal(from) {
			continue
		}
		ok := false
		for _, to := range allStatuses {
			if engine.IsTerminal(to) && engine.Transition(from, to) == nil {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s cannot reach any terminal status", from)
		}
	}
}

func orCreated(s string) string {
	if s == "" {
		return engine.StatusCreated
	}
	return s
}
