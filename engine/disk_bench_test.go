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
		f, err := os.Create(filepath.Join(benchmeter.DataDir(b), "sync"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		chunk := make([]byte, 40<<10)
		measureDisk(b, "sync", func(int) error {
			if _, err := f.Write(chunk); err != nil {
				return err
			}
			return f.Sync()
		})
	})
	value := make([]byte, 1<<10)
	keys := func(i int, each func(k []byte) error) error {
		for k := range 32 {
			if err := each(fmt.Appendf(nil, "bench/%08d/%02d", i, k)); err != nil {
				return err
			}
		}
		return nil
	}
	b.Run("Badger", func(b *testing.B) {
		db, err := badger.Open(badger.DefaultOptions(benchmeter.DataDir(b)).WithSyncWrites(true).WithLogger(nil).
			WithMemTableSize(engine.DefaultMemTableSize).WithNumVersionsToKeep(1).WithMetricsEnabled(false))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		measureDisk(b, "commit", func(i int) error {
			return db.Update(func(txn *badger.Txn) error {
				return keys(i, func(k []byte) error { return txn.Set(k, value) })
			})
		})
	})
	b.Run("Store", func(b *testing.B) {
		store, err := engine.OpenStore(benchmeter.DataDir(b), engine.StoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		measureDisk(b, "commit", func(i int) error {
			var batch [][]byte
			keys(i, func(k []byte) error { batch = append(batch, k); return nil })
			return engine.WriteKeys(store, batch, value)
		})
	})
}

// measureDisk runs op b.N times from one caller and reports the meter's
// figures and the latency percentiles, per unit.
func measureDisk(b *testing.B, unit string, op func(i int) error) {
	lat := benchmeter.NewLatencies(1, b.N)
	b.ResetTimer()
	m := benchmeter.Start(b)
	err := lat.Run(b.N, func(_, i int) error { return op(i) })
	m.Report(b, b.N, unit)
	if err != nil {
		b.Fatal(err)
	}
	lat.Report(b)
}
