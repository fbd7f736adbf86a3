package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/httpapi"
	"github.com/qorovul/qorovul/engine/stream"
	"github.com/qorovul/qorovul/rules"
	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/lists"
)

// Defaults of the service's settings.
const (
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds writing one HTTP response.
	DefaultWriteTimeout = 60 * time.Second
	DefaultLogLevel     = "info"
	// DefaultMinFreeDiskMB holds a memtable's log and its flush, and a
	// compaction of the first levels (engine.StoreOptions.MinFreeDisk).
	DefaultMinFreeDiskMB = 256
	maxMinFreeDiskMB     = 1 << 30
	DefaultLogFormat     = "json"
)

// Config is everything a Qorovul instance is started with. Only cmd reads
// flags and the environment; the rest of the program receives this.
type Config struct {
	DataDir     string
	HTTPAddr    string
	PolicyDir   string // empty: the embedded policy
	ListsDir    string // empty: the embedded list snapshot
	Brokers     string // empty: API only
	FXRatesFile string // empty: the shipped table
	// TLSCert and TLSKey, both or neither, serve the HTTP API over TLS.
	TLSCert, TLSKey string
	// MaxFutureSkew is how far ahead of the clock an event may be dated.
	MaxFutureSkew time.Duration
	// MinFreeDiskMB is the megabytes the data's disk must keep free: below
	// it new decisions are refused (0: no check).
	MinFreeDiskMB int

	Stream StreamConfig // topics and group when Brokers is set (stream.go)
}

// Validate checks the settings before anything starts.
func (c Config) Validate() error {
	var fe []engine.FieldError
	if c.DataDir == "" {
		fe = append(fe, engine.FieldError{Field: "--data-dir", Problem: "is required"})
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		fe = append(fe, engine.FieldError{Field: "--http-addr", Problem: fmt.Sprintf("%q is not HOST:PORT", c.HTTPAddr)})
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		fe = append(fe, engine.FieldError{Field: "--http-addr", Problem: fmt.Sprintf("%q: the port is not a number from 0 to 65535", c.HTTPAddr)})
	}
	for _, d := range []struct{ flag, dir string }{{"--policy", c.PolicyDir}, {"--lists", c.ListsDir}} {
		if d.dir == "" {
			continue
		}
		if st, err := os.Stat(d.dir); err != nil || !st.IsDir() {
			fe = append(fe, engine.FieldError{Field: d.flag, Problem: fmt.Sprintf("%q is not a readable directory", d.dir)})
		}
	}
	if c.MaxFutureSkew < 0 {
		fe = append(fe, engine.FieldError{Field: "--max-future-skew", Problem: fmt.Sprintf("%s is negative", c.MaxFutureSkew)})
	}
	switch {
	case c.MinFreeDiskMB < 0:
		fe = append(fe, engine.FieldError{Field: "--min-free-disk-mb", Problem: fmt.Sprintf("%d is negative", c.MinFreeDiskMB)})
	case c.MinFreeDiskMB > maxMinFreeDiskMB:
		// In bytes it would wrap around to some smaller minimum.
		fe = append(fe, engine.FieldError{Field: "--min-free-disk-mb", Problem: fmt.Sprintf("%d is more than %d (a petabyte)", c.MinFreeDiskMB, maxMinFreeDiskMB)})
	}
	switch {
	case c.TLSCert == "" && c.TLSKey == "":
	case c.TLSCert == "":
		fe = append(fe, engine.FieldError{Field: "--tls-cert", Problem: "is required with --tls-key"})
	case c.TLSKey == "":
		fe = append(fe, engine.FieldError{Field: "--tls-key", Problem: "is required with --tls-cert"})
	default:
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			fe = append(fe, engine.FieldError{Field: "--tls-cert", Problem: fmt.Sprintf("%q and %q are not a certificate and its key: %v", c.TLSCert, c.TLSKey, err)})
		}
	}
	// The Kafka connection's settings and files are checked before the
	// database opens; a security flag without --brokers is a mistake.
	if c.Brokers != "" {
		_, sfe := c.Stream.Security.clientOpts()
		fe = append(fe, sfe...)
	} else if c.Stream.Security.set() {
		fe = append(fe, engine.FieldError{Field: "--brokers", Problem: "is required with the --kafka-tls-* and --kafka-sasl-* flags"})
	}
	if len(fe) > 0 {
		return &engine.Error{Code: engine.EINVALID, Message: "invalid configuration", Fields: fe}
	}
	return nil
}

