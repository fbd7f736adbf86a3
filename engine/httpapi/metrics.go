package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/qorovul/qorovul/engine"
)

// Metrics are Qorovul's Prometheus metrics, in a registry of their own. They
// also observe the pipeline (engine.Observer).
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	decisions  *prometheus.CounterVec
	batchSize  prometheus.Histogram
	commitTime prometheus.Histogram
	// The pipeline's stages, by label (engine.StageObserver).
	stages                   *prometheus.HistogramVec
	queued, scoring, waiting prometheus.Observer
}

var _ engine.StageObserver = (*Metrics)(nil)

// NewMetrics registers the metrics in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qorovul_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "qorovul_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qorovul_decisions_total", Help: "Decisions returned, by outcome; duplicate=true for stored decisions returned again.",
		}, []string{"outcome", "duplicate"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "qorovul_commit_batch_events", Help: "Events per committed Badger transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "qorovul_commit_duration_seconds", Help: "Time to write and sync one batch.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .02, .05, .1, .5},
		}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "qorovul_pipeline_stage_seconds",
			Help:    "Time a new decision spent in each stage of the pipeline: queued (from submission to the start of scoring), scoring (screening and Rego) and waiting (from scored to the start of its batch's commit).",
			Buckets: []float64{.0001, .0002, .0005, .001, .002, .005, .01, .02, .05, .1, .5},
		}, []string{"stage"}),
	}
	m.queued = m.stages.WithLabelValues("queued")
	m.scoring = m.stages.WithLabelValues("scoring")
	m.waiting = m.stages.WithLabelValues("waiting")
	m.reg.MustRegister(m.requests, m.latency, m.decisions, m.batchSize, m.commitTime, m.stages,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for other packages' collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Decided counts a decision.
func (m *Metrics) Decided(outcome string, duplicate bool) {
	m.decisions.WithLabelValues(outcome, strconv.FormatBool(duplicate)).Inc()
}

// Committed observes one committed batch.
func (m *Metrics) Committed(events int, took time.Duration) {
	m.batchSize.Observe(float64(events))
	m.commitTime.Observe(took.Seconds())
}

// Staged observes where one new decision's time in the pipeline went.
func (m *Metrics) Staged(queued, scoring, waiting time.Duration) {
	m.queued.Observe(queued.Seconds())
	m.scoring.Observe(scoring.Seconds())
	m.waiting.Observe(waiting.Seconds())
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (a backup lifts
// its write deadline through it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// instrument counts and times requests by route template, never by raw path
// (ids in paths would explode the label set).
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := "other"
		if cur := mux.CurrentRoute(r); cur != nil {
			if t, err := cur.GetPathTemplate(); err == nil {
				route = t
			}
		}
		took := time.Since(start)
		s.cfg.Metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		s.cfg.Metrics.latency.WithLabelValues(route).Observe(took.Seconds())
		if s.log.Enabled(r.Context(), -4) {
			s.log.Debug("request", keyMethod, r.Method, keyPath, route, keyStatus, sw.status, keyTook, took)
		}
	})
}
