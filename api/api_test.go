package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// fakeStore answers GetMeta with what the test sets; every other method
// panics (nil embedded interface), which no test here reaches.
type fakeStore struct {
	gamedata.Store
	getMeta func(key string) (gamedata.MetaDoc, error)
}

func (f *fakeStore) GetMeta(_ context.Context, key string) (gamedata.MetaDoc, error) {
	return f.getMeta(key)
}

// failingLimiter is a limiter whose backend is down.
type failingLimiter struct{ calls int }

func (l *failingLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	l.calls++
	return false, 0, errors.New("redis: connection refused")
}

func newTestServer(t *testing.T, cfg Config) (*httptest.Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return hs, &logs
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestStoreErrorsBecomeProblems(t *testing.T) {
	cases := []struct {
		err        error
		status     int
		retryAfter string
	}{
		{gamedata.Unavailable("sqlite", errors.New("disk I/O error at /srv/secret.db")), 503, "1"},
		{errors.New("driver exploded at /srv/secret.db"), 500, ""},
		{gamedata.Invalid("page_token", "is bad"), 400, ""},
		{gamedata.ErrNotFound, 404, ""},
		{gamedata.UnknownOutcome("cassandra", errors.New("write timeout at /srv/secret.db")), 504, "1"},
	}
	for _, c := range cases {
		store := &fakeStore{getMeta: func(string) (gamedata.MetaDoc, error) { return gamedata.MetaDoc{}, c.err }}
		hs, logs := newTestServer(t, Config{Store: store})
		resp, body := get(t, hs.URL+"/v1/meta/k")
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/problem+json" ||
			resp.Header.Get("Retry-After") != c.retryAfter {
			t.Errorf("%v: %d %q %q", c.err, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if strings.Contains(body, "secret.db") {
			t.Errorf("%v: the answer shows the cause: %s", c.err, body)
		}
		if c.status >= 500 && !strings.Contains(logs.String(), "secret.db") {
			t.Errorf("%v: the cause is not logged: %s", c.err, logs)
		}
		if want := map[int]string{504: problemUnknownOutcome}[c.status]; want != "" && !strings.Contains(body, `"type":"`+want+`"`) {
			t.Errorf("%v: %s, want the problem type %s", c.err, body, want)
		}
	}
}

// Every POST that creates or pays documents its Idempotency-Key, the 504
// a retry with it recovers from, and the 422 of a key reused; login does
// not take one (see docs/api.md).
func TestCreatesAndPaysTakeAnIdempotencyKey(t *testing.T) {
	hs, _ := newTestServer(t, Config{Store: &fakeStore{}})
	_, body := get(t, hs.URL+"/openapi.json")
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Parameters  []struct{ In, Name string }
			Responses   map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"create-player": true, "create-order": true, "pay-order": true, "send-message": true,
		"append-events": true, "login": false}
	for _, item := range doc.Paths {
		op, ok := item["post"]
		if !ok {
			continue
		}
		keyed, listed := want[op.OperationID]
		if !listed {
			t.Errorf("POST %s: say whether it takes an Idempotency-Key", op.OperationID)
		}
		delete(want, op.OperationID)
		takes := false
		for _, p := range op.Parameters {
			takes = takes || p.In == "header" && p.Name == "Idempotency-Key"
		}
		_, has422 := op.Responses["422"]
		_, has504 := op.Responses["504"]
		if takes != keyed || has422 != keyed || !has504 {
			t.Errorf("POST %s: Idempotency-Key %v, 422 %v, 504 %v; want %v, %v, true", op.OperationID, takes, has422, has504, keyed, keyed)
		}
	}
	if len(want) > 0 {
		t.Errorf("operations not in the document: %v", want)
	}
}

func TestPanicIsA500AndLogged(t *testing.T) {
	store := &fakeStore{getMeta: func(string) (gamedata.MetaDoc, error) { panic("boom") }}
	hs, logs := newTestServer(t, Config{Store: store})
	resp, body := get(t, hs.URL+"/v1/meta/k")
	if resp.StatusCode != 500 || !strings.Contains(body, `"status":500`) || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("%d %s\nlogs: %s", resp.StatusCode, body, logs)
	}
	// The server goes on.
	if resp, _ := get(t, hs.URL+"/healthz"); resp.StatusCode != 200 {
		t.Fatalf("healthz after a panic: %d", resp.StatusCode)
	}
}

func TestALimiterOutageLetsRequestsThrough(t *testing.T) {
	store := &fakeStore{getMeta: func(key string) (gamedata.MetaDoc, error) {
		return gamedata.MetaDoc{Key: key, Value: json.RawMessage(`{"v":1}`)}, nil
	}}
	lim := &failingLimiter{}
	hs, logs := newTestServer(t, Config{Store: store, Limiter: lim})
	resp, body := get(t, hs.URL+"/v1/meta/k")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != `{"v":1}` || lim.calls != 1 {
		t.Fatalf("%d %s, limiter asked %d times", resp.StatusCode, body, lim.calls)
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("the limiter's failure is not logged: %s", logs)
	}
}

func TestEachRequestIsLoggedOnce(t *testing.T) {
	store := &fakeStore{getMeta: func(string) (gamedata.MetaDoc, error) { return gamedata.MetaDoc{}, gamedata.ErrNotFound }}
	hs, logs := newTestServer(t, Config{Store: store})
	resp, _ := get(t, hs.URL+"/v1/meta/some-key")
	var line struct {
		Msg, Method, Route, RequestID string
		Status                        int
		Duration                      int64
	}
	dec := json.NewDecoder(logs)
	for dec.More() {
		var l map[string]any
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		if l["msg"] == "request" {
			b, _ := json.Marshal(l)
			b = bytes.ReplaceAll(b, []byte("request_id"), []byte("requestid"))
			if err := json.Unmarshal(b, &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line.Method != "GET" || line.Route != "/v1/meta/{key}" || line.Status != 404 || line.RequestID != resp.Header.Get("X-Request-Id") || line.RequestID == "" {
		t.Fatalf("log line %+v, request id %q", line, resp.Header.Get("X-Request-Id"))
	}
}

func TestClientAddr(t *testing.T) {
	cases := []struct {
		trust  bool
		remote string
		xff    []string
		want   string
	}{
		{false, "10.1.2.3:5555", []string{"1.1.1.1"}, "10.1.2.3"},
		{true, "10.1.2.3:5555", []string{"6.6.6.6, 1.1.1.1"}, "1.1.1.1"},
		{true, "10.1.2.3:5555", []string{"6.6.6.6", "2.2.2.2"}, "2.2.2.2"},
		{true, "10.1.2.3:5555", nil, "10.1.2.3"},
		{false, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::"},
		{false, "[2001:db8:1:2:ffff::1]:443", nil, "2001:db8:1:2::"},
	}
	for _, c := range cases {
		s := &Server{trustProxy: c.trust}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r); got != c.want {
			t.Errorf("trust=%v remote=%s xff=%v: %q, want %q", c.trust, c.remote, c.xff, got, c.want)
		}
	}
}

func TestJSONFault(t *testing.T) {
	cases := []struct{ body, field, why string }{
		{`{"a":1}`, "", ""},
		{``, "body", "is empty"},
		{`{"a":`, "body", "is not valid JSON: it ends too early"},
		{`{"a":1} {}`, "body", "has more after the JSON document"},
		{`{"events":[{"type":"ok"},{"type":"` + "\xff" + `"}]}`, "events[1].type", "is not valid UTF-8"},
		{`{"a":{"b":[1,2,1e999]}}`, "a.b[2]", "is a number out of range"},
		{`{"a":[1,}`, "a[1]", "is not valid JSON: invalid character '}' looking for beginning of value"},
		{"{\"\xff\":1}", "body", "has a field name that is not valid UTF-8"},
	}
	for _, c := range cases {
		field, why := jsonFault([]byte(c.body))
		if field != c.field || why != c.why {
			t.Errorf("jsonFault(%q) = %q, %q; want %q, %q", c.body, field, why, c.field, c.why)
		}
	}
}