// App is one running Qorovul instance: store, pipeline and HTTP server.
// Tests start it on 127.0.0.1:0 with a temporary data dir.
type App struct {
	Config Config
	Log    *slog.Logger
	Clock  engine.Clock

	Store    *engine.Store
	Pipeline *engine.Pipeline
	// Lists is the sanctions index; Open loads it unless it is set
	// (tests share one).
	Lists     *sanctions.Index
	Screening *engine.Screening
	Metrics   *httpapi.Metrics
	// URL is the HTTP API's base URL once Open returned.
	URL string

	ln     net.Listener
	server *http.Server
	// writeTimeout bounds writing one response (DefaultWriteTimeout if 0;
	// tests shorten it). A backup lifts it for its own response.
	writeTimeout time.Duration
	cert         *certificate // nil without --tls-cert
	scorer       *engine.Scorer
	stream       *stream.Consumer // nil without --brokers
	served       chan error
	// stops are run by Close, last added first, before the pipeline
	// closes: consumers that feed the pipeline register theirs here.
	stops []func(context.Context) error
}

// ready is /healthz's verdict: an error once the pipeline has failed or the
// stream consumer has stopped, which only a restart mends, and while the
// disk is nearly full, which freeing space mends.
func (a *App) ready() error {
	if err := a.Pipeline.Err(); err != nil {
		return err
	}
	if err := a.Store.Writable(); err != nil {
		return err
	}
	if a.stream != nil {
		if err := a.stream.Health().Stopped; err != nil {
			return fmt.Errorf("stream consumer stopped: %w", err)
		}
	}
	return nil
}

// healthDetails is what /healthz says of the stream: whether a broker
// answered its last check, since when, and if not, why. A cluster out of
// reach does not make the service unready: the API still decides, and the
// stream resumes where it was once a broker answers.
func (a *App) healthDetails() map[string]any {
	if a.stream == nil {
		return nil
	}
	h := a.stream.Health()
	st := map[string]any{"connected": h.Connected, "since": h.Since.UTC().Format(time.RFC3339)}
	if h.Err != nil {
		st["error"] = h.Err.Error()
	}
	return map[string]any{"stream": st}
}

// onClose registers a function Close runs before draining the pipeline.
func (a *App) onClose(f func(context.Context) error) { a.stops = append(a.stops, f) }

// NewApp returns an unopened App.
func NewApp(cfg Config, log *slog.Logger) *App {
	return &App{Config: cfg, Log: log, Clock: engine.SystemClock{}}
}

