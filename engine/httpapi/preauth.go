package httpapi

import (
	"context"
	"net/http"

	"github.com/qorovul/qorovul/engine"
)

// handlePreauth decides one canonical event synchronously: POST /v1/preauth.
// A retry with the same event id returns the stored decision, marked with
// the header Idempotent-Replayed: true.
func (s *Server) handlePreauth(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONBody(w, r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	ev, err := engine.ParseEvent(body)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.DecideTimeout)
	defer cancel()
	res, err := s.cfg.Pipeline.Submit(ctx, ev)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	b := res.JSON
	if b == nil {
		if b, err = res.Decision.AppendJSON(nil); err != nil {
			writeError(w, r, s.log, err)
			return
		}
	}
	if res.Duplicate {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	// b may be shared with concurrent callers of the same event id: it is
	// written as it is, never appended to.
	writeRawJSON(w, http.StatusOK, b)
}
