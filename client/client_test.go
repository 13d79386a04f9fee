package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// fake answers every request with status, headers and body, and records
// the last request.
func fake(t *testing.T, status int, body string, header ...string) (*Client, *http.Request) {
	t.Helper()
	var last http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last = *r.Clone(context.Background())
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/", WithToken("gdk_secret"))
	if err != nil {
		t.Fatal(err)
	}
	return c, &last
}

func TestErrorsMatchTheDomain(t *testing.T) {
	cases := []struct {
		status int
		target error
	}{
		{400, gamedata.ErrInvalid}, {404, gamedata.ErrNotFound}, {409, gamedata.ErrConflict}, {503, gamedata.ErrUnavailable},
	}
	for _, tc := range cases {
		c, _ := fake(t, tc.status, `{"type":"about:blank","title":"x","status":1,"detail":"d"}`)
		_, err := c.GetPlayer(context.Background(), "alice")
		if !errors.Is(err, tc.target) {
			t.Errorf("%d: errors.Is(%v, %v) is false", tc.status, err, tc.target)
		}
		for _, other := range cases {
			if other.target != tc.target && errors.Is(err, other.target) {
				t.Errorf("%d matches %v too", tc.status, other.target)
			}
		}
	}
}

func TestValidationErrorCarriesTheFields(t *testing.T) {
	c, _ := fake(t, 400, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"bad",
		"errors":[{"field":"name","message":"is taken"},{"field":"events[2].at","message":"too old"}]}`)
	_, err := c.CreatePlayer(context.Background(), NewPlayer{Name: "alice", Password: "x"})
	var v *gamedata.ValidationError
	if !errors.As(err, &v) || len(v.Fields) != 2 || v.Fields[1].Field != "events[2].at" {
		t.Fatalf("errors.As ValidationError: %v %+v", err, v)
	}
	var e *Error
	if !errors.As(err, &e) || e.Detail != "bad" || e.Title != "Bad Request" {
		t.Fatalf("*Error: %+v", e)
	}
}

func TestStatusHelpersAndRetryAfter(t *testing.T) {
	c, _ := fake(t, 429, `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"slow down"}`,
		"Retry-After", "3", "X-Request-Id", "abc")
	_, err := c.Login(context.Background(), "alice", "pw")
	var e *Error
	if !IsRateLimited(err) || IsUnauthorized(err) || !errors.As(err, &e) || e.RetryAfter != 3*time.Second || e.RequestID != "abc" {
		t.Fatalf("429: %v %+v", err, e)
	}
	for status, is := range map[int]func(error) bool{401: IsUnauthorized, 403: IsForbidden, 413: IsTooLarge} {
		c, _ := fake(t, status, `{"status":`+http.StatusText(status)+`}`)
		if err := c.Health(context.Background()); !is(err) {
			t.Errorf("%d not recognised: %v", status, err)
		}
	}
}

func TestAnErrorThatIsNotAProblemKeepsItsText(t *testing.T) {
	c, _ := fake(t, 502, "<html>bad gateway</html>")
	err := c.Health(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Status != 502 || e.Detail != "<html>bad gateway</html>" {
		t.Fatalf("%v", err)
	}
}

func TestRequestsCarryTokenAndEscapedPaths(t *testing.T) {
	c, last := fake(t, 201, `{"id":"2f1c8a4e-0000-1000-8000-000000000001","status":"unpaid","price":"1.50"}`)
	o, created, err := c.WithToken("gds_player").CreateOrder(context.Background(), "a/b c", NewOrder{Item: "x", Amount: 1, Price: 150})
	if err != nil || !created || o.Price != 150 {
		t.Fatalf("CreateOrder: %+v %v %v", o, created, err)
	}
	if got := last.Header.Get("Authorization"); got != "Bearer gds_player" {
		t.Errorf("Authorization %q", got)
	}
	if last.URL.EscapedPath() != "/v1/players/a%2Fb%20c/orders" || last.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s", last.URL.EscapedPath(), last.Header.Get("Content-Type"))
	}
	if c.Token() != "gdk_secret" {
		t.Error("WithToken changed the original client")
	}
	if _, err := c.GetPlayer(context.Background(), ""); err == nil {
		t.Error("an empty name was sent")
	}
}

func TestNewRefusesABadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}
