package main

import (
	"context"
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine/stream"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

const (
	secUser     = "qorovul-svc"
	secPassword = "s3cret-Pa55word"
)

// startSecuredCluster runs an in-process Kafka-protocol cluster that takes
// only TLS connections with a client certificate of p's CA and, with sasl,
// SCRAM-SHA-512 authentication of secUser.
func startSecuredCluster(t *testing.T, p testPKI, sasl bool) string {
	t.Helper()
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{p.server}, ClientCAs: p.pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}),
		kfake.DefaultNumPartitions(3),
	}
	if sasl {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(SASLScramSHA512, secUser, secPassword))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// securedClient is a client of the secured cluster, as an application
// producing payments to it would be.
func securedClient(t *testing.T, p testPKI, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.DialTLSConfig(&tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
		kgo.SASL(scram.Auth{User: secUser, Pass: secPassword}.AsSha512Mechanism()),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// securedEnv is serve's environment for the secured cluster; the password
// goes in its variable, as the README advises.
func securedEnv(p testPKI, addr string) map[string]string {
	return map[string]string{
		"QOROVUL_BROKERS":              addr,
		"QOROVUL_KAFKA_TLS_CA":         p.ca,
		"QOROVUL_KAFKA_TLS_CERT":       p.clientCert,
		"QOROVUL_KAFKA_TLS_KEY":        p.clientKey,
		"QOROVUL_KAFKA_SASL_MECHANISM": "scram-sha-512",
		"QOROVUL_KAFKA_SASL_USER":      secUser,
		"QOROVUL_KAFKA_SASL_PASSWORD":  secPassword,
	}
}

// TestServeSecuredCluster runs the built binary against a cluster that
// requires TLS with a client certificate and SCRAM-SHA-512: every event
// produced to it is decided, and the password appears in no log line.
func TestServeSecuredCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	p := newTestPKI(t)
	addr := startSecuredCluster(t, p, true)
	for k, v := range securedEnv(p, addr) {
		t.Setenv(k, v)
	}
	serve, logs := startServe(t, t.TempDir(), freeAddr(t))

	const n = 300
	tr := stream.Traffic{Start: time.Now().Add(-2 * time.Hour).Truncate(time.Second), Payers: 20, Prefix: "tls-"}
	cl := securedClient(t, p, addr, kgo.ConsumeTopics(stream.DefaultDecisionsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = tr.Record(i).Kafka(stream.DefaultInputTopic)
	}
	ctx, cancel := context.WithTimeout(context.Background(), streamWait)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce over TLS and SASL: %v", err)
	}
	ids := map[string]bool{}
	for len(ids) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("%d of %d decisions after %v\n%s", len(ids), n, streamWait, logs.String())
		}
		fs.EachError(func(topic string, part int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, part, err) })
		fs.EachRecord(func(r *kgo.Record) {
			for _, h := range r.Headers {
				if h.Key == stream.HeaderEventID {
					ids[string(h.Value)] = true
				}
			}
		})
	}
	if len(ids) != n {
		t.Fatalf("%d distinct event ids, want %d", len(ids), n)
	}
	stopServe(t, serve, logs)
	out := logs.String()
	if !strings.Contains(out, "tls=true") || !strings.Contains(out, "client_certificate=true") || !strings.Contains(out, "sasl_mechanism=SCRAM-SHA-512") {
		t.Fatalf("the start-up log does not describe the connection:\n%s", out)
	}
	if strings.Contains(out, secPassword) {
		t.Fatalf("the password is in the log:\n%s", out)
	}
}

