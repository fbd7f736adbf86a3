package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/qorovul/qorovul/engine"
)

const tokenUsage = `usage: qorovul token create --data-dir DIR --role ROLE --name NAME
       qorovul token list --data-dir DIR [--json]
       qorovul token revoke --data-dir DIR --id ID --reason TEXT
(on a stopped instance; while serve runs, an admin token does the same
through POST /v1/tokens, GET /v1/tokens and POST /v1/tokens/{id}/revoke)`

// runToken: qorovul token create|list|revoke.
func runToken(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("%s", tokenUsage)
	}
	sub := args[0]
	fs := newFlagSet("token "+sub, stderr)
	dataDir := fs.String("data-dir", "", "directory of the database (required)")
	var role, name, id, reason *string
	var asJSON *bool
	switch sub {
	case "create":
		role = fs.String("role", "", "payment, officer, auditor or admin")
		name = fs.String("name", "", "who the token is for")
	case "list":
		asJSON = fs.Bool("json", false, "print JSON instead of a table")
	case "revoke":
		id = fs.String("id", "", "the token's id (the 16 hex digits after qv_)")
		reason = fs.String("reason", "", "why, for the audit ledger")
	default:
		return usageError("unknown token command %q\n%s", sub, tokenUsage)
	}
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		return err
	}
	if *dataDir == "" {
		return usageError("--data-dir is required")
	}
	store, err := engine.OpenStore(*dataDir, engine.StoreOptions{})
	if err != nil {
		return fmt.Errorf("%w (is a qorovul serve using this data dir? stop it first, or use the token endpoints of its API with an admin token)", err)
	}
	defer store.Close()
	switch sub {
	case "create":
		token, p, err := store.CreateToken(*role, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "created %s token %s for %q; it is shown once, store it now:\n", p.Role, p.TokenID, p.Name)
		fmt.Fprintln(stdout, token)
	case "list":
		all, err := store.Tokens()
		if err != nil {
			return err
		}
		if *asJSON {
			if all == nil {
				all = []engine.TokenInfo{}
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(all)
		}
		printTokens(stdout, all)
	case "revoke":
		info, err := store.RevokeToken(ctx, store, *id, *reason, "cli")
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "token %s (%s, %q) revoked at %s\n", info.TokenID, info.Role, info.Name, info.RevokedAt.Format(time.RFC3339))
	}
	return nil
}

// printTokens writes one line per token: id, role, name, created, revoked.
func printTokens(w io.Writer, all []engine.TokenInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tNAME\tCREATED\tREVOKED")
	for _, t := range all {
		revoked := "-"
		if t.RevokedAt != nil {
			revoked = t.RevokedAt.Format(time.RFC3339) + " by " + t.RevokedBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.TokenID, t.Role, t.Name, t.CreatedAt.Format(time.RFC3339), revoked)
	}
	tw.Flush()
}
