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
// as they are. A client that may not create topics (on most managed
// clusters they are provisioned beforehand) only checks that they exist.
func (c *Consumer) EnsureTopics(ctx context.Context) error {
	if err := c.ping(ctx); err != nil {
		return fmt.Errorf("reach the brokers: %w", err)
	}
	c.setConnected(nil)
	topics := []string{c.cfg.InputTopic, c.cfg.DecisionsTopic, c.cfg.DLQTopic, c.cfg.StatusTopic}
	adm := kadm.NewClient(c.cl)
	resp, err := adm.CreateTopics(ctx, c.cfg.Partitions, c.cfg.ReplicationFactor, nil, topics...)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	var (
		errs    []error
		refused []string // creation not authorized: they must exist
	)
	for _, r := range resp.Sorted() {
		switch {
		case r.Err == nil:
			c.log.Info("stream topic created", "topic", r.Topic, "partitions", c.cfg.Partitions)
		case errors.Is(r.Err, kerr.TopicAlreadyExists):
		case errors.Is(r.Err, kerr.TopicAuthorizationFailed), errors.Is(r.Err, kerr.ClusterAuthorizationFailed):
			// Kafka checks the right to create before whether the
			// topic exists.
			refused = append(refused, r.Topic)
		default:
			errs = append(errs, fmt.Errorf("create topic %s: %w", r.Topic, r.Err))
		}
	}
	if len(refused) > 0 {
		details, err := adm.ListTopics(ctx, refused...)
		if err != nil {
			return fmt.Errorf("describe topics %v: %w", refused, err)
		}
		for _, topic := range refused {
			if d, ok := details[topic]; !ok || d.Err != nil {
				errs = append(errs, fmt.Errorf("topic %s does not exist (or cannot be described) and this client may not create it: create it, or grant the client CREATE (and DESCRIBE) on it", topic))
			}
		}
		if len(errs) == 0 {
			c.log.Info("stream topics exist; this client may not create topics", "topics", refused)
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
