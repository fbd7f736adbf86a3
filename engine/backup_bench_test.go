package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/internal/benchmeter"
	"github.com/qorovul/qorovul/rules"
)

// backupEvents is the size of the store the backup benchmarks copy.
const backupEvents = 200_000

// filledStore returns a pipeline over a store that decided backupEvents
// events of benchPayers payers.
func filledStore(b *testing.B) (*engine.Store, *engine.Pipeline) {
	pol, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	store, p := newBenchPipeline(b, pol, 0)
	if err := benchmeter.NewLatencies(256, backupEvents).Run(backupEvents, func(_, i int) error {
		_, err := p.Background().Submit(context.Background(), benchEvent(b, "fill_", i))
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return store, p
}

// BenchmarkBackup takes backups of a store of backupEvents decisions
// (Store.Backup to memory) and restores each (engine.Restore): MB/s of the
// backup file, and the seconds each takes. "under-load" takes them while
// 256 background submitters keep the pipeline busy, and reports the
// pipeline's events/s during the backup against its rate just before.
func BenchmarkBackup(b *testing.B) {
	b.Run("idle", func(b *testing.B) {
		store, _ := filledStore(b)
		var buf bytes.Buffer
		var backupTook, restoreTook time.Duration
		b.ResetTimer()
		for i := range b.N {
			buf.Reset()
			start := time.Now()
			n, err := store.Backup(&buf)
			if err != nil {
				b.Fatal(err)
			}
			backupTook += time.Since(start)
			b.SetBytes(n)
			start = time.Now()
			if _, err := engine.Restore(filepath.Join(b.TempDir(), fmt.Sprint("r", i)), bytes.NewReader(buf.Bytes()), nil); err != nil {
				b.Fatal(err)
			}
			restoreTook += time.Since(start)
		}
		b.ReportMetric(backupTook.Seconds()/float64(b.N), "backup-s")
		b.ReportMetric(restoreTook.Seconds()/float64(b.N), "restore-s")
		b.ReportMetric(float64(buf.Len())/backupEvents, "bytes/event")
	})
	b.Run("under-load", func(b *testing.B) {
		store, p := filledStore(b)
		ctx, stop := context.WithCancel(context.Background())
		var done atomic.Int64
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 256 {
			wg.Go(func() {
				for ctx.Err() == nil {
					if _, err := p.Background().Submit(context.Background(), benchEvent(b, "load_", int(next.Add(1)))); err != nil {
						b.Error(err)
						return
					}
					done.Add(1)
				}
			})
		}
		rate := func(d time.Duration) float64 {
			n0 := done.Load()
			time.Sleep(d)
			return float64(done.Load()-n0) / d.Seconds()
		}
		var before, during float64
		var took time.Duration
		b.ResetTimer()
		for range b.N {
			before += rate(2 * time.Second)
			n0, start := done.Load(), time.Now()
			n, err := store.Backup(io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			took += time.Since(start)
			during += float64(done.Load()-n0) / time.Since(start).Seconds()
			b.SetBytes(n)
		}
		b.StopTimer()
		stop()
		wg.Wait()
		b.ReportMetric(took.Seconds()/float64(b.N), "backup-s")
		b.ReportMetric(before/float64(b.N), "events/s-before")
		b.ReportMetric(during/float64(b.N), "events/s-during")
	})
}
