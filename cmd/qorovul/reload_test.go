package main

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/rules"
)

// TestServeReloadsPolicy runs the binary with --policy: after its data is
// edited (the single-payment limit lowered), SIGHUP makes the next
// decisions use it, with the new policy_version; an edit that fails the
// policy's own tests is refused on SIGHUP and the policy in use stays.
func TestServeReloadsPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	policy := copyShippedPolicy(t)
	dir := t.TempDir()
	token := mustPaymentToken(t, dir, "reload")
	t.Setenv("QOROVUL_POLICY", policy)
	addr := freeAddr(t)
	serve, logs := startServe(t, dir, addr)
	client := &http.Client{Timeout: 10 * time.Second}
	decide := func(id string) engine.Decision {
		t.Helper()
		d, status, err := postPreauth(client, addr, token, testEvent(id, "usr_"+id, "+998901234567", 0, "300.00"))
		if err != nil || status != http.StatusOK {
			t.Fatalf("preauth %s: %d %v\n%s", id, status, err, logs.String())
		}
		return d
	}
	before := decide("reload_a")
	if before.Outcome != engine.OutcomeAllow {
		t.Fatalf("300 USD under the shipped limit of 500: %s %v", before.Outcome, before.Reasons)
	}

	// A limit of 100 for recharges: the shipped policy's tests expect 500,
	// so this edit fails them and is refused.
	lowerRechargeLimit(t, policy)
	serve.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, "of its tests failed")
	if d := decide("reload_b"); d.Outcome != engine.OutcomeAllow || d.PolicyVersion != before.PolicyVersion {
		t.Fatalf("after a refused reload: %s %s (was %s)", d.Outcome, d.PolicyVersion, before.PolicyVersion)
	}

	// The same edit with the policy's tests moved out of the directory
	// (an operator who changes limits changes their tests too): reloaded.
	tests, err := filepath.Glob(filepath.Join(policy, "*_test.rego"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("the policy's tests: %v %v", tests, err)
	}
	for _, f := range tests {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	serve.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, "policy reloaded")
	after := decide("reload_c")
	if after.Outcome != engine.OutcomeReview || after.PolicyVersion == before.PolicyVersion || !slices.Contains(reasonCodes(after), "amount_over_limit") {
		t.Fatalf("after the reload: %s %s %v", after.Outcome, after.PolicyVersion, after.Reasons)
	}
	stopServe(t, serve, logs)
}

// TestServePolicyTestsAtStart: serve does not start on a --policy whose own
// tests fail, and says how many.
func TestServePolicyTestsAtStart(t *testing.T) {
	policy := copyShippedPolicy(t)
	lowerRechargeLimit(t, policy)
	_, errOut, code := runCLI(t, map[string]string{"QOROVUL_DATA_DIR": t.TempDir(), "QOROVUL_POLICY": policy}, "serve", "--http-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "of its tests failed") {
		t.Fatalf("serve on a policy that fails its tests: %d %s", code, errOut)
	}
}

// copyShippedPolicy copies the shipped policy, tests included, into a
// directory of its own.
func copyShippedPolicy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := fs.ReadDir(rules.DefaultFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(rules.DefaultFS(), e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lowerRechargeLimit sets the single-payment limit of recharges in the
// policy's data to 100 USD, which the shipped policy's tests do not expect.
func lowerRechargeLimit(t *testing.T, dir string) {
	t.Helper()
	data := filepath.Join(dir, "data.json")
	orig, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	lowered := strings.Replace(string(orig), `"recharge": 500`, `"recharge": 100`, 1)
	if lowered == string(orig) {
		t.Fatal(`data.json has no "recharge": 500 to edit`)
	}
	if err := os.WriteFile(data, []byte(lowered), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServeReloadsRates runs the binary with --fx-rates: after the table
// is updated, SIGHUP makes the next events use it; a broken table is
// refused and the one in use stays.
func TestServeReloadsRates(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	table := filepath.Join(t.TempDir(), "rates.json")
	writeTable := func(body string) {
		t.Helper()
		if err := os.WriteFile(table, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeTable(`{"as_of": "2026-11-23", "rates": {"USD": "1", "RUB": "100"}}`)
	dir := t.TempDir()
	token := mustPaymentToken(t, dir, "rates")
	t.Setenv("QOROVUL_FX_RATES", table)
	addr := freeAddr(t)
	serve, logs := startServe(t, dir, addr)
	client := &http.Client{Timeout: 10 * time.Second}
	usdOf := func(id string) string {
		t.Helper()
		ev := testEvent(id, "usr_"+id, "+998901234567", 0, "1000.00")
		ev["amount"] = map[string]any{"value": "1000.00", "currency": "RUB"}
		d, status, err := postPreauth(client, addr, token, ev)
		if err != nil || status != http.StatusOK {
			t.Fatalf("preauth %s: %d %v\n%s", id, status, err, logs.String())
		}
		return d.Features.AmountUSD.String()
	}
	if got := usdOf("rates_a"); got != "10" {
		t.Fatalf("1000 RUB at 100 a dollar: %s USD", got)
	}
	writeTable(`{"as_of": "2026-11-24", "rates": {"USD": "1", "RUB": "50"}}`)
	serve.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, "fx rates reloaded")
	if got := usdOf("rates_b"); got != "20" {
		t.Fatalf("1000 RUB at 50 a dollar, after SIGHUP: %s USD", got)
	}
	writeTable(`{"as_of": "2026-11-25", "rates": {"RUB": "-1"}}`)
	serve.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, "fx rates reload failed")
	if got := usdOf("rates_c"); got != "20" {
		t.Fatalf("after a refused table: %s USD, want the table in use (20)", got)
	}
	stopServe(t, serve, logs)
}
