package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/lists"
)

// TestApp is a running instance with a token per role.
type TestApp struct {
	*App
	Tokens map[string]string
	t      testing.TB
}

// MustOpenApp starts Qorovul on 127.0.0.1:0 in dir (a new temporary one if
// empty) and closes it at the end of the test.
func MustOpenApp(t testing.TB, dir string) *TestApp {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	tokens, err := demoTokens(dir)
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp(Config{DataDir: dir, HTTPAddr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	app.Lists = MustLoadLists(t)
	if err := app.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ta := &TestApp{App: app, Tokens: tokens, t: t}
	t.Cleanup(func() { ta.Close(context.Background()) })
	return ta
}

// Do sends a request with the role's token and returns status and body.
func (a *TestApp) Do(method, path, role, contentType string, body []byte) (int, []byte, http.Header) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.URL+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+a.Tokens[role])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// MustPreauth posts ev and returns the decision, failing on any non-200.
func (a *TestApp) MustPreauth(ev map[string]any) (engine.Decision, http.Header) {
	a.t.Helper()
	body, _ := json.Marshal(ev)
	status, b, hdr := a.Do(http.MethodPost, "/v1/preauth", engine.RolePayment, "application/json", body)
	if status != http.StatusOK {
		a.t.Fatalf("preauth %v: %d %s", ev["id"], status, b)
	}
	var d engine.Decision
	if err := json.Unmarshal(b, &d); err != nil {
		a.t.Fatal(err)
	}
	return d, hdr
}

var (
	listsOnce  sync.Once
	sharedList *sanctions.Index
	listsErr   error
)

// MustLoadLists loads the shipped sanctions snapshot once per test run.
func MustLoadLists(t testing.TB) *sanctions.Index {
	t.Helper()
	listsOnce.Do(func() { sharedList, listsErr = lists.LoadDefault() })
	if listsErr != nil {
		t.Fatal(listsErr)
	}
	return sharedList
}

var testT0 = time.Date(2026, 4, 22, 17, 0, 0, 0, time.UTC)

func testEvent(id, payer, msisdn string, at time.Duration, usd string) map[string]any {
	return map[string]any{
		"id": id, "source": "api", "kind": "recharge", "occurred_at": testT0.Add(at).Format(time.RFC3339Nano),
		"payer":       map[string]any{"id": payer, "name": "John Smith", "country": "US"},
		"instrument":  map[string]any{"type": "card", "brand": "visa", "bin": "424242", "last4": "4242", "bin_country": "US", "token": "tok_" + payer},
		"beneficiary": map[string]any{"msisdn": msisdn},
		"destination": map[string]any{"country": "UZ", "operator": "beeline"},
		"amount":      map[string]any{"value": usd, "currency": "USD"},
	}
}

func reasonCodes(d engine.Decision) []string {
	var out []string
	for _, r := range d.Reasons {
		out = append(out, r.Code)
	}
	return out
}

// TestPreauthMSISDNSpread is acceptance 2 of the scoring core: twenty
// recharges from one payer to twenty numbers within an hour.
func TestPreauthMSISDNSpread(t *testing.T) {
	a := MustOpenApp(t, "")
	firstReview := 0
	for i := 1; i <= 20; i++ {
		d, _ := a.MustPreauth(testEvent(fmt.Sprintf("spread_%02d", i), "usr_spread", fmt.Sprintf("+9989012345%02d", i), time.Duration(i)*2*time.Minute, "5.00"))
		if d.Features.PayerDistinctMSISDN24h != i {
			t.Fatalf("event %d: features show %d distinct numbers", i, d.Features.PayerDistinctMSISDN24h)
		}
		switch {
		case d.Outcome == engine.OutcomeAllow && firstReview == 0:
		case d.Outcome == engine.OutcomeReview && strings.Contains(strings.Join(reasonCodes(d), ","), "msisdn_spread_24h"):
			if firstReview == 0 {
				firstReview = i
			}
		default:
			t.Fatalf("event %d: %s %v after first review at %d", i, d.Outcome, reasonCodes(d), firstReview)
		}
	}
	if firstReview != 6 {
		t.Fatalf("first review at event %d, want 6 (limit 5 distinct numbers)", firstReview)
	}
}

// TestPreauthIdempotent is acceptance 3: the same event id sequentially,
// concurrently and across a restart has one decision and counts once.
func TestPreauthIdempotent(t *testing.T) {
	dir := t.TempDir()
	a := MustOpenApp(t, dir)
	ev := testEvent("idem_1", "usr_idem", "+998901234567", 0, "10.00")
	first, hdr := a.MustPreauth(ev)
	if hdr.Get("Idempotent-Replayed") != "" {
		t.Fatal("first decision marked as replayed")
	}
	t.Run("Sequential", func(t *testing.T) {
		again, hdr := a.MustPreauth(ev)
		if again.DecisionID != first.DecisionID || hdr.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%s vs %s (%v)", again.DecisionID, first.DecisionID, hdr)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		ev2 := testEvent("idem_2", "usr_idem", "+998901234567", time.Minute, "10.00")
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids, fresh := map[string]bool{}, 0
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, hdr := a.MustPreauth(ev2)
				mu.Lock()
				ids[d.DecisionID] = true
				if hdr.Get("Idempotent-Replayed") == "" {
					fresh++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(ids) != 1 || fresh != 1 {
			t.Fatalf("decision ids %v, fresh decisions %d", ids, fresh)
		}
	})
	t.Run("AcrossRestart", func(t *testing.T) {
		a.Close(context.Background())
		b := MustOpenApp(t, dir)
		again, hdr := b.MustPreauth(ev)
		if again.DecisionID != first.DecisionID || hdr.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("after restart %s vs %s", again.DecisionID, first.DecisionID)
		}
		next, _ := b.MustPreauth(testEvent("idem_3", "usr_idem", "+998901234567", 2*time.Minute, "10.00"))
		if next.Features.PayerCount1h != 3 || next.Features.PayerAmountUSD1h.String() != "30" {
			t.Fatalf("counted %d events (%s USD), want 3 (30)", next.Features.PayerCount1h, next.Features.PayerAmountUSD1h)
		}
	})
}

// TestPreauthReusedID: an event id already decided, sent again for another
// payment (another amount), gets 409 in the one error shape, not the first
// payment's allow; the first payment's retry still gets its decision.
func TestPreauthReusedID(t *testing.T) {
	a := MustOpenApp(t, t.TempDir())
	first, _ := a.MustPreauth(testEvent("reuse_1", "usr_reuse", "+998901234567", 0, "10.00"))
	if first.Outcome != engine.OutcomeAllow {
		t.Fatalf("first payment: %s", first.Outcome)
	}
	body, _ := json.Marshal(testEvent("reuse_1", "usr_reuse", "+998901234567", 0, "4000.00"))
	status, b, _ := a.Do(http.MethodPost, "/v1/preauth", engine.RolePayment, "application/json", body)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || status != http.StatusConflict || e.Error.Code != engine.ECONFLICT ||
		!strings.Contains(e.Error.Message, "reuse_1") || !strings.Contains(e.Error.Message, "amount") {
		t.Fatalf("reused id for another amount: %d %s", status, b)
	}
	if again, hdr := a.MustPreauth(testEvent("reuse_1", "usr_reuse", "+998901234567", 0, "10.00")); again.DecisionID != first.DecisionID || hdr.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the first payment's retry: %+v", again)
	}
}

