package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/qorovul/qorovul/audit"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// The committer appends a batch's entries inside its own Badger transaction
// and advances the ledger only once that transaction is durable.
func Example() {
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	db, err := badger.Open(badger.DefaultOptions(dir).WithSyncWrites(true).WithLogger(nil))
	if err != nil {
		panic(err)
	}
	defer db.Close()

	clock := fixedClock{time.Date(2026, 4, 22, 17, 8, 14, 512000000, time.UTC)}
	ledger, err := audit.Open(db, "audit", clock)
	if err != nil {
		panic(err)
	}

	batch := ledger.Begin()
	err = db.Update(func(txn *badger.Txn) error {
		// ... the batch's idempotency records, windows and holds go here ...
		for _, id := range []string{"tx_92f1", "tx_92f2"} {
			payload := json.RawMessage(`{"event_id": "` + id + `", "outcome": "allow"}`)
			if _, err := batch.Append(txn, audit.Entry{Kind: "decision", Subject: id, Payload: payload}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err) // the txn was discarded: forget the batch
	}
	if err := ledger.Commit(batch); err != nil {
		panic(err)
	}
	fmt.Println("head:", ledger.Head().Seq)

	rep, err := audit.Verify(db, "audit", nil)
	fmt.Println("verify:", rep.Entries, "entries", err)

	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	var out bytes.Buffer
	if _, err := audit.Export(db, "audit", &out, audit.ExportOptions{Signer: key, Clock: clock}); err != nil {
		panic(err)
	}
	fmt.Print(strings.SplitAfter(out.String(), "\n")[0])

	rep, err = audit.VerifyExport(&out, key.Public().(ed25519.PublicKey))
	fmt.Println("export:", rep.Entries, "entries, signed:", rep.Signed, err)
	// Output:
	// head: 2
	// verify: 2 entries <nil>
	// {"seq":1,"time":"2026-04-22T17:08:14.512000Z","kind":"decision","subject":"tx_92f1","payload":{"event_id":"tx_92f1","outcome":"allow"},"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","hash":"077208e7c3181176dc2295a491e5513e094ad4618a390d5d0f79664405844957"}
	// export: 2 entries, signed: true <nil>
}
