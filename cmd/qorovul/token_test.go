package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// doBearer sends a request with a raw bearer token.
func (a *TestApp) doBearer(method, path, token string, body []byte) (int, []byte, http.Header) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.URL+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// wantFields fails unless b is the error shape with status 400 naming each
// of fields.
func wantFields(t *testing.T, status int, b []byte, fields ...string) {
	t.Helper()
	var e struct {
		Error struct {
			Code   string
			Fields []struct{ Field, Problem string }
		}
	}
	if status != http.StatusBadRequest || json.Unmarshal(b, &e) != nil || e.Error.Code != "invalid_argument" {
		t.Fatalf("want 400 invalid_argument, got %d %s", status, b)
	}
	named := map[string]bool{}
	for _, f := range e.Error.Fields {
		named[f.Field] = true
	}
	for _, f := range fields {
		if !named[f] {
			t.Errorf("error does not name %q: %s", f, b)
		}
	}
}

// TestTokenLifecycleWhileServing creates, uses, lists and revokes a token
// through the API of a running instance: no restart, the revocation holds
// at once even for a token the instance has just authenticated (and
// cached), and after a restart; both actions are in the audit ledger.
func TestTokenLifecycleWhileServing(t *testing.T) {
	dir := t.TempDir()
	a := MustOpenApp(t, dir)
	admin := a.Tokens[engine.RoleAdmin]

	status, b, hdr := a.doBearer(http.MethodPost, "/v1/tokens", admin, []byte(`{"role":"payment","name":"AnjirPay gateway"}`))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, b)
	}
	if cc := hdr.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var created struct {
		Token string `json:"token"`
		engine.TokenInfo
	}
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Token, "qv_"+created.TokenID+"_") || created.Role != engine.RolePayment ||
		created.Name != "AnjirPay gateway" || !strings.HasPrefix(created.CreatedBy, "demo admin (") || created.RevokedAt != nil {
		t.Fatalf("created %s", b)
	}
	secret := created.Token[len("qv_")+17:]

	ev := func(id string) []byte {
		body, _ := json.Marshal(testEvent(id, "usr_tok", "+998901110000", 0, "10.00"))
		return body
	}
	if status, b, _ := a.doBearer(http.MethodPost, "/v1/preauth", created.Token, ev("tok_1")); status != http.StatusOK {
		t.Fatalf("preauth with the new token: %d %s", status, b)
	}

	status, b, _ = a.doBearer(http.MethodGet, "/v1/tokens", admin, nil)
	if status != http.StatusOK {
		t.Fatalf("list: %d %s", status, b)
	}
	if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte("sha256")) {
		t.Fatalf("the list shows a secret or its hash: %s", b)
	}
	var list struct{ Tokens []engine.TokenInfo }
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	if n := len(list.Tokens); n != 5 || list.Tokens[4].TokenID != created.TokenID {
		t.Fatalf("list: %d tokens, want the 4 demo ones then the new one: %s", n, b)
	}

	// Only admins manage tokens.
	for _, role := range []string{engine.RolePayment, engine.RoleOfficer, engine.RoleAuditor} {
		if status, _, _ := a.Do(http.MethodGet, "/v1/tokens", role, "", nil); status != http.StatusForbidden {
			t.Errorf("%s lists tokens: %d, want 403", role, status)
		}
		if status, _, _ := a.Do(http.MethodPost, "/v1/tokens", role, "application/json", []byte(`{"role":"admin","name":"me"}`)); status != http.StatusForbidden {
			t.Errorf("%s creates a token: %d, want 403", role, status)
		}
	}
	// Bad input names its fields; nothing is created.
	status, b, _ = a.doBearer(http.MethodPost, "/v1/tokens", admin, []byte(`{"role":"king","name":""}`))
	wantFields(t, status, b, "role", "name")
	if status, b, _ := a.doBearer(http.MethodPost, "/v1/tokens", admin, []byte(`{"role":"payment","name":"x","expires":"never"}`)); status != http.StatusBadRequest {
		t.Errorf("unknown field: %d %s", status, b)
	}
	if status, _, _ := a.Do(http.MethodPost, "/v1/tokens", engine.RoleAdmin, "text/plain", []byte(`{"role":"payment","name":"x"}`)); status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d, want 415", status)
	}
	status, b, _ = a.doBearer(http.MethodPost, "/v1/tokens/nothex/revoke", admin, []byte(`{"reason":""}`))
	wantFields(t, status, b, "id", "reason")
	if status, b, _ := a.doBearer(http.MethodPost, "/v1/tokens/0123456789abcdef/revoke", admin, []byte(`{"reason":"x"}`)); status != http.StatusNotFound {
		t.Errorf("unknown token: %d %s", status, b)
	}

	// Revoked: refused at once, though just authenticated (cached).
	status, b, _ = a.doBearer(http.MethodPost, "/v1/tokens/"+created.TokenID+"/revoke", admin, []byte(`{"reason":"rotated after a leak"}`))
	if status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, b)
	}
	var revoked engine.TokenInfo
	if err := json.Unmarshal(b, &revoked); err != nil {
		t.Fatal(err)
	}
	if revoked.RevokedAt == nil || revoked.RevokeReason != "rotated after a leak" || !strings.HasPrefix(revoked.RevokedBy, "demo admin (") {
		t.Fatalf("revoked %s", b)
	}
	if status, b, hdr := a.doBearer(http.MethodPost, "/v1/preauth", created.Token, ev("tok_2")); status != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("preauth with the revoked token: %d %s", status, b)
	}
	// Revoking again changes nothing.
	status, b, _ = a.doBearer(http.MethodPost, "/v1/tokens/"+created.TokenID+"/revoke", admin, []byte(`{"reason":"again"}`))
	var again engine.TokenInfo
	if status != http.StatusOK || json.Unmarshal(b, &again) != nil || again.RevokedAt == nil || !again.RevokedAt.Equal(*revoked.RevokedAt) || again.RevokeReason != revoked.RevokeReason {
		t.Fatalf("revoke again: %d %s", status, b)
	}
	// The last admin token stays.
	if status, b, _ := a.doBearer(http.MethodPost, "/v1/tokens/"+tokenID(t, admin)+"/revoke", admin, []byte(`{"reason":"oops"}`)); status != http.StatusConflict {
		t.Fatalf("revoke the last admin token: %d %s", status, b)
	}
	if status, _, _ := a.doBearer(http.MethodGet, "/v1/tokens", admin, nil); status != http.StatusOK {
		t.Fatalf("the admin token stopped working: %d", status)
	}

	a.Close(context.Background())
	b2 := MustOpenApp(t, dir)
	if status, b, _ := b2.doBearer(http.MethodPost, "/v1/preauth", created.Token, ev("tok_3")); status != http.StatusUnauthorized {
		t.Fatalf("after a restart, preauth with the revoked token: %d %s", status, b)
	}
	b2.Close(context.Background())

	// The ledger verifies and holds one creation and one revocation of the
	// token, by the admin, with the reason.
	lines := ledgerLines(t, dir)
	kinds := map[string]int{}
	for _, line := range lines {
		var e struct {
			Kind, Subject, Actor string
			Payload              struct{ Reason string }
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Subject != created.TokenID {
			continue
		}
		kinds[e.Kind]++
		if !strings.HasPrefix(e.Actor, "demo admin (") {
			t.Errorf("%s by %q", e.Kind, e.Actor)
		}
		if e.Kind == "token.revoke" && e.Payload.Reason != "rotated after a leak" {
			t.Errorf("revocation reason %q", e.Payload.Reason)
		}
	}
	if kinds["token.create"] != 1 || kinds["token.revoke"] != 1 || len(kinds) != 2 {
		t.Fatalf("ledger entries of the token: %v", kinds)
	}
	if strings.Contains(strings.Join(lines, "\n"), secret) {
		t.Fatal("the ledger holds the token's secret")
	}
}

