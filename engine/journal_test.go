package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/qorovul/qorovul/audit"
	"github.com/qorovul/qorovul/engine"
)

// copyDir copies the regular files of src into a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
	}
	return dst
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// decideSerially submits n events one after another, so that each is its
// own batch and its own journal record, and returns their decision ids.
func decideSerially(t *testing.T, p *engine.Pipeline, from, n int) []string {
	t.Helper()
	var ids []string
	for i := from; i < from+n; i++ {
		ev := recharge(fmt.Sprint("jr_", i), "usr_journal", fmt.Sprintf("+99890%07d", i%4), t0.Add(time.Duration(i)*time.Minute), "5.00")
		ids = append(ids, MustSubmit(t, p, ev).Decision.DecisionID)
	}
	return ids
}

// A crash of the machine can take from Badger the batches it had not
// synced, while the journal, synced before each answer, keeps them. The
// crash is made by hand: Badger's files as of a clean close, with the
// journal files as they were after later batches were answered.
func TestJournalReplaysWhatBadgerLost(t *testing.T) {
	dir := t.TempDir()
	p, store := MustOpenPipeline(t, dir)
	before := decideSerially(t, p, 0, 20)
	p.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	badgerOnly := copyDir(t, dir) // Badger as of the clean close; the journal empty

	p, store = MustOpenPipeline(t, dir)
	after := decideSerially(t, p, 20, 30)
	// The journal as the machine's crash would leave it: every answered
	// batch synced.
	crashed := copyDir(t, badgerOnly)
	for _, name := range []string{"journal.0", "journal.1"} {
		copyFile(t, filepath.Join(dir, name), filepath.Join(crashed, name))
	}
	torn := copyDir(t, crashed)
	p.Close()
	store.Close()

	t.Run("EveryAnsweredBatchIsBack", func(t *testing.T) {
		p, store := MustOpenPipeline(t, crashed)
		for _, id := range append(before, after...) {
			if _, err := store.Decision(id); err != nil {
				t.Fatalf("decision %s lost: %v", id, err)
			}
		}
		if h := store.AuditHead(); h.Seq != uint64(len(before)+len(after)) {
			t.Fatalf("audit head %d, want %d", h.Seq, len(before)+len(after))
		}
		if r, err := audit.Verify(store.DB(), engine.LedgerAudit, nil); err != nil || !r.OK() {
			t.Fatalf("verify: %+v %v", r, err)
		}
		// The windows were rebuilt from the replayed records: a 51st
		// event of the payer, within the same hour range, counts 51.
		res := MustSubmit(t, p, recharge("jr_next", "usr_journal", "+998900000001", t0.Add(50*time.Minute), "5.00"))
		if got := res.Decision.Features.PayerCount24h; got != 51 {
			t.Fatalf("payer_count_24h %d, want 51", got)
		}
	})

	t.Run("TornLastRecordLosesOnlyThatBatch", func(t *testing.T) {
		// Flip the last written byte of the journal: the last record's
		// checksum fails, and replay stops before it.
		name := filepath.Join(torn, "journal.0")
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		last := len(b) - 1
		for last >= 0 && b[last] == 0 {
			last--
		}
		b[last] ^= 0xff
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
		store, err := engine.OpenStore(torn, engine.StoreOptions{Clock: fixedClock{t0}})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		all := append(before, after...)
		for _, id := range all[:len(all)-1] {
			if _, err := store.Decision(id); err != nil {
				t.Fatalf("decision %s lost: %v", id, err)
			}
		}
		if _, err := store.Decision(all[len(all)-1]); engine.ErrorCode(err) != engine.ENOTFOUND {
			t.Fatalf("the torn batch's decision: %v", err)
		}
		if r, err := audit.Verify(store.DB(), engine.LedgerAudit, nil); err != nil || !r.OK() || r.Head.Seq != uint64(len(all)-1) {
			t.Fatalf("verify: %+v %v", r, err)
		}
	})
}

// The two journal files take turns: with small files, a run rotates them
// many times, checkpointing each full one, and loses nothing.
func TestJournalRotates(t *testing.T) {
	dir := t.TempDir()
	// Each file holds about 1 MB, a few hundred decisions.
	small := engine.StoreOptions{JournalFileSize: 1}
	p, store := MustOpenPipelineWith(t, dir, small)
	ids := decideConcurrently(t, p, 3000)
	p.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	_, store = MustOpenPipelineWith(t, dir, small)
	for _, id := range ids {
		if _, err := store.Decision(id); err != nil {
			t.Fatalf("decision %s lost: %v", id, err)
		}
	}
	if r, err := audit.Verify(store.DB(), engine.LedgerAudit, nil); err != nil || !r.OK() || r.Head.Seq != 3000 {
		t.Fatalf("verify: %+v %v", r, err)
	}
}

// decideConcurrently submits n events for 200 payers from 16 callers and
// returns their decision ids.
func decideConcurrently(t *testing.T, p *engine.Pipeline, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for c := range 16 {
		wg.Go(func() {
			for i := c; i < n; i += 16 {
				ev := recharge(fmt.Sprint("rot_", i), fmt.Sprint("usr_", i%200), fmt.Sprintf("+99890%07d", i), t0.Add(time.Duration(i)*time.Second), "5.00")
				if err := engine.Validate(&ev); err != nil {
					errs <- err
					return
				}
				res, err := p.Submit(context.Background(), ev)
				if err != nil {
					errs <- err
					return
				}
				ids[i] = res.Decision.DecisionID
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}
