package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/stream"
)

// DefaultTopicTimeout bounds reaching the brokers and creating the topics
// at start.
const DefaultTopicTimeout = 30 * time.Second

// StreamConfig is the Kafka side of Config: topics, group and bounds.
type StreamConfig struct {
	EventsTopic    string
	DecisionsTopic string
	DLQTopic       string
	StatusTopic    string
	Group          string
	ClientID       string
	InstanceID     string
	Partitions     int
	MaxInFlight    int
	Security       KafkaSecurity // TLS and SASL (kafka_security.go)
}

// defaultStreamConfig is StreamConfig with every flag at its default.
func defaultStreamConfig() StreamConfig {
	var sc StreamConfig
	streamFlags(flag.NewFlagSet("stream", flag.ContinueOnError), &sc)
	return sc
}

// streamFlags registers the stream's flags on fs (each also a QOROVUL_*
// variable through parseFlags).
func streamFlags(fs *flag.FlagSet, sc *StreamConfig) {
	fs.StringVar(&sc.EventsTopic, "events-topic", stream.DefaultInputTopic, "Kafka topic of input events")
	fs.StringVar(&sc.DecisionsTopic, "decisions-topic", stream.DefaultDecisionsTopic, "Kafka topic decisions are produced to")
	fs.StringVar(&sc.DLQTopic, "dlq-topic", stream.DefaultDLQTopic, "Kafka topic of records that cannot be decided")
	fs.StringVar(&sc.StatusTopic, "status-topic", stream.DefaultStatusTopic, "Kafka topic of transaction status changes")
	fs.StringVar(&sc.Group, "group", stream.DefaultGroup, "Kafka consumer group")
	fs.StringVar(&sc.ClientID, "client-id", stream.DefaultClientID, "Kafka client id")
	fs.StringVar(&sc.InstanceID, "instance-id", "", "static group member id, unique per instance: a restart takes its partitions back at once")
	fs.IntVar(&sc.Partitions, "partitions", stream.DefaultPartitions, "partitions of topics created at start")
	fs.IntVar(&sc.MaxInFlight, "max-in-flight", stream.DefaultMaxInFlight, "input records being decided at once")
	kafkaSecurityFlags(fs, &sc.Security)
}

// openStream starts the Kafka consumer when --brokers is set. App.Open
// calls it once the pipeline runs.
func (a *App) openStream(ctx context.Context) error {
	if a.Config.Brokers == "" {
		return nil
	}
	var err error
	a.stream, err = startStream(ctx, a, a.Config.Brokers, a.Config.Stream)
	return err
}

