package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/internal/benchmeter"
)

// BenchmarkDisk is what the machine's disk gives a committer, one caller at
// a time: File is a 40 KB append to a file followed by fsync (about what
// one batch of 32 decisions writes); Badger is a Badger transaction of 32
// keys of 1 KB with Badger's synced writes; Store is the same transaction
// on the store's write path (Badger unsynced, then the journal synced). The
// latency percentiles bound how fast a batch can become durable.
func BenchmarkDisk(b *testing.B) {
	b.Run("File", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "sync"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		chunk := make([]byte, 40<<10)
		lat := benchmeter.NewLatencies(1, b.N)
		b.ResetTimer()
		m := benchmeter.Start(b)
		err = lat.Run(b.N, func(int, int) error {
			if _, err := f.Write(chunk); err != nil {
				return err
			}
			return f.Sync()
		})
		m.Report(b, b.N, "sync")
		if err != nil {
			b.Fatal(err)
		}
		lat.Report(b)
	})
	b.Run("Badger", func(b *testing.B) {
		db, err := badger.Open(badger.DefaultOptions(b.TempDir()).WithSyncWrites(true).WithLogger(nil).
			WithMemTableSize(engine.DefaultMemTableSize).WithNumVersionsToKeep(1).WithMetricsEnabled(false))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		value := make([]byte, 1<<10)
		lat := benchmeter.NewLatencies(1, b.N)
		b.ResetTimer()
		m := benchmeter.Start(b)
		err = lat.Run(b.N, func(_, i int) error {
			return db.Update(func(txn *badger.Txn) error {
				for k := range 32 {
					if err := txn.Set(fmt.Appendf(nil, "bench/%08d/%02d", i, k), value); err != nil {
						return err
					}
				}
				return nil
			})
		})
		m.Report(b, b.N, "commit")
		if err != nil {
			b.Fatal(err)
		}
		lat.Report(b)
	})
	b.Run("Store", func(b *testing.B) {
		store, err := engine.OpenStore(b.TempDir(), engine.StoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		value := make([]byte, 1<<10)
		keys := make([][]byte, 32)
		lat := benchmeter.NewLatencies(1, b.N)
		b.ResetTimer()
		m := benchmeter.Start(b)
		err = lat.Run(b.N, func(_, i int) error {
			for k := range keys {
				keys[k] = fmt.Appendf(nil, "bench/%08d/%02d", i, k)
			}
			return engine.WriteKeys(store, keys, value)
		})
		m.Report(b, b.N, "commit")
		if err != nil {
			b.Fatal(err)
		}
		lat.Report(b)
	})
}
