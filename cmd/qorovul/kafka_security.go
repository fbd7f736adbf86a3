package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/qorovul/qorovul/engine"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// SASL mechanisms serve can authenticate with, by their Kafka names.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// KafkaSecurity is how serve reaches a secured cluster: TLS, with the
// system's roots or a CA bundle and optionally a client certificate, and
// SASL. The zero value is a plaintext connection without authentication,
// as to `qorovul broker`.
type KafkaSecurity struct {
	TLS      bool   // also implied by CAFile, CertFile or KeyFile
	CAFile   string // PEM bundle of the CAs to trust instead of the system's
	CertFile string // PEM client certificate (with KeyFile)
	KeyFile  string

	SASLMechanism    string // SASLPlain, SASLScramSHA256, SASLScramSHA512; empty: no SASL
	SASLUser         string
	SASLPassword     string
	SASLPasswordFile string // read at start; its trailing newline is dropped
}

// kafkaSecurityFlags registers k's flags on fs.
func kafkaSecurityFlags(fs *flag.FlagSet, k *KafkaSecurity) {
	fs.BoolVar(&k.TLS, "kafka-tls", false, "connect to the brokers with TLS (implied by the other --kafka-tls-* flags)")
	fs.StringVar(&k.CAFile, "kafka-tls-ca", "", "PEM file of the CAs to trust for the brokers' certificates, instead of the system's")
	fs.StringVar(&k.CertFile, "kafka-tls-cert", "", "PEM file of a client certificate to present to the brokers (with --kafka-tls-key)")
	fs.StringVar(&k.KeyFile, "kafka-tls-key", "", "PEM file of the client certificate's private key")
	fs.StringVar(&k.SASLMechanism, "kafka-sasl-mechanism", "", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty for none")
	fs.StringVar(&k.SASLUser, "kafka-sasl-user", "", "SASL user name")
	fs.StringVar(&k.SASLPassword, "kafka-sasl-password", "", "SASL password; prefer QOROVUL_KAFKA_SASL_PASSWORD or --kafka-sasl-password-file, since other users can see a command line")
	fs.StringVar(&k.SASLPasswordFile, "kafka-sasl-password-file", "", "file holding the SASL password")
}

// set reports whether any of k's settings is given.
func (k KafkaSecurity) set() bool { return k != KafkaSecurity{} }

// tlsOn reports whether the connection uses TLS.
func (k KafkaSecurity) tlsOn() bool {
	return k.TLS || k.CAFile != "" || k.CertFile != "" || k.KeyFile != ""
}

// clientOpts returns the franz-go options that k calls for, or every
// problem with k's settings, each naming its flag. It reads the files the
// settings name.
func (k KafkaSecurity) clientOpts() ([]kgo.Opt, []engine.FieldError) {
	var (
		opts []kgo.Opt
		fe   []engine.FieldError
	)
	bad := func(field, problem string, a ...any) {
		fe = append(fe, engine.FieldError{Field: field, Problem: fmt.Sprintf(problem, a...)})
	}
	if k.tlsOn() {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if k.CAFile != "" {
			if b, err := os.ReadFile(k.CAFile); err != nil {
				bad("--kafka-tls-ca", "%q cannot be read: %v", k.CAFile, err)
			} else if pool := x509.NewCertPool(); !pool.AppendCertsFromPEM(b) {
				bad("--kafka-tls-ca", "%q holds no PEM certificate", k.CAFile)
			} else {
				cfg.RootCAs = pool
			}
		}
		switch {
		case k.CertFile == "" && k.KeyFile == "":
		case k.CertFile == "":
			bad("--kafka-tls-cert", "is required with --kafka-tls-key")
		case k.KeyFile == "":
			bad("--kafka-tls-key", "is required with --kafka-tls-cert")
		default:
			if cert, err := tls.LoadX509KeyPair(k.CertFile, k.KeyFile); err != nil {
				bad("--kafka-tls-cert", "%q and %q are not a certificate and its key: %v", k.CertFile, k.KeyFile, err)
			} else {
				cfg.Certificates = []tls.Certificate{cert}
			}
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}

	password := k.SASLPassword
	if k.SASLPasswordFile != "" {
		if k.SASLPassword != "" {
			bad("--kafka-sasl-password-file", "and --kafka-sasl-password are both set; give one")
		} else if b, err := os.ReadFile(k.SASLPasswordFile); err != nil {
			bad("--kafka-sasl-password-file", "%q cannot be read: %v", k.SASLPasswordFile, err)
		} else if password = strings.TrimRight(string(b), "\r\n"); password == "" {
			bad("--kafka-sasl-password-file", "%q is empty", k.SASLPasswordFile)
		}
	}
	mech := strings.ToUpper(k.SASLMechanism)
	if mech == "" {
		if k.SASLUser != "" || password != "" {
			bad("--kafka-sasl-mechanism", "is required with a SASL user or password: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
		}
		return opts, fe
	}
	if k.SASLUser == "" {
		bad("--kafka-sasl-user", "is required with --kafka-sasl-mechanism")
	}
	if password == "" && k.SASLPasswordFile == "" {
		bad("--kafka-sasl-password", "is required with --kafka-sasl-mechanism (or QOROVUL_KAFKA_SASL_PASSWORD, or --kafka-sasl-password-file)")
	}
	switch mech {
	case SASLPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: k.SASLUser, Pass: password}.AsMechanism()))
	case SASLScramSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: k.SASLUser, Pass: password}.AsSha256Mechanism()))
	case SASLScramSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: k.SASLUser, Pass: password}.AsSha512Mechanism()))
	default:
		bad("--kafka-sasl-mechanism", "%q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASLMechanism)
	}
	return opts, fe
}
