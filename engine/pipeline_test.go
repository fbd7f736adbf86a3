package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/audit"
	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/rules"
	"github.com/shopspring/decimal"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// MustOpenPipeline opens a store in dir and a pipeline on it with the
// shipped policy; both are closed at the end of the test.
func MustOpenPipeline(t testing.TB, dir string) (*engine.Pipeline, *engine.Store) {
	t.Helper()
	return MustOpenPipelineWith(t, dir, engine.StoreOptions{})
}

// MustOpenPipelineWith is MustOpenPipeline with the store's options (its
// clock is the tests' fixed clock).
func MustOpenPipelineWith(t testing.TB, dir string, o engine.StoreOptions) (*engine.Pipeline, *engine.Store) {
	t.Helper()
	return mustOpenPipeline(t, dir, o, engine.PipelineConfig{})
}

// MustOpenPipelineConfig is MustOpenPipeline with the pipeline's settings
// (an observer, batch sizes); its store, scorer and clock are filled in.
func MustOpenPipelineConfig(t testing.TB, dir string, cfg engine.PipelineConfig) (*engine.Pipeline, *engine.Store) {
	t.Helper()
	return mustOpenPipeline(t, dir, engine.StoreOptions{}, cfg)
}

func mustOpenPipeline(t testing.TB, dir string, o engine.StoreOptions, cfg engine.PipelineConfig) (*engine.Pipeline, *engine.Store) {
	t.Helper()
	clock := fixedClock{t0}
	o.Clock = clock
	store, err := engine.OpenStore(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := rules.Default()
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	cfg.Store, cfg.Scorer, cfg.Clock = store, &engine.Scorer{Policy: pol, Clock: clock, Log: discard}, clock
	p, err := engine.NewPipeline(cfg)
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() { p.Close(); store.Close() })
	})
	return p, store
}

func recharge(id, payer, msisdn string, at time.Time, usd string) engine.Event {
	return engine.Event{
		ID: id, Source: "api", Kind: engine.KindRecharge, OccurredAt: at,
		Payer:       engine.Payer{ID: payer, Country: "US"},
		Instrument:  &engine.Instrument{Type: "card", Brand: "visa", BIN: "424242", Last4: "4242", BINCountry: "US", Token: "tok_" + payer},
		Beneficiary: engine.Beneficiary{MSISDN: msisdn},
		Destination: &engine.Destination{Country: "UZ", Operator: "beeline"},
		Amount:      engine.Money{Value: decimal.RequireFromString(usd), Currency: "USD"},
	}
}

func MustSubmit(t testing.TB, p *engine.Pipeline, ev engine.Event) engine.Result {
	t.Helper()
	if err := engine.Validate(&ev); err != nil {
		t.Fatalf("validate: %v %v", err, engine.ErrorFields(err))
	}
	r, err := p.Submit(context.Background(), ev)
	if err != nil {
		t.Fatalf("submit %s: %v", ev.ID, err)
	}
	return r
}