// TestPreauthFutureEvent: an event dated two days ahead of the clock gets a
// 400 naming occurred_at (the windows would otherwise age every present
// event out); a negative --max-future-skew is refused at start.
func TestPreauthFutureEvent(t *testing.T) {
	a := MustOpenApp(t, t.TempDir())
	ev := testEvent("future_1", "usr_future", "+998901234567", 0, "10.00")
	ev["occurred_at"] = time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	body, _ := json.Marshal(ev)
	status, b, _ := a.Do(http.MethodPost, "/v1/preauth", engine.RolePayment, "application/json", body)
	var e struct {
		Error struct {
			Code   string
			Fields []engine.FieldError
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || status != http.StatusBadRequest || e.Error.Code != engine.EINVALID ||
		len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != "occurred_at" || !strings.Contains(e.Error.Fields[0].Problem, "ahead of the engine's clock") {
		t.Fatalf("an event two days ahead: %d %s", status, b)
	}
	_, errOut, code := runCLI(t, map[string]string{"QOROVUL_DATA_DIR": t.TempDir()}, "serve", "--http-addr", "127.0.0.1:0", "--max-future-skew", "-1s")
	if code != 1 || !strings.Contains(errOut, "--max-future-skew: -1s is negative") {
		t.Fatalf("negative --max-future-skew: %d %s", code, errOut)
	}
}

// TestPreauthConcurrentCount is acceptance 4's first half: 1,000 concurrent
// calls for one payer count exactly 1,000.
func TestPreauthConcurrentCount(t *testing.T) {
	a := MustOpenApp(t, "")
	const n = 1000
	var wg sync.WaitGroup
	sem := make(chan struct{}, 100)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a.MustPreauth(testEvent(fmt.Sprint("conc_", i), "usr_conc", "+998901234567", time.Duration(i)*time.Second, "1.50"))
		}()
	}
	wg.Wait()
	d, _ := a.MustPreauth(testEvent("conc_last", "usr_conc", "+998901234567", n*time.Second, "1.50"))
	if d.Features.PayerCount24h != n+1 || d.Features.PayerAmountUSD24h.String() != "1501.5" {
		t.Fatalf("count %d amount %s, want %d and 1501.5", d.Features.PayerCount24h, d.Features.PayerAmountUSD24h, n+1)
	}
}

