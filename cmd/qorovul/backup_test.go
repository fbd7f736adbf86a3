package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/audit"
	"github.com/qorovul/qorovul/engine"
)

// ledgerLines returns the audit ledger of the store in dir as exported,
// one JSON line per entry.
func ledgerLines(t *testing.T, dir string) []string {
	t.Helper()
	store, err := engine.OpenStore(dir, engine.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out bytes.Buffer
	if _, err := audit.Export(store.DB(), engine.LedgerAudit, &out, audit.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}

// TestBackupWhileServingRestores takes a backup through the API while
// callers keep deciding, restores it with the command-line tool into a new
// directory, and finds there a consistent state: the ledger a prefix of
// the original's that verifies (with the backup's own audit entry), the
// same decisions, idempotency and windows carried over, the same tokens.
// A file cut short or altered is refused and leaves nothing behind.
func TestBackupWhileServingRestores(t *testing.T) {
	dir := t.TempDir()
	a := MustOpenApp(t, dir)
	before := map[string]string{} // event id -> decision id
	for i := range 10 {
		id := fmt.Sprintf("bk_%d", i)
		d, _ := a.MustPreauth(testEvent(id, "usr_bk", fmt.Sprintf("+99890111%04d", i), 0, "5.00"))
		before[id] = d.DecisionID
	}

	// Callers keep coming while the backup is taken.
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := range 40 {
				a.MustPreauth(testEvent(fmt.Sprintf("bg_%d_%d", c, i), fmt.Sprintf("usr_bg_%d", c), "+998901234567", 0, "1.00"))
			}
		})
	}
	status, backup, hdr := a.Do(http.MethodGet, "/v1/backup", engine.RoleAdmin, "", nil)
	wg.Wait()
	if status != http.StatusOK || hdr.Get("Content-Type") != "application/octet-stream" || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("backup: %d %v %.200s", status, hdr, backup)
	}
	for _, role := range []string{engine.RolePayment, engine.RoleOfficer, engine.RoleAuditor} {
		if status, _, _ := a.Do(http.MethodGet, "/v1/backup", role, "", nil); status != http.StatusForbidden {
			t.Errorf("%s takes a backup: %d, want 403", role, status)
		}
	}
	a.Close(t.Context())
	original := ledgerLines(t, dir)

	file := filepath.Join(t.TempDir(), "q.backup")
	if err := os.WriteFile(file, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	_, errOut, code := runCLI(t, nil, "restore", "--data-dir", restored, file)
	if code != 0 {
		t.Fatalf("restore: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`verifies: (\d+) entries`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("restore says %q", errOut)
	}
	k, _ := strconv.Atoi(m[1])
	if _, errOut, code := runCLI(t, nil, "audit", "verify", "--data-dir", restored); code != 0 {
		t.Fatalf("audit verify of the restore: %s", errOut)
	}
	// A snapshot: the first k entries of the original ledger, exactly, the
	// backup's own entry among them, and the ten decisions made before it.
	got := ledgerLines(t, restored)
	if len(got) != k || k > len(original) || k < 4+10+1 {
		t.Fatalf("restored %d entries (says %d) of the original %d", len(got), k, len(original))
	}
	sawBackup := false
	for i := range got {
		if got[i] != original[i] {
			t.Fatalf("entry %d differs:\n%s\n%s", i+1, got[i], original[i])
		}
		var e struct{ Kind, Actor string }
		json.Unmarshal([]byte(got[i]), &e)
		sawBackup = sawBackup || e.Kind == "database.backup" && strings.HasPrefix(e.Actor, "demo admin (")
	}
	if !sawBackup {
		t.Fatal("the backup holds no database.backup entry by the admin")
	}

	b := MustOpenApp(t, restored)
	b.Tokens = a.Tokens // the restored instance knows the original's tokens
	for id, dec := range before {
		status, body, _ := b.Do(http.MethodGet, "/v1/decisions/"+id, engine.RolePayment, "", nil)
		if status != http.StatusOK || !bytes.Contains(body, []byte(dec)) {
			t.Fatalf("decision of %s after restore: %d %s", id, status, body)
		}
	}
	if d, _ := b.MustPreauth(testEvent("bk_3", "usr_bk", "+998901110003", 0, "5.00")); d.DecisionID != before["bk_3"] {
		t.Fatalf("resent event decided anew: %s, want %s", d.DecisionID, before["bk_3"])
	}
	if d, _ := b.MustPreauth(testEvent("bk_new", "usr_bk", "+998901119999", 0, "5.00")); d.Features.PayerCount1h != 11 {
		t.Fatalf("the payer's windows after restore count %d events in the hour, want 11", d.Features.PayerCount1h)
	}
	b.Close(t.Context())

	// Cut short or altered: refused, nothing left behind.
	flipped := bytes.Clone(backup)
	flipped[len(flipped)/2] ^= 0x20
	for name, bad := range map[string][]byte{
		"cut at half":        backup[:len(backup)/2],
		"missing last bytes": backup[:len(backup)-3],
		"one byte changed":   flipped,
		"not a backup":       []byte("hello"),
	} {
		f := filepath.Join(t.TempDir(), "bad.backup")
		os.WriteFile(f, bad, 0o600)
		target := filepath.Join(t.TempDir(), "r")
		if _, errOut, code := runCLI(t, nil, "restore", "--data-dir", target, f); code != 1 {
			t.Errorf("%s: exit %d %s", name, code, errOut)
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Errorf("%s: %s left behind", name, target)
		}
		if _, err := os.Stat(target + ".restoring"); !os.IsNotExist(err) {
			t.Errorf("%s: %s.restoring left behind", name, target)
		}
	}
	if _, errOut, code := runCLI(t, nil, "restore", "--data-dir", restored, file); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore over a data dir: %d %s", code, errOut)
	}
}

