package main

import (
	"context"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine/stream"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestBrokerKeepsDataDir: `qorovul broker --data-dir` keeps produced
// records across a SIGTERM and restart.
func TestBrokerKeepsDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	start := func() *exec.Cmd { return startBrokerAt(t, addr, "--data-dir", dir, "--partitions", "2") }
	stop := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("broker after SIGTERM: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	b := start()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range 50 {
		recs = append(recs, &kgo.Record{Topic: stream.DefaultInputTopic, Key: []byte("k" + strconv.Itoa(i)), Value: []byte(strconv.Itoa(i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	stop(b)

	b = start()
	defer stop(b)
	cl, err = kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(stream.DefaultInputTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[string]bool{}
	for len(seen) < len(recs) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("after restart: read %d of %d records", len(seen), len(recs))
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
}
