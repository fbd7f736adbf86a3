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
	"sync/atomic"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/stream"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults of the demo's traffic.
const (
	DefaultDemoEvents = 3000 // records fed at start
	DefaultDemoRate   = 200  // records per second afterwards (0: none)
)

// runDemo runs everything embedded: a temporary data dir, the API on
// 127.0.0.1:8080, a Kafka-protocol broker on 127.0.0.1:9092 with the
// consumer on it, a token per role, sample preauth traffic and a stream of
// mixed records with a live summary on stderr.
func runDemo(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	httpAddr := fs.String("http-addr", DefaultHTTPAddr, "HOST:PORT of the HTTP API")
	brokerAddr := fs.String("broker-addr", DefaultBrokerAddr, "HOST:PORT of the embedded Kafka-protocol broker")
	events := fs.Int("events", DefaultDemoEvents, "stream records fed at start")
	rate := fs.Int("rate", DefaultDemoRate, "stream records per second after the start (0: none)")
	keep := fs.Bool("keep", false, "keep the temporary data dir at exit")
	once := fs.Bool("once", false, "exit after the sample traffic is decided instead of serving until interrupted")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if *events < 0 || *rate < 0 {
		return usageError("--events and --rate must not be negative")
	}
	log, err := newLogger(stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	setMemoryLimit(getenv, os.ReadFile)
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
	broker, err := stream.StartBroker(stream.BrokerConfig{Addr: *brokerAddr, Partitions: stream.DefaultPartitions,
		Topics: []string{stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic, stream.DefaultStatusTopic}})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer broker.Close() // after the app: its consumer stops first
	app := NewApp(Config{DataDir: dir, HTTPAddr: *httpAddr}, log)
	if err := app.Open(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownTimeout)
		defer cancel()
		app.Close(sctx)
	}()
	consumer, err := startStream(ctx, app, broker.Addr(), defaultStreamConfig())
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "Qorovul demo\n  API      %s   (OpenAPI: %s/openapi.json, metrics: %s/metrics)\n  Kafka    %s   (in %s, out %s, DLQ %s, status %s)\n  data dir %s\n\nTokens (one per role):\n",
		app.URL, app.URL, app.URL, broker.Addr(), stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic, stream.DefaultStatusTopic, dir)
	for _, role := range []string{engine.RolePayment, engine.RoleOfficer, engine.RoleAuditor, engine.RoleAdmin} {
		fmt.Fprintf(stdout, "  %-8s %s\n", role, tokens[role])
	}
	fmt.Fprintf(stdout, "\nTry:\n  curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '%s' %s/v1/preauth\n", tokens[engine.RolePayment], demoCurlEvent(time.Now()), app.URL)
	fmt.Fprintf(stdout, "  kcat -C -b %s -t %s -f '%%k %%h\\n%%s\\n\\n'\n  kcat -C -b %s -t %s -f '%%h\\n%%s\\n\\n'\n\n",
		broker.Addr(), stream.DefaultDecisionsTopic, broker.Addr(), stream.DefaultDLQTopic)

	fmt.Fprintln(stdout, "Sample traffic:")
	if err := sendDemoTraffic(ctx, app.URL, tokens[engine.RolePayment], stdout); err != nil {
		return err
	}
	return runDemoStream(ctx, demoStream{
		broker: broker.Addr(), consumer: consumer, events: *events, rate: *rate, once: *once,
		stdout: stdout, stderr: stderr, wait: app.Wait,
	})
}

// demoCurlEvent is the event the printed curl line sends, dated now: an
// event older than the 7 days the windows keep behind the sample traffic
// would be reviewed as window_saturated.
func demoCurlEvent(now time.Time) string {
	return `{"id":"try_1","source":"api","kind":"recharge","occurred_at":"` + now.UTC().Format(time.RFC3339) +
		`","payer":{"id":"usr_try","name":"John Smith","country":"US"},"beneficiary":{"msisdn":"+998901234567","name":"Alisher Karimov"},"destination":{"country":"UZ","operator":"beeline"},"amount":{"value":"10.00","currency":"USD"}}`
}

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

