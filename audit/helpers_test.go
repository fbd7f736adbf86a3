package audit_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/qorovul/qorovul/audit"
)

// stepClock is a fake clock that moves forward by step on every call.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func newClock() *stepClock {
	return &stepClock{now: time.Date(2026, 4, 22, 17, 8, 14, 512000000, time.UTC), step: time.Second}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

// Set moves the clock to t.
func (c *stepClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// MustOpenDB opens a Badger database in dir with synchronous writes.
func MustOpenDB(tb testing.TB, dir string) *badger.DB {
	tb.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithSyncWrites(true).WithLogger(nil))
	if err != nil {
		tb.Fatalf("open badger: %v", err)
	}
	return db
}

// MustOpen opens a fresh database in a temp dir and the ledger name in it.
func MustOpen(tb testing.TB, name string, clock audit.Clock) (*badger.DB, *audit.Ledger) {
	tb.Helper()
	db := MustOpenDB(tb, tb.TempDir())
	tb.Cleanup(func() { db.Close() })
	return db, MustOpenLedger(tb, db, name, clock)
}

// MustOpenLedger opens the ledger name in db.
func MustOpenLedger(tb testing.TB, db *badger.DB, name string, clock audit.Clock) *audit.Ledger {
	tb.Helper()
	l, err := audit.Open(db, name, clock)
	if err != nil {
		tb.Fatalf("open ledger: %v", err)
	}
	return l
}

// decisionEntry is a realistic decision entry for event id.
func decisionEntry(id string, i int) audit.Entry {
	p := fmt.Sprintf(`{"decision_id": "dec_%s", "event_id": %q, "outcome": "review", "score": %d,
		"reasons": [{"code": "msisdn_spread_24h", "message": "payer topped up 9 distinct numbers in 24h (limit 5)"}]}`, id, id, i%100)
	return audit.Entry{Kind: "decision", Subject: id, Payload: json.RawMessage(p)}
}

// MustAppendBatch appends n decision entries in one committed transaction.
func MustAppendBatch(tb testing.TB, db *badger.DB, l *audit.Ledger, prefix string, n int) []audit.Entry {
	tb.Helper()
	var out []audit.Entry
	b := l.Begin()
	err := db.Update(func(txn *badger.Txn) error {
		for i := range n {
			e, err := b.Append(txn, decisionEntry(fmt.Sprintf("%s_%d", prefix, i), i))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("append batch: %v", err)
	}
	if err := l.Commit(b); err != nil {
		tb.Fatalf("commit batch: %v", err)
	}
	return out
}

// MustVerify runs Verify and fails the test on any problem.
func MustVerify(tb testing.TB, db *badger.DB, name string) audit.Report {
	tb.Helper()
	rep, err := audit.Verify(db, name, nil)
	if err != nil || !rep.OK() {
		tb.Fatalf("verify %s: %v (report %+v)", name, err, rep)
	}
	return rep
}
