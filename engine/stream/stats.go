package stream

import (
	"sync"
	"sync/atomic"

	"github.com/qorovul/qorovul/engine"
)

// Observer receives the consumer's measurements, for a caller to export
// (Prometheus, a log line). Its methods must be cheap and concurrent-safe.
type Observer interface {
	// Consumed is called once per poll with the records it returned.
	Consumed(records int)
	// Decided is called per decision produced; duplicate means the event
	// was decided before (a redelivery, or first seen through the API).
	Decided(outcome string, duplicate bool)
	// DeadLettered is called per record sent to the DLQ, with its error code.
	DeadLettered(code string)
	// StatusChanged is called per status change produced.
	StatusChanged(from, to string)
	// Committed is called after an offset commit covering records.
	Committed(records int)
}

type nopObserver struct{}

func (nopObserver) Consumed(int)                 {}
func (nopObserver) Decided(string, bool)         {}
func (nopObserver) DeadLettered(string)          {}
func (nopObserver) StatusChanged(string, string) {}
func (nopObserver) Committed(int)                {}

// Stats is a snapshot of a consumer's counters since it started.
type Stats struct {
	Consumed      int64 // records polled
	Decided       int64 // decisions produced (Allow+Review+Deny)
	Duplicates    int64 // of which for events decided before
	Allow         int64
	Review        int64
	Deny          int64
	DeadLettered  int64 // records produced to the DLQ
	StatusChanges int64 // status changes produced
	Committed     int64 // records whose offsets are committed
	Retries       int64 // transient submit or produce failures retried
	InFlight      int64 // records polled and not yet done
	MaxInFlight   int64 // the most records ever in flight at once
	// Lag is the records behind the high watermarks of the assigned
	// partitions, as of the last poll.
	Lag int64
}

// counters are the consumer's own tallies behind Stats.
type counters struct {
	consumed, decided, duplicates, allow, review, deny atomic.Int64
	dlq, status, committed, retries, inflight, maxflt  atomic.Int64

	lagMu sync.Mutex
	lag   map[topicPartition]int64
	total atomic.Int64
}

type topicPartition struct {
	topic     string
	partition int32
}

func (c *counters) decidedOne(outcome string, dup bool) {
	c.decided.Add(1)
	if dup {
		c.duplicates.Add(1)
	}
	switch outcome {
	case engine.OutcomeAllow:
		c.allow.Add(1)
	case engine.OutcomeReview:
		c.review.Add(1)
	case engine.OutcomeDeny:
		c.deny.Add(1)
	}
}

func (c *counters) addInFlight(n int64) {
	v := c.inflight.Add(n)
	for {
		m := c.maxflt.Load()
		if v <= m || c.maxflt.CompareAndSwap(m, v) {
			return
		}
	}
}

// setLag records a partition's lag; forget drops partitions no longer owned.
func (c *counters) setLag(tp topicPartition, lag int64) {
	c.lagMu.Lock()
	defer c.lagMu.Unlock()
	if c.lag == nil {
		c.lag = map[topicPartition]int64{}
	}
	c.lag[tp] = max(lag, 0)
	c.sumLag()
}

func (c *counters) forget(topics map[string][]int32) {
	c.lagMu.Lock()
	defer c.lagMu.Unlock()
	for t, ps := range topics {
		for _, p := range ps {
			delete(c.lag, topicPartition{t, p})
		}
	}
	c.sumLag()
}

func (c *counters) sumLag() {
	var n int64
	for _, v := range c.lag {
		n += v
	}
	c.total.Store(n)
}

func (c *counters) snapshot() Stats {
	return Stats{
		Consumed: c.consumed.Load(), Decided: c.decided.Load(), Duplicates: c.duplicates.Load(),
		Allow: c.allow.Load(), Review: c.review.Load(), Deny: c.deny.Load(),
		DeadLettered: c.dlq.Load(), StatusChanges: c.status.Load(), Committed: c.committed.Load(),
		Retries: c.retries.Load(), InFlight: c.inflight.Load(), MaxInFlight: c.maxflt.Load(),
		Lag: c.total.Load(),
	}
}
