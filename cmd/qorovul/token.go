package main

import (
	"context"
	"fmt"
	"io"

	"github.com/qorovul/qorovul/engine"
)

// runToken: qorovul token create --data-dir DIR --role ROLE --name NAME.
func runToken(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("usage: qorovul token create --data-dir DIR --role ROLE --name NAME")
	}
	fs := newFlagSet("token create", stderr)
	dataDir := fs.String("data-dir", "", "directory of the database (required)")
	role := fs.String("role", "", "payment, officer, auditor or admin")
	name := fs.String("name", "", "who the token is for")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		return err
	}
	if *dataDir == "" {
		return usageError("--data-dir is required")
	}
	store, err := engine.OpenStore(*dataDir, engine.StoreOptions{})
	if err != nil {
		return fmt.Errorf("%w (is a qorovul serve using this data dir? stop it first)", err)
	}
	defer store.Close()
	token, p, err := store.CreateToken(*role, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created %s token %s for %q; it is shown once, store it now:\n", p.Role, p.TokenID, p.Name)
	fmt.Fprintln(stdout, token)
	return nil
}
