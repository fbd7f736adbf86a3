package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/qorovul/qorovul/audit"
)

// Pipeline tunables.
const (
	DefaultMaxBatch  = 512  // events per Badger transaction
	DefaultMinBatch  = 32   // events a batch waits for if they are in flight
	DefaultQueueSize = 4096 // events waiting between stages
	// DefaultMaxBackground lets a caller's event wait behind at most 64
	// of the stream's, about 2 ms of scoring on two cores
	// (BenchmarkSubmitDuringBacklog).
	DefaultMaxBackground = 64
	// DefaultMaxFutureSkew is how far ahead of the engine's clock an
	// event's occurred_at may be.
	DefaultMaxFutureSkew = time.Hour
	pruneEvery           = 8192 // committed events between window-record prunes
)

// Observer receives the pipeline's measurements (the HTTP layer exports
// them as Prometheus metrics). Its methods must be cheap and concurrent-safe.
type Observer interface {
	Decided(outcome string, duplicate bool)
	Committed(events int, took time.Duration)
}

// StageObserver is an Observer that also learns where each new decision's
// time in the pipeline went: queued (from Submit to the start of its
// scoring: the sequencer and the scorers' queue, where a saturated CPU
// shows), scoring (screening and Rego), and waiting (from scored to the
// start of its batch's commit). The batch's commit itself is Committed's
// took. The pipeline calls Staged from its committer, once per decision
// made (not for duplicates, status changes or actions), after the commit,
// beside Decided.
type StageObserver interface {
	Observer
	Staged(queued, scoring, waiting time.Duration)
}

type nopObserver struct{}

func (nopObserver) Decided(string, bool)         {}
func (nopObserver) Committed(int, time.Duration) {}

// PipelineConfig wires a pipeline.
type PipelineConfig struct {
	Store    *Store
	Scorer   *Scorer
	Rates    Rates
	Clock    Clock
	Log      *slog.Logger
	Observer Observer
	// Workers score in parallel (GOMAXPROCS if 0).
	Workers  int
	MaxBatch int
	// MinBatch is how many events a batch waits for, if that many are
	// sequenced: a smaller batch goes as soon as the next event is not
	// scored yet (DefaultMinBatch if 0). When more than twice as many are
	// queued, a batch waits for half of them, up to MaxBatch.
	MinBatch  int
	QueueSize int
	// MaxBackground bounds the background lane's items in the pipeline
	// while callers submit (DefaultMaxBackground if 0; see Background).
	MaxBackground int
	// MaxEventsPerKey bounds window memory (DefaultMaxEventsPerKey if 0).
	MaxEventsPerKey int
	// MaxFutureSkew is how far ahead of Clock an event's occurred_at may
	// be (DefaultMaxFutureSkew if 0). The windows keep the 7 days before
	// the newest event time they have seen, so one event dated far ahead
	// would age every real event out of them: such events are refused.
	MaxFutureSkew time.Duration
	// MaxSeenFilterBytes bounds the filter of decided ids
	// (DefaultMaxSeenFilterBytes if 0; negative: no filter).
	MaxSeenFilterBytes int
}

