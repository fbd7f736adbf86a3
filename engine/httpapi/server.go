package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/qorovul/qorovul/engine"
)

// Log keys.
const (
	keyMethod = "method"
	keyPath   = "path"
	keyCode   = "code"
	keyErr    = "err"
	keyStatus = "status"
	keyTook   = "took"
	keyRole   = "role"
)

// Limits of the API.
const (
	MaxBodyBytes          = 1 << 20 // 1 MiB
	DefaultDecideTimeout  = 10 * time.Second
	maxAuthorizationBytes = 256
)

// decider is what the API needs of the pipeline.
type decider interface {
	Submit(ctx context.Context, ev engine.Event) (engine.Result, error)
}

// decisionReader reads stored decisions.
type decisionReader interface {
	Decision(id string) (engine.Decision, error)
}

// authenticator resolves bearer tokens.
type authenticator interface {
	Authenticate(token string) (engine.Principal, error)
}

// Config wires a Server.
type Config struct {
	Pipeline  decider
	Decisions decisionReader
	Auth      authenticator
	// Screening serves the sanctions endpoints, Tokens the token
	// endpoints; both record officers' and admins' actions through
	// Recorder.
	Screening screening
	Tokens    tokenAdmin
	Recorder  engine.Recorder
	// Backup serves GET /v1/backup.
	Backup  backuper
	Metrics *Metrics
	Log     *slog.Logger
	// Ready reports whether the service can take traffic (for /healthz):
	// an error answers 503.
	Ready func() error
	// Details, if set, returns what /healthz adds to its body beside
	// "status": the state of parts that do not stop the API, such as the
	// stream's connection to Kafka.
	Details       func() map[string]any
	DecideTimeout time.Duration
}

// Server is the HTTP API.
type Server struct {
	cfg    Config
	log    *slog.Logger
	router *mux.Router
}

// New builds the API's routes.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.DecideTimeout == 0 {
		cfg.DecideTimeout = DefaultDecideTimeout
	}
	s := &Server{cfg: cfg, log: cfg.Log, router: mux.NewRouter()}
	r := s.router
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, engine.Errorf(engine.ENOTFOUND, "no such endpoint"))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: r.Method + " is not allowed here"}})
	})
	r.Use(s.recoverer, s.instrument)

	r.Handle("/v1/preauth", s.auth(s.handlePreauth, engine.RolePayment)).Methods(http.MethodPost)
	r.Handle("/v1/decisions/{id}", s.auth(s.handleDecision, engine.RolePayment, engine.RoleOfficer, engine.RoleAuditor)).Methods(http.MethodGet)
	r.Handle("/v1/sanctions/search", s.auth(s.handleSanctionsSearch, engine.RoleOfficer, engine.RoleAuditor)).Methods(http.MethodGet)
	r.Handle("/v1/sanctions/suggest", s.auth(s.handleSanctionsSuggest, engine.RoleOfficer, engine.RoleAuditor)).Methods(http.MethodGet)
	r.Handle("/v1/sanctions/clearances", s.auth(s.handleSanctionsClear, engine.RoleOfficer)).Methods(http.MethodPost)
	r.Handle("/v1/tokens", s.auth(s.handleTokenCreate, engine.RoleAdmin)).Methods(http.MethodPost)
	r.Handle("/v1/tokens", s.auth(s.handleTokenList, engine.RoleAdmin)).Methods(http.MethodGet)
	r.Handle("/v1/tokens/{id}/revoke", s.auth(s.handleTokenRevoke, engine.RoleAdmin)).Methods(http.MethodPost)
	r.Handle("/v1/backup", s.auth(s.handleBackup, engine.RoleAdmin)).Methods(http.MethodGet)
	r.HandleFunc("/healthz", s.handleHealth).Methods(http.MethodGet)
	r.Handle("/metrics", cfg.Metrics.Handler()).Methods(http.MethodGet)
	r.HandleFunc("/openapi.json", s.handleOpenAPI).Methods(http.MethodGet)
	return s
}

// Handler returns the API as an http.Handler.
func (s *Server) Handler() http.Handler { return s.router }

// Router exposes the routes, for the OpenAPI consistency test.
func (s *Server) Router() *mux.Router { return s.router }

type principalKey struct{}

// auth requires a bearer token of one of roles (admin always passes).
func (s *Server) auth(h http.HandlerFunc, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(hdr, "Bearer ")
		if !ok || len(hdr) > maxAuthorizationBytes {
			writeError(w, r, s.log, engine.Errorf(engine.EUNAUTHORIZED, "a valid bearer token is required"))
			return
		}
		p, err := s.cfg.Auth.Authenticate(strings.TrimSpace(token))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		allowed := p.Role == engine.RoleAdmin
		for _, role := range roles {
			allowed = allowed || p.Role == role
		}
		if !allowed {
			writeError(w, r, s.log, engine.Errorf(engine.EFORBIDDEN, "role %s may not %s %s", p.Role, r.Method, r.URL.Path))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// readJSONBody enforces the content type and the size limit and returns the body.
func readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, engine.Errorf(engine.EMEDIATYPE, "Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, engine.Errorf(engine.ETOOLARGE, "the body is larger than %d bytes", MaxBodyBytes)
	} else if err != nil {
		return nil, &engine.Error{Code: engine.EINVALID, Message: "cannot read the body", Fields: []engine.FieldError{{Field: "body", Problem: "could not be read"}}, Err: err}
	}
	return body, nil
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(w, r, s.log, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			writeError(w, r, s.log, &engine.Error{Code: engine.EUNAVAILABLE, Message: "not ready", Err: err})
			return
		}
	}
	body := map[string]any{}
	if s.cfg.Details != nil {
		for k, v := range s.cfg.Details() {
			body[k] = v
		}
	}
	body["status"] = "ok"
	writeJSON(w, http.StatusOK, body)
}
