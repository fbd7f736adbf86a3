package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/qorovul/qorovul/engine"
)

// runServe runs the service until SIGTERM or SIGINT, then shuts down
// gracefully: in-flight requests finish and the database closes cleanly.
func runServe(ctx context.Context, args []string, getenv env, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	var cfg Config
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory of the database (required)")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", DefaultHTTPAddr, "HOST:PORT of the HTTP API")
	fs.StringVar(&cfg.PolicyDir, "policy", "", "directory of a Rego policy to use instead of the shipped one")
	fs.StringVar(&cfg.ListsDir, "lists", "", "directory of sanctions lists to use instead of the shipped snapshot")
	fs.StringVar(&cfg.Brokers, "brokers", "", "comma-separated Kafka bootstrap brokers; empty runs the API only")
	streamFlags(fs, &cfg.Stream)
	fs.StringVar(&cfg.FXRatesFile, "fx-rates", "", "JSON file of USD rates to use instead of the shipped table")
	fs.DurationVar(&cfg.MaxFutureSkew, "max-future-skew", engine.DefaultMaxFutureSkew, "how far ahead of this machine's clock an event's occurred_at may be; later ones are refused (0: the default)")
	fs.IntVar(&cfg.MinFreeDiskMB, "min-free-disk-mb", DefaultMinFreeDiskMB, "megabytes the data directory's disk must keep free; below it new decisions are refused (503) until space is freed, so that the database never meets a full disk (0: no check)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate (chain) to serve the HTTP API over TLS, with --tls-key; SIGHUP reloads it")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	logLevel := fs.String("log-level", DefaultLogLevel, "debug, info, warn or error")
	logFormat := fs.String("log-format", DefaultLogFormat, "json or text")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	gc, _ := setMemoryLimit(getenv, os.ReadFile)
	log.Info("garbage collector", "gogc", gc.Percent, "memory_limit_bytes", gc.MemoryLimit)
	app := NewApp(cfg, log)
	if err := app.Open(ctx); err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			app.Reload()
		}
	}()
	err = app.Wait(ctx)
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownTimeout)
	defer cancel()
	if cerr := app.Close(sctx); cerr != nil && err == nil {
		err = cerr
	}
	log.Info("stopped")
	return err
}