// Pipeline decides events, exactly once each, and makes every decision
// durable before it is acknowledged. The HTTP API and the Kafka stream feed
// the same pipeline:
//
//	Submit (caller goroutines) → sequencer (1 goroutine: idempotency and
//	window features) → scorers (parallel: screening and Rego) → committer
//	(1 goroutine: one Badger transaction and one sync per batch, in sequence
//	order) → the callers are woken.
type Pipeline struct {
	cfg     PipelineConfig
	store   *Store
	windows *Windows
	obs     Observer
	stages  StageObserver // obs, if it is one

	in      chan *item // Submit's: callers that wait (the API)
	bulk    chan *item // Background's: the stream
	scoreq  chan *item
	commitq chan *item

	// Background work yields to Submit's: while a caller has submitted
	// within the last interactiveSpell, the sequencer lets at most
	// MaxBackground background items be sequenced and not yet finished
	// (bulkInFlight), so that a caller's event waits behind those only.
	// room is signalled when one finishes.
	lastInteractive atomic.Int64 // Unix ns of the last Submit
	bulkInFlight    atomic.Int64
	room            chan struct{}

	closeMu sync.RWMutex
	closed  bool

	mu      sync.Mutex       // guards pending
	pending map[string]*item // event id -> the item deciding it (sequenced, not yet durable)

	failed atomic.Pointer[error]
	done   sync.WaitGroup

	rates atomic.Pointer[Rates] // cfg.Rates, then what SetRates gave

	// The sequencer reads the store through a snapshot that the committer
	// renews after each commit (fresh holds the newest one not yet taken).
	// A read transaction opened while a commit is in flight would wait for
	// that commit's sync, and the sequencer with it; a snapshot taken
	// after the commit returned waits for nothing. Ids committed later are
	// still in pending when the sequencer looks, so nothing is missed.
	fresh atomic.Pointer[badger.Txn]
	snap  *badger.Txn // the sequencer's

	// seen knows every decided id (seen.go); nil reads every event's
	// idempotency record from the store. Only the sequencer uses it.
	seen *seenFilter

	sinceprune int
	rec        []byte // the committer's journal record buffer
}

type item struct {
	ev         Event
	decisionID string
	print      paymentPrint // of ev (zero for status-only records)
	win        WindowEvent
	feat       Features
	dec        Decision
	decJSON    []byte
	dup        bool
	// When the item was submitted, and when its scoring began and ended
	// (monotonic clock readings, for StageObserver).
	submitted, scoreStart, scoreEnd time.Time
	// status is the transaction's status once this item is committed.
	status string
	// change is set when the item records a status change of a
	// transaction decided before, instead of a new decision.
	change *StatusChange
	// statusOnly items carry no payment: they can only change a status.
	statusOnly bool
	// action items write an officer's or operator's action.
	action *Action
	// bulk items came through Background; admitted is set while one
	// counts in bulkInFlight.
	bulk, admitted bool
	err            error
	scored         chan struct{}
	finished       chan struct{}
	followers      []*item // same id and status: they get this item's result
	deferred       []*item // same id, another status: sequenced again after this commits
}

// Result is what Submit returns: the decision and whether it was stored
// before (a retry or a redelivery of an event already decided).
type Result struct {
	Decision Decision
	// JSON is Decision as stored, so that callers need not encode it again.
	JSON      []byte
	Duplicate bool
	// StatusChange is set when this event moved a transaction decided
	// before to a new status (the decision itself stays as it was).
	StatusChange *StatusChange
}

