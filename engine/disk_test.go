package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// TestNearlyFullDiskRefusesWork: while the data's disk has less than
// MinFreeDisk free, the pipeline refuses new events as unavailable,
// counting them nowhere, and takes them again once space is freed; a store
// does not open on such a disk.
func TestNearlyFullDiskRefusesWork(t *testing.T) {
	const min = 64 << 20
	var free atomic.Uint64
	free.Store(10 << 30)
	dir := t.TempDir()
	opts := engine.StoreOptions{MinFreeDisk: min, DiskCheckInterval: 5 * time.Millisecond,
		FreeSpace: func(d string) (uint64, error) {
			if d != dir {
				t.Errorf("free space asked of %q, not the data dir %q", d, dir)
			}
			return free.Load(), nil
		}}
	p, store := MustOpenPipelineWith(t, dir, opts)
	MustSubmit(t, p, recharge("disk_1", "usr_disk", "+998901234567", t0, "1.00"))
	if got, ok := store.DiskFree(); !ok || got != 10<<30 {
		t.Fatalf("DiskFree = %d, %v", got, ok)
	}

	free.Store(min - 1)
	ev := recharge("disk_2", "usr_disk", "+998901234568", t0.Add(time.Minute), "1.00")
	if err := engine.Validate(&ev); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for {
		if _, err = p.Submit(context.Background(), ev); err != nil || time.Now().After(deadline) {
			break
		}
		ev.ID += "x" // accepted before the check saw the disk: another event
		time.Sleep(time.Millisecond)
	}
	if engine.ErrorCode(err) != engine.EUNAVAILABLE || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "free") {
		t.Fatalf("submit on a nearly full disk: %v", err)
	}
	if werr := store.Writable(); engine.ErrorCode(werr) != engine.EUNAVAILABLE {
		t.Fatalf("Writable on a nearly full disk: %v", werr)
	}
	if p.Err() != nil {
		t.Fatalf("a full disk stopped the pipeline for good: %v", p.Err())
	}
	accepted := strings.Count(ev.ID, "x") // events let in before the refusal

	free.Store(min)
	for store.Writable() != nil {
		if time.Now().After(deadline) {
			t.Fatal("still refusing after space was freed")
		}
		time.Sleep(time.Millisecond)
	}
	// The refused event was counted nowhere: the payer's next one sees
	// its first, those let in before the refusal, and itself.
	res := MustSubmit(t, p, recharge("disk_3", "usr_disk", "+998901234569", t0.Add(2*time.Minute), "1.00"))
	if got, want := res.Decision.Features.PayerCount1h, 2+accepted; got != want {
		t.Fatalf("payer count after the refusal: %d, want %d", got, want)
	}
	if res = MustSubmit(t, p, ev); res.Duplicate {
		t.Fatal("the refused event was stored")
	}

	p.Close()
	store.Close()
	free.Store(min - 1)
	if _, err := engine.OpenStore(dir, opts); engine.ErrorCode(err) != engine.EUNAVAILABLE || !strings.Contains(err.Error(), "free") {
		t.Fatalf("OpenStore on a nearly full disk: %v", err)
	}
}

// TestFreeSpace reads a real filesystem.
func TestFreeSpace(t *testing.T) {
	free, err := engine.FreeSpace(t.TempDir())
	if err != nil || free == 0 {
		t.Fatalf("FreeSpace = %d, %v", free, err)
	}
	if _, err := engine.FreeSpace(t.TempDir() + "/missing"); err == nil {
		t.Fatal("FreeSpace of a missing directory: no error")
	}
}
