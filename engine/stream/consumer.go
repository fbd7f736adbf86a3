package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// submitter is what the consumer needs of the pipeline: Submit returns once
// the event's effect is durable.
type submitter interface {
	Submit(ctx context.Context, ev engine.Event) (engine.Result, error)
	SubmitStatus(ctx context.Context, ev engine.Event) (engine.Result, error)
	StatusEmitted(ctx context.Context, eventID, status string) error
}

var (
	_ submitter = (*engine.Pipeline)(nil)
	_ submitter = engine.Background{}
)

// Consumer feeds the input topic to the pipeline and produces decisions,
// status changes and dead letters. Run it once; Close it after.
type Consumer struct {
	cfg Config
	sub submitter
	cl  *kgo.Client
	log *slog.Logger
	c   counters
	// rebalance is set when the group wants to rebalance and waits for
	// this member to allow it.
	rebalance atomic.Bool
	// lastRetryLog is when a retry was last logged (Unix ns).
	lastRetryLog atomic.Int64
	health       atomic.Pointer[Health]
	// decode turns an input record into an event (records.go's decode;
	// tests swap it).
	decode func(*kgo.Record) (engine.Event, error)
}

// New connects a consumer to cfg.Brokers (lazily: the first request dials).
func New(cfg Config, p submitter) (*Consumer, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("new stream consumer: a pipeline is required")
	}
	c := &Consumer{cfg: cfg, sub: p, log: cfg.Log, decode: decode}
	c.health.Store(&Health{Since: time.Now(), Err: errNotChecked})
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.InputTopic),
		// A producer's aborted transaction never happened: its records
		// are not decided, nor counted in the windows.
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.OnPartitionsLost(c.lost),
		kgo.OnPartitionsCallbackBlocked(func(context.Context, *kgo.Client) { c.rebalance.Store(true) }),
		kgo.FetchMaxBytes(cfg.FetchMaxBytes),
		kgo.FetchMaxPartitionBytes(min(cfg.FetchMaxBytes, 1<<20)),
		kgo.MaxConcurrentFetches(1),
		kgo.ProducerLinger(cfg.Linger),
		kgo.MaxBufferedRecords(4 * cfg.MaxInFlight),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	}
	if cfg.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(cfg.InstanceID))
	}
	opts = append(opts, cfg.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("new kafka client: %w", err)
	}
	c.cl = cl
	return c, nil
}

// Client is the consumer's franz-go client (to produce test traffic or
// inspect offsets with the same connection settings).
func (c *Consumer) Client() *kgo.Client { return c.cl }

// Stats returns the consumer's counters.
func (c *Consumer) Stats() Stats { return c.c.snapshot() }

// Close leaves the group and closes the client. Call it after Run returned.
func (c *Consumer) Close() { c.cl.CloseAllowingRebalance() }

// Every record's work is done before its offsets are committed and before a
// rebalance is allowed, so a revoked partition has nothing in flight: only
// the lag gauge forgets it.
func (c *Consumer) revoked(_ context.Context, _ *kgo.Client, tps map[string][]int32) {
	c.c.forget(tps)
}

func (c *Consumer) lost(_ context.Context, _ *kgo.Client, tps map[string][]int32) {
	c.log.Warn("stream partitions lost", "partitions", tps)
	c.c.forget(tps)
}