// demoStream is the Kafka half of the demo.
type demoStream struct {
	broker         string
	consumer       *stream.Consumer
	events, rate   int
	once           bool
	stdout, stderr io.Writer
	wait           func(context.Context) error
}

// runDemoStream feeds the broker: a burst of every source's records with
// malformed ones and status drifts among them, then (unless once) a steady
// rate until ctx ends; a one-line summary goes to stderr every second.
func runDemoStream(ctx context.Context, d demoStream) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(d.broker), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return fmt.Errorf("demo producer: %w", err)
	}
	defer cl.Close()
	// Event times end about now, so the windows see a busy last hour.
	step := 100 * time.Millisecond
	tr := stream.Traffic{Start: time.Now().Add(-time.Duration(d.events) * step).Truncate(time.Second), Step: step, Payers: max(d.events/20, 10),
		Prefix: fmt.Sprintf("demo%d-", time.Now().Unix()%100000)}
	var produced atomic.Int64
	var perr atomic.Pointer[error]
	send := func(r stream.TrafficRecord) {
		produced.Add(1)
		cl.Produce(ctx, r.Kafka(stream.DefaultInputTopic), func(_ *kgo.Record, err error) {
			if err != nil && ctx.Err() == nil {
				perr.CompareAndSwap(nil, &err)
			}
		})
	}
	// AnjirPay transfers whose status changes after first sight: pending
	// → sent is a status change, pending → declined → sent ends in the DLQ
	// (a declined transfer cannot be sent).
	drifts := [][]string{{"sent"}, {"sent"}, {"declined", "sent"}}
	bad, drift := 0, 0
	for i := range d.events {
		send(tr.Record(i))
		if i%97 == 50 {
			send(tr.Malformed(bad))
			bad++
		}
		if i%500 == 250 || (d.events < 500 && i == d.events/2) {
			for _, r := range tr.Drift(drift, drifts[drift%len(drifts)]...) {
				send(r)
			}
			drift++
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("demo traffic: %w", err)
	}
	if err := perr.Load(); err != nil {
		return fmt.Errorf("demo traffic: %w", *err)
	}
	fmt.Fprintf(d.stdout, "\nStream traffic: %d records of every source fed to %s (%d malformed, %d status drifts); summary every second on stderr.\n",
		produced.Load(), stream.DefaultInputTopic, bad, drift)

	sctx, stopSummary := context.WithCancel(ctx)
	defer stopSummary()
	go summarize(sctx, d.consumer, d.stderr)

	if d.once {
		deadline := time.Now().Add(DefaultShutdownTimeout * 4)
		for d.consumer.Stats().Committed < produced.Load() {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("demo: %d of %d stream records decided", d.consumer.Stats().Committed, produced.Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
		st := d.consumer.Stats()
		fmt.Fprintf(d.stdout, "  → stream decided %d (allow %d, review %d, deny %d), DLQ %d, status changes %d\n",
			st.Decided, st.Allow, st.Review, st.Deny, st.DeadLettered, st.StatusChanges)
		return nil
	}
	if d.rate > 0 {
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			per := max(d.rate/10, 1)
			for i := d.events; ; {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				for range per {
					send(tr.Record(i))
					i++
					if i%200 == 0 {
						send(tr.Malformed(bad))
						bad++
					}
				}
			}
		}()
	}
	fmt.Fprintln(d.stdout, "\nServing until interrupted (Ctrl-C).")
	return d.wait(ctx)
}

// summarize writes one line a second: throughput and tallies.
func summarize(ctx context.Context, c *stream.Consumer, w io.Writer) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prev, at := c.Stats(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			st := c.Stats()
			done := (st.Decided + st.DeadLettered) - (prev.Decided + prev.DeadLettered)
			rate := float64(done) / now.Sub(at).Seconds()
			fmt.Fprintf(w, "stream  %6.0f ev/s  decided %d (allow %d · review %d · deny %d)  DLQ %d  status changes %d  lag %d\n",
				rate, st.Decided, st.Allow, st.Review, st.Deny, st.DeadLettered, st.StatusChanges, st.Lag)
			prev, at = st, now
		}
	}
}
