package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/qorovul/qorovul/audit"
	"github.com/qorovul/qorovul/engine"
)

// signingKeyFile is the checkpoint signing key's file in the data dir.
const signingKeyFile = "checkpoint-key.pem"

// runAudit: qorovul audit verify|export|verify-export|public-key.
func runAudit(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	return runLedger(ctx, engine.LedgerAudit, args, getenv, stdout, stderr)
}

// runLedger implements the ledger tools for the ledger called name.
func runLedger(ctx context.Context, name string, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("usage: qorovul %s verify|export|verify-export|public-key …", name)
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(name+" "+sub, stderr)
	dataDir := fs.String("data-dir", "", "directory of the database")
	switch sub {
	case "verify":
		if err := parseFlags(fs, args, getenv); err != nil {
			return err
		}
		return ledgerVerify(name, *dataDir, stdout, stderr)
	case "export":
		from := fs.String("from", "", "only entries at or after this RFC 3339 time")
		to := fs.String("to", "", "only entries before this RFC 3339 time")
		format := fs.String("format", audit.FormatJSONL, "jsonl or csv")
		output := fs.String("output", "", "file to write (default standard output)")
		if err := parseFlags(fs, args, getenv); err != nil {
			return err
		}
		return ledgerExport(name, *dataDir, *from, *to, *format, *output, stdout, stderr)
	case "verify-export":
		pubFile := fs.String("public-key", "", "PEM file of the checkpoint public key (qorovul "+name+" public-key)")
		// the file comes first: qorovul audit verify-export FILE --public-key KEY
		file, err := parseFlagsFile(fs, args, getenv)
		if err != nil {
			return err
		}
		if file == "" || *pubFile == "" {
			return usageError("usage: qorovul %s verify-export FILE --public-key KEY", name)
		}
		return ledgerVerifyExport(file, *pubFile, stdout)
	case "public-key":
		if err := parseFlags(fs, args, getenv); err != nil {
			return err
		}
		if *dataDir == "" {
			return usageError("--data-dir is required")
		}
		key, err := audit.LoadOrCreateKey(filepath.Join(*dataDir, signingKeyFile))
		if err != nil {
			return err
		}
		pem, err := audit.MarshalPublicKey(key.Public().(ed25519.PublicKey))
		if err != nil {
			return err
		}
		_, err = stdout.Write(pem)
		return err
	}
	return usageError("unknown %s command %q", name, sub)
}

func ledgerVerify(name, dataDir string, stdout, stderr io.Writer) error {
	if dataDir == "" {
		return usageError("--data-dir is required")
	}
	db, err := engine.OpenDB(dataDir, engine.StoreOptions{})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	rep, err := audit.Verify(db, name, func(seq uint64) {
		fmt.Fprintf(stderr, "verified %d entries\n", seq)
	})
	out, _ := json.Marshal(rep)
	fmt.Fprintf(stdout, "%s\n", out)
	if err != nil || !rep.OK() {
		if rep.FirstBad != 0 {
			return fmt.Errorf("%s ledger broken at sequence number %d: %s", name, rep.FirstBad, rep.Problem)
		}
		if err == nil {
			err = fmt.Errorf("%s", rep.Problem)
		}
		return fmt.Errorf("%s ledger does not verify: %w", name, err)
	}
	fmt.Fprintf(stderr, "%s ledger OK: %d entries, head %d %s (%s)\n", name, rep.Entries, rep.Head.Seq, rep.Head.Hash, time.Since(start).Round(time.Millisecond))
	return nil
}

func ledgerExport(name, dataDir, from, to, format, output string, stdout, stderr io.Writer) error {
	if dataDir == "" {
		return usageError("--data-dir is required")
	}
	opt := audit.ExportOptions{Format: format, Clock: engine.SystemClock{}}
	var err error
	if opt.From, err = parseTimeFlag("--from", from); err != nil {
		return err
	}
	if opt.To, err = parseTimeFlag("--to", to); err != nil {
		return err
	}
	if opt.Signer, err = audit.LoadOrCreateKey(filepath.Join(dataDir, signingKeyFile)); err != nil {
		return err
	}
	db, err := engine.OpenDB(dataDir, engine.StoreOptions{})
	if err != nil {
		return err
	}
	defer db.Close()
	w := stdout
	if output != "" {
		f, err := os.Create(output)
		if err != nil {
			return fmt.Errorf("create --output: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	n, err := audit.Export(db, name, bw, opt)
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	fmt.Fprintf(stderr, "exported %d %s entries with a signed checkpoint\n", n, name)
	return nil
}

func ledgerVerifyExport(file, pubFile string, stdout io.Writer) error {
	pub, err := audit.LoadPublicKey(pubFile)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	defer f.Close()
	rep, err := audit.VerifyExport(bufio.NewReaderSize(f, 1<<16), pub)
	out, _ := json.Marshal(rep)
	fmt.Fprintf(stdout, "%s\n", out)
	if err != nil || !rep.OK() {
		if err == nil {
			err = fmt.Errorf("%s", rep.Problem)
		}
		return fmt.Errorf("export %s does not verify (line %d, seq %d): %w", file, rep.Line, rep.FirstBad, err)
	}
	return nil
}

func parseTimeFlag(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, usageError("%s %q: want an RFC 3339 time such as 2026-04-22T00:00:00Z", flag, v)
	}
	return t, nil
}