// Run consumes until ctx ends, then finishes the records in flight (for at
// most DrainTimeout), commits their offsets and returns nil. Records it
// could not finish are not committed: the group redelivers them. Meanwhile
// it checks every HealthInterval that a broker answers (Health).
//
// Polls overlap: while earlier records are being decided, the loop polls
// more, up to MaxInFlight records in all, and commits each partition's
// finished prefix every CommitInterval. When the group wants to rebalance
// it stops polling, lets everything in flight finish, commits and only
// then allows the rebalance.
func (c *Consumer) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			c.setStopped(err)
		}
	}()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go c.watch(watchCtx)
	// work outlives ctx by DrainTimeout: in-flight submits and produces
	// finish on shutdown rather than being abandoned half-way.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(c.cfg.DrainTimeout, cancelWork)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stop()

	l := &loop{c: c, ctx: ctx, work: work,
		finished: make(chan *job, c.cfg.MaxInFlight),
		jobs:     make(chan *job, c.cfg.MaxInFlight),
		parts:    map[topicPartition][]*job{},
		last:     map[string]*job{},
	}
	c.log.Info("stream consuming", "topic", c.cfg.InputTopic, "group", c.cfg.Group, "max_in_flight", c.cfg.MaxInFlight)
	defer func() {
		l.drain()
		l.commit()
		close(l.jobs) // the handlers are idle now, and end
		c.cl.AllowRebalance()
	}()
	nextCommit := time.Now().Add(c.cfg.CommitInterval)
	for ctx.Err() == nil {
		l.reap(false)
		if l.failed != nil {
			return l.failed
		}
		if c.rebalance.Swap(false) {
			// Nothing may be in flight when partitions move.
			l.drain()
			l.commit()
			c.cl.AllowRebalance()
			nextCommit = time.Now().Add(c.cfg.CommitInterval)
			continue
		}
		if time.Now().After(nextCommit) {
			l.commit()
			nextCommit = time.Now().Add(c.cfg.CommitInterval)
		}
		free := c.cfg.MaxInFlight - l.inflight
		if free < max(1, c.cfg.MaxInFlight/8) && l.inflight > 0 {
			// Full: wait for records to finish (or the next commit).
			l.reapOne(time.Until(nextCommit))
			continue
		}
		// Come back in time to commit and to notice a rebalance.
		pctx, cancel := context.WithDeadline(ctx, nextCommit)
		fetches := c.cl.PollRecords(pctx, free)
		cancel()
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
			c.log.Warn("stream fetch failed", "topic", topic, "partition", p, "err", err)
		})
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if n := len(p.Records); n > 0 {
				c.c.setLag(topicPartition{p.Topic, p.Partition}, p.HighWatermark-p.Records[n-1].Offset-1)
			}
		})
		if recs := fetches.Records(); len(recs) > 0 {
			l.dispatch(recs)
		}
	}
	return nil
}

// job is one input record on its way through.
type job struct {
	rec *kgo.Record
	ev  engine.Event
	err error // from decoding: the record goes to the DLQ
	// prev is the previous record in flight of the same event id: this
	// one is submitted only after it, so that status changes keep their
	// order (pending before sent).
	prev *job
	// submitted is closed once this record's Submit returned and its
	// output records were handed to the producer (in that order), or
	// once it was given up (abandoned is then true; it is read only after
	// submitted is closed).
	submitted chan struct{}
	abandoned bool
	// done: finished (ok or not); ok: decided and acknowledged, so the
	// offset may be committed past it. Both are read by the loop only
	// after the job came back on loop.finished.
	done, ok bool
}

// loop is Run's state; only Run's goroutine touches it.
type loop struct {
	c         *Consumer
	ctx, work context.Context
	inflight  int
	finished  chan *job
	// jobs feeds the handlers: goroutines that each decide one record at
	// a time. There are as many as records were ever in flight at once
	// (at most MaxInFlight); they last until Run returns, so that a
	// record costs no new goroutine and no stack growth.
	jobs     chan *job
	handlers int
	// parts holds each partition's jobs in offset order, finished or not,
	// from the first one not yet committed.
	parts map[topicPartition][]*job
	// last is the latest job in flight of each event id.
	last map[string]*job
	// failed is set when a record failed other than by shutdown.
	failed error
}

// dispatch decodes one poll's records in parallel, orders the records of
// one event id and starts deciding them.
func (l *loop) dispatch(recs []*kgo.Record) {
	c := l.c
	n := len(recs)
	c.c.consumed.Add(int64(n))
	c.cfg.Observer.Consumed(n)
	c.c.addInFlight(int64(n))
	l.inflight += n

	jobs := make([]job, n)
	for i, r := range recs {
		jobs[i] = job{rec: r, submitted: make(chan struct{})}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (n+15)/16) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				j := &jobs[i]
				j.ev, j.err = l.c.safeDecode(j.rec)
			}
		})
	}
	wg.Wait()
	for i := range jobs {
		j := &jobs[i]
		tp := topicPartition{j.rec.Topic, j.rec.Partition}
		l.parts[tp] = append(l.parts[tp], j)
		if j.err == nil {
			j.prev = l.last[j.ev.ID]
			l.last[j.ev.ID] = j
		}
		l.jobs <- j // never blocks: jobs holds MaxInFlight
	}
	for l.handlers < l.inflight {
		l.handlers++
		go l.handler()
	}
}

// safeDecode is decode that turns a panic into an internal error, so that a
// record no decoder foresaw goes to the DLQ instead of killing the process,
// which would then meet the same record again after every restart.
func (c *Consumer) safeDecode(r *kgo.Record) (ev engine.Event, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("decoding a record panicked; it goes to the DLQ", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			ev, err = engine.Event{}, &engine.Error{Code: engine.EINTERNAL, Message: fmt.Sprintf("the record could not be decoded: the decoder failed (%v)", v)}
		}
	}()
	return c.decode(r)
}