func hasReason(d engine.Decision, code string) bool {
	for _, r := range d.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

func TestPipelineMSISDNSpread(t *testing.T) {
	p, _ := MustOpenPipeline(t, t.TempDir())
	var firstReview int
	for i := 1; i <= 20; i++ {
		ev := recharge(fmt.Sprintf("tx_%02d", i), "usr_1", fmt.Sprintf("+9989012345%02d", i), t0.Add(time.Duration(i)*2*time.Minute), "5.00")
		d := MustSubmit(t, p, ev).Decision
		if d.Features.PayerDistinctMSISDN24h != i {
			t.Fatalf("event %d: distinct numbers %d", i, d.Features.PayerDistinctMSISDN24h)
		}
		if d.Outcome == engine.OutcomeAllow {
			if firstReview != 0 {
				t.Fatalf("event %d allowed after a review at %d", i, firstReview)
			}
			continue
		}
		if d.Outcome != engine.OutcomeReview || !hasReason(d, "msisdn_spread_24h") || d.HoldID == "" {
			t.Fatalf("event %d: %+v", i, d)
		}
		if firstReview == 0 {
			firstReview = i
		}
	}
	if firstReview < 2 || firstReview > 10 {
		t.Fatalf("first review at event %d", firstReview)
	}
}

func TestPipelineIdempotency(t *testing.T) {
	dir := t.TempDir()
	p, store := MustOpenPipeline(t, dir)
	ev := recharge("tx_dup", "usr_2", "+998901234567", t0, "10.00")

	t.Run("Sequential", func(t *testing.T) {
		a := MustSubmit(t, p, ev)
		b := MustSubmit(t, p, ev)
		if a.Duplicate || !b.Duplicate || a.Decision.DecisionID != b.Decision.DecisionID || b.Decision.Features.PayerCount1h != 1 {
			t.Fatalf("a %+v\nb %+v", a, b)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Validated once: the copies share their Instrument and
		// Destination, which validation normalises in place.
		ev := recharge("tx_conc", "usr_2", "+998901234567", t0.Add(time.Minute), "10.00")
		if err := engine.Validate(&ev); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		ids := make([]string, 50)
		fresh := make([]bool, 50)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := p.Submit(context.Background(), ev)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i], fresh[i] = r.Decision.DecisionID, !r.Duplicate
			}()
		}
		wg.Wait()
		n := 0
		for i := range ids {
			if ids[i] != ids[0] {
				t.Fatalf("decision ids differ: %s %s", ids[i], ids[0])
			}
			if fresh[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d callers got a fresh decision, want 1", n)
		}
		next := MustSubmit(t, p, recharge("tx_after", "usr_2", "+998901234567", t0.Add(2*time.Minute), "10.00"))
		if next.Decision.Features.PayerCount1h != 3 {
			t.Fatalf("payer counted %d times, want 3", next.Decision.Features.PayerCount1h)
		}
	})
	t.Run("AcrossCommits", func(t *testing.T) {
		// Retries of 200 ids arrive while other batches commit, many of
		// them just after the commit of their own first copy: each id is
		// decided once and counted once.
		const ids, callers, each = 200, 16, 150
		events := make([]engine.Event, ids)
		for k := range events {
			events[k] = recharge(fmt.Sprint("tx_retry_", k), "usr_retry", "+998901234567", t0.Add(time.Duration(k)*time.Second), "1.00")
			if err := engine.Validate(&events[k]); err != nil {
				t.Fatal(err)
			}
		}
		var fresh [ids]atomic.Int32
		var wg sync.WaitGroup
		for c := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					k := (c*7 + i*13) % ids
					r, err := p.Submit(context.Background(), events[k])
					if err != nil {
						t.Error(err)
						return
					}
					if !r.Duplicate {
						fresh[k].Add(1)
					}
				}
			}()
		}
		wg.Wait()
		for k := range fresh {
			if n := fresh[k].Load(); n > 1 {
				t.Fatalf("%s got %d fresh decisions", events[k].ID, n)
			}
		}
		last := MustSubmit(t, p, recharge("tx_retry_last", "usr_retry", "+998901234567", t0.Add(ids*time.Second), "1.00"))
		seen := 0
		for k := range fresh {
			seen += int(fresh[k].Load())
		}
		if got := last.Decision.Features.PayerCount1h; got != seen+1 {
			t.Fatalf("payer counted %d times, want %d", got, seen+1)
		}
	})
	t.Run("AcrossRestart", func(t *testing.T) {
		first := MustSubmit(t, p, ev).Decision
		p.Close()
		store.Close()
		p2, _ := MustOpenPipeline(t, dir)
		again := MustSubmit(t, p2, ev)
		if !again.Duplicate || again.Decision.DecisionID != first.DecisionID {
			t.Fatalf("after restart: %+v", again)
		}
		next := MustSubmit(t, p2, recharge("tx_after_restart", "usr_2", "+998901234567", t0.Add(3*time.Minute), "10.00"))
		if next.Decision.Features.PayerCount1h != 4 || next.Decision.Features.PayerAmountUSD1h.String() != "40" {
			t.Fatalf("windows after restart: %+v", next.Decision.Features)
		}
	})
}

func TestPipelineConcurrentCountsExactly(t *testing.T) {
	dir := t.TempDir()
	p, store := MustOpenPipeline(t, dir)
	const n = 1000
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			MustSubmit(t, p, recharge(fmt.Sprint("tx_", i), "usr_busy", "+998901234567", t0.Add(time.Duration(i)*time.Second), "1.00"))
		}()
	}
	wg.Wait()
	last := MustSubmit(t, p, recharge("tx_last", "usr_busy", "+998901234567", t0.Add(n*time.Second), "1.00")).Decision
	if last.Features.PayerCount24h != n+1 || last.Features.PayerAmountUSD24h.String() != fmt.Sprint(n+1) {
		t.Fatalf("count %d amount %s, want %d", last.Features.PayerCount24h, last.Features.PayerAmountUSD24h, n+1)
	}
	rep, err := audit.Verify(store.DB(), engine.LedgerAudit, nil)
	if err != nil || !rep.OK() || rep.Entries != n+1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestPipelineStopsOnStorageFailure: when the store fails, callers get a
// retryable unavailable error, nothing is decided, and Err (behind
// /healthz) says so.
func TestPipelineStopsOnStorageFailure(t *testing.T) {
	p, store := MustOpenPipeline(t, t.TempDir())
	MustSubmit(t, p, recharge("ok_1", "usr_f", "+998901234567", t0, "1.00"))
	store.Close() // the disk goes away under the running pipeline
	ev := recharge("lost_1", "usr_f", "+998901234567", t0.Add(time.Minute), "1.00")
	engine.Validate(&ev)
	if _, err := p.Submit(context.Background(), ev); engine.ErrorCode(err) != engine.EUNAVAILABLE {
		t.Fatalf("submit after the store failed: %v", err)
	}
	if p.Err() == nil {
		t.Fatal("Err is nil after a failed commit")
	}
	ev.ID = "lost_2"
	if _, err := p.Submit(context.Background(), ev); engine.ErrorCode(err) != engine.EUNAVAILABLE {
		t.Fatalf("the pipeline kept deciding after a storage failure: %v", err)
	}
}

