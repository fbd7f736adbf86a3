package stream_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/engine/stream"
	"github.com/twmb/franz-go/pkg/kadm"
)

// TestDeadLetterOverTheSizeLimit: an undecodable record whose dead letter
// (the value plus the DLQ headers) is over the DLQ topic's limit is
// published without its value, naming where the value stays, instead of
// being retried for ever and stalling its partition.
func TestDeadLetterOverTheSizeLimit(t *testing.T) {
	b := MustStartBroker(t)
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	cl := MustClient(t, b)
	limit := "3000"
	res, err := kadm.NewClient(cl).AlterTopicConfigs(context.Background(),
		[]kadm.AlterConfig{{Op: kadm.SetConfig, Name: "max.message.bytes", Value: &limit}}, stream.DefaultDLQTopic)
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		t.Fatal(err)
	}
	// Random text, so that the producer's compression cannot shrink it
	// under the limit.
	noise := make([]byte, 3000)
	rand.Read(noise)
	big := stream.TrafficRecord{Source: "upay", Key: "k1", Value: []byte(`{"id": "` + base64.StdEncoding.EncodeToString(noise) + `"`)}
	small := stream.TrafficRecord{Source: "upay", Key: "k2", Value: []byte(`{"id": 1`)}
	r := MustRun(t, b, p, stream.Config{Partitions: 1})
	MustProduce(t, cl, big, small)
	WaitCommitted(t, r, 2)

	dlq := MustReadTopic(t, b, stream.DefaultDLQTopic)
	if len(dlq) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dlq))
	}
	for _, d := range dlq {
		omitted, ok := header(d, stream.HeaderValueOmitted)
		off, _ := header(d, stream.HeaderOriginalOffset)
		switch string(d.Key) {
		case "k1":
			if !ok || len(d.Value) != 0 || off == "" || !strings.Contains(omitted, "original offset") {
				t.Fatalf("oversized dead letter: value %d bytes, headers %v", len(d.Value), d.Headers)
			}
		case "k2":
			if ok || string(d.Value) != `{"id": 1` {
				t.Fatalf("small dead letter changed: %q %v", d.Value, d.Headers)
			}
		}
	}
}
