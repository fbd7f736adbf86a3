package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// EnsureTopics creates the input, decisions, DLQ and status topics that do
// not exist yet, with Config.Partitions partitions. Existing topics are left
// as they are.
func (c *Consumer) EnsureTopics(ctx context.Context) error {
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
