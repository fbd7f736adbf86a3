package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// runDemo runs everything embedded: a temporary data dir, the API on
// 127.0.0.1:8080, a token per role, and a little sample traffic.
func runDemo(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	httpAddr := fs.String("http-addr", DefaultHTTPAddr, "HOST:PORT of the HTTP API")
	keep := fs.Bool("keep", false, "keep the temporary data dir at exit")
	once := fs.Bool("once", false, "exit after the sample traffic instead of serving until interrupted")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "qorovul-demo-")
	if err != nil {
		return fmt.Errorf("make data dir: %w", err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	tokens, err := demoTokens(dir)
	if err != nil {
		return err
	}
	app := NewApp(Config{DataDir: dir, HTTPAddr: *httpAddr}, log)
	if err := app.Open(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownTimeout)
		defer cancel()
		app.Close(sctx)
	}()

	fmt.Fprintf(stdout, "Qorovul demo\n  API      %s   (OpenAPI: %s/openapi.json, metrics: %s/metrics)\n  data dir %s\n\nTokens (one per role):\n", app.URL, app.URL, app.URL, dir)
	for _, role := range []string{engine.RolePayment, engine.RoleOfficer, engine.RoleAuditor, engine.RoleAdmin} {
		fmt.Fprintf(stdout, "  %-8s %s\n", role, tokens[role])
	}
	fmt.Fprintf(stdout, "\nTry:\n  curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '%s' %s/v1/preauth\n\n",
		tokens[engine.RolePayment], demoCurlEvent, app.URL)

	fmt.Fprintln(stdout, "Sample traffic:")
	if err := sendDemoTraffic(ctx, app.URL, tokens[engine.RolePayment], stdout); err != nil {
		return err
	}
	if *once {
		return nil
	}
	fmt.Fprintln(stdout, "\nServing until interrupted (Ctrl-C).")
	return app.Wait(ctx)
}

// demoCurlEvent is the event the printed curl line sends.
const demoCurlEvent = `{"id":"try_1","source":"api","kind":"recharge","occurred_at":"2026-04-22T17:08:14Z","payer":{"id":"usr_try","name":"John Smith","country":"US"},"beneficiary":{"msisdn":"+998901234567","name":"Alisher Karimov"},"destination":{"country":"UZ","operator":"beeline"},"amount":{"value":"10.00","currency":"USD"}}`

func demoTokens(dir string) (map[string]string, error) {
	store, err := engine.OpenStore(dir, engine.StoreOptions{})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	tokens := map[string]string{}
	for _, role := range []string{engine.RolePayment, engine.RoleOfficer, engine.RoleAuditor, engine.RoleAdmin} {
		t, _, err := store.CreateToken(role, "demo "+role)
		if err != nil {
			return nil, err
		}
		tokens[role] = t
	}
	return tokens, nil
}

// demoEvents is the sample traffic: ordinary top-ups, a payer spraying
// numbers, a card shared by several payers, an oversized transfer and a
// listed beneficiary.
func demoEvents(now time.Time) []map[string]any {
	base := now.Add(-30 * time.Minute).UTC()
	ev := func(id, payer, payerName, msisdn, benName, operator, usd string, at time.Duration, token string) map[string]any {
		e := map[string]any{
			"id": id, "source": "api", "kind": "recharge", "occurred_at": base.Add(at).Format(time.RFC3339),
			"payer":       map[string]any{"id": payer, "name": payerName, "country": "US"},
			"instrument":  map[string]any{"type": "card", "brand": "visa", "bin": "424242", "last4": "4242", "bin_country": "US", "token": token},
			"beneficiary": map[string]any{"msisdn": msisdn, "name": benName},
			"destination": map[string]any{"country": "UZ", "operator": operator},
			"amount":      map[string]any{"value": usd, "currency": "USD"},
		}
		return e
	}
	var out []map[string]any
	out = append(out,
		ev("demo_ok_1", "usr_ok", "John Smith", "+998901234567", "Alisher Karimov", "beeline", "10.00", 0, "tok_ok"),
		ev("demo_ok_2", "usr_ok", "John Smith", "+998931234567", "Dilnoza Karimova", "ucell", "15.00", time.Minute, "tok_ok"),
	)
	for i := 1; i <= 7; i++ {
		out = append(out, ev(fmt.Sprintf("demo_spread_%d", i), "usr_spray", "Ivan Petrov", fmt.Sprintf("+9989012300%02d", i), "", "beeline", "5.00", time.Duration(i)*2*time.Minute, "tok_spray"))
	}
	for i := 1; i <= 4; i++ {
		out = append(out, ev(fmt.Sprintf("demo_card_%d", i), fmt.Sprintf("usr_card_%d", i), "", fmt.Sprintf("+99897555000%d", i), "", "mobiuz", "20.00", time.Duration(i)*time.Minute, "tok_shared_card"))
	}
	big := ev("demo_big", "usr_big", "Sarah Lee", "+992935123456", "Rustam Nazarov", "tcell", "900.00", 3*time.Minute, "tok_big")
	big["destination"] = map[string]any{"country": "TJ", "operator": "tcell"}
	out = append(out, big,
		ev("demo_listed", "usr_listed", "Peter Brown", "+998991234567", "Алишер Усманов", "uzmobile", "25.00", 4*time.Minute, "tok_listed"))
	return out
}

func sendDemoTraffic(ctx context.Context, baseURL, token string, stdout io.Writer) error {
	client := &http.Client{Timeout: 15 * time.Second}
	counts := map[string]int{}
	for _, e := range demoEvents(time.Now()) {
		body, _ := json.Marshal(e)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/v1/preauth", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("demo traffic: %w", err)
		}
		var d engine.Decision
		err = json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("demo traffic: %s: status %d: %v", e["id"], resp.StatusCode, err)
		}
		counts[d.Outcome]++
		var codes []string
		for _, r := range d.Reasons {
			codes = append(codes, r.Code)
		}
		fmt.Fprintf(stdout, "  %-16s %-6s score %3d  %s\n", d.EventID, d.Outcome, d.Score, strings.Join(codes, ", "))
	}
	fmt.Fprintf(stdout, "  → allow %d, review %d, deny %d\n", counts[engine.OutcomeAllow], counts[engine.OutcomeReview], counts[engine.OutcomeDeny])
	return nil
}
