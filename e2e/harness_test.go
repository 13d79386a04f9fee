package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/recs"
	"github.com/gamedata-dev/gamedata/storetest"
)

// backends makes a fresh store for one test, by backend name. Each backend
// registers itself from its own file (sqlite_test.go, cassandra_test.go);
// its function skips or fails t itself when its engine is missing, and
// closes the store when t ends.
var backends = map[string]func(t *testing.T, clock gamedata.Clock) gamedata.Backend{}

// adminKey is the GAMEDATA_ADMIN_KEY of every harness.
const adminKey = "e2e-admin-key-0123456789"

// harness is one API server over one store, on loopback.
type harness struct {
	t     *testing.T
	clock *storetest.Clock
	store gamedata.Store
	// backend is the store's capabilities (the recommendation tests build
	// from it).
	backend gamedata.Backend
	url     string
	// metricsURL serves the server's metrics registry.
	metricsURL string
	// admin carries the admin key; anon no credentials.
	admin, anon *client.Client
}

// options change the server of a harness.
type options struct {
	limiter func(gamedata.Clock) gamedata.RateLimiter
	// playerLimiter and keyLimiter limit each player's sessions and each
	// server key; nil: no limit.
	playerLimiter, keyLimiter func(gamedata.Clock) gamedata.RateLimiter
	ready                     map[string]func(context.Context) error
	// search makes the server's searcher over its store (search_test.go);
	// nil: none.
	search func(t *testing.T, store gamedata.Store) gamedata.Searcher
}

// eachBackend runs test once per registered backend, in parallel subtests,
// each with its own server and store.
func eachBackend(t *testing.T, test func(t *testing.T, h *harness)) {
	eachBackendWith(t, options{}, test)
}

func eachBackendWith(t *testing.T, o options, test func(t *testing.T, h *harness)) {
	t.Helper()
	if len(backends) == 0 {
		t.Fatal("no backend is registered")
	}
	names := make([]string, 0, len(backends))
	for name := range backends {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, newHarness(t, backends[name], o))
		})
	}
}

func newHarness(t *testing.T, newBackend func(*testing.T, gamedata.Clock) gamedata.Backend, o options) *harness {
	t.Helper()
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Millisecond))
	backend := newBackend(t, clock)
	store := backend.Store
	limiterOf := func(f func(gamedata.Clock) gamedata.RateLimiter) gamedata.RateLimiter {
		if f == nil {
			return nil
		}
		return f(clock)
	}
	limiter := limiterOf(o.limiter)
	ready := o.ready
	if ready == nil {
		ready = map[string]func(context.Context) error{"store": store.Ping}
	}
	var searcher gamedata.Searcher
	if o.search != nil {
		searcher = o.search(t, store)
	}
	reg := prometheus.NewRegistry()
	srv, err := api.New(api.Config{
		Store: store, Searcher: searcher, Social: backend.Social,
		Recommender: &recs.Service{Recs: backend.Recs, Social: backend.Social, Orders: store}, Clock: clock, Registry: reg, AdminKey: adminKey,
		Limiter: limiter, PlayerLimiter: limiterOf(o.playerLimiter), KeyLimiter: limiterOf(o.keyLimiter), Ready: ready,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = api.Listener(hs.Listener)
	hs.Start()
	t.Cleanup(hs.Close)
	// The metrics are served apart, as serve does on --admin-addr.
	ms := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(ms.Close)
	h := &harness{t: t, clock: clock, store: store, backend: backend, url: hs.URL, metricsURL: ms.URL + "/metrics"}
	h.anon = h.client("")
	h.admin = h.client(adminKey)
	return h
}

func (h *harness) client(token string) *client.Client {
	c, err := client.New(h.url, client.WithToken(token))
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// name returns a player name unique to this test, so that backends whose
// store outlives a test never see a name twice.
func (h *harness) name(base string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%x", base, b)
}

// player registers a new player and returns its name and a client acting
// as it (logged in).
func (h *harness) player(base string) (string, *client.Client) {
	h.t.Helper()
	name := h.name(base)
	const pw = "correct-horse-battery"
	ctx := context.Background()
	if _, err := h.anon.CreatePlayer(ctx, client.NewPlayer{Name: name, Password: pw}); err != nil {
		h.t.Fatalf("register %s: %v", name, err)
	}
	s, err := h.anon.Login(ctx, name, pw)
	if err != nil {
		h.t.Fatalf("log in %s: %v", name, err)
	}
	return name, h.anon.WithToken(s.Token)
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// raw sends a request as given (for input the client would never send).
func (h *harness) raw(method, path, token, contentType string, body []byte) answer {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// problem is an error answer's body.
type problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Errors []gamedata.FieldError `json:"errors"`
}

// problem checks that a is an application/problem+json answer with status
// and returns its body.
func (a answer) problem(t *testing.T, status int) problem {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, a.body)
	}
	var p problem
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body %s: %v", a.body, err)
	}
	if p.Status != status || p.Type == "" || p.Title != http.StatusText(status) || p.Detail == "" {
		t.Fatalf("problem %+v for status %d", p, status)
	}
	return p
}

// fields checks that a is a 400 naming exactly the given fields.
func (a answer) fields(t *testing.T, want ...string) {
	t.Helper()
	p := a.problem(t, http.StatusBadRequest)
	got := make([]string, len(p.Errors))
	for i, f := range p.Errors {
		if f.Message == "" {
			t.Errorf("field %s has no message", f.Field)
		}
		got[i] = f.Field
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("field errors %v, want %v (%s)", got, want, a.body)
	}
}

// jsonBody marshals v for raw requests.
func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// status of err: the HTTP status of a *client.Error, 0 for nil.
func status(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("not an answer of the server: %v", err)
	}
	return e.Status
}

// metrics returns the server's metrics, in the text format.
func (h *harness) metrics() string {
	h.t.Helper()
	resp, err := http.Get(h.metricsURL)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}