// tokenID is the id part of a token.
func tokenID(t *testing.T, token string) string {
	t.Helper()
	id, _, ok := strings.Cut(strings.TrimPrefix(token, "qv_"), "_")
	if !ok {
		t.Fatalf("token %q", token)
	}
	return id
}

// TestTokenListAndRevokeCommands manages tokens on a stopped instance.
func TestTokenListAndRevokeCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"QOROVUL_DATA_DIR": dir}
	tok, _, code := runCLI(t, env, "token", "create", "--role", "payment", "--name", "Upmobile")
	if code != 0 {
		t.Fatal("create")
	}
	if _, _, code := runCLI(t, env, "token", "create", "--role", "admin", "--name", "ops"); code != 0 {
		t.Fatal("create admin")
	}
	id := tokenID(t, strings.TrimSpace(tok))
	out, errOut, code := runCLI(t, env, "token", "list")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "Upmobile") || strings.Contains(out, strings.TrimSpace(tok)[20:]) {
		t.Fatalf("list: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := runCLI(t, env, "token", "revoke", "--id", id); code != 1 || !strings.Contains(errOut, "reason: is required") {
		t.Fatalf("revoke without a reason: %d %q", code, errOut)
	}
	if _, errOut, code := runCLI(t, env, "token", "revoke", "--id", id, "--reason", "contract ended"); code != 0 || !strings.Contains(errOut, "revoked") {
		t.Fatalf("revoke: %d %q", code, errOut)
	}
	out, _, _ = runCLI(t, env, "token", "list", "--json")
	var all []engine.TokenInfo
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 2 {
		t.Fatalf("list --json: %v %q", err, out)
	}
	if all[0].TokenID != id || all[0].RevokedAt == nil || all[0].RevokedBy != "cli" || time.Since(*all[0].RevokedAt) > time.Hour {
		t.Fatalf("revoked token listed as %+v", all[0])
	}
	store, err := engine.OpenStore(dir, engine.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Authenticate(strings.TrimSpace(tok)); engine.ErrorCode(err) != engine.EUNAUTHORIZED {
		t.Fatalf("a revoked token authenticates: %v", err)
	}
	if _, _, code := runCLI(t, env, "token", "rotate"); code != 2 {
		t.Fatalf("unknown subcommand: exit %d, want 2", code)
	}
}
