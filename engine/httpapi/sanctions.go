package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/sanctions"
)

// screening is what the API needs of the sanctions screening.
type screening interface {
	Search(q sanctions.Query, min float64) []engine.SearchMatch
	Version() string
	Clear(ctx context.Context, rec engine.Recorder, list, entryID, query, reason, officer string) (engine.Clearance, error)
	Suggest(prefix string, n int) []sanctions.EntrySummary
}

type searchReply struct {
	Query        string               `json:"query"`
	ListsVersion string               `json:"lists_version"`
	Threshold    float64              `json:"threshold"`
	Matches      []engine.SearchMatch `json:"matches"`
}

// handleSanctionsSearch screens one name: GET /v1/sanctions/search?name=…
// [&threshold=0.8][&dob=YYYY-MM-DD][&nationality=XX].
func (s *Server) handleSanctionsSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("name")
	var fe []engine.FieldError
	if name == "" || len(name) > 256 {
		fe = append(fe, engine.FieldError{Field: "name", Problem: "is required, at most 256 bytes"})
	}
	threshold := sanctions.DefaultReviewThreshold
	if t := q.Get("threshold"); t != "" {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || v < 0.5 || v > 1 {
			fe = append(fe, engine.FieldError{Field: "threshold", Problem: "must be a number from 0.5 to 1"})
		}
		threshold = v
	}
	if len(fe) > 0 {
		writeError(w, r, s.log, &engine.Error{Code: engine.EINVALID, Message: "invalid search", Fields: fe})
		return
	}
	matches := s.cfg.Screening.Search(sanctions.Query{Name: name, DOB: q.Get("dob"), Nationality: q.Get("nationality")}, threshold)
	writeJSON(w, http.StatusOK, searchReply{Query: name, ListsVersion: s.cfg.Screening.Version(), Threshold: threshold, Matches: matches})
}

// handleSanctionsSuggest is a type-ahead over listed names:
// GET /v1/sanctions/suggest?prefix=…[&limit=10].
func (s *Server) handleSanctionsSuggest(w http.ResponseWriter, r *http.Request) {
	prefix := r.URL.Query().Get("prefix")
	limit := 10
	if l := r.URL.Query().Get("limit"); l != "" {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 || v > 100 {
			writeError(w, r, s.log, &engine.Error{Code: engine.EINVALID, Message: "invalid suggest", Fields: []engine.FieldError{{Field: "limit", Problem: "must be 1 to 100"}}})
			return
		}
		limit = v
	}
	if prefix == "" || len(prefix) > 128 {
		writeError(w, r, s.log, &engine.Error{Code: engine.EINVALID, Message: "invalid suggest", Fields: []engine.FieldError{{Field: "prefix", Problem: "is required, at most 128 bytes"}}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"prefix": prefix, "entries": s.cfg.Screening.Suggest(prefix, limit)})
}

type clearRequest struct {
	List    string `json:"list"`
	EntryID string `json:"entry_id"`
	Query   string `json:"query"`
	Reason  string `json:"reason"`
}

// handleSanctionsClear records a false positive: POST /v1/sanctions/clearances.
func (s *Server) handleSanctionsClear(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONBody(w, r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var req clearRequest
	if err := decodeStrict(body, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	c, err := s.cfg.Screening.Clear(r.Context(), s.cfg.Recorder, req.List, req.EntryID, req.Query, req.Reason, actor(r))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// decodeStrict decodes one JSON object refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	return engine.DecodeJSON(body, v, true)
}