func TestDecisionLookup(t *testing.T) {
	a := MustOpenApp(t, "")
	d, _ := a.MustPreauth(testEvent("look_1", "usr_look", "+998901234567", 0, "3.00"))
	for _, id := range []string{"look_1", d.DecisionID} {
		status, b, hdr := a.Do(http.MethodGet, "/v1/decisions/"+id, engine.RoleAuditor, "", nil)
		var got engine.Decision
		json.Unmarshal(b, &got)
		if status != 200 || got.DecisionID != d.DecisionID || got.EventID != "look_1" {
			t.Fatalf("GET %s: %d %s", id, status, b)
		}
		// Decisions go out with their length, never chunked.
		if cl := hdr.Get("Content-Length"); cl != fmt.Sprint(len(b)) {
			t.Fatalf("GET %s: Content-Length %q for %d bytes", id, cl, len(b))
		}
	}
	// An event id that looks like a decision id is found as an event id.
	d2, _ := a.MustPreauth(testEvent("dec_look_2", "usr_look", "+998901234567", time.Second, "3.00"))
	for _, id := range []string{"dec_look_2", d2.DecisionID} {
		status, b, _ := a.Do(http.MethodGet, "/v1/decisions/"+id, engine.RoleAuditor, "", nil)
		var got engine.Decision
		json.Unmarshal(b, &got)
		if status != 200 || got.DecisionID != d2.DecisionID || got.EventID != "dec_look_2" {
			t.Fatalf("GET %s: %d %s", id, status, b)
		}
	}
	for _, id := range []string{"nope", "dec_nope"} {
		status, b, _ := a.Do(http.MethodGet, "/v1/decisions/"+id, engine.RoleAuditor, "", nil)
		if status != 404 || !strings.Contains(string(b), `"code":"not_found"`) {
			t.Fatalf("GET %s: %d %s", id, status, b)
		}
	}
}
