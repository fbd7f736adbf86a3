package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/qorovul/qorovul/engine"
)

// runBackup: qorovul backup --data-dir DIR [--output FILE], on a stopped
// instance (a running one answers GET /v1/backup to an admin token).
func runBackup(_ context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", stderr)
	dataDir := fs.String("data-dir", "", "directory of the database (required)")
	output := fs.String("output", "", "file to write (default standard output)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if *dataDir == "" {
		return usageError("--data-dir is required")
	}
	store, err := engine.OpenStore(*dataDir, engine.StoreOptions{})
	if err != nil {
		return fmt.Errorf("%w (is a qorovul serve using this data dir? ask it instead: GET /v1/backup with an admin token)", err)
	}
	defer store.Close()
	w, finish := stdout, func() error { return nil }
	if *output != "" {
		f, err := os.OpenFile(*output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		w = bw
		finish = func() error {
			err := bw.Flush()
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(*output)
			}
			return err
		}
	}
	n, err := store.Backup(w)
	if ferr := finish(); err == nil {
		err = ferr
	}
	if err != nil {
		if *output != "" {
			os.Remove(*output)
		}
		return err
	}
	fmt.Fprintf(stderr, "backup of %s: %d bytes\n", *dataDir, n)
	return nil
}

// runRestore: qorovul restore --data-dir DIR FILE (- for standard input).
func runRestore(_ context.Context, args []string, getenv env, stdin io.Reader, stderr io.Writer) error {
	fs := newFlagSet("restore", stderr)
	dataDir := fs.String("data-dir", "", "new directory to restore into (must not exist or be empty)")
	file, err := parseFlagsFile(fs, args, getenv)
	if err != nil {
		return err
	}
	if *dataDir == "" || file == "" {
		return usageError("usage: qorovul restore --data-dir DIR FILE (- reads standard input)")
	}
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		defer f.Close()
		r = f
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	head, err := engine.Restore(*dataDir, bufio.NewReaderSize(r, 1<<20), log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "restored into %s; the audit ledger verifies: %d entries, head %s\n", *dataDir, head.Seq, head.Hash)
	return nil
}
