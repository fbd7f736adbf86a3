package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/qorovul/qorovul/engine/stream"
)

// DefaultBrokerAddr is where `qorovul broker` and the demo listen.
const DefaultBrokerAddr = "127.0.0.1:9092"

// runBroker runs a local Kafka-protocol broker (franz-go's kfake) until
// SIGTERM or SIGINT. With --data-dir its topics, offsets and groups survive
// a restart.
func runBroker(ctx context.Context, args []string, getenv env, stderr io.Writer) error {
	fs := newFlagSet("broker", stderr)
	var cfg stream.BrokerConfig
	fs.StringVar(&cfg.Addr, "addr", DefaultBrokerAddr, "HOST:PORT to listen on")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory to keep the broker's data in; empty keeps it in memory")
	fs.IntVar(&cfg.Partitions, "partitions", stream.DefaultPartitions, "partitions of created topics")
	fs.BoolVar(&cfg.SyncWrites, "sync-writes", false, "fsync every produced batch (with --data-dir)")
	topics := fs.String("topics", strings.Join([]string{stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic, stream.DefaultStatusTopic}, ","),
		"comma-separated topics to create at start")
	logLevel := fs.String("log-level", DefaultLogLevel, "debug, info, warn or error")
	logFormat := fs.String("log-format", DefaultLogFormat, "json or text")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if cfg.Partitions <= 0 {
		return usageError("--partitions %d: want at least 1", cfg.Partitions)
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	for _, t := range strings.Split(*topics, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.Topics = append(cfg.Topics, t)
		}
	}
	b, err := stream.StartBroker(cfg)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	log.Info("kafka broker listening", "addr", b.Addr(), "data_dir", cfg.DataDir, "partitions", cfg.Partitions, "topics", cfg.Topics)
	<-ctx.Done()
	log.Info("shutting down")
	b.Close()
	log.Info("stopped")
	return nil
}
