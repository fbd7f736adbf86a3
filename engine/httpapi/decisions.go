package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"
)

// handleDecision returns a stored decision by event id or decision id:
// GET /v1/decisions/{id}.
func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) {
	d, err := s.cfg.Decisions.Decision(mux.Vars(r)["id"])
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