// Open opens the store, loads the policy and lists, starts the pipeline and
// starts listening.
func (a *App) Open(ctx context.Context) (err error) {
	if err := a.Config.Validate(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			a.Close(context.Background())
		}
	}()
	// A policy of --policy must pass its own tests, at start as on reload.
	var policy *rules.Policy
	if a.Config.PolicyDir == "" {
		policy, err = rules.Default()
	} else {
		policy, _, err = loadTestedPolicy(a.Config.PolicyDir)
	}
	if err != nil {
		return err
	}
	rates := engine.DefaultRates()
	if a.Config.FXRatesFile != "" {
		if rates, err = loadRates(a.Config.FXRatesFile); err != nil {
			return err
		}
	}
	if a.Store, err = engine.OpenStore(a.Config.DataDir, engine.StoreOptions{Logger: a.Log, Clock: a.Clock, MinFreeDisk: uint64(a.Config.MinFreeDiskMB) << 20}); err != nil {
		return err
	}
	if a.Lists == nil {
		if a.Lists, err = loadLists(a.Config.ListsDir); err != nil {
			return err
		}
	}
	a.Screening = engine.NewScreening(sanctions.NewScreener(a.Lists))
	if n, err := a.Store.LoadClearances(a.Screening); err != nil {
		return err
	} else if n > 0 {
		a.Log.Info("sanctions clearances loaded", "count", n)
	}
	a.Metrics = httpapi.NewMetrics()
	if _, ok := a.Store.DiskFree(); ok {
		a.Metrics.Registry().MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "qorovul_disk_free_bytes", Help: "Free bytes of the data directory's disk at the last check; under --min-free-disk-mb new decisions are refused.",
		}, func() float64 { free, _ := a.Store.DiskFree(); return float64(free) }))
	}
	a.scorer = &engine.Scorer{Policy: policy, Screener: a.Screening, Clock: a.Clock, Log: a.Log}
	a.Pipeline, err = engine.NewPipeline(engine.PipelineConfig{
		Store: a.Store, Scorer: a.scorer, Rates: rates, Clock: a.Clock, Log: a.Log, Observer: a.Metrics,
		MaxFutureSkew: a.Config.MaxFutureSkew,
	})
	if err != nil {
		return err
	}
	api := httpapi.New(httpapi.Config{
		Pipeline: a.Pipeline, Decisions: a.Store, Auth: a.Store, Metrics: a.Metrics, Log: a.Log,
		Screening: a.Screening, Tokens: a.Store, Recorder: a.Pipeline, Backup: a.Store,
		Ready: a.ready, Details: a.healthDetails,
	})
	if a.ln, err = net.Listen("tcp", a.Config.HTTPAddr); err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.HTTPAddr, err)
	}
	a.URL = "http://" + a.ln.Addr().String()
	if a.Config.TLSCert != "" {
		if a.cert, err = loadCertificate(a.Config.TLSCert, a.Config.TLSKey); err != nil {
			return err
		}
		a.URL = "https://" + a.ln.Addr().String()
	}
	a.server = &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cmp.Or(a.writeTimeout, DefaultWriteTimeout),
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	// The stream starts before the API answers, so that a healthy
	// /healthz means all of it runs (the port is bound already; callers
	// wait in its backlog meanwhile).
	if err := a.openStream(ctx); err != nil {
		return err
	}
	a.served = make(chan error, 1)
	if a.cert != nil {
		a.server.TLSConfig = a.cert.config()
		go func() { a.served <- a.server.ServeTLS(a.ln, "", "") }()
	} else {
		go func() { a.served <- a.server.Serve(a.ln) }()
	}
	a.Log.Info("qorovul serving", "http", a.URL, "data_dir", a.Config.DataDir, "policy_version", policy.Version(),
		"lists_version", a.Lists.Version(), "listed_names", a.Lists.Names())
	return nil
}

// ReloadLists loads the sanctions lists again (from --lists, or the
// shipped snapshot) and swaps them in atomically; on error the lists in use
// stay and the error names the file and line.
func (a *App) ReloadLists() error {
	err := a.Screening.Lists().Reload(func() (*sanctions.Index, error) { return loadLists(a.Config.ListsDir) })
	if err != nil {
		a.Log.Error("sanctions lists reload failed; the previous lists stay in use", "err", err)
		return err
	}
	a.Log.Info("sanctions lists reloaded", "lists_version", a.Screening.Version())
	return nil
}

// Reload is what SIGHUP does: it loads the sanctions lists, the policy of
// --policy, the rate table of --fx-rates and the HTTP API's TLS
// certificate again. What fails to load is logged and the previous one
// stays in use.
func (a *App) Reload() error {
	err := errors.Join(a.ReloadLists(), a.ReloadPolicy(), a.ReloadRates())
	if a.cert != nil {
		if cerr := a.cert.reload(); cerr != nil {
			a.Log.Error("TLS certificate reload failed; the previous certificate stays in use", "err", cerr)
			err = errors.Join(err, cerr)
		} else {
			a.Log.Info("TLS certificate reloaded", "cert", a.Config.TLSCert)
		}
	}
	return err
}