// StatusChange is a transaction's move from one status to another, seen
// in a later record of the same event id.
type StatusChange struct {
	EventID    string    `json:"event_id"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Source     string    `json:"source"`
	OccurredAt time.Time `json:"occurred_at"`
}

// NewPipeline rebuilds the window state from the store and starts the
// pipeline's goroutines.
func NewPipeline(cfg PipelineConfig) (*Pipeline, error) {
	if cfg.Store == nil || cfg.Scorer == nil {
		return nil, errors.New("new pipeline: store and scorer are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MinBatch <= 0 {
		cfg.MinBatch = DefaultMinBatch
	}
	cfg.MinBatch = min(cfg.MinBatch, cfg.MaxBatch)
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.MaxBackground <= 0 {
		cfg.MaxBackground = DefaultMaxBackground
	}
	if cfg.Rates.Rates == nil {
		cfg.Rates = DefaultRates()
	}
	if cfg.MaxFutureSkew <= 0 {
		cfg.MaxFutureSkew = DefaultMaxFutureSkew
	}
	if cfg.MaxSeenFilterBytes == 0 {
		cfg.MaxSeenFilterBytes = DefaultMaxSeenFilterBytes
	}
	p := &Pipeline{
		cfg:     cfg,
		store:   cfg.Store,
		windows: NewWindows(cfg.MaxEventsPerKey),
		obs:     cfg.Observer,
		in:      make(chan *item, cfg.QueueSize),
		bulk:    make(chan *item, cfg.QueueSize),
		room:    make(chan struct{}, 1),
		scoreq:  make(chan *item, cfg.QueueSize),
		commitq: make(chan *item, cfg.QueueSize),
		pending: make(map[string]*item),
	}
	p.stages, _ = cfg.Observer.(StageObserver)
	p.rates.Store(&cfg.Rates)
	start := time.Now()
	n, err := cfg.Store.LoadWindows(p.windows)
	if err != nil {
		return nil, fmt.Errorf("new pipeline: %w", err)
	}
	payers, numbers, tokens := p.windows.Keys()
	cfg.Log.Info("window state rebuilt", "events", n, "payers", payers, "numbers", numbers, "tokens", tokens, "took", time.Since(start).Round(time.Millisecond))

	if cfg.MaxSeenFilterBytes > 0 {
		if p.seen, err = cfg.Store.loadSeen(cfg.MaxSeenFilterBytes, cfg.Log); err != nil {
			return nil, fmt.Errorf("new pipeline: %w", err)
		}
	}

	cfg.Store.piped.Store(true)
	p.fresh.Store(cfg.Store.db.NewTransaction(false))
	p.done.Add(2 + cfg.Workers)
	go p.sequence()
	for range cfg.Workers {
		go p.score()
	}
	go p.commit()
	return p, nil
}

// Submit decides ev (validated) exactly once. It returns when the decision
// is durable, or with an error; an event already decided returns its stored
// decision with Duplicate set. If ctx ends first the event may still be
// decided: a retry returns that decision.
func (p *Pipeline) Submit(ctx context.Context, ev Event) (Result, error) {
	return p.submit(ctx, ev, false)
}

func (p *Pipeline) submit(ctx context.Context, ev Event, bulk bool) (Result, error) {
	if ahead := ev.OccurredAt.Sub(p.cfg.Clock.Now()); ahead > p.cfg.MaxFutureSkew {
		return Result{}, &Error{Code: EINVALID, Message: "invalid event", Fields: []FieldError{{Field: "occurred_at",
			Problem: fmt.Sprintf("is %s ahead of the engine's clock; at most %s is accepted", ahead.Round(time.Second), p.cfg.MaxFutureSkew)}}}
	}
	usd, err := p.rates.Load().AmountUSD(&ev)
	if err != nil {
		return Result{}, err
	}
	it := &item{
		ev:         ev,
		decisionID: DecisionID(ev.ID),
		print:      printOf(&ev),
		win:        WindowEvent{At: ev.OccurredAt.UnixMilli(), PayerID: ev.Payer.ID, MSISDN: ev.Beneficiary.MSISDN, MicroUSD: microUSD(usd)},
		bulk:       bulk,
		scored:     make(chan struct{}),
		finished:   make(chan struct{}),
	}
	if ev.Instrument != nil {
		it.win.Token = ev.Instrument.Token
	}
	return p.wait(ctx, it)
}

// SetRates makes r the rate table for the events submitted from now on
// (an updated treasury table, say); events already submitted keep the
// amounts they were given.
func (p *Pipeline) SetRates(r Rates) { p.rates.Store(&r) }

// SubmitStatus applies a status-only record (an id, a source, a status and
// a time, as Uzum's /confirm and /reverse send) to a transaction decided
// before. An unknown transaction is ENOTFOUND, an impossible transition
// ECONFLICT.
func (p *Pipeline) SubmitStatus(ctx context.Context, ev Event) (Result, error) {
	return p.submitStatus(ctx, ev, false)
}

func (p *Pipeline) submitStatus(ctx context.Context, ev Event, bulk bool) (Result, error) {
	if ev.ID == "" || ev.Status == "" {
		return Result{}, &Error{Code: EINVALID, Message: "invalid status record", Fields: []FieldError{{Field: "id", Problem: "id and status are required"}}}
	}
	if err := Transition(StatusCreated, ev.Status); err != nil && ErrorCode(err) == EINVALID {
		return Result{}, err
	}
	it := &item{ev: ev, decisionID: DecisionID(ev.ID), statusOnly: true, bulk: bulk, scored: make(chan struct{}), finished: make(chan struct{})}
	return p.wait(ctx, it)
}

// Action is a change that is not a payment decision (an officer's
// clearance, say): the keys to write and the audit entry that records it,
// committed in the same transaction by the one committer, so that the
// audit chain keeps a single writer.
type Action struct {
	Kind    string // audit entry kind, e.g. "sanctions.clear"; "" writes no entry
	Subject string
	Actor   string
	Payload []byte // JSON
	Set     map[string][]byte
	Delete  []string
	// Applied, if set, runs once the action is durable.
	Applied func()
}

// StatusEmitted records that the change of event id to status to was
// published (the consumer calls it once the broker acknowledged the status
// record), so that a redelivery no longer reports it.
func (p *Pipeline) StatusEmitted(ctx context.Context, id, to string) error {
	return p.record(ctx, Action{Delete: []string{string(emitKey(id, to))}}, false)
}

// Record commits a and returns once it is durable.
func (p *Pipeline) Record(ctx context.Context, a Action) error { return p.record(ctx, a, false) }

func (p *Pipeline) record(ctx context.Context, a Action, bulk bool) error {
	it := &item{action: &a, bulk: bulk, scored: make(chan struct{}), finished: make(chan struct{})}
	_, err := p.wait(ctx, it)
	return err
}

// Background is the pipeline for work that no caller waits on as it
// happens, the stream's: its events yield to Submit's. While callers
// submit, at most MaxBackground of its items are in the pipeline at once,
// so that a caller's event waits behind those only, not behind a stream's
// whole backlog; when none has submitted for a second it has the pipeline
// to itself.
type Background struct{ p *Pipeline }

// Background returns the pipeline's background lane.
func (p *Pipeline) Background() Background { return Background{p} }

// Submit is Pipeline.Submit in the background lane.
func (b Background) Submit(ctx context.Context, ev Event) (Result, error) {
	return b.p.submit(ctx, ev, true)
}

// SubmitStatus is Pipeline.SubmitStatus in the background lane.
func (b Background) SubmitStatus(ctx context.Context, ev Event) (Result, error) {
	return b.p.submitStatus(ctx, ev, true)
}

// StatusEmitted is Pipeline.StatusEmitted in the background lane.
func (b Background) StatusEmitted(ctx context.Context, id, to string) error {
	return b.p.record(ctx, Action{Delete: []string{string(emitKey(id, to))}}, true)
}

// wait enqueues it and waits for its result.
func (p *Pipeline) wait(ctx context.Context, it *item) (Result, error) {
	if p.stages != nil {
		it.submitted = time.Now()
	}
	if err := p.enqueue(ctx, it); err != nil {
		return Result{}, err
	}
	select {
	case <-it.finished:
		if it.err != nil {
			return Result{}, it.err
		}
		return Result{Decision: it.dec, JSON: it.decJSON, Duplicate: it.dup, StatusChange: it.change}, nil
	case <-ctx.Done():
		return Result{}, &Error{Code: EDEADLINE, Message: "the decision was not durable in time; retry with the same event id", Err: ctx.Err()}
	}
}

func (p *Pipeline) enqueue(ctx context.Context, it *item) error {
	p.closeMu.RLock()
	defer p.closeMu.RUnlock()
	if p.closed {
		return Errorf(EUNAVAILABLE, "the pipeline is shutting down")
	}
	if err := p.failed.Load(); err != nil {
		return &Error{Code: EUNAVAILABLE, Message: "the pipeline stopped after a storage failure; restart the service", Err: *err}
	}
	if err := p.store.Writable(); err != nil {
		return err
	}
	in := p.in
	if it.bulk && !it.admitted {
		in = p.bulk
	} else if !it.bulk {
		p.lastInteractive.Store(time.Now().UnixNano())
	}
	select {
	case in <- it:
		return nil
	case <-ctx.Done():
		return &Error{Code: EDEADLINE, Message: "the pipeline is saturated", Err: ctx.Err()}
	}
}

// Close stops accepting events, finishes those accepted and waits for the
// goroutines. It does not close the store.
func (p *Pipeline) Close() {
	p.closeMu.Lock()
	if !p.closed {
		p.closed = true
		close(p.in)
		close(p.bulk)
	}
	p.closeMu.Unlock()
	p.done.Wait()
	if p.snap != nil {
		p.snap.Discard()
		p.snap = nil
	}
	if t := p.fresh.Swap(nil); t != nil {
		t.Discard()
	}
	p.store.piped.Store(false)
}

// snapshot returns the newest snapshot the committer published; only the
// sequencer calls it.
func (p *Pipeline) snapshot() *badger.Txn {
	if t := p.fresh.Swap(nil); t != nil {
		if p.snap != nil {
			p.snap.Discard()
		}
		p.snap = t
	}
	return p.snap
}

// publishSnapshot gives the sequencer a snapshot that includes every
// commit so far; only the committer calls it, between commits.
func (p *Pipeline) publishSnapshot() {
	if old := p.fresh.Swap(p.store.db.NewTransaction(false)); old != nil {
		old.Discard()
	}
}

// sequence is the one goroutine that owns idempotency, transaction status
// and the windows.
func (p *Pipeline) sequence() {
	defer p.done.Done()
	defer close(p.commitq)
	defer close(p.scoreq)
	in, bulk := p.in, p.bulk
	for in != nil || bulk != nil {
		var it *item
		var ok bool
		select { // the callers' events first
		case it, ok = <-in:
		default:
			var bulkIn <-chan *item // nil, never ready, while background work must wait
			if p.bulkRoom() {
				bulkIn = bulk
			}
			select {
			case it, ok = <-in:
			case it, ok = <-bulkIn:
				if !ok {
					bulk = nil
					continue
				}
			case <-p.room:
				continue
			}
		}
		if !ok {
			in = nil
			continue
		}
		if it.bulk && !it.admitted {
			it.admitted = true
			p.bulkInFlight.Add(1)
		}
		if err := p.failed.Load(); err != nil {
			p.finish(it, &Error{Code: EUNAVAILABLE, Message: "the pipeline stopped after a storage failure", Err: *err})
			continue
		}
		p.sequenceOne(it)
	}
}

// interactiveSpell is how long after a Submit background work keeps to
// MaxBackground items in the pipeline.
const interactiveSpell = time.Second

// bulkRoom reports whether the sequencer may take background work now.
func (p *Pipeline) bulkRoom() bool {
	if time.Now().UnixNano()-p.lastInteractive.Load() > int64(interactiveSpell) {
		return true
	}
	return p.bulkInFlight.Load() < int64(p.cfg.MaxBackground)
}

func (p *Pipeline) sequenceOne(it *item) {
	if it.action != nil {
		close(it.scored)
		p.commitq <- it
		return
	}
	id := it.ev.ID
	p.mu.Lock()
	if leader := p.pending[id]; leader != nil {
		if parts := it.print.differs(leader.print); parts != nil {
			p.mu.Unlock()
			p.finish(it, reusedIDError(id, parts))
			return
		}
		if it.ev.Status == "" || it.ev.Status == leader.status {
			leader.followers = append(leader.followers, it)
		} else {
			leader.deferred = append(leader.deferred, it)
		}
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	// Not in flight: either decided and durable, or new. The committer
	// publishes a snapshot after each commit and only then removes the
	// batch's ids from pending, so this read sees them.
	var (
		stored      []byte
		storedPrint paymentPrint
		status      string
		err         error
		snap        = p.snapshot()
	)
	h, hashed := seenHash(it.decisionID)
	if p.seen == nil || !hashed || p.seen.mayHave(h) {
		stored, storedPrint, status, err = p.store.lookupIn(snap, id, it.decisionID)
	} // else the filter is certain: no decision of this id is stored
	if err != nil {
		p.finish(it, &Error{Code: EUNAVAILABLE, Message: "the store cannot be read; retry with the same event id", Err: fmt.Errorf("read decision %s: %w", id, err)})
		return
	}
	if stored == nil && it.statusOnly {
		p.finish(it, Errorf(ENOTFOUND, "status %s for transaction %s, which has no decision", it.ev.Status, id))
		return
	}
	if stored != nil {
		if parts := it.print.differs(storedPrint); parts != nil {
			p.finish(it, reusedIDError(id, parts))
			return
		}
		if err := json.Unmarshal(stored, &it.dec); err != nil {
			p.finish(it, fmt.Errorf("decode stored decision %s: %w", id, err))
			return
		}
		it.dup, it.decJSON = true, stored
		if it.ev.Status == "" || it.ev.Status == status {
			if it.ev.Status != "" {
				// The record that made the current status, again: if its
				// change was never published, report it once more.
				ch, err := unpublishedIn(snap, id, status)
				if err != nil {
					p.finish(it, &Error{Code: EUNAVAILABLE, Message: "the store cannot be read; retry with the same event id", Err: fmt.Errorf("read status emit marker %s: %w", id, err)})
					return
				}
				it.change = ch
			}
			p.obs.Decided(it.dec.Outcome, true)
			p.finish(it, nil)
			return
		}
		if err := Transition(status, it.ev.Status); err != nil {
			p.finish(it, err)
			return
		}
		// A status change: recorded and audited, never counted again.
		it.status = it.ev.Status
		it.change = &StatusChange{EventID: id, From: status, To: it.ev.Status, Source: it.ev.Source, OccurredAt: it.ev.OccurredAt}
		p.mu.Lock()
		p.pending[id] = it
		p.mu.Unlock()
		close(it.scored)
		p.commitq <- it
		return
	}
	it.status = it.ev.Status
	if it.status == "" {
		it.status = StatusCreated
	}
	p.mu.Lock()
	p.pending[id] = it
	p.mu.Unlock()
	if p.seen != nil && !(hashed && p.seen.add(h)) {
		// An id the filter cannot take would be a false "no" later.
		p.cfg.Log.Warn("the id filter is dropped (full, or an id it cannot hash); every event's record is read from the store from now on",
			"filter_bytes", p.seen.bytes, "hashed", hashed)
		p.seen = nil
	}
	it.feat = p.windows.Apply(it.win)
	p.scoreq <- it
	p.commitq <- it
}

// score runs on several goroutines.
func (p *Pipeline) score() {
	defer p.done.Done()
	ctx := context.Background()
	for it := range p.scoreq {
		if p.stages != nil {
			it.scoreStart = time.Now()
		}
		it.dec = p.cfg.Scorer.score(ctx, &it.ev, &it.feat, it.decisionID)
		b, err := it.dec.AppendJSON(make([]byte, 0, 1024))
		if err != nil {
			it.err = fmt.Errorf("encode decision: %w", err)
		}
		it.decJSON = b
		if p.stages != nil {
			it.scoreEnd = time.Now()
		}
		close(it.scored)
		// Receiving the next item from a non-empty queue is no scheduling
		// point, so without this a scorer would keep its P for a whole
		// time slice (10 ms) while the committer and Badger's writer,
		// woken from a sync, wait for one: commits would lag behind
		// scoring and the callers with them.
		runtime.Gosched()
	}
}

// commit is the one goroutine that writes: a batch of decisions in sequence
// order, one transaction and one sync per batch. A batch waits for the first
// MinBatch events in flight to be scored, then takes those after them only
// if they are scored already: committing overlaps with scoring instead of
// taking turns with it, and what is still being scored goes into the next
// batch, which the sync leaves time to fill.
func (p *Pipeline) commit() {
	defer p.done.Done()
	batch := make([]*item, 0, p.cfg.MaxBatch)
	var held *item // taken from commitq, not scored yet: the next batch's first
	for {
		it := held
		if it == nil {
			var ok bool
			if it, ok = <-p.commitq; !ok {
				return
			}
		}
		held = nil
		// Group commit: a batch waits for MinBatch events, or for half
		// of those queued behind it (up to MaxBatch) when the queue is
		// deep, as it is under a stream backlog. Waiting costs those
		// events a little latency and no throughput, since scoring goes
		// on meanwhile; each sync saved is about 250 µs of CPU.
		want := max(p.cfg.MinBatch, min((len(p.commitq)+1)/2, p.cfg.MaxBatch))
		<-it.scored
		batch = append(batch[:0], it)
	fill:
		for len(batch) < p.cfg.MaxBatch {
			select {
			case it, ok := <-p.commitq:
				if !ok {
					break fill
				}
				if len(batch) < want {
					<-it.scored
					batch = append(batch, it)
					continue
				}
				select {
				case <-it.scored:
					batch = append(batch, it)
				default:
					held = it
					break fill
				}
			default:
				break fill
			}
		}
		p.commitBatch(batch)
	}
}

func (p *Pipeline) commitBatch(batch []*item) {
	start := time.Now()
	err := p.failedErr()
	if err == nil {
		err = p.writeBatch(batch)
		if err != nil {
			// The windows already count these events but the store does
			// not: stop deciding until a restart rebuilds them from disk.
			p.cfg.Log.Error("commit failed; the pipeline stops", "events", len(batch), "err", err)
			p.failed.CompareAndSwap(nil, &err)
		}
	}
	if err != nil {
		err = &Error{Code: EUNAVAILABLE, Message: "the decision could not be stored", Err: err}
	} else {
		p.publishSnapshot()
		p.obs.Committed(len(batch), time.Since(start))
	}
	// Once an id leaves pending no follower can join it, so the followers
	// lists are read safely below.
	p.mu.Lock()
	for _, it := range batch {
		if it.action == nil {
			delete(p.pending, it.ev.ID)
		}
	}
	p.mu.Unlock()
	for _, it := range batch {
		if it.action != nil {
			if err == nil && it.action.Applied != nil {
				it.action.Applied()
			}
			p.finish(it, err)
			continue
		}
		if err == nil {
			p.obs.Decided(it.dec.Outcome, it.dup)
			if p.stages != nil && !it.scoreEnd.IsZero() { // a new decision
				p.stages.Staged(it.scoreStart.Sub(it.submitted), it.scoreEnd.Sub(it.scoreStart), start.Sub(it.scoreEnd))
			}
		}
		for _, f := range it.followers {
			f.dec, f.decJSON, f.dup = it.dec, it.decJSON, true
			if err == nil {
				p.obs.Decided(it.dec.Outcome, true)
			}
			p.finish(f, err)
		}
		for _, f := range it.deferred {
			if err != nil {
				p.finish(f, err)
				continue
			}
			go p.resequence(f)
		}
		p.finish(it, err)
	}
	if err == nil {
		p.sinceprune += len(batch)
		if p.sinceprune >= pruneEvery {
			p.sinceprune = 0
			if _, err := p.store.PruneWindows(p.windows.High(), 4*pruneEvery); err != nil {
				p.cfg.Log.Warn("pruning window records failed", "err", err)
			}
		}
	}
}

// resequence sends an item that waited for an earlier record of the same
// event id through the sequencer again.
func (p *Pipeline) resequence(it *item) {
	// An admitted background item holds its room while it waits: it goes
	// through the callers' lane, or it could wait for room it holds.
	if err := p.enqueue(context.Background(), it); err != nil {
		p.finish(it, err)
	}
}

// Err returns the storage failure that stopped the pipeline (or a closed
// store), or nil while it decides events.
func (p *Pipeline) Err() error {
	if err := p.failedErr(); err != nil {
		return err
	}
	if p.store.db.IsClosed() {
		return errors.New("the database is closed")
	}
	return nil
}

func (p *Pipeline) failedErr() error {
	if e := p.failed.Load(); e != nil {
		return *e
	}
	return nil
}

// writeBatch writes the batch's effect in one transaction.
func (p *Pipeline) writeBatch(batch []*item) error {
	txn := p.store.newTxn(p.rec)
	defer func() {
		p.rec = txn.rec // grown to the batches' size once, then reused
		txn.Discard()
	}()
	ab := p.store.audit.Begin()
	ab.DeferHead() // one head write a batch, not one an entry
	for _, it := range batch {
		if it.err != nil {
			return it.err
		}
		if err := p.writeItem(txn, ab, it); err != nil {
			return err
		}
	}
	if err := ab.WriteHead(txn); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	if err := p.store.commit(txn); err != nil {
		if errors.Is(err, badger.ErrConflict) {
			return fmt.Errorf("commit batch: a second writer touched the database: %w", err)
		}
		return fmt.Errorf("commit batch: %w", err)
	}
	if err := p.store.audit.Commit(ab); err != nil {
		return fmt.Errorf("advance audit head: %w", err)
	}
	return nil
}

// writeItem stages one item's effect in txn: a new decision with its window
// record, status and hold, or a status change; each with its audit entry.
func (p *Pipeline) writeItem(txn *journaledTxn, ab *audit.Batch, it *item) error {
	if it.action != nil {
		return writeAction(txn, ab, it.action)
	}
	id := it.ev.ID
	if it.status != StatusCreated {
		if err := txn.Set([]byte(prefixStatus+id), []byte(it.status)); err != nil {
			return fmt.Errorf("write status: %w", err)
		}
	}
	if it.change != nil {
		payload, err := json.Marshal(it.change)
		if err != nil {
			return fmt.Errorf("encode status change: %w", err)
		}
		// Until the consumer says the change was published, a redelivery
		// of this record reports it again (see StatusEmitted).
		if err := txn.Set(emitKey(id, it.change.To), payload); err != nil {
			return fmt.Errorf("write status emit marker: %w", err)
		}
		if _, err := ab.AppendCompact(txn, audit.Entry{Kind: "status.change", Subject: id, Payload: payload}); err != nil {
			return fmt.Errorf("append audit entry: %w", err)
		}
		return nil
	}
	e, err := ab.AppendCompact(txn, audit.Entry{Kind: entryDecision, Subject: id, Payload: it.decJSON})
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	if err := txn.Set([]byte(prefixDecision+it.dec.DecisionID), it.print.append(binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+printLen), e.Seq))); err != nil {
		return fmt.Errorf("write decision record: %w", err)
	}
	if err := txn.Set(windowKey(it.win.At, id), encodeWindow(&it.win)); err != nil {
		return fmt.Errorf("write window record: %w", err)
	}
	if it.dec.HoldID != "" {
		h := Hold{ID: it.dec.HoldID, EventID: id, DecisionID: it.dec.DecisionID, Status: HoldOpen, CreatedAt: it.dec.CreatedAt}
		hb, err := json.Marshal(&h)
		if err != nil {
			return fmt.Errorf("encode hold: %w", err)
		}
		if err := txn.Set([]byte(prefixHold+h.ID), hb); err != nil {
			return fmt.Errorf("write hold: %w", err)
		}
	}
	return nil
}

// writeAction writes a's keys and deletions and, if it has a kind, its
// audit entry, in txn: the pipeline's way and, on a stopped instance, the
// store's (Store.Record).
func writeAction(txn *journaledTxn, ab *audit.Batch, a *Action) error {
	for k, v := range a.Set {
		if err := txn.Set([]byte(k), v); err != nil {
			return fmt.Errorf("write %s: %w", a.Kind, err)
		}
	}
	for _, k := range a.Delete {
		if err := txn.Delete([]byte(k)); err != nil {
			return fmt.Errorf("delete %q: %w", k, err)
		}
	}
	if a.Kind == "" {
		return nil
	}
	if _, err := ab.Append(txn, audit.Entry{Kind: a.Kind, Subject: a.Subject, Actor: a.Actor, Payload: a.Payload}); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

// entryDecision is the kind of the audit entry that holds a decision.
const entryDecision = "decision"

func (p *Pipeline) finish(it *item, err error) {
	if err != nil && it.err == nil {
		it.err = err
	}
	if it.admitted {
		p.bulkInFlight.Add(-1)
		select {
		case p.room <- struct{}{}:
		default:
		}
	}
	close(it.finished)
}
