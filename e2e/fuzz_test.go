package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/sqlite"
)

// FuzzRequestBody sends a body to every endpoint that reads one, as the
// server key: the answer is never a 5xx, every error is a problem+json, and
// a 400 names the fields at fault.
func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"fuzzer_1","password":"correct-horse"}`,
		`{"item":"a","amount":1,"price":"1.00"}`,
		`{"item":"a","amount":1.0,"price":4.99}`,
		`{"events":[{"player":"fuzzer_1","type":"t","data":{"a":1}}]}`,
		`{"events":[{"player":"x","PLAYER":"y","type":"t"}]}`,
		`{"from":"fuzzer_1","to":"fuzzer_1","text":"hi"}`,
		`{"email":"","age":null}`,
		`{"a":1,"a":2}`, `[]`, `null`, "\xff", `{"name":"\ud800"}`,
	} {
		f.Add(s)
	}
	st, err := sqlite.Open(f.Context(), sqlite.Config{Path: filepath.Join(f.TempDir(), "gamedata.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	srv, err := api.New(api.Config{Store: st, Registry: prometheus.NewRegistry(), AdminKey: adminKey})
	if err != nil {
		f.Fatal(err)
	}
	targets := []struct{ method, path string }{
		{"POST", "/v1/players"}, {"POST", "/v1/sessions"}, {"PATCH", "/v1/players/fuzzer_1"},
		{"POST", "/v1/players/fuzzer_1/orders"}, {"POST", "/v1/messages"}, {"POST", "/v1/events"}, {"PUT", "/v1/meta/fuzz"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, tg := range targets {
			req := httptest.NewRequest(tg.method, tg.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+adminKey)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s %q: %d %s", tg.method, tg.path, body, rec.Code, rec.Body)
			}
			if rec.Code < 400 {
				continue
			}
			var p struct {
				Status int                   `json:"status"`
				Errors []gamedata.FieldError `json:"errors"`
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" ||
				json.NewDecoder(bytes.NewReader(rec.Body.Bytes())).Decode(&p) != nil || p.Status != rec.Code {
				t.Fatalf("%s %s %q: %d %q %s: not a problem", tg.method, tg.path, body, rec.Code, ct, rec.Body)
			}
			if rec.Code == http.StatusBadRequest && len(p.Errors) == 0 {
				t.Fatalf("%s %s %q: a 400 that names no field: %s", tg.method, tg.path, body, rec.Body)
			}
		}
	})
}
