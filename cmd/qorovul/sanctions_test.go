package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// TestPreauthListedBeneficiary is acceptance 5 of the screening issue: a
// payment to a listed person is not allowed and its decision carries the match.
func TestPreauthListedBeneficiary(t *testing.T) {
	a := MustOpenApp(t, "")
	for i, name := range []string{"Алишер Усманов", "Alisher Usmonov", "USMANOV Alisher Burkhanovich"} {
		ev := testEvent(fmt.Sprint("listed_", i), "usr_l", "+998901234567", 0, "10.00")
		ev["beneficiary"].(map[string]any)["name"] = name
		d, _ := a.MustPreauth(ev)
		if d.Outcome == engine.OutcomeAllow || !strings.HasPrefix(d.ListsVersion, "sha256:") {
			t.Fatalf("%s: %+v", name, d)
		}
		var hit *engine.SanctionsMatch
		for i, m := range d.Sanctions {
			if m.List == "ofac_sdn" && m.EntryID == "35283" {
				hit = &d.Sanctions[i]
			}
		}
		if hit == nil || hit.Field != "beneficiary.name" || hit.Query != name || hit.Score < 0.9 || hit.Via == "" {
			t.Fatalf("%s: sanctions %+v", name, d.Sanctions)
		}
		if !strings.Contains(strings.Join(reasonCodes(d), ","), "sanctions_") {
			t.Fatalf("%s: reasons %v", name, reasonCodes(d))
		}
	}
	d, _ := a.MustPreauth(testEvent("unlisted_1", "usr_u", "+998901234567", time.Minute, "10.00"))
	if d.Outcome != engine.OutcomeAllow || len(d.Sanctions) != 0 {
		t.Fatalf("an unlisted payer: %+v", d)
	}
}

func TestSanctionsSearchAndClearance(t *testing.T) {
	dir := t.TempDir()
	a := MustOpenApp(t, dir)
	search := func(name string) (int, []engine.SearchMatch) {
		status, b, _ := a.Do(http.MethodGet, "/v1/sanctions/search?name="+url.QueryEscape(name), engine.RoleOfficer, "", nil)
		var r struct{ Matches []engine.SearchMatch }
		json.Unmarshal(b, &r)
		return status, r.Matches
	}
	status, ms := search("Alisher Usmonov")
	if status != 200 || len(ms) == 0 || ms[0].EntryID != "35283" || ms[0].Cleared {
		t.Fatalf("%d %+v", status, ms)
	}
	if status, _, _ := a.Do(http.MethodGet, "/v1/sanctions/search", engine.RoleOfficer, "", nil); status != 400 {
		t.Fatalf("no name: %d", status)
	}
	if status, _, _ := a.Do(http.MethodGet, "/v1/sanctions/search?name=x", engine.RolePayment, "", nil); status != 403 {
		t.Fatalf("payment role: %d", status)
	}

	// An officer clears the pair; it stops alerting, also after a restart,
	// and the clearance is in the audit ledger.
	body := `{"list":"ofac_sdn","entry_id":"35283","query":"Alisher Usmonov","reason":"beneficiary born 1991, KYC passport checked"}`
	status, b, _ := a.Do(http.MethodPost, "/v1/sanctions/clearances", engine.RoleOfficer, "application/json", []byte(body))
	if status != 201 || !strings.Contains(string(b), `"query_key"`) {
		t.Fatalf("clear: %d %s", status, b)
	}
	if status, b, _ := a.Do(http.MethodPost, "/v1/sanctions/clearances", engine.RoleOfficer, "application/json", []byte(`{"list":"ofac_sdn","entry_id":"35283","query":"Ivan Petrov","reason":"x"}`)); status != 400 || !strings.Contains(string(b), "entry_id") {
		t.Fatalf("clearing a pair that does not match: %d %s", status, b)
	}
	check := func(a *TestApp, id string) {
		t.Helper()
		ev := testEvent(id, "usr_c", "+998901234567", 0, "10.00")
		ev["beneficiary"].(map[string]any)["name"] = "Alisher Usmonov"
		d, _ := a.MustPreauth(ev)
		for _, m := range d.Sanctions {
			if m.EntryID == "35283" && m.List == "ofac_sdn" {
				t.Fatalf("cleared pair still alerts: %+v", d.Sanctions)
			}
		}
		if _, ms := search("Alisher Usmonov"); len(ms) == 0 || !ms[0].Cleared {
			t.Fatalf("search does not show the clearance: %+v", ms)
		}
	}
	check(a, "cleared_1")
	a.Close(t.Context())
	b2 := MustOpenApp(t, dir)
	a = b2
	check(b2, "cleared_2")
	b2.Close(t.Context())
	export := filepath.Join(t.TempDir(), "a.jsonl")
	if _, errOut, code := runCLI(t, nil, "audit", "export", "--data-dir", dir, "--output", export); code != 0 {
		t.Fatal(errOut)
	}
	if raw, _ := os.ReadFile(export); !strings.Contains(string(raw), `"kind":"sanctions.clear"`) || !strings.Contains(string(raw), "KYC passport checked") {
		t.Fatalf("no clearance in the ledger")
	}
}