// handler decides the records sent on jobs, one at a time, until jobs is
// closed.
func (l *loop) handler() {
	for j := range l.jobs {
		j.ok = l.c.handle(l.ctx, l.work, j) // published to the loop by the channel send
		l.finished <- j
	}
}

// reap takes the finished jobs; with wait it blocks for all in flight.
func (l *loop) reap(wait bool) {
	for l.inflight > 0 {
		var j *job
		if wait {
			j = <-l.finished
		} else {
			select {
			case j = <-l.finished:
			default:
				return
			}
		}
		l.finish(j)
	}
}

// reapOne waits up to d for one job to finish.
func (l *loop) reapOne(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case j := <-l.finished:
		l.finish(j)
	case <-t.C:
	}
}

func (l *loop) finish(j *job) {
	if !j.ok && l.ctx.Err() == nil && l.failed == nil {
		// Transient failures are retried until shutdown, so this is
		// not one: stop rather than skip the record.
		l.failed = fmt.Errorf("stream record %s/%d@%d could not be finished", j.rec.Topic, j.rec.Partition, j.rec.Offset)
	}
	j.done = true
	l.inflight--
	l.c.c.addInFlight(-1)
	if j.err == nil && l.last[j.ev.ID] == j {
		delete(l.last, j.ev.ID)
	}
}

// drain waits for everything in flight.
func (l *loop) drain() { l.reap(true) }

// commit commits, per partition, the offset after the last finished record
// with every record before it finished too; a record that failed (only on
// shutdown) stops its partition there.
func (l *loop) commit() {
	l.reap(false)
	var recs []*kgo.Record
	total := 0
	for tp, js := range l.parts {
		k := 0
		for k < len(js) && js[k].done && js[k].ok {
			k++
		}
		if k == 0 {
			continue
		}
		recs = append(recs, js[k-1].rec)
		total += k
		// A failed record stays at the head: nothing past it is ever
		// committed, and the group redelivers it.
		js = js[k:]
		if len(js) == 0 {
			delete(l.parts, tp)
		} else {
			l.parts[tp] = js
		}
	}
	if len(recs) == 0 {
		return
	}
	if err := l.c.cl.CommitRecords(l.work, recs...); err != nil {
		// The next commit covers these offsets; until then a crash
		// only redelivers records whose decisions are stored.
		l.c.log.Warn("stream offset commit failed", "err", err)
		return
	}
	l.c.c.committed.Add(int64(total))
	l.c.cfg.Observer.Committed(total)
}

// handle decides one record and produces its output. It returns true once
// everything is durable and acknowledged.
func (c *Consumer) handle(ctx, work context.Context, j *job) bool {
	closed := false
	release := func() {
		if !closed {
			closed = true
			close(j.submitted)
		}
	}
	// Until it is submitted, the record counts as abandoned: a later
	// record of the same event id must not overtake it.
	j.abandoned = true
	defer release()
	if j.prev != nil {
		select {
		case <-j.prev.submitted:
			if j.prev.abandoned {
				return false
			}
		case <-work.Done():
			return false
		}
	}
	outs, err := c.outputs(ctx, work, j)
	if err != nil {
		return false
	}
	j.abandoned = false
	recs := outs.records()
	var pending sync.WaitGroup
	failed := make([]bool, len(recs))
	for i, r := range recs {
		pending.Add(1)
		c.cl.Produce(work, r, func(_ *kgo.Record, err error) {
			failed[i] = err != nil
			pending.Done()
		})
	}
	if outs.res.StatusChange == nil {
		// A later record of this event id may go ahead now; after a
		// status change it waits until the change is published, so that
		// it does not publish it again.
		release()
	}
	pending.Wait()
	for i, r := range recs {
		if failed[i] && !c.produceAgain(ctx, work, r) {
			return false
		}
	}
	if ch := outs.res.StatusChange; ch != nil {
		// The status record is acknowledged: a redelivery of this input
		// need not publish it again. If this fails the offset is not
		// committed, and the redelivery publishes it once more.
		if err := c.sub.StatusEmitted(work, ch.EventID, ch.To); err != nil {
			c.log.Warn("recording a published status change failed", "event_id", ch.EventID, "err", err)
			return false
		}
	}
	c.count(&outs)
	return true
}

