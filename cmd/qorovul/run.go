package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/qorovul/qorovul/engine"
)

const usage = `qorovul — compliance and anti-fraud scoring

Usage:
  qorovul demo                      everything embedded, with sample traffic
  qorovul serve --data-dir DIR --http-addr HOST:PORT [--policy DIR] [--lists DIR] [--brokers LIST]
  qorovul broker [--addr HOST:PORT] [--data-dir DIR] [--partitions N]
  qorovul token create --data-dir DIR --role ROLE --name NAME
  qorovul token list --data-dir DIR [--json]
  qorovul token revoke --data-dir DIR --id ID --reason TEXT
  qorovul backup --data-dir DIR [--output FILE]
  qorovul restore --data-dir NEWDIR FILE
  qorovul audit verify --data-dir DIR
  qorovul audit export --data-dir DIR [--from T] [--to T] [--format jsonl|csv]
  qorovul audit verify-export FILE --public-key KEY
  qorovul audit public-key --data-dir DIR
  qorovul rules test [--policy DIR]
  qorovul screen [--lists DIR] [--json] NAME…

Every flag can also be set as a QOROVUL_* environment variable
(--data-dir as QOROVUL_DATA_DIR); a flag on the command line wins.
`

// env reads the environment; tests pass their own.
type env func(string) string

// run dispatches a subcommand and returns the exit code: 0 ok, 1 failure,
// 2 usage.
func run(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = runServe(ctx, rest, getenv, stderr)
	case "broker":
		err = runBroker(ctx, rest, getenv, stderr)
	case "demo":
		err = runDemo(ctx, rest, getenv, stdout, stderr)
	case "token":
		err = runToken(ctx, rest, getenv, stdout, stderr)
	case "audit":
		err = runAudit(ctx, rest, getenv, stdout, stderr)
	case "backup":
		err = runBackup(ctx, rest, getenv, stdout, stderr)
	case "restore":
		err = runRestore(ctx, rest, getenv, stdin, stderr)
	case "rules":
		err = runRules(ctx, rest, getenv, stdout, stderr)
	case "screen":
		err = runScreen(ctx, rest, stdin, stdout, stderr)
	default:
		err = usageError("unknown command %q", cmd)
	}
	var ue *usageErr
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "qorovul: %v\n\n%s", err, usage)
		return 2
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(stderr, "qorovul: %s\n", describe(err))
		return 1
	}
}

// describe renders an error for the terminal, with its per-field problems.
func describe(err error) string {
	var b strings.Builder
	b.WriteString(err.Error())
	for _, f := range engine.ErrorFields(err) {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Problem)
	}
	return b.String()
}

type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

// parseFlags parses args, then fills every flag not given on the command
// line from its QOROVUL_* variable. An argument that is not a flag is
// refused, not ignored: "serve --data-dir d http-addr :8080" must not start
// on the default address.
func parseFlags(fs *flag.FlagSet, args []string, getenv env) error {
	if err := parseFlagsArgs(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// parseFlagsFile is parseFlags for a command that takes one file argument,
// before or after its flags ("-" is a file: standard input). It returns
// the file, "" if none was given.
func parseFlagsFile(fs *flag.FlagSet, args []string, getenv env) (string, error) {
	file := ""
	if len(args) > 0 && args[0] != "" && (args[0] == "-" || args[0][0] != '-') {
		file, args = args[0], args[1:]
	}
	if err := parseFlagsArgs(fs, args, getenv); err != nil {
		return "", err
	}
	rest := fs.Args()
	if file == "" && len(rest) > 0 {
		file, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", usageError("unexpected argument %q", rest[0])
	}
	return file, nil
}

// parseFlagsArgs is parseFlags for a command that takes arguments after its
// flags (fs.Args), which it checks itself.
func parseFlagsArgs(fs *flag.FlagSet, args []string, getenv env) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := "QOROVUL_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageError("%s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// newLogger makes the one slog handler of the process: JSON or text.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		// Durations as text ("1.5s"), as the text format writes them,
		// rather than JSON's count of nanoseconds.
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				a.Value = slog.StringValue(a.Value.Duration().String())
			}
			return a
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usageError("--log-format %q: want json or text", format)
}
