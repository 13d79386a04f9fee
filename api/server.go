// Package api is the HTTP API of gamedata: the contract of docs/api.md,
// served with huma over net/http's ServeMux, so that the OpenAPI document
// (GET /openapi.json) and the docs page (GET /docs) come from the code.
//
// Handlers are thin: they check the caller and the input, then speak only to
// the gamedata interfaces (Store, Clock, RateLimiter).
package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/password"
)

// Config is what New needs. Store is required; the rest has defaults.
type Config struct {
	Store gamedata.Store
	// Searcher answers /v1/search and /v1/stats; nil: they answer 503.
	Searcher gamedata.Searcher
	// Social keeps friends and interests; nil: their endpoints answer 503.
	Social gamedata.SocialStore
	// Recommender serves recommendations; nil: the endpoint answers 503.
	Recommender gamedata.Recommender
	// Clock tells the time of ids, expiries and retention; default the system clock.
	Clock  gamedata.Clock
	Logger *slog.Logger
	// Registry receives the HTTP metrics (and the Go and process
	// collectors). The API does not serve it: metrics tell who calls what
	// and how much, so they are served on serve's --admin-addr only.
	// Default: a new registry.
	Registry *prometheus.Registry
	// Retention is how long messages and events are kept; default
	// gamedata.DefaultRetention.
	Retention time.Duration
	// SessionTTL is how long a player session lasts; default 24h.
	SessionTTL time.Duration
	// AdminKey, when set, is accepted as a server key (GAMEDATA_ADMIN_KEY).
	AdminKey string
	// Limiter limits the open endpoints per client address, and, in a
	// budget of the same size, the refused credentials of the others (each
	// 401 takes one request); nil: no limit.
	Limiter gamedata.RateLimiter
	// PlayerLimiter limits the requests of each player's sessions, all
	// together (keyed by the player); nil: no limit.
	PlayerLimiter gamedata.RateLimiter
	// KeyLimiter limits the requests of each server key; nil: no limit.
	KeyLimiter gamedata.RateLimiter
	// Ready holds the readiness check of each backend, by name ("store").
	Ready map[string]func(context.Context) error
	// Optional holds the checks of backends the API can do without (a
	// cache, "redis"): while one fails, /readyz answers 200 with status
	// "degraded".
	Optional map[string]func(context.Context) error
	// TrustProxyHeaders takes the client address from X-Forwarded-For.
	TrustProxyHeaders bool
	// Passwords hashes and checks passwords; default a password.Pool of
	// the default size, its metrics in Registry.
	Passwords gamedata.PasswordHasher
}

// Body limits.
const (
	maxBody     = 1 << 20
	maxMetaBody = gamedata.MetaDocMaxSize
)

// Server is the API as an http.Handler.
type Server struct {
	store       gamedata.Store
	searcher    gamedata.Searcher
	social      gamedata.SocialStore
	recommender gamedata.Recommender
	clock       gamedata.Clock
	log         *slog.Logger
	limiter     gamedata.RateLimiter
	playerLimit gamedata.RateLimiter
	keyLimit    gamedata.RateLimiter
	ready       map[string]func(context.Context) error
	optional    map[string]func(context.Context) error
	retention   time.Duration
	sessionTTL  time.Duration
	adminHash   *[sha256.Size]byte
	trustProxy  bool
	passwords   gamedata.PasswordHasher
	// unmatchable is checked for a login of an unknown name (see login).
	unmatchable string

	mux     *http.ServeMux
	api     huma.API
	metrics *httpMetrics
	spec    []byte // GET /openapi.json
	docs    []byte // GET /docs
}