// TestServeSecuredClusterRefused: serve cannot start against the secured
// cluster with a wrong password, without its client certificate, or
// trusting another CA; it exits with an error that says which, and the
// password appears nowhere.
func TestServeSecuredClusterRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	p := newTestPKI(t)
	addr := startSecuredCluster(t, p, true)
	for _, tc := range []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"wrong password", map[string]string{"QOROVUL_KAFKA_SASL_PASSWORD": "not-" + secPassword}, "check the SASL credentials"},
		{"no client certificate", map[string]string{"QOROVUL_KAFKA_TLS_CERT": "", "QOROVUL_KAFKA_TLS_KEY": ""}, "certificate"},
		{"another CA", map[string]string{"QOROVUL_KAFKA_TLS_CA": p.otherCA}, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := securedEnv(p, addr)
			for k, v := range tc.change {
				env[k] = v
			}
			cmd := exec.Command(MustBuild(t), "serve", "--log-format", "text")
			cmd.Env = append(os.Environ(), "QOROVUL_DATA_DIR="+t.TempDir(), "QOROVUL_HTTP_ADDR="+freeAddr(t))
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("serve started:\n%s", out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("serve's error does not mention %q:\n%s", tc.want, out)
			}
			if strings.Contains(string(out), secPassword) {
				t.Fatalf("the password is in the output:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			t.Logf("%s", lines[len(lines)-1])
		})
	}
}

// TestKafkaSecurityConfigErrors: each bad combination of the security
// settings is refused before anything starts, naming its flag.
func TestKafkaSecurityConfigErrors(t *testing.T) {
	p := newTestPKI(t)
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"QOROVUL_DATA_DIR": t.TempDir(), "QOROVUL_BROKERS": "127.0.0.1:1"}
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"QOROVUL_KAFKA_SASL_MECHANISM": "GSSAPI", "QOROVUL_KAFKA_SASL_USER": "u", "QOROVUL_KAFKA_SASL_PASSWORD": "x"},
			[]string{`--kafka-sasl-mechanism: "GSSAPI" is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`}},
		{map[string]string{"QOROVUL_KAFKA_SASL_MECHANISM": "PLAIN"},
			[]string{"--kafka-sasl-user: is required", "--kafka-sasl-password: is required"}},
		{map[string]string{"QOROVUL_KAFKA_SASL_USER": "u", "QOROVUL_KAFKA_SASL_PASSWORD": "x"},
			[]string{"--kafka-sasl-mechanism: is required"}},
		{map[string]string{"QOROVUL_KAFKA_SASL_MECHANISM": "PLAIN", "QOROVUL_KAFKA_SASL_USER": "u", "QOROVUL_KAFKA_SASL_PASSWORD_FILE": empty},
			[]string{"--kafka-sasl-password-file: " + `"` + empty + `" is empty`}},
		{map[string]string{"QOROVUL_KAFKA_SASL_MECHANISM": "PLAIN", "QOROVUL_KAFKA_SASL_USER": "u", "QOROVUL_KAFKA_SASL_PASSWORD": "x", "QOROVUL_KAFKA_SASL_PASSWORD_FILE": empty},
			[]string{"--kafka-sasl-password-file: and --kafka-sasl-password are both set"}},
		{map[string]string{"QOROVUL_KAFKA_TLS_CA": p.clientKey, "QOROVUL_KAFKA_TLS_CERT": p.clientCert},
			[]string{"--kafka-tls-ca: " + `"` + p.clientKey + `" holds no PEM certificate`, "--kafka-tls-key: is required with --kafka-tls-cert"}},
		{map[string]string{"QOROVUL_KAFKA_TLS_CERT": p.ca, "QOROVUL_KAFKA_TLS_KEY": p.clientKey},
			[]string{"--kafka-tls-cert: ", "are not a certificate and its key"}},
		{map[string]string{"QOROVUL_KAFKA_TLS_CA": filepath.Join(p.dir, "missing.pem")},
			[]string{"--kafka-tls-ca: ", "cannot be read"}},
		{map[string]string{"QOROVUL_BROKERS": "", "QOROVUL_KAFKA_TLS": "true"},
			[]string{"--brokers: is required with the --kafka-tls-* and --kafka-sasl-* flags"}},
	} {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range tc.env {
			env[k] = v
		}
		_, errOut, code := runCLI(t, env, "serve", "--http-addr", "127.0.0.1:0")
		if code != 1 {
			t.Fatalf("%v: exit %d, want 1\n%s", tc.env, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: the error does not say %q:\n%s", tc.env, w, errOut)
			}
		}
		if strings.Contains(errOut, "x\"") || strings.Contains(errOut, "=x") {
			t.Errorf("%v: a password is in the error:\n%s", tc.env, errOut)
		}
	}
}