func loadLists(dir string) (*sanctions.Index, error) {
	if dir == "" {
		ix, err := lists.LoadDefault()
		if err != nil {
			return nil, fmt.Errorf("load the shipped sanctions lists: %w", err)
		}
		return ix, nil
	}
	ix, err := lists.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load --lists %s: %w", dir, err)
	}
	return ix, nil
}

// Wait blocks until ctx ends or the server fails.
func (a *App) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-a.served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("http server: %w", err)
	}
}

// Close finishes in-flight requests, drains the pipeline and closes the
// database cleanly.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	switch {
	case a.served != nil:
		if err := a.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http: %w", err))
		}
	case a.ln != nil: // bound, never served: Open failed after listening
		a.ln.Close()
	}
	for i := len(a.stops) - 1; i >= 0; i-- {
		if err := a.stops[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	a.stops = nil
	if a.Pipeline != nil {
		a.Pipeline.Close()
	}
	if a.Store != nil {
		if err := a.Store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ReloadPolicy loads the policy of --policy again and, once its
// _test.rego files pass, makes it the policy of every decision from then
// on. A policy that does not compile or fails its own tests is logged and
// the one in use stays. Without --policy (the shipped policy) there is
// nothing to reload.
func (a *App) ReloadPolicy() error {
	dir := a.Config.PolicyDir
	if dir == "" || a.scorer == nil {
		return nil
	}
	p, passed, err := loadTestedPolicy(dir)
	if err != nil {
		a.Log.Error("policy reload failed; the previous policy stays in use", "policy", dir, "err", err)
		return err
	}
	old := a.scorer.SwapPolicy(p)
	a.Log.Info("policy reloaded", "policy", dir, "policy_version", p.Version(), "previous", old.Version(), "tests_passed", passed)
	return nil
}

// ReloadRates reads the table of --fx-rates again and uses it for the
// events submitted from then on; a table that cannot be read is logged and
// the one in use stays. Without --fx-rates there is nothing to reload.
func (a *App) ReloadRates() error {
	file := a.Config.FXRatesFile
	if file == "" || a.Pipeline == nil {
		return nil
	}
	r, err := loadRates(file)
	if err != nil {
		a.Log.Error("fx rates reload failed; the previous table stays in use", "fx_rates", file, "err", err)
		return err
	}
	a.Pipeline.SetRates(r)
	a.Log.Info("fx rates reloaded", "fx_rates", file, "as_of", r.AsOf, "currencies", len(r.Rates))
	return nil
}

func loadRates(file string) (engine.Rates, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return engine.Rates{}, fmt.Errorf("read --fx-rates: %w", err)
	}
	r, err := engine.ParseRates(b)
	if err != nil {
		return engine.Rates{}, fmt.Errorf("--fx-rates %s: %w", file, err)
	}
	return r, nil
}

// loadTestedPolicy loads the policy in dir and runs its _test.rego files:
// a policy that fails its own tests is refused, at start as on reload.
func loadTestedPolicy(dir string) (*rules.Policy, int, error) {
	p, err := rules.Load(os.DirFS(dir))
	if err != nil {
		return nil, 0, fmt.Errorf("load --policy %s: %w", dir, err)
	}
	var report strings.Builder
	passed, failed, err := rules.RunTests(context.Background(), os.DirFS(dir), &report)
	if err != nil {
		return nil, 0, fmt.Errorf("test --policy %s: %w", dir, err)
	}
	if failed > 0 {
		return nil, 0, fmt.Errorf("--policy %s: %d of its tests failed:\n%s", dir, failed, report.String())
	}
	return p, passed, nil
}
