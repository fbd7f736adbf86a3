package stream

import (
	"context"
	"errors"
	"time"
)

// DefaultHealthInterval is how often Run checks that a broker answers.
const DefaultHealthInterval = 5 * time.Second

// Health is what a consumer knows of its cluster and of itself.
type Health struct {
	// Connected is whether a broker answered the last check; Since is
	// when that last changed, and Err why the last check failed. While no
	// broker answers, the consumer keeps trying and loses nothing: it
	// takes up where its committed offsets are once one does.
	Connected bool
	Since     time.Time
	Err       error
	// Stopped is the error Run returned on: the consumer decides nothing
	// more until the service restarts.
	Stopped error
}

// errNotChecked is a new consumer's connection before its first check.
var errNotChecked = errors.New("not checked yet")

// Health returns the consumer's latest health.
func (c *Consumer) Health() Health { return *c.health.Load() }

// setConnected records the outcome of a check of the brokers, logging when
// it changes.
func (c *Consumer) setConnected(err error) {
	now := time.Now()
	for {
		old := c.health.Load()
		h := *old
		h.Connected, h.Err = err == nil, err
		if h.Connected != old.Connected {
			h.Since = now
		}
		if !c.health.CompareAndSwap(old, &h) {
			continue
		}
		switch {
		case h.Connected && !old.Connected && !errors.Is(old.Err, errNotChecked):
			c.log.Info("kafka reachable again", "unreachable_for", now.Sub(old.Since).Round(time.Millisecond))
		case !h.Connected && old.Connected:
			c.log.Warn("kafka unreachable; the stream waits for it and loses nothing", "err", err)
		}
		return
	}
}

// setStopped records the error Run returns on.
func (c *Consumer) setStopped(err error) {
	for {
		old := c.health.Load()
		h := *old
		h.Stopped = err
		if c.health.CompareAndSwap(old, &h) {
			return
		}
	}
}

// watch checks at once, then every HealthInterval, that a broker answers,
// until ctx ends.
func (c *Consumer) watch(ctx context.Context) {
	t := time.NewTicker(c.cfg.HealthInterval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, c.cfg.HealthInterval)
		err := c.cl.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		c.setConnected(err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
