package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/qorovul/qorovul/engine"
)

func runCLI(t testing.TB, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// TestAuditVerifyNamesTamperedEntry is acceptance 5: one changed byte of one
// stored audit entry makes audit verify fail and name its sequence number.
func TestAuditVerifyNamesTamperedEntry(t *testing.T) {
	dir := t.TempDir()
	a := MustOpenApp(t, dir) // 4 token entries, then decisions
	for i := range 6 {
		a.MustPreauth(testEvent("tamper_"+string(rune('a'+i)), "usr_t", "+998901234567", time.Duration(i)*time.Minute, "2.00"))
	}
	a.Close(context.Background())
	if out, errOut, code := runCLI(t, nil, "audit", "verify", "--data-dir", dir); code != 0 || !strings.Contains(out, `"entries":10`) {
		t.Fatalf("clean ledger: %d %s %s", code, out, errOut)
	}

	db, err := engine.OpenDB(dir, engine.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key := binary.BigEndian.AppendUint64([]byte("a/audit/e/"), 7)
	err = db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, _ := item.ValueCopy(nil)
		i := bytes.Index(v, []byte(`"outcome":"allow"`))
		if i < 0 {
			t.Fatalf("entry 7 has no outcome: %s", v)
		}
		v[i+len(`"outcome":"`)] = 'A' // one byte: allow -> Allow
		return txn.Set(key, v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "audit", "verify", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "sequence number 7") || !strings.Contains(out, `"first_bad":7`) {
		t.Fatalf("tampered ledger: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestAuditExportAndVerifyExport(t *testing.T) {
	dir := t.TempDir()
	a := MustOpenApp(t, dir)
	a.MustPreauth(testEvent("exp_1", "usr_e", "+998901234567", 0, "2.00"))
	a.Close(context.Background())
	export := filepath.Join(t.TempDir(), "audit.jsonl")
	pub := filepath.Join(t.TempDir(), "audit.pub")
	if _, errOut, code := runCLI(t, nil, "audit", "export", "--data-dir", dir, "--output", export); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	out, _, code := runCLI(t, nil, "audit", "public-key", "--data-dir", dir)
	if code != 0 || os.WriteFile(pub, []byte(out), 0o644) != nil {
		t.Fatalf("public-key: %d", code)
	}
	if out, errOut, code := runCLI(t, nil, "audit", "verify-export", export, "--public-key", pub); code != 0 {
		t.Fatalf("verify-export: %s %s", out, errOut)
	}
	b, _ := os.ReadFile(export)
	if lines := strings.Count(string(b), "\n"); lines != 6 || !strings.Contains(string(b), `"subject":"exp_1"`) {
		t.Fatalf("export has %d lines:\n%s", lines, b)
	}
	os.WriteFile(export, bytes.Replace(b, []byte(`"exp_1"`), []byte(`"exp_2"`), 1), 0o644)
	if _, _, code := runCLI(t, nil, "audit", "verify-export", export, "--public-key", pub); code != 1 {
		t.Fatalf("a tampered export verified")
	}
}

func TestTokenCreate(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCLI(t, map[string]string{"QOROVUL_DATA_DIR": dir}, "token", "create", "--role", "officer", "--name", "Dilnoza R.")
	if code != 0 || !strings.HasPrefix(out, "qv_") || !strings.Contains(errOut, "shown once") {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	store, err := engine.OpenStore(dir, engine.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p, err := store.Authenticate(strings.TrimSpace(out))
	if err != nil || p.Role != engine.RoleOfficer || p.Name != "Dilnoza R." {
		t.Fatalf("%+v %v", p, err)
	}
	// The secret is not stored anywhere in the database.
	secret := strings.TrimSpace(out)[len("qv_")+17:]
	store.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, _ := it.Item().ValueCopy(nil)
			if bytes.Contains(v, []byte(secret)) {
				t.Fatalf("secret stored under %q", it.Item().Key())
			}
		}
		return nil
	})
	if _, errOut, code := runCLI(t, nil, "token", "create", "--data-dir", t.TempDir(), "--role", "king", "--name", "x"); code != 1 || !strings.Contains(errOut, "role") {
		t.Fatalf("bad role: %d %s", code, errOut)
	}
}

func TestServeConfigErrors(t *testing.T) {
	_, errOut, code := runCLI(t, map[string]string{"QOROVUL_HTTP_ADDR": "nonsense"}, "serve")
	if code != 1 || !strings.Contains(errOut, "--data-dir: is required") || !strings.Contains(errOut, `--http-addr: "nonsense" is not HOST:PORT`) {
		t.Fatalf("%d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, nil, "serve", "--bogus"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Fatalf("%d %s", code, errOut)
	}
	// Checked before the database opens, not when the port is bound.
	if _, errOut, code := runCLI(t, nil, "serve", "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:99999"); code != 1 || !strings.Contains(errOut, `--http-addr: "127.0.0.1:99999": the port is not a number from 0 to 65535`) {
		t.Fatalf("%d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, nil, "serve", "--data-dir", t.TempDir(), "--min-free-disk-mb", "-1"); code != 1 || !strings.Contains(errOut, "--min-free-disk-mb: -1 is negative") {
		t.Fatalf("%d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, nil, "serve", "--data-dir", t.TempDir(), "--min-free-disk-mb", "100000000000000"); code != 1 || !strings.Contains(errOut, "--min-free-disk-mb: 100000000000000 is more than 1073741824") {
		t.Fatalf("%d %s", code, errOut)
	}
	// A disk without the room to keep free: serve does not open the
	// database on it (a write there could kill the process).
	if _, errOut, code := runCLI(t, map[string]string{"QOROVUL_HTTP_ADDR": "127.0.0.1:0"}, "serve", "--data-dir", t.TempDir(), "--min-free-disk-mb", "1000000000"); code != 1 || !strings.Contains(errOut, "MB free, under the 1000000000 MB it must keep free") {
		t.Fatalf("%d %s", code, errOut)
	}
	if _, _, code := runCLI(t, nil, "frobnicate"); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
}

func TestRulesTestCommand(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "rules", "test")
	if code != 0 || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
}

// TestJSONLogDurations: the JSON log writes durations as text ("1.5s"), as
// the text format does, not as a count of nanoseconds.
func TestJSONLogDurations(t *testing.T) {
	var b strings.Builder
	log, err := newLogger(&b, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("rebuilt", "took", 1500*time.Millisecond, "events", 3)
	if out := b.String(); !strings.Contains(out, `"took":"1.5s"`) || !strings.Contains(out, `"events":3`) {
		t.Fatalf("log line %s", out)
	}
}

// TestStrayArgumentsRefused: an argument that is not a flag is a usage
// error naming it, not silently dropped (a forgotten "--" would otherwise
// run the command with a default in place of what was meant).
func TestStrayArgumentsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"serve", "--data-dir", dir, "http-addr", "127.0.0.1:1"},
		{"token", "create", "--data-dir", dir, "--role", "admin", "--name", "ops", "extra"},
		{"token", "list", "--data-dir", dir, "extra"},
		{"backup", "--data-dir", dir, "extra"},
		{"restore", "--data-dir", filepath.Join(dir, "r"), "a.backup", "extra"},
		{"restore", "a.backup", "--data-dir", filepath.Join(dir, "r"), "extra"},
		{"audit", "verify", "--data-dir", dir, "extra"},
		{"audit", "verify-export", "a.jsonl", "--public-key", "k.pem", "extra"},
		{"broker", "--data-dir", dir, "extra"},
		{"rules", "test", "extra"},
	} {
		if _, errOut, code := runCLI(t, nil, args...); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) && !strings.Contains(errOut, `unexpected argument "http-addr"`) {
			t.Errorf("%v: exit %d, %.120q", args, code, errOut)
		}
	}
}
