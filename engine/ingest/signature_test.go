package ingest_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
)

var testSecret = []byte("whsec_test")

// signedAt is the signature time of the recorded vector below: the
// recharge.created webhook's own time, 2026-04-22T17:08:14Z.
const signedAt = 1776877694

// vector is HMAC-SHA256("whsec_test", "1776877694." + webhook_delivered.json)
// computed with `openssl dgst -sha256 -hmac whsec_test`, independently of Sign.
const vector = "t=1776877694,v1=abd43faf7df10984050f94fd2d69e8defa316652642d57411d847a5964e2c2a3"

func TestSign(t *testing.T) {
	body := MustFixture(t, "upay", "webhook_delivered.json")
	if got := ingest.Sign(testSecret, time.Unix(signedAt, 0), body); got != vector {
		t.Errorf("Sign = %s\nwant   %s", got, vector)
	}
}

func TestVerifySignature(t *testing.T) {
	body := MustFixture(t, "upay", "webhook_delivered.json")
	signed := time.Unix(signedAt, 0)
	verifier := func(now time.Time, secrets ...[]byte) *ingest.SignatureVerifier {
		return ingest.NewSignatureVerifier(fixedClock{now}, secrets...)
	}
	for _, tc := range []struct {
		name    string
		v       *ingest.SignatureVerifier
		header  string
		body    []byte
		problem string // "" when valid
	}{
		{"Valid", verifier(signed.Add(2*time.Second), testSecret), vector, body, ""},
		{"ValidAtFiveMinutes", verifier(signed.Add(5*time.Minute), testSecret), vector, body, ""},
		{"ValidWithRotatedSecret", verifier(signed, []byte("whsec_new"), testSecret), vector, body, ""},
		{"ValidAmongSeveralV1", verifier(signed, testSecret),
			"t=1776877694, v1=" + strings.Repeat("00", 32) + ", v0=legacy, " + vector[len("t=1776877694,"):], body, ""},
		{"ValidSlightlyAhead", verifier(signed.Add(-20*time.Second), testSecret), vector, body, ""},

		{"ErrWrongSecret", verifier(signed, []byte("whsec_other")), vector, body, "does not match"},
		{"ErrNoSecret", verifier(signed), vector, body, "does not match"},
		{"ErrEmptySecret", verifier(signed, []byte{}), ingest.Sign(nil, signed, body), body, "does not match"},
		{"ErrBodyChanged", verifier(signed, testSecret), vector,
			[]byte(strings.Replace(string(body), `"10.00"`, `"100.00"`, 1)), "does not match"},
		{"ErrTimeChanged", verifier(signed, testSecret), strings.Replace(vector, "t=1776877694", "t=1776877695", 1), body, "does not match"},
		{"ErrStale", verifier(signed.Add(5*time.Minute+time.Second), testSecret), vector, body, "older than 5m0s"},
		{"ErrFuture", verifier(signed.Add(-time.Minute), testSecret), vector, body, "in the future"},
		{"ErrMissing", verifier(signed, testSecret), "", body, "is missing"},
		{"ErrNoTime", verifier(signed, testSecret), vector[len("t=1776877694,"):], body, "must be t="},
		{"ErrNoV1", verifier(signed, testSecret), "t=1776877694", body, "must be t="},
		{"ErrTwoTimes", verifier(signed, testSecret), "t=1776877694," + vector, body, "must be t="},
		{"ErrTimeNotNumber", verifier(signed, testSecret), strings.Replace(vector, "1776877694", "2026-04-22", 1), body, "must be t="},
		{"ErrNoEquals", verifier(signed, testSecret), "t1776877694,v1abc", body, "must be t="},
		{"ErrShortHex", verifier(signed, testSecret), "t=1776877694,v1=abd43faf", body, "64 hex"},
		{"ErrNotHex", verifier(signed, testSecret), "t=1776877694,v1=" + strings.Repeat("zz", 32), body, "64 hex"},
		{"ErrTooLong", verifier(signed, testSecret), vector + strings.Repeat(",v0=x", 300), body, "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Verify(tc.header, tc.body)
			if tc.problem == "" {
				if err != nil {
					t.Fatalf("Verify: %v %+v", err, engine.ErrorFields(err))
				}
				return
			}
			assertFields(t, err, engine.EUNAUTHORIZED, map[string]string{ingest.HeaderSignature: tc.problem})
		})
	}
}

// A verifier's bounds are adjustable; the default is five minutes.
func TestVerifySignatureMaxAge(t *testing.T) {
	body := []byte(`{"type":"recharge.created"}`)
	now := time.Date(2026, 4, 22, 17, 0, 0, 0, time.UTC)
	v := ingest.NewSignatureVerifier(fixedClock{now}, testSecret)
	if ingest.DefaultSignatureMaxAge != 5*time.Minute || v.MaxAge != ingest.DefaultSignatureMaxAge {
		t.Fatalf("MaxAge = %s", v.MaxAge)
	}
	h := ingest.Sign(testSecret, now.Add(-2*time.Minute), body)
	if err := v.Verify(h, body); err != nil {
		t.Fatalf("2 minutes old: %v", err)
	}
	v.MaxAge = time.Minute
	if err := v.Verify(h, body); engine.ErrorCode(err) != engine.EUNAUTHORIZED {
		t.Fatalf("2 minutes old with a 1 minute bound: %v", err)
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add(vector, []byte(`{}`))
	f.Add("t=1,v1=00", []byte(nil))
	f.Add("t=99999999999999999999,v1="+strings.Repeat("ab", 32), []byte("x"))
	now := time.Unix(signedAt, 0)
	v := ingest.NewSignatureVerifier(fixedClock{now}, testSecret)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := v.Verify(header, body)
		if err == nil {
			// Only a fresh header holding the right HMAC may pass.
			ts, ok := parseT(header)
			_, mac, _ := strings.Cut(ingest.Sign(testSecret, ts, body), ",v1=")
			if !ok || now.Sub(ts) > 5*time.Minute || ts.Sub(now) > 30*time.Second || !strings.Contains(strings.ToLower(header), mac) {
				t.Fatalf("accepted %q for %q", header, body)
			}
			return
		}
		if engine.ErrorCode(err) != engine.EUNAUTHORIZED || len(engine.ErrorFields(err)) != 1 {
			t.Fatalf("error %v", err)
		}
	})
}

// parseT returns the time of the t=<unix> part of a header.
func parseT(header string) (time.Time, bool) {
	for _, part := range strings.Split(header, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "t" {
			n, err := strconv.ParseInt(v, 10, 64)
			return time.Unix(n, 0), err == nil
		}
	}
	return time.Time{}, false
}
