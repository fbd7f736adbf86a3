package main

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// TestDemoOnce runs `qorovul demo --once` in-process on free ports: the
// preauth samples and the stream traffic (every source, malformed records,
// AnjirPay drifts) are all decided and summarised.
func TestDemoOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo; skipped in -short")
	}
	out, errOut, code := runCLI(t, nil, "demo", "--once", "--http-addr", "127.0.0.1:0", "--broker-addr", "127.0.0.1:0", "--events", "600")
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"demo_spread_7", "msisdn_spread_24h", "kcat -C -b 127.0.0.1:", "compliance.decisions"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`stream decided (\d+) \(allow (\d+), review (\d+), deny (\d+)\), DLQ (\d+), status changes (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no stream summary in stdout:\n%s", out)
	}
	n := make([]int, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	decided, allow, review, deny, dlq, status := n[1], n[2], n[3], n[4], n[5], n[6]
	// 600 generated events and one AnjirPay drift (pending → sent: two
	// decisions of one transaction, one of them a status change).
	if decided != 602 || allow+review+deny != decided || allow == 0 || review == 0 {
		t.Errorf("decided %d: allow %d review %d deny %d", decided, allow, review, deny)
	}
	if dlq == 0 || status != 1 {
		t.Errorf("DLQ %d (want the malformed records), status changes %d (want 1)", dlq, status)
	}
}

// TestDemoCurlEventAllowed: the event of the curl line the demo prints,
// sent after the sample traffic as a newcomer would, is allowed with none
// of its features flagged. Dated in the past, it fell behind the windows'
// 7 days and was reviewed as window_saturated.
func TestDemoCurlEventAllowed(t *testing.T) {
	app := MustOpenApp(t, "")
	if err := sendDemoTraffic(context.Background(), app.URL, app.Tokens[engine.RolePayment], io.Discard); err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(demoCurlEvent(time.Now())), &ev); err != nil {
		t.Fatal(err)
	}
	d, _ := app.MustPreauth(ev)
	if d.Outcome != engine.OutcomeAllow || len(d.Reasons) != 0 || d.Features.Saturated {
		t.Fatalf("the demo's curl event: %s %v, saturated %v; want allow and no reasons", d.Outcome, reasonCodes(d), d.Features.Saturated)
	}
}
