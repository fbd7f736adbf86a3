package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// Headers a Record may carry besides the source's own. Lookup ignores case,
// so HTTP's canonical "Payer-Id" works as well as Kafka's "payer-id".
const (
	// HeaderPayerID names the payer when the body does not.
	HeaderPayerID = "payer-id"
	// HeaderUzumMethod says which Uzum Merchant API webhook the body is
	// for: check, create, confirm, reverse or status (the request path).
	HeaderUzumMethod = "uzum-method"
	// HeaderOccurredAt gives the event time (RFC 3339) of a body that has
	// none, such as a telecom top-up request: the HTTP layer sets it from
	// its clock on receipt, the stream from the Kafka record's timestamp.
	HeaderOccurredAt = "occurred-at"
)

// MaxBodyBytes bounds a record's body.
const MaxBodyBytes = 1 << 20

// Record is one payload as it arrived, over HTTP or Kafka.
type Record struct {
	Source  string            // upay, anjirpay, upmobile, uzum, telecom, api or "" (api)
	Key     []byte            // the Kafka record key; the payer when nothing else names one
	Headers map[string]string // names compared case-insensitively
	Body    []byte
}

// Header returns the value of the header name, ignoring case, or "".
func (r Record) Header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Decode turns r into a canonical event, dispatching on r.Source. An "api"
// or empty source means the body is the canonical event JSON itself, decoded
// strictly. Errors are *engine.Error with code EINVALID (ETOOLARGE for an
// oversized body) whose Fields name the field and the problem.
//
// A few records carry only a new status for an event seen before (Uzum
// /confirm and /reverse): see StatusOnly.
func Decode(r Record) (engine.Event, error) {
	if len(r.Body) > MaxBodyBytes {
		return engine.Event{}, &engine.Error{Code: engine.ETOOLARGE, Message: "record too large",
			Fields: []engine.FieldError{{Field: "body", Problem: fmt.Sprintf("must be at most %d bytes", MaxBodyBytes)}}}
	}
	var ev engine.Event
	var err error
	switch r.Source {
	case "", engine.SourceAPI:
		ev, err = decodeAPI(r)
	case engine.SourceUpay:
		ev, err = decodeUpay(r)
	case engine.SourceAnjirpay:
		ev, err = decodeAnjirpay(r)
	case engine.SourceUpmobile:
		ev, err = decodeUpmobile(r)
	case engine.SourceUzum:
		ev, err = decodeUzum(r)
	case engine.SourceTelecom:
		ev, err = decodeTelecom(r)
	default:
		return engine.Event{}, &engine.Error{Code: engine.EINVALID, Message: "unknown source",
			Fields: []engine.FieldError{{Field: "source", Problem: "must be one of upay, anjirpay, upmobile, uzum, telecom, api"}}}
	}
	if err != nil {
		return engine.Event{}, err
	}
	return ev, nil
}

// StatusOnly reports whether ev carries only a new status for an event seen
// before, as Uzum's /confirm and /reverse do: ID, Source, Status and
// OccurredAt are set and nothing else is. The pipeline applies such an event
// to the stored one with engine.Transition instead of scoring it.
func StatusOnly(ev engine.Event) bool {
	return ev.ID != "" && ev.Status != "" && ev.Kind == "" && ev.Payer.ID == "" && ev.Amount.Currency == ""
}

// decodeAPI decodes the canonical event strictly. When the body names no
// payer, the envelope may.
func decodeAPI(r Record) (engine.Event, error) {
	ev, err := engine.ParseEvent(r.Body)
	if err == nil {
		return ev, nil
	}
	fields := engine.ErrorFields(err)
	env := envelopePayer(r)
	if env == "" || len(fields) != 1 || fields[0] != (engine.FieldError{Field: "payer.id", Problem: "is required"}) {
		return engine.Event{}, err
	}
	ev.Payer.ID = env
	if err := engine.Validate(&ev); err != nil {
		return engine.Event{}, err
	}
	return ev, nil
}

// ns namespaces a native id by source, once.
func ns(source, id string) string {
	if id == "" || strings.HasPrefix(id, source+":") {
		return id
	}
	return source + ":" + id
}

// envelopePayer is the payer the record's envelope names: the payer-id
// header, else the record key.
func envelopePayer(r Record) string {
	if v := strings.TrimSpace(r.Header(HeaderPayerID)); v != "" {
		return v
	}
	return strings.TrimSpace(string(r.Key))
}

// payer returns the namespaced payer id: native, the one the body names
// (field says where), when there is one, else the envelope's. A payer-id
// header that disagrees with the body is a problem; a record key is only a
// fallback and may be keyed otherwise.
func (p *problems) payer(source string, r Record, field, native string) string {
	header := strings.TrimSpace(r.Header(HeaderPayerID))
	if native != "" {
		id := ns(source, native)
		if header != "" && ns(source, header) != id {
			p.add(HeaderPayerID, "header %q disagrees with %s %q", header, field, native)
		}
		return id
	}
	env := envelopePayer(r)
	switch {
	case env == "":
		p.add(HeaderPayerID, "is required: the body names no payer, so send a payer-id header or a record key")
	case len(env) > maxIDLen || !printable(env):
		p.add(HeaderPayerID, "must be printable text without spaces, at most %d characters", maxIDLen)
	default:
		return ns(source, env)
	}
	return ""
}

// envelopeTime reads the occurred-at header for a body that has no time.
func (p *problems) envelopeTime(r Record) time.Time {
	v := strings.TrimSpace(r.Header(HeaderOccurredAt))
	if v == "" {
		p.add(HeaderOccurredAt, "is required: the body has no time, so send an occurred-at header (RFC 3339)")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		p.add(HeaderOccurredAt, "must be an RFC 3339 time")
		return time.Time{}
	}
	if t, ok := inRange(t); ok {
		return t
	}
	p.add(HeaderOccurredAt, "must be between 2000 and 2100")
	return time.Time{}
}
