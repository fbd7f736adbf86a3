package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qorovul/qorovul/engine"
)

// HeaderSignature carries uPay's webhook signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
const HeaderSignature = "X-OFL-Signature"

// Defaults of a SignatureVerifier.
const (
	// DefaultSignatureMaxAge is how old a signed webhook may be.
	DefaultSignatureMaxAge = 5 * time.Minute
	// DefaultSignatureSkew is how far in the future a signature time may
	// lie, for clocks that disagree a little.
	DefaultSignatureSkew = 30 * time.Second
)

// maxSignatureHeader bounds the header so that parsing stays cheap.
const maxSignatureHeader = 1024

// SignatureVerifier checks signed webhooks against one or more secrets (more
// than one while a secret is rotated) and a clock.
type SignatureVerifier struct {
	secrets [][]byte
	clock   engine.Clock
	// MaxAge and Skew bound the signature time: it must lie within
	// [now-MaxAge, now+Skew].
	MaxAge time.Duration
	Skew   time.Duration
}

// NewSignatureVerifier returns a verifier for the given secrets with the
// default age and skew. Empty secrets are ignored: with none, nothing verifies.
func NewSignatureVerifier(clock engine.Clock, secrets ...[]byte) *SignatureVerifier {
	return &SignatureVerifier{secrets: secrets, clock: clock, MaxAge: DefaultSignatureMaxAge, Skew: DefaultSignatureSkew}
}

// Sign returns the signature header value for body signed with secret at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks header, the value of HeaderSignature, against body. It
// returns nil for a valid, fresh signature and otherwise an *engine.Error
// with code EUNAUTHORIZED whose field is the header: missing or malformed,
// not matching the body, older than MaxAge or dated in the future. The
// comparison takes constant time; several v1 values are allowed (any may
// match) so that a sender can sign with an old and a new secret.
func (v *SignatureVerifier) Verify(header string, body []byte) error {
	fail := func(format string, args ...any) error {
		return &engine.Error{Code: engine.EUNAUTHORIZED, Message: "invalid webhook signature",
			Fields: []engine.FieldError{{Field: HeaderSignature, Problem: fmt.Sprintf(format, args...)}}}
	}
	const form = "must be t=<unix seconds>,v1=<hex hmac-sha256>"
	header = strings.TrimSpace(header)
	switch {
	case header == "":
		return fail("is missing")
	case len(header) > maxSignatureHeader:
		return fail("is too long")
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fail(form)
		}
		switch k {
		case "t":
			if ts != "" || !isDigits(val) || len(val) > 12 {
				return fail(form)
			}
			ts = val
		case "v1":
			sig, err := hex.DecodeString(val)
			if err != nil || len(sig) != sha256.Size {
				return fail("v1 must be 64 hex digits")
			}
			sigs = append(sigs, sig)
		default: // other schemes (v0…) are ignored
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fail(form)
	}
	match := false
	for _, secret := range v.secrets {
		if len(secret) == 0 { // an empty key would let anyone sign
			continue
		}
		want := mac(secret, ts, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				match = true
			}
		}
	}
	if !match {
		return fail("does not match the body")
	}
	n, _ := strconv.ParseInt(ts, 10, 64)
	signed, now := time.Unix(n, 0), v.clock.Now()
	switch {
	case now.Sub(signed) > v.MaxAge:
		return fail("is older than %s", v.MaxAge)
	case signed.Sub(now) > v.Skew:
		return fail("is dated %s in the future", signed.Sub(now).Round(time.Second))
	}
	return nil
}
