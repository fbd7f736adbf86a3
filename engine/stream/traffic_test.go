package stream_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
	"github.com/qorovul/qorovul/engine/stream"
)

// TestTrafficDecodes: generated records decode and validate as their
// source, with distinct ids; malformed ones never decode.
func TestTrafficDecodes(t *testing.T) {
	tr := stream.Traffic{Start: t0, Prefix: "gen-"}
	ids := map[string]bool{}
	sources := map[string]int{}
	for i := range 600 {
		r := tr.Record(i)
		ev := decodeGenerated(t, r)
		if ids[ev.ID] {
			t.Fatalf("record %d repeats event id %s", i, ev.ID)
		}
		ids[ev.ID] = true
		sources[r.Source]++
		if ev.Source != r.Source {
			t.Fatalf("record %d: header source %s, event source %s", i, r.Source, ev.Source)
		}
	}
	if len(sources) != 6 {
		t.Fatalf("sources %v, want all six", sources)
	}
	for i := range 12 {
		r := tr.Malformed(i)
		h := map[string]string{}
		for k, v := range r.Headers {
			h[k] = v
		}
		ev, err := ingest.Decode(ingest.Record{Source: r.Source, Key: []byte(r.Key), Headers: h, Body: r.Value})
		if err == nil {
			err = engine.Validate(&ev)
		}
		if err == nil {
			t.Fatalf("malformed record %d (%s) decoded: %s", i, r.Source, r.Value)
		}
	}
	drift := tr.Drift(3, "declined", "sent")
	var statuses []string
	for _, r := range drift {
		ev := decodeGenerated(t, r)
		statuses = append(statuses, ev.Status)
		if ev.ID != decodeGenerated(t, drift[0]).ID {
			t.Fatalf("drift records of different transactions")
		}
	}
	if !slices.Equal(statuses, []string{"pending", "declined", "sent"}) {
		t.Fatalf("drift statuses %v", statuses)
	}
}

// TestTrafficShapes ties the generator to the hand-written samples: every
// field a generated record carries is one the source's sample carries.
func TestTrafficShapes(t *testing.T) {
	tr := stream.Traffic{Start: t0, Prefix: "shape-"}
	samples := map[string]string{
		"api": "api/event.json", "upay": "upay/webhook_created.json", "anjirpay": "anjirpay/transfer_pending.json",
		"upmobile": "upmobile/operation_mobile_rub.json", "uzum": "uzum/create_phone.json", "telecom": "telecom/topup_request.json",
	}
	for i := range 6 {
		r := tr.Record(i)
		t.Run(r.Source, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sources", samples[r.Source]))
			if err != nil {
				t.Fatal(err)
			}
			var sample, got map[string]any
			if err := json.Unmarshal(b, &sample); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(r.Value, &got); err != nil {
				t.Fatal(err)
			}
			subset(t, "", got, sample)
		})
	}
}

// subset fails when got has a field, at any depth of objects, that sample
// lacks.
func subset(t *testing.T, path string, got, sample map[string]any) {
	t.Helper()
	for k, v := range got {
		sv, ok := sample[k]
		if !ok {
			t.Errorf("generated field %s%s is not in the sample", path, k)
			continue
		}
		if gm, ok := v.(map[string]any); ok {
			if sm, ok := sv.(map[string]any); ok {
				subset(t, path+k+".", gm, sm)
			}
		}
	}
}
