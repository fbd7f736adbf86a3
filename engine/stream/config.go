package stream

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults of the consumer's settings.
const (
	DefaultInputTopic     = "payments.events"
	DefaultDecisionsTopic = "compliance.decisions"
	DefaultDLQTopic       = "payments.dlq"
	DefaultStatusTopic    = "payments.status"
	DefaultGroup          = "qorovul"
	DefaultClientID       = "qorovul"
	// DefaultPartitions is the partition count of topics created at start.
	DefaultPartitions = 6
	// DefaultMaxInFlight bounds the records being decided at once.
	DefaultMaxInFlight = 2048
	// DefaultFetchMaxBytes bounds one fetch response held by the client.
	DefaultFetchMaxBytes = 8 << 20
	// DefaultDrainTimeout is how long Run finishes in-flight records after
	// its context ends before it abandons them (they are redelivered).
	DefaultDrainTimeout = 20 * time.Second
	// DefaultMaxBackoff caps the wait between retries of a record whose
	// submit or produce failed transiently.
	DefaultMaxBackoff = 5 * time.Second
	// DefaultCommitInterval is how often finished offsets are committed.
	DefaultCommitInterval = 100 * time.Millisecond
	// DefaultLinger is how long the producer waits to fill a batch.
	DefaultLinger = 2 * time.Millisecond
)

// Record headers the consumer reads and writes.
const (
	// HeaderSource on an input record names its source (engine.Source*);
	// absent or "api" means the value is the canonical event JSON.
	HeaderSource = "source"

	HeaderEventID    = "event_id"
	HeaderDecisionID = "decision_id"
	HeaderOutcome    = "outcome"
	// HeaderDuplicate is "true" on a decision produced again for a
	// redelivered event.
	HeaderDuplicate = "duplicate"

	// HeaderReason and HeaderErrorCode say why a record went to the DLQ.
	HeaderReason    = "reason"
	HeaderErrorCode = "error_code"
	// Where a dead-lettered record came from.
	HeaderOriginalTopic     = "original_topic"
	HeaderOriginalPartition = "original_partition"
	HeaderOriginalOffset    = "original_offset"
	// HeaderValueOmitted marks a dead letter published without the input's
	// value because the two together were over the DLQ topic's size limit.
	HeaderValueOmitted = "value_omitted"
)

// Config configures a Consumer.
type Config struct {
	Brokers  []string
	Group    string
	ClientID string
	// InstanceID, when set, makes this a static group member: restarted
	// with the same id it takes its partitions back at once instead of
	// waiting for the old session to time out. Unique per instance.
	InstanceID string

	InputTopic     string
	DecisionsTopic string
	DLQTopic       string
	StatusTopic    string

	// Partitions and ReplicationFactor are used for topics that
	// EnsureTopics creates (-1 replication: the broker's default).
	Partitions        int32
	ReplicationFactor int16

	// MaxInFlight bounds the records polled and not yet done.
	MaxInFlight   int
	FetchMaxBytes int32
	DrainTimeout  time.Duration
	MaxBackoff    time.Duration
	Linger        time.Duration
	// CommitInterval is how often finished offsets are committed.
	CommitInterval time.Duration
	// HealthInterval is how often Run checks that a broker answers.
	HealthInterval time.Duration

	Log      *slog.Logger
	Observer Observer
	// ClientOpts are added to the franz-go client's options (TLS, SASL,
	// tests' tuning); they win over the consumer's own.
	ClientOpts []kgo.Opt
}

func (c *Config) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Group, DefaultGroup)
	def(&c.ClientID, DefaultClientID)
	def(&c.InputTopic, DefaultInputTopic)
	def(&c.DecisionsTopic, DefaultDecisionsTopic)
	def(&c.DLQTopic, DefaultDLQTopic)
	def(&c.StatusTopic, DefaultStatusTopic)
	if c.Partitions <= 0 {
		c.Partitions = DefaultPartitions
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = -1
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.FetchMaxBytes <= 0 {
		c.FetchMaxBytes = DefaultFetchMaxBytes
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = DefaultCommitInterval
	}
	if c.HealthInterval <= 0 {
		c.HealthInterval = DefaultHealthInterval
	}
	if c.Linger <= 0 {
		c.Linger = DefaultLinger
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
}

// validate reports every bad setting at once.
func (c *Config) validate() error {
	var fe []engine.FieldError
	if len(c.Brokers) == 0 {
		fe = append(fe, engine.FieldError{Field: "brokers", Problem: "at least one broker is required"})
	}
	topics := map[string]string{}
	for _, t := range []struct{ field, name string }{
		{"input_topic", c.InputTopic}, {"decisions_topic", c.DecisionsTopic},
		{"dlq_topic", c.DLQTopic}, {"status_topic", c.StatusTopic},
	} {
		if other, ok := topics[t.name]; ok {
			fe = append(fe, engine.FieldError{Field: t.field, Problem: fmt.Sprintf("%q is also the %s", t.name, other)})
		}
		topics[t.name] = t.field
	}
	if len(fe) > 0 {
		return &engine.Error{Code: engine.EINVALID, Message: "invalid stream configuration", Fields: fe}
	}
	return nil
}