// output is what one input record produces: a decision (and maybe a status
// change), or a dead letter.
type output struct {
	decision, status, dlq *kgo.Record
	res                   engine.Result
	dlqErr                error
}

func (o *output) records() []*kgo.Record {
	if o.dlq != nil {
		return []*kgo.Record{o.dlq}
	}
	if o.status != nil {
		return []*kgo.Record{o.decision, o.status}
	}
	return []*kgo.Record{o.decision}
}

// outputs submits j's event (retrying transient failures until ctx ends)
// and returns the records to produce for it.
func (c *Consumer) outputs(ctx, work context.Context, j *job) (output, error) {
	if j.err != nil {
		return output{dlq: dlqRecord(c.cfg.DLQTopic, j.rec, j.err), dlqErr: j.err}, nil
	}
	res, err := c.submit(ctx, work, j.ev)
	if err != nil {
		if deadLetter(err) {
			return output{dlq: dlqRecord(c.cfg.DLQTopic, j.rec, err), dlqErr: err}, nil
		}
		return output{}, err
	}
	o := output{res: res}
	if o.decision, err = decisionRecord(c.cfg.DecisionsTopic, &j.ev, &res); err != nil {
		return output{}, err
	}
	if res.StatusChange != nil {
		if o.status, err = statusRecord(c.cfg.StatusTopic, res.StatusChange); err != nil {
			return output{}, err
		}
	}
	return o, nil
}

// submit calls the pipeline, retrying with backoff while the error is
// transient and ctx lasts.
func (c *Consumer) submit(ctx, work context.Context, ev engine.Event) (engine.Result, error) {
	backoff := 50 * time.Millisecond
	for {
		var res engine.Result
		var err error
		if ingest.StatusOnly(ev) {
			res, err = c.sub.SubmitStatus(work, ev)
		} else {
			res, err = c.sub.Submit(work, ev)
		}
		if err == nil || deadLetter(err) {
			return res, err
		}
		c.c.retries.Add(1)
		if c.logRetry() {
			c.log.Warn("stream submit failed; retrying", "event_id", ev.ID, "code", engine.ErrorCode(err), "err", err, "backoff", backoff, "retries", c.c.retries.Load())
		}
		if !sleep(ctx, backoff) {
			return res, err
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
}

// produceAgain retries a record the producer failed, until it is
// acknowledged or ctx ends.
func (c *Consumer) produceAgain(ctx, work context.Context, r *kgo.Record) bool {
	backoff := 50 * time.Millisecond
	for {
		c.c.retries.Add(1)
		if !sleep(ctx, backoff) {
			return false
		}
		r.Partition, r.Offset = 0, 0
		err := c.cl.ProduceSync(work, r).FirstErr()
		if err == nil {
			return true
		}
		if errors.Is(err, kerr.MessageTooLarge) && r.Topic == c.cfg.DLQTopic && r.Value != nil {
			// The input plus the DLQ headers is over the DLQ topic's
			// limit: publish the dead letter without the value, which
			// stays in the input topic at original_topic/partition/offset,
			// rather than stall the partition for ever.
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderValueOmitted,
				Value: []byte(fmt.Sprintf("the %d-byte value is over the DLQ topic's size limit; read it at the original offset", len(r.Value)))})
			r.Value = nil
			c.log.Warn("dead letter published without its value: too large", "topic", r.Topic)
			continue
		}
		if c.logRetry() {
			c.log.Warn("stream produce failed; retrying", "topic", r.Topic, "err", err, "backoff", backoff, "retries", c.c.retries.Load())
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
}

// logRetry reports whether a retry should be logged: at most one a second,
// however many records are retrying.
func (c *Consumer) logRetry() bool {
	now := time.Now().UnixNano()
	last := c.lastRetryLog.Load()
	return now-last >= int64(time.Second) && c.lastRetryLog.CompareAndSwap(last, now)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Consumer) count(o *output) {
	if o.dlq != nil {
		code := engine.ErrorCode(o.dlqErr)
		c.c.dlq.Add(1)
		c.cfg.Observer.DeadLettered(code)
		return
	}
	c.c.decidedOne(o.res.Decision.Outcome, o.res.Duplicate)
	c.cfg.Observer.Decided(o.res.Decision.Outcome, o.res.Duplicate)
	if ch := o.res.StatusChange; ch != nil {
		c.c.status.Add(1)
		c.cfg.Observer.StatusChanged(ch.From, ch.To)
	}
}
