package sanctions

import (
	"errors"
	"sync/atomic"
)

// Screener holds the index in use and swaps it atomically on reload.
type Screener struct {
	cur atomic.Pointer[Index]
}

// NewScreener starts with ix.
func NewScreener(ix *Index) *Screener {
	s := &Screener{}
	s.cur.Store(ix)
	return s
}

// Index is the index in use now.
func (s *Screener) Index() *Index { return s.cur.Load() }

// Reload builds a new index with load and swaps it in; on error (or a nil index) the
// previous index stays in use and the error is returned.
func (s *Screener) Reload(load func() (*Index, error)) error {
	ix, err := load()
	if err != nil {
		return err
	}
	if ix == nil {
		return errors.New("reload: loader returned no index")
	}
	s.cur.Store(ix)
	return nil
}
