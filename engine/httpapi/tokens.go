package httpapi

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/qorovul/qorovul/engine"
)

// tokenAdmin manages bearer tokens while the instance runs.
type tokenAdmin interface {
	IssueToken(ctx context.Context, rec engine.Recorder, role, name, actor string) (string, engine.TokenInfo, error)
	RevokeToken(ctx context.Context, rec engine.Recorder, id, reason, actor string) (engine.TokenInfo, error)
	Tokens() ([]engine.TokenInfo, error)
}

type tokenRequest struct {
	Role string `json:"role"`
	Name string `json:"name"`
}

// newToken is the one answer that carries a token's secret.
type newToken struct {
	Token string `json:"token"`
	engine.TokenInfo
}

type revokeRequest struct {
	Reason string `json:"reason"`
}

// actor names the caller in audit entries: its token's name and id.
func actor(r *http.Request) string {
	p := r.Context().Value(principalKey{}).(engine.Principal)
	return p.Name + " (" + p.TokenID + ")"
}

// handleTokenCreate makes a token: POST /v1/tokens. The answer is the only
// place its secret ever appears, so it must not be cached.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONBody(w, r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var req tokenRequest
	if err := decodeStrict(body, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	token, info, err := s.cfg.Tokens.IssueToken(r.Context(), s.cfg.Recorder, req.Role, req.Name, actor(r))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, newToken{Token: token, TokenInfo: info})
}

// handleTokenList lists every token, revoked ones included, without
// secrets: GET /v1/tokens.
func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request) {
	all, err := s.cfg.Tokens.Tokens()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if all == nil {
		all = []engine.TokenInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": all})
}

// handleTokenRevoke revokes a token: POST /v1/tokens/{id}/revoke. From the
// answer on, this instance refuses it.
func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONBody(w, r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var req revokeRequest
	if err := decodeStrict(body, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	info, err := s.cfg.Tokens.RevokeToken(r.Context(), s.cfg.Recorder, mux.Vars(r)["id"], req.Reason, actor(r))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
