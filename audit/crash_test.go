package audit_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/qorovul/qorovul/audit"
)

const crashDirEnv = "QOROVUL_AUDIT_CRASH_DIR"

// TestCrashChild is the writer half of TestKill9LeavesLedgerVerifiable: it
// appends batches forever, printing each head once its txn is committed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only run as the child of TestKill9LeavesLedgerVerifiable")
	}
	db := MustOpenDB(t, dir)
	l := MustOpenLedger(t, db, "audit", newClock())
	for i := 0; ; i++ {
		b := l.Begin()
		err := db.Update(func(txn *badger.Txn) error {
			for j := range 1 + i%7 {
				if _, err := b.Append(txn, decisionEntry(fmt.Sprintf("tx_%d_%d", i, j), j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(b); err != nil {
			t.Fatal(err)
		}
		fmt.Println(l.Head().Seq) // acknowledged: durable (SyncWrites)
	}
}

// Killing the writer with SIGKILL at an arbitrary moment loses no committed
// entry and leaves a chain that verifies and can be continued.
func TestKill9LeavesLedgerVerifiable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var acked uint64
		for n := 0; n < 40+round*13 && sc.Scan(); n++ {
			if v, err := strconv.ParseUint(sc.Text(), 10, 64); err == nil {
				acked = v
			}
		}
		if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
			t.Fatal(err)
		}
		cmd.Wait()
		if acked == 0 {
			t.Fatalf("round %d: child acknowledged nothing", round)
		}

		db := MustOpenDB(t, dir)
		rep, err := audit.Verify(db, "audit", nil)
		if err != nil || rep.Head.Seq < acked {
			db.Close()
			t.Fatalf("round %d: after kill at ack %d: %+v, %v", round, acked, rep, err)
		}
		l := MustOpenLedger(t, db, "audit", newClock())
		MustAppendBatch(t, db, l, fmt.Sprint("after", round), 2)
		MustVerify(t, db, "audit")
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
