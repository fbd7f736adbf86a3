package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// MustBuild builds the qorovul binary once per test run.
func MustBuild(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "qorovul-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "qorovul")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// runBin runs the binary to completion and returns stdout, stderr and the exit code.
func runBin(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(MustBuild(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for a child's output and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe starts `qorovul serve` and waits until /healthz answers.
func startServe(t testing.TB, dir, addr string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	return startServeWith(t, dir, "http://"+addr, http.DefaultClient)
}

// startServeWith starts serve on base's address and waits until client
// finds base + /healthz healthy.
func startServeWith(t testing.TB, dir, base string, client *http.Client) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	_, addr, _ := strings.Cut(base, "://")
	cmd := exec.Command(MustBuild(t), "serve", "--log-format", "text")
	cmd.Env = append(os.Environ(), "QOROVUL_DATA_DIR="+dir, "QOROVUL_HTTP_ADDR="+addr)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, logs
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not become healthy:\n%s", logs.String())
	return nil, nil
}

// stopServe sends serve SIGTERM and fails the test unless it exits cleanly.
func stopServe(t testing.TB, serve *exec.Cmd, logs *syncBuffer) {
	t.Helper()
	serve.Process.Signal(syscall.SIGTERM)
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, logs.String())
	}
}

// mustPaymentToken creates a payment token in the data dir with the built
// binary (before serve has the database open) and returns it.
func mustPaymentToken(t testing.TB, dir, name string) string {
	t.Helper()
	out, errOut, code := runBin(t, "token", "create", "--data-dir", dir, "--role", "payment", "--name", name)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errOut)
	}
	return strings.TrimSpace(out)
}

func postPreauth(client *http.Client, addr, token string, ev map[string]any) (engine.Decision, int, error) {
	body, _ := json.Marshal(ev)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/preauth", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return engine.Decision{}, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return engine.Decision{}, 0, err
	}
	var d engine.Decision
	if resp.StatusCode == 200 {
		err = json.Unmarshal(b, &d)
	}
	return d, resp.StatusCode, err
}

// TestKillDuringLoad is acceptance 4's second half: SIGKILL in the middle of
// a load run loses no acknowledged decision, leaves the ledger verifiable
// and the windows counting every durable event once.
func TestKillDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and crashes the binary; skipped in -short")
	}
	dir := t.TempDir()
	token := mustPaymentToken(t, dir, "load")
	addr := freeAddr(t)
	serve, _ := startServe(t, dir, addr)

	var acked sync.Map // event id -> decision id
	var nacked, next atomic.Int64
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				id := fmt.Sprint("kill_", i)
				d, status, err := postPreauth(client, addr, token, testEvent(id, "usr_kill", fmt.Sprintf("+9989%08d", i%3), time.Duration(i)*time.Millisecond, "1.00"))
				if err != nil || status != 200 {
					return // the server is gone
				}
				acked.Store(id, d.DecisionID)
				nacked.Add(1)
			}
		}()
	}
	for nacked.Load() < 400 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := serve.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	serve.Wait()
	wg.Wait()
	t.Logf("acknowledged %d decisions before SIGKILL (%d requests started)", nacked.Load(), next.Load())

	out, errOut, code := runBin(t, "audit", "verify", "--data-dir", dir)
	var rep struct{ Entries int }
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("audit verify after SIGKILL: %d\n%s\n%s", code, out, errOut)
	}
	durable := rep.Entries - 1 // the token's entry
	if durable < int(nacked.Load()) {
		t.Fatalf("ledger holds %d decisions, %d were acknowledged", durable, nacked.Load())
	}

	serve, logs := startServe(t, dir, addr)
	acked.Range(func(k, v any) bool {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/decisions/"+k.(string), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var d engine.Decision
		json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if resp.StatusCode != 200 || d.DecisionID != v.(string) {
			t.Fatalf("acknowledged %s lost after restart: %d %s", k, resp.StatusCode, d.DecisionID)
		}
		return true
	})
	d, status, err := postPreauth(client, addr, token, testEvent("kill_after", "usr_kill", "+998900000001", time.Hour/2, "1.00"))
	if err != nil || status != 200 {
		t.Fatalf("after restart: %d %v", status, err)
	}
	if d.Features.PayerCount1h != durable+1 {
		t.Fatalf("windows count %d events of the payer, the ledger holds %d decisions (+1 new)", d.Features.PayerCount1h, durable)
	}

	// SIGTERM finishes cleanly and leaves a verifiable ledger.
	stopServe(t, serve, logs)
	if !strings.Contains(logs.String(), "stopped") {
		t.Fatalf("no clean stop in the log:\n%s", logs.String())
	}
	if out, errOut, code := runBin(t, "audit", "verify", "--data-dir", dir); code != 0 {
		t.Fatalf("audit verify after SIGTERM: %s %s", out, errOut)
	}
}
