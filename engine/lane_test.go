package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// TestCallersOvertakeTheBackground: a caller's event does not wait behind
// the stream's backlog. With thousands of background events queued, an
// event submitted by a caller is sequenced behind at most those already
// finished and MaxBackground more (twice that, for the ones admitted while
// it was on its way), as its payer's count shows: all of them are the same
// payer's.
func TestCallersOvertakeTheBackground(t *testing.T) {
	const backlog, maxBackground = 4000, 8
	for attempt := 1; ; attempt++ {
		p, _ := MustOpenPipelineConfig(t, t.TempDir(), engine.PipelineConfig{MaxBackground: maxBackground})
		ev := func(id string, i int) engine.Event {
			e := recharge(id, "usr_lane", fmt.Sprintf("+99890%07d", i), t0.Add(time.Duration(i)*time.Millisecond), "1.00")
			if err := engine.Validate(&e); err != nil {
				t.Fatal(err)
			}
			return e
		}
		MustSubmit(t, p, ev("lane_first", 0)) // a caller is about
		var finished atomic.Int64
		var wg sync.WaitGroup
		for i := range backlog {
			wg.Go(func() {
				if _, err := p.Background().Submit(context.Background(), ev(fmt.Sprint("lane_bg_", i), i+1)); err != nil {
					t.Errorf("background submit: %v", err)
				}
				finished.Add(1)
			})
		}
		time.Sleep(10 * time.Millisecond) // let the backlog queue up
		before := finished.Load()
		res, err := p.Submit(context.Background(), ev("lane_caller", backlog+1))
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		// Its own event, the first caller's, those finished before it was
		// submitted, and at most twice MaxBackground admitted meanwhile.
		limit := int(before) + 2 + 2*maxBackground
		if limit > backlog/2 {
			if attempt == 3 {
				t.Fatalf("the backlog drained before the caller's event came, three times (%d of %d finished)", before, backlog)
			}
			continue // the machine ran the backlog too fast to tell
		}
		if got := res.Decision.Features.PayerCount7d; got > limit {
			t.Fatalf("the caller's event was sequenced behind %d of its payer's events; with %d finished before it, at most %d", got-1, before, limit-1)
		}
		t.Logf("sequenced behind %d events, %d of the backlog of %d finished before it was submitted", res.Decision.Features.PayerCount7d-1, before, backlog)
		return
	}
}
