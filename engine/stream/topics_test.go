package stream_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine/stream"
	"github.com/twmb/franz-go/pkg/kadm"
)

// TestEnsureTopicsWaitsForBroker: a consumer started before its cluster
// (as in a compose file) waits for a broker to accept connections, then
// creates the topics.
func TestEnsureTopicsWaitsForBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there until the broker starts

	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	c, err := stream.New(stream.Config{Brokers: []string{addr}, Partitions: 2}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.EnsureTopics(ctx) }()

	// The consumer must be trying in vain before the broker starts.
	time.Sleep(time.Second)
	select {
	case err := <-done:
		t.Fatalf("EnsureTopics returned with nothing listening: %v", err)
	default:
	}
	b, err := stream.StartBroker(stream.BrokerConfig{Addr: addr, Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := <-done; err != nil {
		t.Fatalf("EnsureTopics after the broker started: %v", err)
	}
	topics, err := kadm.NewClient(MustClient(t, b)).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic, stream.DefaultStatusTopic} {
		if !topics.Has(name) {
			t.Errorf("topic %s was not created; topics %v", name, topics.Names())
		}
	}
}

// TestEnsureTopicsConnectionClosed: a listener that accepts and closes
// every connection (what a broker does to a client that fails to
// authenticate or speaks plaintext to a TLS port) is reported at once,
// not retried until the context ends.
func TestEnsureTopicsConnectionClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	c, err := stream.New(stream.Config{Brokers: []string{ln.Addr().String()}}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	err = c.EnsureTopics(ctx)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("EnsureTopics: %v (context: %v), want the connection's failure before the context ends", err, ctx.Err())
	}
	if !strings.Contains(err.Error(), "reach the brokers") {
		t.Fatalf("EnsureTopics: %v, want it to say it could not reach the brokers", err)
	}
}
