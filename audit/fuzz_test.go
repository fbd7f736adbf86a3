package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/qorovul/qorovul/audit"
)

// FuzzVerifyExport feeds VerifyExport arbitrary input: it reads files from
// outside, so it must never panic, and its error and report must agree.
func FuzzVerifyExport(f *testing.F) {
	// The golden files are signed by this key (see newExportFixture).
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	for _, seed := range goldenSeeds(f) {
		f.Add(seed)
	}
	f.Add([]byte(""))
	f.Add([]byte("{}\n"))
	f.Add([]byte("seq,time,kind,subject,actor,payload,prev_hash,hash\n1,2,3,4,5,6,7,8\n"))
	f.Add([]byte(`{"checkpoint":{"ledger":"audit","first_seq":0,"seq":0,"hash":"","entries":0,"time":"","key_id":""},"signature":""}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range []ed25519.PublicKey{nil, pub} {
			rep, err := audit.VerifyExport(bytes.NewReader(data), k)
			if (err == nil) != rep.OK() {
				t.Fatalf("error %v but report %+v", err, rep)
			}
			if err != nil && !errors.Is(err, audit.ErrBroken) {
				t.Fatalf("error %v does not wrap ErrBroken", err)
			}
			if err == nil && k != nil && !rep.Signed {
				t.Fatalf("passed with a key but not signed: %+v", rep)
			}
			if err != nil && rep.Line == 0 {
				t.Fatalf("problem without a line: %+v", rep)
			}
		}
	})
}
