package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeTLS runs the built binary with --tls-cert and --tls-key: the API
// answers over TLS with that certificate and refuses plain HTTP; after the
// files are replaced, SIGHUP makes new connections get the new certificate.
func TestServeTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	first, second := newTestPKI(t), newTestPKI(t)
	// The files serve reads; the second PKI's certificate replaces the
	// first's in them later.
	dir := t.TempDir()
	certFile, keyFile := dir+"/api.pem", dir+"/api.key"
	copyFile(t, first.serverCert, certFile)
	copyFile(t, first.serverKey, keyFile)

	roots := x509.NewCertPool()
	for _, p := range []testPKI{first, second} {
		b, err := os.ReadFile(p.ca)
		if err != nil {
			t.Fatal(err)
		}
		roots.AppendCertsFromPEM(b)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, DisableKeepAlives: true}}
	t.Setenv("QOROVUL_TLS_CERT", certFile)
	t.Setenv("QOROVUL_TLS_KEY", keyFile)
	addr := freeAddr(t)
	serve, logs := startServeWith(t, t.TempDir(), "https://"+addr, client)

	// served returns the leaf certificate of a new connection.
	served := func() []byte {
		t.Helper()
		resp, err := client.Get("https://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("GET /healthz over TLS: %v\n%s", err, logs.String())
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK || resp.TLS == nil {
			t.Fatalf("GET /healthz over TLS: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
		}
		return resp.TLS.PeerCertificates[0].Raw
	}
	if got := served(); !bytes.Equal(got, first.server.Certificate[0]) {
		t.Fatal("the API does not present the certificate of --tls-cert")
	}

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("plain HTTP to the TLS port: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
		t.Fatalf("plain HTTP to the TLS port: %d %s", resp.StatusCode, body)
	}

	// A broken pair on reload leaves the certificate in use.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	serve.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, "TLS certificate reload failed")
	if got := served(); !bytes.Equal(got, first.server.Certificate[0]) {
		t.Fatal("a failed reload changed the certificate")
	}

	copyFile(t, second.serverCert, certFile)
	copyFile(t, second.serverKey, keyFile)
	serve.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, "TLS certificate reloaded")
	if got := served(); !bytes.Equal(got, second.server.Certificate[0]) {
		t.Fatal("after SIGHUP new connections do not get the new certificate")
	}
	stopServe(t, serve, logs)
}

// TestServeTLSConfigErrors: a half-given or broken certificate pair is
// refused before anything starts, naming the flag.
func TestServeTLSConfigErrors(t *testing.T) {
	p := newTestPKI(t)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"QOROVUL_TLS_CERT": p.serverCert}, "--tls-key: is required with --tls-cert"},
		{map[string]string{"QOROVUL_TLS_KEY": p.serverKey}, "--tls-cert: is required with --tls-key"},
		{map[string]string{"QOROVUL_TLS_CERT": p.serverCert, "QOROVUL_TLS_KEY": p.clientKey}, "are not a certificate and its key"},
	} {
		tc.env["QOROVUL_DATA_DIR"] = t.TempDir()
		_, errOut, code := runCLI(t, tc.env, "serve", "--http-addr", "127.0.0.1:0")
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want 1 and %q:\n%s", tc.env, code, tc.want, errOut)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until logs hold s (a hang guard of 30 s).
func waitLog(t *testing.T, logs *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q:\n%s", s, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
