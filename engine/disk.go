package engine

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultDiskCheckInterval is how often a store with a MinFreeDisk looks at
// the free space of its disk.
const DefaultDiskCheckInterval = 500 * time.Millisecond

// FreeSpace returns the bytes free to an unprivileged writer on the
// filesystem holding dir.
func FreeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// diskGuard keeps a store from filling its disk. Badger writes its memtable
// log and its tables through memory maps, and a write to a mapped page the
// filesystem has no room for kills the process (SIGBUS); so new work is
// refused while less than min bytes are free, before Badger gets there. The
// margin must hold what is already admitted, a memtable flush and a
// compaction.
type diskGuard struct {
	dir  string
	min  uint64
	free func(string) (uint64, error)
	log  *slog.Logger

	freeNow atomic.Uint64
	low     atomic.Pointer[Error] // nil while there is room
	stop    chan struct{}
	once    sync.Once
	done    sync.WaitGroup
}

// startDiskGuard checks dir's free space now, then every interval until
// close.
func startDiskGuard(dir string, min uint64, free func(string) (uint64, error), interval time.Duration, log *slog.Logger) *diskGuard {
	g := &diskGuard{dir: dir, min: min, free: free, log: log, stop: make(chan struct{})}
	g.check()
	g.done.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-g.stop:
				return
			case <-t.C:
				g.check()
			}
		}
	})
	return g
}

func (g *diskGuard) close() {
	g.once.Do(func() { close(g.stop) })
	g.done.Wait()
}

// check reads the free space and refuses or admits work accordingly,
// logging when that changes. A failed reading keeps the last verdict.
func (g *diskGuard) check() {
	free, err := g.free(g.dir)
	if err != nil {
		g.log.Warn("cannot read the free disk space", "err", err)
		return
	}
	g.freeNow.Store(free)
	if free >= g.min {
		if g.low.Swap(nil) != nil {
			g.log.Info("disk space freed; taking new decisions again", "free_bytes", free, "min_free_bytes", g.min)
		}
		return
	}
	e := &Error{Code: EUNAVAILABLE, Message: fmt.Sprintf(
		"the disk holding %s has %d MB free, under the %d MB it must keep free: new decisions are refused until space is freed",
		g.dir, free>>20, g.min>>20)}
	if g.low.Swap(e) == nil {
		g.log.Error("disk nearly full; refusing new decisions", "dir", g.dir, "free_bytes", free, "min_free_bytes", g.min)
	}
}

// err is nil while there is room, else the error to refuse work with.
func (g *diskGuard) err() error {
	if e := g.low.Load(); e != nil {
		return e
	}
	return nil
}
