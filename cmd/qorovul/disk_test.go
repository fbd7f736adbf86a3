package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size MB on a new directory, unmounted at the
// end of the test. Mounting needs root (CI runs as root); elsewhere the test
// is skipped.
func mountTmpfs(t *testing.T, mb int) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", mb), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestServeNearlyFullDisk fills a real, small disk under serve. Without a
// margin Badger dies of SIGBUS when a write to its memory-mapped log finds
// no room, and again at every restart. With --min-free-disk-mb, serve
// refuses new decisions (503, naming the disk) and /healthz answers 503
// while the disk is nearly full, stays up, and takes decisions again once
// space is freed; every decision it acknowledged is in a ledger that
// verifies.
func TestServeNearlyFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	mnt := mountTmpfs(t, 160)
	dir := mnt + "/data"
	token := mustPaymentToken(t, dir, "fill")
	addr := freeAddr(t)
	t.Setenv("QOROVUL_MIN_FREE_DISK_MB", "96")
	serve, logs := startServe(t, dir, addr)

	var (
		mu       sync.Mutex
		acked    []string
		refusals = map[string]int{}
		next     int
	)
	// post sends recharges from 16 callers until stop says so.
	post := func(stop func() bool) {
		var wg sync.WaitGroup
		for c := 0; c < 16; c++ {
			wg.Go(func() {
				for !stop() {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					ev := testEvent(fmt.Sprintf("fill_%d", i), fmt.Sprintf("usr_%d", i%5000), fmt.Sprintf("+99890%07d", i%9_000_000), 0, "10.00")
					ev["occurred_at"] = time.Now().UTC().Format(time.RFC3339Nano)
					body, _ := json.Marshal(ev)
					req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/preauth", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Errorf("preauth: %v (serve died?)\n%s", err, logs.String())
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					mu.Lock()
					if resp.StatusCode == 200 {
						acked = append(acked, ev["id"].(string))
					} else {
						refusals[fmt.Sprintf("%d %s", resp.StatusCode, b)]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}

	// Fill until serve refuses.
	deadline := time.Now().Add(streamWait)
	post(func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(refusals) > 0 || time.Now().After(deadline) || t.Failed()
	})
	if t.Failed() {
		t.FailNow()
	}
	if len(refusals) == 0 {
		t.Fatalf("no refusal after %d decisions in %v", len(acked), streamWait)
	}
	for r := range refusals {
		if !strings.HasPrefix(r, "503 ") || !strings.Contains(r, "free") || !strings.Contains(r, "unavailable") {
			t.Fatalf("refusal %q, want a 503 that says the disk is nearly full", r)
		}
	}
	t.Logf("refused after %d decisions: %v", len(acked), refusals)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("/healthz with a nearly full disk: %v\n%s", err, logs.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("/healthz with a nearly full disk: %d, want 503", resp.StatusCode)
	}
	if v, err := metric(addr, "qorovul_disk_free_bytes"); err != nil || v >= 96<<20 {
		t.Fatalf("qorovul_disk_free_bytes %v (%v), want under the 96 MB minimum", v, err)
	}
	// It keeps refusing, and does not die, while the disk stays full.
	until := time.Now().Add(2 * time.Second)
	before := len(acked)
	post(func() bool { return time.Now().After(until) || t.Failed() })
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d more decisions taken in 2 s on the nearly full disk (admitted before the check saw it)", len(acked)-before)

	// Space is freed: decisions again.
	if out, err := exec.Command("mount", "-o", "remount,size=512m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v %s", err, out)
	}
	mu.Lock()
	refusals = map[string]int{}
	mu.Unlock()
	var afterFree int
	deadline = time.Now().Add(streamWait)
	for afterFree < 200 {
		n := len(acked)
		post(func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(acked) >= n+50 || time.Now().After(deadline) || t.Failed()
		})
		if t.Failed() || time.Now().After(deadline) {
			t.Fatalf("%d decisions after space was freed\n%s", afterFree, logs.String())
		}
		afterFree += len(acked) - n
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz after space was freed: %v %v", resp, err)
	}
	stopServe(t, serve, logs)
	out := logs.String()
	if !strings.Contains(out, "disk nearly full") || !strings.Contains(out, "disk space freed") {
		t.Fatalf("the log does not tell the full disk:\n%s", out)
	}

	// Every acknowledged decision is in the ledger, which verifies.
	inLedger := ledgerDecisions(t, dir)
	for _, id := range acked {
		if inLedger[id] != 1 {
			t.Fatalf("acknowledged decision of %s is in the ledger %d times", id, inLedger[id])
		}
	}
	t.Logf("%d acknowledged decisions, all in the ledger (%d entries)", len(acked), len(inLedger))
}
