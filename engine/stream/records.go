package stream

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// inputRecord turns a Kafka record into what ingest.Decode reads. A record
// that says nothing of its time (a telecom top-up request) is given the
// record's timestamp as its occurred-at header.
func inputRecord(r *kgo.Record) ingest.Record {
	in := ingest.Record{Key: r.Key, Body: r.Value, Headers: make(map[string]string, len(r.Headers)+1)}
	for _, h := range r.Headers {
		in.Headers[h.Key] = string(h.Value)
	}
	in.Source = strings.TrimSpace(in.Header(HeaderSource))
	if in.Header(ingest.HeaderOccurredAt) == "" && !r.Timestamp.IsZero() {
		in.Headers[ingest.HeaderOccurredAt] = r.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	return in
}

// decode decodes and validates one input record.
func decode(r *kgo.Record) (engine.Event, error) {
	in := inputRecord(r)
	ev, err := ingest.Decode(in)
	if err != nil {
		return engine.Event{}, err
	}
	if ingest.StatusOnly(ev) {
		// Only a new status for an event seen before: the pipeline
		// applies it to the stored transaction.
		return ev, nil
	}
	if in.Source == "" || in.Source == engine.SourceAPI {
		// The canonical event is validated (and normalised) as it is
		// parsed; validating it twice would only cost time.
		return ev, nil
	}
	if err := engine.Validate(&ev); err != nil {
		return engine.Event{}, err
	}
	return ev, nil
}

// decisionRecord is the decision produced for an event, keyed by payer.
func decisionRecord(topic string, ev *engine.Event, res *engine.Result) (*kgo.Record, error) {
	b := res.JSON
	if b == nil {
		var err error
		if b, err = res.Decision.AppendJSON(nil); err != nil {
			return nil, fmt.Errorf("encode decision %s: %w", ev.ID, err)
		}
	}
	key := ev.Payer.ID
	if key == "" {
		key = ev.ID // a status-only record names no payer
	}
	d := &res.Decision
	// The key and the header values share one allocation.
	buf := make([]byte, 0, len(key)+len(d.EventID)+len(d.DecisionID)+len(d.Outcome)+len(ev.Source)+len("false"))
	part := func(s string) []byte {
		start := len(buf)
		buf = append(buf, s...)
		return buf[start:len(buf):len(buf)]
	}
	return &kgo.Record{
		Topic: topic,
		Key:   part(key),
		Value: b,
		Headers: []kgo.RecordHeader{
			{Key: HeaderEventID, Value: part(d.EventID)},
			{Key: HeaderDecisionID, Value: part(d.DecisionID)},
			{Key: HeaderOutcome, Value: part(d.Outcome)},
			{Key: HeaderSource, Value: part(ev.Source)},
			{Key: HeaderDuplicate, Value: part(strconv.FormatBool(res.Duplicate))},
		},
	}, nil
}

// statusRecord is a transaction's status change, keyed by event id so that
// one transaction's changes stay in order.
func statusRecord(topic string, ch *engine.StatusChange) (*kgo.Record, error) {
	b, err := json.Marshal(ch)
	if err != nil {
		return nil, fmt.Errorf("encode status change %s: %w", ch.EventID, err)
	}
	return &kgo.Record{
		Topic: topic,
		Key:   []byte(ch.EventID),
		Value: b,
		Headers: []kgo.RecordHeader{
			{Key: HeaderEventID, Value: []byte(ch.EventID)},
			{Key: HeaderSource, Value: []byte(ch.Source)},
			{Key: "from", Value: []byte(ch.From)},
			{Key: "to", Value: []byte(ch.To)},
		},
	}, nil
}

// dlqRecord is the input record unchanged (key, value, headers, timestamp)
// plus why it could not be decided and where it came from.
func dlqRecord(topic string, in *kgo.Record, err error) *kgo.Record {
	hs := make([]kgo.RecordHeader, 0, len(in.Headers)+5)
	hs = append(hs, in.Headers...)
	hs = append(hs,
		kgo.RecordHeader{Key: HeaderReason, Value: []byte(Reason(err))},
		kgo.RecordHeader{Key: HeaderErrorCode, Value: []byte(engine.ErrorCode(err))},
		kgo.RecordHeader{Key: HeaderOriginalTopic, Value: []byte(in.Topic)},
		kgo.RecordHeader{Key: HeaderOriginalPartition, Value: []byte(strconv.FormatInt(int64(in.Partition), 10))},
		kgo.RecordHeader{Key: HeaderOriginalOffset, Value: []byte(strconv.FormatInt(in.Offset, 10))},
	)
	return &kgo.Record{Topic: topic, Key: in.Key, Value: in.Value, Headers: hs, Timestamp: in.Timestamp}
}

// Reason renders err for the DLQ's reason header: the client-safe message
// and each field's problem, e.g.
// "invalid event; amount.value: must be a positive decimal".
func Reason(err error) string {
	var b strings.Builder
	b.WriteString(engine.ErrorMessage(err))
	for _, f := range engine.ErrorFields(err) {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Problem)
	}
	return b.String()
}

// deadLetter reports whether a Submit error is about the record itself,
// so that retrying cannot help: it goes to the DLQ. Any other error
// (storage unavailable, deadline, internal) is retried and holds the
// offset back.
func deadLetter(err error) bool {
	switch engine.ErrorCode(err) {
	case engine.EINVALID, engine.ECONFLICT, engine.ETOOLARGE, engine.EMEDIATYPE:
		return true
	case engine.ENOTFOUND:
		return true // a status for a transaction never decided
	}
	return false
}
