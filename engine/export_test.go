package engine

import "strings"

// Unexported helpers exposed to the black-box tests of package engine_test.
var MicroUSD = microUSD

// NormalizeMSISDNSlow is NormalizeMSISDN through libphonenumber's parser
// alone, without the fast paths.
func NormalizeMSISDNSlow(s, region string) (string, bool) {
	return normalizeMSISDN(strings.TrimSpace(s), region)
}

// WriteKeys commits key=value for each key in one transaction of the
// store's write path: Badger, then the journal, synced.
func WriteKeys(s *Store, keys [][]byte, value []byte) error {
	txn := s.newTxn(nil)
	defer txn.Discard()
	for _, k := range keys {
		if err := txn.Set(k, value); err != nil {
			return err
		}
	}
	return s.commit(txn)
}

// FastInternational is NormalizeMSISDN's fast path for numbers without "+".
var FastInternational = fastInternational