// TestStreamKcatSecured: Debian's kcat (librdkafka) produces to a cluster
// that takes only TLS connections with a client certificate, serve
// (--kafka-tls-ca, --kafka-tls-cert, --kafka-tls-key) decides every record,
// and kcat reads the decisions and dead letters back the same way. SASL is
// left out here because librdkafka only authenticates with a broker that
// offers version 0 of the SASL handshake, which real brokers do and the
// in-process cluster does not; TestServeSecuredCluster covers SASL.
func TestStreamKcatSecured(t *testing.T) {
	kcat := mustKcat(t)
	p := newTestPKI(t)
	addr := startSecuredCluster(t, p, false)
	conn := []string{
		"-X", "security.protocol=SSL",
		"-X", "ssl.ca.location=" + p.ca,
		"-X", "ssl.certificate.location=" + p.clientCert,
		"-X", "ssl.key.location=" + p.clientKey,
	}
	t.Setenv("QOROVUL_BROKERS", addr)
	t.Setenv("QOROVUL_KAFKA_TLS_CA", p.ca)
	t.Setenv("QOROVUL_KAFKA_TLS_CERT", p.clientCert)
	t.Setenv("QOROVUL_KAFKA_TLS_KEY", p.clientKey)
	serve, logs := startServe(t, t.TempDir(), freeAddr(t))

	const n, bad = 600, 12
	tr := stream.Traffic{Start: time.Now().Add(-2 * time.Hour).Truncate(time.Second), Payers: 20, Prefix: "kcat-tls-"}
	kcatProduce(t, kcat, addr, e2eTraffic(tr, n, bad), conn...)
	deadline := time.Now().Add(streamWait)
	for {
		decisions := kcatConsume(t, kcat, addr, stream.DefaultDecisionsTopic, conn...)
		dlq := kcatConsume(t, kcat, addr, stream.DefaultDLQTopic, conn...)
		ids := map[string]bool{}
		for _, m := range decisions {
			id, _ := m.header(stream.HeaderEventID)
			ids[id] = true
		}
		if len(ids) == n && len(dlq) == bad {
			if len(decisions) != n {
				t.Fatalf("%d decisions for %d event ids", len(decisions), n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d of %d decisions, %d of %d dead letters\n%s", streamWait, len(ids), n, len(dlq), bad, logs.String())
		}
		time.Sleep(300 * time.Millisecond)
	}
	stopServe(t, serve, logs)
	if out := logs.String(); !strings.Contains(out, "tls=true") || !strings.Contains(out, "client_certificate=true") {
		t.Fatalf("the start-up log does not describe the connection:\n%s", out)
	}
}

// startACLCluster runs an in-process cluster that checks ACLs: admin is a
// superuser, secUser may read the input topic and the group, write the
// output topics and describe them all, and create nothing. The topics in
// seed exist from the start.
func startACLCluster(t *testing.T, seed ...string) string {
	t.Helper()
	allow := func(res kmsg.ACLResourceType, name string, op kmsg.ACLOperation) kfake.ACL {
		return kfake.ACL{Resource: res, Name: name, Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: op, Allow: true}
	}
	acls := []kfake.ACL{
		allow(kmsg.ACLResourceTypeTopic, stream.DefaultInputTopic, kmsg.ACLOperationRead),
		allow(kmsg.ACLResourceTypeGroup, stream.DefaultGroup, kmsg.ACLOperationRead),
	}
	for _, topic := range []string{stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic, stream.DefaultStatusTopic} {
		acls = append(acls, allow(kmsg.ACLResourceTypeTopic, topic, kmsg.ACLOperationDescribe))
		if topic != stream.DefaultInputTopic {
			acls = append(acls, allow(kmsg.ACLResourceTypeTopic, topic, kmsg.ACLOperationWrite))
		}
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.EnableSASL(),
		kfake.EnableACLs(),
		kfake.Superuser(SASLScramSHA512, "admin", "admin-"+secPassword),
		kfake.User(SASLScramSHA512, secUser, secPassword, acls...),
		kfake.SeedTopics(3, seed...),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// TestServeLeastPrivilege: on a cluster where the service's user may not
// create topics (they are provisioned beforehand, as on most managed
// clusters), serve starts on the topics that exist and decides events;
// when one is missing it says which and what to do.
func TestServeLeastPrivilege(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	env := func(addr string) []string {
		return []string{"QOROVUL_BROKERS=" + addr, "QOROVUL_KAFKA_SASL_MECHANISM=" + SASLScramSHA512,
			"QOROVUL_KAFKA_SASL_USER=" + secUser, "QOROVUL_KAFKA_SASL_PASSWORD=" + secPassword}
	}
	t.Run("topics provisioned", func(t *testing.T) {
		addr := startACLCluster(t, stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic, stream.DefaultStatusTopic)
		for _, kv := range env(addr) {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		serve, logs := startServe(t, t.TempDir(), freeAddr(t))

		admin, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(scram.Auth{User: "admin", Pass: "admin-" + secPassword}.AsSha512Mechanism()),
			kgo.ConsumeTopics(stream.DefaultDecisionsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		const n = 100
		tr := stream.Traffic{Start: time.Now().Add(-time.Hour).Truncate(time.Second), Payers: 10, Prefix: "acl-"}
		recs := make([]*kgo.Record, n)
		for i := range recs {
			recs[i] = tr.Record(i).Kafka(stream.DefaultInputTopic)
		}
		ctx, cancel := context.WithTimeout(context.Background(), streamWait)
		defer cancel()
		if err := admin.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for len(ids) < n && ctx.Err() == nil {
			admin.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				for _, h := range r.Headers {
					if h.Key == stream.HeaderEventID {
						ids[string(h.Value)] = true
					}
				}
			})
		}
		if len(ids) != n {
			t.Fatalf("%d of %d decisions\n%s", len(ids), n, logs.String())
		}
		stopServe(t, serve, logs)
		// Nothing it does at run time (offset commits, lag) needs more.
		if out := logs.String(); strings.Contains(out, "AUTHORIZATION_FAILED") || !strings.Contains(out, "this client may not create topics") {
			t.Fatalf("serve's log:\n%s", out)
		}
	})
	t.Run("a topic missing", func(t *testing.T) {
		addr := startACLCluster(t, stream.DefaultInputTopic, stream.DefaultDecisionsTopic, stream.DefaultDLQTopic)
		cmd := exec.Command(MustBuild(t), "serve", "--log-format", "text")
		cmd.Env = append(append(os.Environ(), "QOROVUL_DATA_DIR="+t.TempDir(), "QOROVUL_HTTP_ADDR="+freeAddr(t)), env(addr)...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("serve started without %s:\n%s", stream.DefaultStatusTopic, out)
		}
		want := "topic " + stream.DefaultStatusTopic + " does not exist"
		if !strings.Contains(string(out), want) || strings.Contains(string(out), "topic "+stream.DefaultDLQTopic+" does not exist") {
			t.Fatalf("serve's error does not say %q (and only that):\n%s", want, out)
		}
	})
}

// TestServeSASLMechanisms: serve authenticates with each mechanism it
// offers against a cluster that knows the user under that mechanism only,
// and warns that PLAIN without TLS sends the password in the clear.
func TestServeSASLMechanisms(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	for _, mech := range []string{SASLPlain, SASLScramSHA256, SASLScramSHA512} {
		t.Run(mech, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser(mech, secUser, secPassword))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			t.Setenv("QOROVUL_BROKERS", c.ListenAddrs()[0])
			t.Setenv("QOROVUL_KAFKA_SASL_MECHANISM", strings.ToLower(mech))
			t.Setenv("QOROVUL_KAFKA_SASL_USER", secUser)
			t.Setenv("QOROVUL_KAFKA_SASL_PASSWORD", secPassword)
			serve, logs := startServe(t, t.TempDir(), freeAddr(t)) // healthy once the topics exist: authenticated
			stopServe(t, serve, logs)
			out := logs.String()
			if !strings.Contains(out, "sasl_mechanism="+mech) || strings.Contains(out, secPassword) {
				t.Fatalf("serve's log:\n%s", out)
			}
			if warned := strings.Contains(out, "SASL PLAIN without TLS"); warned != (mech == SASLPlain) {
				t.Fatalf("warned of PLAIN without TLS: %v, for %s:\n%s", warned, mech, out)
			}
		})
	}
}
