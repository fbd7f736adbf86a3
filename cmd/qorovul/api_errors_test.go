package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/engine"
)

type apiError struct {
	Error struct {
		Code    string              `json:"code"`
		Message string              `json:"message"`
		Fields  []engine.FieldError `json:"fields"`
	} `json:"error"`
}

// TestPreauthBadInput is acceptance 6: each class of bad input gets a 4xx
// in the one error shape, naming the fields.
func TestPreauthBadInput(t *testing.T) {
	a := MustOpenApp(t, "")
	valid, _ := json.Marshal(testEvent("bad_0", "usr_bad", "+998901234567", 0, "1.00"))
	set := func(path string, v any) []byte {
		var m map[string]any
		json.Unmarshal(valid, &m)
		parts := strings.Split(path, ".")
		obj := m
		for _, p := range parts[:len(parts)-1] {
			obj = obj[p].(map[string]any)
		}
		if v == nil {
			delete(obj, parts[len(parts)-1])
		} else {
			obj[parts[len(parts)-1]] = v
		}
		b, _ := json.Marshal(m)
		return b
	}
	for _, tc := range []struct {
		name        string
		role, ctype string
		body        []byte
		status      int
		code, field string
	}{
		{"ErrRequiredMissing", "payment", "application/json", set("payer", nil), 400, "invalid_argument", "payer.id"},
		{"ErrTimeNotRFC3339", "payment", "application/json", set("occurred_at", "yesterday"), 400, "invalid_argument", "occurred_at"},
		{"ErrAmountNotPositive", "payment", "application/json", set("amount.value", "-1"), 400, "invalid_argument", "amount.value"},
		{"ErrCurrencyNotISO", "payment", "application/json", set("amount.currency", "DOLLARS"), 400, "invalid_argument", "amount.currency"},
		{"ErrMSISDNNotE164", "payment", "application/json", set("beneficiary.msisdn", "call me"), 400, "invalid_argument", "beneficiary.msisdn"},
		{"ErrCountryNotISO", "payment", "application/json", set("payer.country", "XX"), 400, "invalid_argument", "payer.country"},
		{"ErrCardNumber", "payment", "application/json", set("beneficiary.card_masked", "4111111111111111"), 400, "invalid_argument", "body"},
		{"ErrUnknownField", "payment", "application/json", set("extra", 1), 400, "invalid_argument", "extra"},
		{"ErrNotJSON", "payment", "application/json", []byte("{"), 400, "invalid_argument", "body"},
		{"ErrContentType", "payment", "text/plain", valid, 415, "unsupported_media_type", ""},
		{"ErrNoContentType", "payment", "", valid, 415, "unsupported_media_type", ""},
		{"ErrTooLarge", "payment", "application/json", append(append([]byte(`{"id":"`), strings.Repeat("x", 1<<20)...), `"}`...), 413, "payload_too_large", ""},
		{"ErrNoToken", "", "application/json", valid, 401, "unauthenticated", ""},
		{"ErrWrongRole", "auditor", "application/json", valid, 403, "permission_denied", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, b, hdr := a.Do(http.MethodPost, "/v1/preauth", tc.role, tc.ctype, tc.body)
			if status != tc.status || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d (%s), want %d: %s", status, hdr.Get("Content-Type"), tc.status, b)
			}
			var e apiError
			if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("body %s", b)
			}
			if tc.field == "" {
				return
			}
			for _, f := range e.Error.Fields {
				if f.Field == tc.field && f.Problem != "" {
					return
				}
			}
			t.Fatalf("field %s not named: %s", tc.field, b)
		})
	}
	t.Run("ErrBadTokens", func(t *testing.T) {
		good := a.Tokens["payment"]
		flipped := good[:len(good)-1] + map[bool]string{true: "1", false: "0"}[strings.HasSuffix(good, "0")]
		for _, tok := range []string{"nope", "qv_0000000000000000_" + strings.Repeat("0", 64), flipped, good + "0"} {
			req, _ := http.NewRequest(http.MethodPost, a.URL+"/v1/preauth", strings.NewReader(string(valid)))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Fatalf("token %q: %d", tok, resp.StatusCode)
			}
		}
	})
	t.Run("NothingHalfWritten", func(t *testing.T) {
		// None of the refused events left a decision behind.
		if status, b, _ := a.Do(http.MethodGet, "/v1/decisions/bad_0", engine.RoleAdmin, "", nil); status != 404 {
			t.Fatalf("%d %s", status, b)
		}
	})
	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		if status, _, _ := a.Do(http.MethodGet, "/v1/preauth", engine.RolePayment, "", nil); status != 405 {
			t.Fatalf("%d", status)
		}
	})
}

// TestOpenAPIMatchesRoutes checks that /openapi.json documents exactly the
// routes the server has, with the same methods.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := MustOpenApp(t, "")
	status, b, _ := a.Do(http.MethodGet, "/openapi.json", "", "", nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if status != 200 || json.Unmarshal(b, &doc) != nil || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("%d %.200s", status, b)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, r := range routesOf(t, a) {
		served[r] = true
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("openapi.json documents %s, which the server does not serve", r)
		}
	}
}

func TestMetricsAndHealth(t *testing.T) {
	a := MustOpenApp(t, "")
	a.MustPreauth(testEvent("m_1", "usr_m", "+998901234567", 0, "1.00"))
	a.MustPreauth(testEvent("m_2", "usr_m", "+998901234567", 1, "1.00"))
	a.MustPreauth(testEvent("m_1", "usr_m", "+998901234567", 0, "1.00")) // a retry: no stages
	status, b, _ := a.Do(http.MethodGet, "/metrics", "", "", nil)
	for _, want := range []string{
		`qorovul_decisions_total{duplicate="false",outcome="allow"} 2`,
		`qorovul_decisions_total{duplicate="true",outcome="allow"} 1`,
		"qorovul_commit_batch_events_count",
		`qorovul_http_requests_total{route="/v1/preauth",status="200"} 3`,
		`qorovul_pipeline_stage_seconds_count{stage="queued"} 2`,
		`qorovul_pipeline_stage_seconds_count{stage="scoring"} 2`,
		`qorovul_pipeline_stage_seconds_count{stage="waiting"} 2`,
	} {
		if status != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("metrics lack %q:\n%.2000s", want, b)
		}
	}
	// Without --brokers there is no stream to tell of.
	if status, b, _ := a.Do(http.MethodGet, "/healthz", "", "", nil); status != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
		t.Fatalf("/healthz: %d %s", status, b)
	}
}
