// Package audit owns Qorovul's tamper-evident ledgers: the hash-chained audit
// ledger of decisions and officer actions, and the consent ledger. Both live in
// the one Badger database, each under its own key prefix, and are appended to
// inside the caller's Badger transaction so that an entry is durable exactly
// when the effect it records is.
//
// # Use
//
// The engine's single committer goroutine does, per batch:
//
//	b := ledger.Begin()
//	txn := db.NewTransaction(true)
//	defer txn.Discard()
//	for _, ev := range events {
//		// ... write the event's effect into txn ...
//		if _, err := b.Append(txn, audit.Entry{Kind: "decision", Subject: ev.ID, Payload: p}); err != nil {
//			return err // txn is discarded and b forgotten
//		}
//	}
//	if err := txn.Commit(); err != nil {
//		return err // b forgotten: the head did not move
//	}
//	return ledger.Commit(b) // only now does the in-memory head advance
//
// A batch of many entries can write the head key once instead of with each
// entry: call b.DeferHead() after Begin and b.WriteHead(txn) after the last
// Append, before txn.Commit (the engine's committer does); Ledger.Commit
// refuses such a batch whose head was not written after its last entry.
//
// A batch whose transaction is discarded or fails to commit is simply
// dropped. A batch's first Append reads the stored head key inside the
// transaction and chains onto it, so the chain follows the commit order even
// if a committed batch never reached Ledger.Commit, and a second writer
// racing on the same ledger makes one of the commits fail with
// badger.ErrConflict (retry it) instead of forking the chain.
//
// Verify walks a ledger in the database; Export streams it as JSON Lines or
// CSV and can end the stream with an Ed25519-signed checkpoint; VerifyExport
// checks such a file offline with only the public key.
//
// # Keys
//
// For a ledger named N (lowercase letters, digits, '_' and '-'):
//
//	"a/N/e/" + 8-byte big-endian sequence number  -> stored entry (see below)
//	"a/N/head"                                    -> {"seq":S,"hash":"<hex>"}
//
// # Canonical bytes and hashes (what an auditor re-implements)
//
// The canonical bytes C(e) of an entry are one JSON object with no
// insignificant whitespace and exactly these members in this order:
//
//	{"seq":S,"time":"T","kind":"K","subject":"U","actor":"A","payload":P,"prev_hash":"H"}
//
// where
//
//   - S: the sequence number in decimal, no sign or leading zeros; 1, 2, 3…
//   - T: the commit time in UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ (always six
//     fraction digits, microseconds).
//   - K, U, A: strings. The "actor" member is left out entirely when the actor
//     is empty. Strings are valid UTF-8 and are written byte for byte except
//     that '"' becomes \", '\' becomes \\ and every byte below 0x20 becomes
//     \u00XX with two lowercase hex digits. Nothing else is escaped.
//   - P: the payload, a JSON value with all whitespace outside strings
//     removed (Go's json.Compact; string contents are left untouched). An
//     empty payload is stored as null.
//   - H: the previous entry's hash, 64 lowercase hex digits; 64 zeros for
//     sequence number 1.
//
// The hash of an entry is the lowercase hex of
//
//	SHA-256( the 32 bytes whose hex is H  ||  C(e) )
//
// and the stored value (also one line of a JSONL export) is C(e) with
// ,"hash":"<hash>" inserted before the closing brace. A stored value or
// exported line is valid only if re-encoding its parsed fields gives back the
// very same bytes, so every changed byte is detected.
//
// Times never go backwards along a chain: an entry's time is the ledger
// clock's time at Begin, raised to the previous entry's time if the clock
// stepped back. Exports rely on this to find a time range by binary search.
//
// # Checkpoints
//
// A signed export ends with one line
//
//	{"checkpoint":B,"signature":"<standard base64 of the Ed25519 signature>"}
//
// where B is, in this order and without whitespace,
//
//	{"ledger":"N","first_seq":F,"seq":S,"hash":"H","entries":E,"from":"T1","to":"T2","time":"T","key_id":"K"}
//
// F and S are the first and last exported sequence numbers, H the last
// exported entry's hash, E the number of exported entries (F, S 0 and H 64
// zeros when E is 0), "from"/"to" the export's time filter (left out when
// unset; from inclusive, to exclusive), "time" the signing time and K the
// first 16 hex digits of SHA-256 of the raw 32-byte public key. Strings and
// times are written as for entries. The signature is over the bytes
// "qorovul-checkpoint-v1\n" followed by B. In a CSV export the checkpoint is
// the last row: "checkpoint" in the seq column, B in the payload column and
// the base64 signature in the hash column (escaped as below), other columns
// empty.
//
// # CSV
//
// CSV exports have the header seq,time,kind,subject,actor,payload,prev_hash,hash
// and one row per entry (RFC 4180 quoting). To keep spreadsheets from running
// cells as formulas, a cell that starts with = + - @ ' TAB or CR is written
// with one extra leading apostrophe, which a reader strips.
package audit