// TestBackupCommand backs up a stopped instance to a file that restores.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	if _, err := demoTokens(dir); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "q.backup")
	if _, errOut, code := runCLI(t, nil, "backup", "--data-dir", dir, "--output", file); code != 0 {
		t.Fatalf("backup: %d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, nil, "backup", "--data-dir", dir, "--output", file); code != 1 || !strings.Contains(errOut, "exists") {
		t.Fatalf("backup over a file: %d %s", code, errOut)
	}
	restored := filepath.Join(t.TempDir(), "r")
	if _, errOut, code := runCLI(t, nil, "restore", "--data-dir", restored, file); code != 0 || !strings.Contains(errOut, "4 entries") {
		t.Fatalf("restore: %d %s", code, errOut)
	}
	if got, want := ledgerLines(t, restored), ledgerLines(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("restored ledger differs:\n%v\n%v", got, want)
	}
}

// TestBackupOutlastsTheWriteTimeout downloads a backup larger than the
// socket buffers through a client slower than the server's write timeout
// allows for a whole response: the backup lifts the timeout for itself, so
// the file arrives whole and restores.
func TestBackupOutlastsTheWriteTimeout(t *testing.T) {
	dir := t.TempDir()
	tokens, err := demoTokens(dir)
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp(Config{DataDir: dir, HTTPAddr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	app.Lists = MustLoadLists(t)
	app.writeTimeout = 300 * time.Millisecond
	if err := app.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	// About 12 MB of backup: more than loopback's socket buffers hold.
	const n = 12_000
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
				body, _ := json.Marshal(testEvent(fmt.Sprint("wt_", i), fmt.Sprint("usr_wt_", i%500), fmt.Sprintf("+99890%07d", i), 0, "2.00"))
				ev, err := engine.ParseEvent(body)
				if err == nil {
					_, err = app.Pipeline.Background().Submit(t.Context(), ev)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			err = c.(*net.TCPConn).SetReadBuffer(32 << 10)
		}
		return c, err
	}}}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/v1/backup", nil)
	req.Header.Set("Authorization", "Bearer "+tokens[engine.RoleAdmin])
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got bytes.Buffer
	start := time.Now()
	buf := make([]byte, 64<<10)
	for {
		k, err := resp.Body.Read(buf)
		got.Write(buf[:k])
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("after %d bytes in %v: %v", got.Len(), time.Since(start), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took := time.Since(start); got.Len() < 10<<20 || took < time.Second {
		t.Fatalf("%d bytes in %v: the test needs a backup that outlasts the write timeout", got.Len(), took)
	}
	head, err := engine.Restore(filepath.Join(t.TempDir(), "r"), &got, nil)
	if err != nil || head.Seq < n {
		t.Fatalf("restore of the slow download: head %d, %v", head.Seq, err)
	}
}
