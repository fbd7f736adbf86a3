package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/qorovul/qorovul/sanctions"
)

// Clearance is an officer's decision that a listed entry is not the person
// a name stands for. It holds while the entry is unchanged: a later list in
// which the entry's content differs makes the pair alert again.
type Clearance struct {
	List      string `json:"list"`
	EntryID   string `json:"entry_id"`
	QueryKey  string `json:"query_key"`  // the normalised query name
	EntryHash string `json:"entry_hash"` // the entry's content when cleared
	Query     string `json:"query"`      // the name as the officer saw it
	Reason    string `json:"reason"`
	Officer   string `json:"officer"`
}

func (c *Clearance) key() string { return c.List + "\x00" + c.EntryID + "\x00" + c.QueryKey }

// Screening screens names against the sanctions lists in use, minus the
// pairs officers cleared. It is safe for concurrent use.
type Screening struct {
	lists *sanctions.Screener

	mu      sync.RWMutex
	cleared map[string]string // clearance key -> entry hash
}

var _ NameScreener = (*Screening)(nil)

// NewScreening screens with lists.
func NewScreening(lists *sanctions.Screener) *Screening {
	return &Screening{lists: lists, cleared: make(map[string]string)}
}

// Lists returns the screener whose index can be reloaded.
func (s *Screening) Lists() *sanctions.Screener { return s.lists }

// Version is the lists_version of the index in use.
func (s *Screening) Version() string { return s.lists.Index().Version() }

// ScreenName returns the matches of name at or above the review threshold
// that no officer cleared. A panic inside the index is reported as an error
// (the caller holds the payment for review).
func (s *Screening) ScreenName(name string) (out []SanctionsMatch, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("screen name: panic: %v", v)
		}
	}()
	ms := s.lists.Index().Screen(sanctions.Query{Name: name})
	if len(ms) == 0 {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range ms {
		c := Clearance{List: m.List, EntryID: m.EntryID, QueryKey: m.QueryKey}
		if h, ok := s.cleared[c.key()]; ok && h == m.EntryHash {
			continue
		}
		out = append(out, SanctionsMatch{List: m.List, EntryID: m.EntryID, Name: m.Name, Score: roundScore(m.Score), Via: m.Via})
	}
	return out, nil
}

// Search returns every match of name at or above min, cleared ones included
// and marked, for officers.
func (s *Screening) Search(q sanctions.Query, min float64) []SearchMatch {
	ms := s.lists.Index().ScreenAt(q, min)
	out := make([]SearchMatch, 0, len(ms))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range ms {
		c := Clearance{List: m.List, EntryID: m.EntryID, QueryKey: m.QueryKey}
		h, ok := s.cleared[c.key()]
		out = append(out, SearchMatch{
			SanctionsMatch: SanctionsMatch{List: m.List, EntryID: m.EntryID, Name: m.Name, Query: q.Name, Score: roundScore(m.Score), Via: m.Via},
			QueryKey:       m.QueryKey, EntryHash: m.EntryHash, Cleared: ok && h == m.EntryHash,
		})
	}
	return out
}

// SearchMatch is a match as officers see it when searching.
type SearchMatch struct {
	SanctionsMatch
	QueryKey  string `json:"query_key"`
	EntryHash string `json:"entry_hash"`
	Cleared   bool   `json:"cleared"`
}

// clear records c in memory (after it is durable).
func (s *Screening) clear(c Clearance) {
	s.mu.Lock()
	s.cleared[c.key()] = c.EntryHash
	s.mu.Unlock()
}

// Resolve finds the listed entry and the normalised query key of a
// clearance request: the pair must be one the lists in use produce.
func (s *Screening) Resolve(list, entryID, query string) (Clearance, error) {
	for _, m := range s.lists.Index().ScreenAt(sanctions.Query{Name: query}, 0) {
		if m.List == list && m.EntryID == entryID {
			return Clearance{List: list, EntryID: entryID, QueryKey: m.QueryKey, EntryHash: m.EntryHash, Query: query}, nil
		}
	}
	return Clearance{}, &Error{Code: EINVALID, Message: "invalid clearance", Fields: []FieldError{{
		Field: "entry_id", Problem: fmt.Sprintf("%s entry %s does not match %q", list, entryID, strings.TrimSpace(query))}}}
}

// Recorder commits officer actions durably (the pipeline does).
type Recorder interface {
	Record(ctx context.Context, a Action) error
}

// Clear records that the listed entry is not the person query names: the
// pair stops alerting until the entry changes. reason and officer are kept
// in the audit ledger.
func (s *Screening) Clear(ctx context.Context, rec Recorder, list, entryID, query, reason, officer string) (Clearance, error) {
	var fe fieldErrors
	for _, f := range []struct{ name, value string }{{"list", list}, {"entry_id", entryID}, {"query", query}, {"reason", reason}} {
		checkText(&fe, f.name, f.value, 512, true)
	}
	if err := fe.err(); err != nil {
		return Clearance{}, err
	}
	c, err := s.Resolve(list, entryID, query)
	if err != nil {
		return c, err
	}
	c.Reason, c.Officer = reason, officer
	b, err := json.Marshal(&c)
	if err != nil {
		return c, fmt.Errorf("encode clearance: %w", err)
	}
	err = rec.Record(ctx, Action{
		Kind: "sanctions.clear", Subject: list + ":" + entryID, Actor: officer, Payload: b,
		Set:     map[string][]byte{prefixClearance + c.key(): b},
		Applied: func() { s.clear(c) },
	})
	return c, err
}

// Suggest lists entries whose names start like prefix, for type-ahead.
func (s *Screening) Suggest(prefix string, n int) []sanctions.EntrySummary {
	return s.lists.Index().Suggest(prefix, n)
}

// roundScore keeps four decimals: scores are similarities, not money.
func roundScore(f float64) float64 {
	return float64(int64(f*10000+0.5)) / 10000
}
