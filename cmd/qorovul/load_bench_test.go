package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// BenchmarkPreauth is the load driver of BENCHMARKS.md: 64 concurrent
// callers post distinct recharges for 5,000 payers to POST /v1/preauth of a
// real instance (Badger with synced commits in a temporary directory, the
// shipped policy and lists) over loopback HTTP with keep-alive. It reports
// events/s and the p50/p99 latency of a call.
func BenchmarkPreauth(b *testing.B) {
	const callers = 64
	dir := b.TempDir()
	tokens, err := demoTokens(dir)
	if err != nil {
		b.Fatal(err)
	}
	app := NewApp(Config{DataDir: dir, HTTPAddr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	app.Lists = MustLoadLists(b)
	if err := app.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer app.Close(context.Background())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: callers, MaxConnsPerHost: callers}}
	token := "Bearer " + tokens[engine.RolePayment]
	url := app.URL + "/v1/preauth"

	var seq atomic.Int64
	body := func(i int64) []byte {
		payer := i % 5000
		return fmt.Appendf(nil, `{"id":"load_%d","source":"api","kind":"recharge","occurred_at":"%s",`+
			`"payer":{"id":"usr_%d","name":"John Smith","country":"US"},`+
			`"instrument":{"type":"card","brand":"visa","bin":"424242","last4":"4242","bin_country":"US","token":"tok_%d"},`+
			`"beneficiary":{"msisdn":"+99890%07d","name":"Alisher Karimov"},"destination":{"country":"UZ","operator":"beeline"},`+
			`"amount":{"value":"10.00","currency":"USD"}}`,
			i, testT0.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), payer, payer, payer*3+i%3)
	}
	post := func(i int64) error {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body(i)))
		req.Header.Set("Authorization", token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	// Warm up connections and the window state.
	for range 200 {
		if err := post(seq.Add(1)); err != nil {
			b.Fatal(err)
		}
	}

	lat := make([][]time.Duration, callers)
	var next atomic.Int64
	var failed atomic.Value
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t := time.Now()
				if err := post(seq.Add(1)); err != nil {
					failed.Store(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	if mfs, err := app.Metrics.Registry().Gather(); err == nil {
		for _, mf := range mfs {
			if mf.GetName() == "qorovul_commit_batch_events" {
				h := mf.GetMetric()[0].GetHistogram()
				b.ReportMetric(h.GetSampleSum()/float64(h.GetSampleCount()), "events/commit")
			}
		}
	}
}