// startStream creates the topics, runs a consumer feeding a's pipeline and
// registers its stop (finish in-flight records, commit, leave the group)
// to run before the pipeline drains.
func startStream(ctx context.Context, a *App, brokers string, sc StreamConfig) (*stream.Consumer, error) {
	var list []string
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			list = append(list, b)
		}
	}
	var fe []engine.FieldError
	if sc.Partitions <= 0 || sc.Partitions > 10_000 {
		fe = append(fe, engine.FieldError{Field: "--partitions", Problem: fmt.Sprintf("%d is not between 1 and 10000", sc.Partitions)})
	}
	if sc.MaxInFlight < 0 {
		fe = append(fe, engine.FieldError{Field: "--max-in-flight", Problem: fmt.Sprintf("%d is negative", sc.MaxInFlight)})
	}
	opts, sfe := sc.Security.clientOpts()
	fe = append(fe, sfe...)
	if len(fe) > 0 {
		return nil, &engine.Error{Code: engine.EINVALID, Message: "invalid configuration", Fields: fe}
	}
	sec := sc.Security
	a.Log.Info("kafka connection", "brokers", list, "tls", sec.tlsOn(), "client_certificate", sec.CertFile != "",
		"sasl_mechanism", strings.ToUpper(sec.SASLMechanism), "sasl_user", sec.SASLUser)
	if strings.EqualFold(sec.SASLMechanism, SASLPlain) && !sec.tlsOn() {
		a.Log.Warn("SASL PLAIN without TLS sends the password in the clear; add --kafka-tls")
	}
	var (
		obs   stream.Observer
		dlqBy *prometheus.CounterVec
	)
	if a.Metrics != nil {
		dlqBy = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qorovul_stream_dlq_total", Help: "Records produced to the DLQ, by error code."}, []string{"code"})
		for _, code := range []string{engine.EINVALID, engine.ECONFLICT, engine.ENOTFOUND, engine.ETOOLARGE, engine.EINTERNAL} {
			dlqBy.WithLabelValues(code) // every series from the start, at 0
		}
		obs = deadLetterCounter{dlqBy}
	}
	c, err := stream.New(stream.Config{
		Brokers: list, Group: sc.Group, ClientID: sc.ClientID, InstanceID: sc.InstanceID,
		InputTopic: sc.EventsTopic, DecisionsTopic: sc.DecisionsTopic, DLQTopic: sc.DLQTopic, StatusTopic: sc.StatusTopic,
		Partitions: int32(sc.Partitions), MaxInFlight: sc.MaxInFlight,
		Log:        a.Log.With("component", "stream"),
		Observer:   obs,
		ClientOpts: opts,
	}, a.Pipeline.Background()) // the API's callers go first
	if err != nil {
		return nil, err
	}
	tctx, cancel := context.WithTimeout(ctx, DefaultTopicTimeout)
	defer cancel()
	if err := c.EnsureTopics(tctx); err != nil {
		c.Close()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			// What a broker does to a client that speaks the wrong
			// protocol to it or fails to authenticate.
			return nil, fmt.Errorf("kafka %s: the brokers closed the connection: check the SASL credentials and mechanism, and whether the listener expects TLS: %w", brokers, err)
		}
		return nil, fmt.Errorf("kafka %s: %w", brokers, err)
	}
	if a.Metrics != nil {
		if err := registerStreamMetrics(a.Metrics.Registry(), c, dlqBy); err != nil {
			c.Close()
			return nil, err
		}
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := c.Run(runCtx)
		if err != nil {
			a.Log.Error("stream consumer stopped; restart the service", "err", err)
		}
		done <- err
	}()
	a.onClose(func(ctx context.Context) error {
		stop()
		select {
		case err := <-done:
			c.Close()
			return err
		case <-ctx.Done():
			return fmt.Errorf("stop stream consumer: %w", ctx.Err())
		}
	})
	return c, nil
}

// deadLetterCounter counts the consumer's dead letters by error code; the
// consumer's other counters are read from its Stats.
type deadLetterCounter struct{ byCode *prometheus.CounterVec }

func (d deadLetterCounter) DeadLettered(code string)   { d.byCode.WithLabelValues(code).Inc() }
func (deadLetterCounter) Consumed(int)                 {}
func (deadLetterCounter) Decided(string, bool)         {}
func (deadLetterCounter) StatusChanged(string, string) {}
func (deadLetterCounter) Committed(int)                {}

// registerStreamMetrics exports the consumer's counters on /metrics, and
// dlqBy, its dead letters by error code.
func registerStreamMetrics(reg *prometheus.Registry, c *stream.Consumer, dlqBy *prometheus.CounterVec) error {
	counter := func(name, help string, f func(stream.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(c.Stats())) })
	}
	gauge := func(name, help string, f func(stream.Stats) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(f(c.Stats())) })
	}
	var errs []error
	for _, col := range []prometheus.Collector{
		counter("qorovul_stream_records_consumed_total", "Input records polled.", func(s stream.Stats) int64 { return s.Consumed }),
		counter("qorovul_stream_decisions_produced_total", "Decisions produced (duplicates included).", func(s stream.Stats) int64 { return s.Decided }),
		dlqBy,
		counter("qorovul_stream_status_changes_total", "Status changes produced.", func(s stream.Stats) int64 { return s.StatusChanges }),
		counter("qorovul_stream_records_committed_total", "Input records whose offsets are committed.", func(s stream.Stats) int64 { return s.Committed }),
		counter("qorovul_stream_retries_total", "Transient submit or produce failures retried.", func(s stream.Stats) int64 { return s.Retries }),
		gauge("qorovul_stream_in_flight", "Input records being decided.", func(s stream.Stats) int64 { return s.InFlight }),
		gauge("qorovul_stream_lag", "Records behind the input partitions' high watermarks.", func(s stream.Stats) int64 { return s.Lag }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "qorovul_stream_connected", Help: "1 if a Kafka broker answered the last check (every 5 s), else 0."}, func() float64 {
			if c.Health().Connected {
				return 1
			}
			return 0
		}),
	} {
		if err := reg.Register(col); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("register stream metrics: %w", err)
	}
	return nil
}
