package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// EnsureTopics creates the input, decisions, DLQ and status topics that do
// not exist yet, with Config.Partitions partitions. Existing topics are left
// as they are.
func (c *Consumer) EnsureTopics(ctx context.Context) error {
	if err := c.ping(ctx); err != nil {
		return fmt.Errorf("reach the brokers: %w", err)
	}
	topics := []string{c.cfg.InputTopic, c.cfg.DecisionsTopic, c.cfg.DLQTopic, c.cfg.StatusTopic}
	adm := kadm.NewClient(c.cl)
	resp, err := adm.CreateTopics(ctx, c.cfg.Partitions, c.cfg.ReplicationFactor, nil, topics...)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	var errs []error
	for _, r := range resp.Sorted() {
		switch {
		case r.Err == nil:
			c.log.Info("stream topic created", "topic", r.Topic, "partitions", c.cfg.Partitions)
		case errors.Is(r.Err, kerr.TopicAlreadyExists):
		default:
			errs = append(errs, fmt.Errorf("create topic %s: %w", r.Topic, r.Err))
		}
	}
	return errors.Join(errs...)
}

// pingRetry is how long ping waits between attempts to connect.
const pingRetry = 500 * time.Millisecond

// ping returns once a broker answers. While no broker accepts a connection
// (a cluster still starting, say) it tries again until ctx ends; any other
// failure (a refused TLS handshake or SASL authentication, a connection
// closed at once) it returns at once, since trying again would only hide
// it behind a timeout.
func (c *Consumer) ping(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		err := c.cl.Ping(ctx)
		var op *net.OpError
		if err == nil || !errors.As(err, &op) || op.Op != "dial" {
			return err
		}
		if attempt%10 == 0 { // every 5 s
			c.log.Warn("no broker accepts a connection yet; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pingRetry):
		}
	}
}