// New builds the API.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: no store")
	}
	s := &Server{
		store:       cfg.Store,
		searcher:    cfg.Searcher,
		social:      cfg.Social,
		recommender: cfg.Recommender,
		clock:       cfg.Clock,
		log:         cfg.Logger,
		limiter:     cfg.Limiter,
		playerLimit: cfg.PlayerLimiter,
		keyLimit:    cfg.KeyLimiter,
		ready:       cfg.Ready,
		optional:    cfg.Optional,
		retention:   cfg.Retention,
		sessionTTL:  cfg.SessionTTL,
		trustProxy:  cfg.TrustProxyHeaders,
		passwords:   cfg.Passwords,
		mux:         http.NewServeMux(),
	}
	if s.clock == nil {
		s.clock = gamedata.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.retention <= 0 {
		s.retention = gamedata.DefaultRetention
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = 24 * time.Hour
	}
	if cfg.AdminKey != "" {
		h := sha256.Sum256([]byte(cfg.AdminKey))
		s.adminHash = &h
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var err error
	if s.metrics, err = newHTTPMetrics(reg); err != nil {
		return nil, err
	}
	if s.passwords == nil {
		if s.passwords, err = password.NewPool(password.PoolConfig{Registerer: reg}); err != nil {
			return nil, err
		}
	}
	s.unmatchable = password.Unmatchable()

	s.api = humago.New(s.mux, humaConfig())
	s.register()
	s.handleOps(reg)
	if s.spec, err = json.Marshal(s.api.OpenAPI()); err != nil {
		return nil, fmt.Errorf("api: marshal the OpenAPI document: %w", err)
	}
	if s.docs, err = renderDocs(s.api.OpenAPI()); err != nil {
		return nil, fmt.Errorf("api: render /docs: %w", err)
	}
	return s, nil
}

func humaConfig() huma.Config {
	cfg := huma.DefaultConfig("gamedata", "1")
	cfg.Info.Description = "The data platform of the game: players, sessions, orders, messages, events and metadata."
	// The document, the docs page and the schemas are served by Server
	// itself (prebuilt, no CDN scripts); responses carry no $schema link.
	cfg.OpenAPIPath, cfg.DocsPath, cfg.SchemasPath = "", "", ""
	cfg.CreateHooks = nil
	cfg.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		bearerScheme: {
			Type: "http", Scheme: "bearer",
			Description: "A server key (gdk_..., or the admin key) or a player session token (gds_...).",
		},
	}
	// Money is a decimal string on the wire, whatever its Go kind.
	cfg.Components.Schemas.RegisterTypeAlias(reflect.TypeFor[gamedata.Money](), reflect.TypeFor[moneyString]())
	cfg.Components.Schemas.RegisterTypeAlias(reflect.TypeFor[gamedata.MoneySum](), reflect.TypeFor[moneySumString]())
	return cfg
}

// moneySumString stands for gamedata.MoneySum in the OpenAPI document.
type moneySumString string

// Schema describes a sum of money.
func (moneySumString) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{
		Type:        huma.TypeString,
		Pattern:     `^[0-9]{1,37}\.[0-9]{2}$`,
		Description: `an exact sum of money, a decimal string with 2 decimals and any number of digits before the point, such as "9249990749075000.25"`,
		Examples:    []any{"1234.50"},
	}
}

// moneyString stands for gamedata.Money in the OpenAPI document.
type moneyString string

// Schema describes a price.
func (moneyString) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{
		Type:        huma.TypeString,
		Pattern:     `^[0-9]{1,8}(\.[0-9]{1,2})?$`,
		Description: `a decimal string, >= 0, at most 2 decimals, such as "4.99"; never a JSON number`,
		Examples:    []any{"4.99"},
	}
}

// ServeHTTP serves one request: it gives it an id, finds its route, counts
// and logs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID(r)
	w.Header().Set("X-Request-Id", id)
	// No answer is to be read as another type than it says, and none of
	// /v1 (players' data, session tokens) is to be kept by a cache.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		w.Header().Set("Cache-Control", "no-store")
	}
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	rec := &statusRecorder{ResponseWriter: w}
	h, pattern := s.mux.Handler(r)
	s.metrics.inFlight.Inc()
	defer func() {
		s.metrics.inFlight.Dec()
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic", slog.Any("panic", v), requestIDAttr(r.Context()))
			if rec.status == 0 {
				writeProblem(rec, newProblem(http.StatusInternalServerError, "internal error"))
			}
		}
		s.observe(r, routeOf(pattern), rec, start)
	}()
	if pattern == "" || unclean(r.URL.Path) {
		s.unmatched(rec, r, h)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// unmatched answers a request that no route takes (404, 405) with a
// problem, instead of the mux's plain text or redirect.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch {
	case unclean(r.URL.Path):
		// The mux would redirect a path that is not clean ("//v1/players",
		// "/v1/players/.."): no endpoint has such a path, and following a
		// redirect would send a write somewhere the caller did not name.
		writeProblem(w, newProblem(http.StatusNotFound, "no such endpoint: the path has an empty, '.' or '..' segment; see /docs"))
	case probe.status == http.StatusNotFound:
		writeProblem(w, newProblem(http.StatusNotFound, "no such endpoint: see /docs"))
	case probe.status == http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeProblem(w, newProblem(http.StatusMethodNotAllowed, r.Method+" is not allowed here; allowed: "+probe.header.Get("Allow")))
	default:
		writeProblem(w, newProblem(http.StatusNotFound, "no such endpoint: see /docs"))
	}
}

// unclean reports whether p has an empty, "." or ".." segment: a path the
// mux would redirect to its clean form.
func unclean(p string) bool {
	if p == "" || p[0] != '/' {
		return true
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		if seg == "." || seg == ".." || (seg == "" && i < len(segs)-1) {
			return true
		}
	}
	return false
}

// headerProbe records what a handler would answer, without the body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }
func (p *headerProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *headerProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// statusRecorder remembers the status and size of an answer.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (huma sets body
// read deadlines through it).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