// TestTokensOnlyOnAStoppedPipeline: the audit chain has one writer, so a
// token (which is audited) cannot be created while a pipeline runs.
func TestTokensOnlyOnAStoppedPipeline(t *testing.T) {
	p, store := MustOpenPipeline(t, t.TempDir())
	if _, _, err := store.CreateToken(engine.RoleAdmin, "ops"); engine.ErrorCode(err) != engine.ECONFLICT {
		t.Fatalf("token created beside a running pipeline: %v", err)
	}
	MustSubmit(t, p, recharge("tok_1", "usr_t", "+998901234567", t0, "1.00"))
	p.Close()
	if _, _, err := store.CreateToken(engine.RoleAdmin, "ops"); err != nil {
		t.Fatalf("after the pipeline stopped: %v", err)
	}
}

// batchSizes is an Observer that records the largest batch committed.
type batchSizes struct{ largest, commits atomic.Int64 }

func (*batchSizes) Decided(string, bool) {}
func (b *batchSizes) Committed(events int, _ time.Duration) {
	b.commits.Add(1)
	for {
		old := b.largest.Load()
		if int64(events) <= old || b.largest.CompareAndSwap(old, int64(events)) {
			return
		}
	}
}

// stageTimes is a StageObserver that sums what it is told.
type stageTimes struct {
	mu                       sync.Mutex
	n                        int
	queued, scoring, waiting time.Duration
	negative                 bool
}

func (*stageTimes) Decided(string, bool)         {}
func (*stageTimes) Committed(int, time.Duration) {}
func (s *stageTimes) Staged(queued, scoring, waiting time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.queued += queued
	s.scoring += scoring
	s.waiting += waiting
	s.negative = s.negative || queued < 0 || scoring < 0 || waiting < 0
}

// TestPipelineStages: a StageObserver hears of every new decision once,
// not of retries, and the stages fit inside the callers' waits.
func TestPipelineStages(t *testing.T) {
	st := new(stageTimes)
	p, _ := MustOpenPipelineConfig(t, t.TempDir(), engine.PipelineConfig{Observer: st})
	const n = 200
	var wg sync.WaitGroup
	var waited atomic.Int64
	for i := range n + n/4 {
		wg.Go(func() {
			id := i % n // the last quarter are retries
			start := time.Now()
			MustSubmit(t, p, recharge(fmt.Sprint("st_", id), fmt.Sprint("usr_", id%10), fmt.Sprintf("+99890%07d", id), t0.Add(time.Duration(id)*time.Second), "1.00"))
			waited.Add(int64(time.Since(start)))
		})
	}
	wg.Wait()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.n != n {
		t.Fatalf("%d decisions staged, want %d", st.n, n)
	}
	if st.negative || st.scoring <= 0 {
		t.Fatalf("stages: queued %v, scoring %v, waiting %v (a negative one: %v)", st.queued, st.scoring, st.waiting, st.negative)
	}
	if sum := st.queued + st.scoring + st.waiting; sum > time.Duration(waited.Load()) {
		t.Fatalf("the stages add up to %v, more than the callers waited in all (%v)", sum, time.Duration(waited.Load()))
	}
}

// TestPipelineGroupCommitGrowsWithBacklog: with a deep queue (a stream
// backlog) batches grow past MinBatch towards MaxBatch, so that a sync is
// shared by many events; every event is still decided and audited once.
func TestPipelineGroupCommitGrowsWithBacklog(t *testing.T) {
	sizes := new(batchSizes)
	p, store := MustOpenPipelineConfig(t, t.TempDir(), engine.PipelineConfig{Observer: sizes, MinBatch: 8, MaxBatch: 256})
	const n = 2000
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			MustSubmit(t, p, recharge(fmt.Sprint("tx_", i), fmt.Sprint("usr_", i%100), fmt.Sprintf("+99890%07d", i), t0.Add(time.Duration(i)*time.Second), "1.00"))
		})
	}
	wg.Wait()
	// Without the backlog rule a batch holds MinBatch events plus those
	// scored meanwhile, a few dozen at most.
	if got := sizes.largest.Load(); got < 128 || got > 256 {
		t.Errorf("largest batch %d events, want half the backlog, between 128 and MaxBatch (256)", got)
	}
	t.Logf("%d events in %d commits, the largest %d", n, sizes.commits.Load(), sizes.largest.Load())
	rep, err := audit.Verify(store.DB(), engine.LedgerAudit, nil)
	if err != nil || !rep.OK() || rep.Entries != n {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
