package api

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

// register adds every operation of the API. A later group (search, social
// graph, recommendations) is one more registerX here.
func (s *Server) register() {
	s.registerPlayers()
	s.registerOrders()
	s.registerMessages()
	s.registerEvents()
	s.registerMeta()
	s.registerSearch()
	s.registerSocial()
	s.registerRecs()
}

type statusOut struct {
	Body readiness
}

type readiness struct {
	Status string            `json:"status" enum:"ok,ready,degraded,unavailable"`
	Checks map[string]string `json:"checks,omitempty" doc:"each backend: ok, unavailable, or degraded (an optional one, such as the cache, is down: slower, still serving)"`
}

// notReady is the 503 of /readyz: a problem that also lists the checks.
type notReady struct {
	problem
	Checks map[string]string `json:"checks"`
}

func (s *Server) handleOps(reg *prometheus.Registry) {
	handle(s, open, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Tags: []string{"operations"},
		Summary: "Liveness: the process answers",
	}, func(context.Context, *struct{}) (*statusOut, error) {
		return &statusOut{Body: readiness{Status: "ok"}}, nil
	})
	handle(s, open, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Tags: []string{"operations"},
		Summary: "Readiness: every backend is reachable (503 names the ones that are not; an optional one down is \"degraded\", still 200)",
	}, s.readyz)

	s.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/openapi+json")
		_, _ = w.Write(s.spec)
	})
	s.mux.HandleFunc("GET /docs", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(s.docs)
	})
	oapi := s.api.OpenAPI()
	for _, d := range []struct{ path, summary, contentType string }{
		{"/openapi.json", "This API as an OpenAPI 3.1 document", "application/openapi+json"},
		{"/docs", "This API as a readable page", "text/html"},
	} {
		oapi.AddOperation(&huma.Operation{
			OperationID: strings.Trim(strings.ReplaceAll(d.path, ".", "-"), "/"), Method: http.MethodGet, Path: d.path,
			Tags: []string{"operations"}, Summary: d.summary,
			Responses: map[string]*huma.Response{"200": {
				Description: "OK", Content: map[string]*huma.MediaType{d.contentType: {Schema: &huma.Schema{Type: huma.TypeString}}},
			}},
		})
	}
	// Huma documents a 422 for operations with input; this API answers 400,
	// and 422 only for an Idempotency-Key reused (see handle).
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Patch, item.Delete} {
			if op != nil && !takesIdempotencyKey(op) {
				delete(op.Responses, "422")
			}
		}
	}
}

func takesIdempotencyKey(op *huma.Operation) bool {
	for _, p := range op.Parameters {
		if p.In == "header" && p.Name == "Idempotency-Key" {
			return true
		}
	}
	return false
}

func (s *Server) readyz(ctx context.Context, _ *struct{}) (*statusOut, error) {
	checks := make(map[string]string, len(s.ready)+len(s.optional))
	var mu sync.Mutex
	var wg sync.WaitGroup
	run := func(checked map[string]func(context.Context) error, failed string) {
		for name, check := range checked {
			wg.Go(func() {
				cctx, cancel := context.WithTimeout(ctx, readyTimeout)
				defer cancel()
				state := "ok"
				if err := check(cctx); err != nil {
					// The cause goes to the log, not to an unauthenticated caller.
					s.log.LogAttrs(ctx, slog.LevelWarn, "not ready", slog.String("backend", name),
						slog.String("state", failed), slog.String("err", err.Error()), requestIDAttr(ctx))
					state = failed
				}
				mu.Lock()
				checks[name] = state
				mu.Unlock()
			})
		}
	}
	run(s.ready, "unavailable")
	run(s.optional, "degraded")
	wg.Wait()
	var down []string
	status := "ready"
	for name, state := range checks {
		switch state {
		case "unavailable":
			down = append(down, name)
		case "degraded":
			status = "degraded"
		}
	}
	if len(down) > 0 {
		sort.Strings(down)
		p := newProblem(http.StatusServiceUnavailable, "unavailable: "+strings.Join(down, ", "))
		return nil, &notReady{problem: *p.withHeader("Retry-After", "1"), Checks: checks}
	}
	return &statusOut{Body: readiness{Status: status, Checks: checks}}, nil
}
