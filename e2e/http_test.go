package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestNetHTTPErrorsAreProblems sends what net/http refuses before any
// handler runs, and paths the mux would redirect: every answer is a
// problem+json with the status of its line, and carries nosniff.
func TestNetHTTPErrorsAreProblems(t *testing.T) {
	h := newHarness(t, backends["sqlite"], options{})
	u, err := url.Parse(h.url)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", http.DefaultMaxHeaderBytes+8192)
	for _, c := range []struct {
		what, request string
		status        int
	}{
		{"conflicting Content-Length", "POST /v1/players HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400},
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"huge headers", "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n", 431},
		{"not HTTP", "HELLO\r\n\r\n", 400},
		{"HTTP/2 on HTTP/1", "GET /healthz HTTP/2.0\r\nHost: a\r\n\r\n", 505},
		{"unknown transfer encoding", "POST /v1/players HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
		{"invalid header name", "GET /healthz HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400},
		{"unknown Expect", "POST /v1/players HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}", 417},
		{"a // path", "GET //v1/players/x HTTP/1.1\r\nHost: a\r\n\r\n", 404},
		{"a .. path", "POST /v1/players/x/../../v1/events HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", 404},
	} {
		conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		go func() { _, _ = io.WriteString(conn, c.request) }() // the server may answer before it reads all
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("%s: read the answer: %v", c.what, err)
			conn.Close()
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		var p problem
		err = json.Unmarshal(body, &p)
		switch {
		case resp.StatusCode != c.status:
			t.Errorf("%s: status %d, want %d: %s", c.what, resp.StatusCode, c.status, body)
		case resp.Header.Get("Content-Type") != "application/problem+json" || err != nil:
			t.Errorf("%s: %q %s (%v), want a problem+json", c.what, resp.Header.Get("Content-Type"), body, err)
		case p.Status != c.status || p.Title != http.StatusText(c.status) || p.Detail == "":
			t.Errorf("%s: problem %+v", c.what, p)
		case resp.Header.Get("X-Content-Type-Options") != "nosniff":
			t.Errorf("%s: no X-Content-Type-Options: nosniff", c.what)
		}
	}
}

// TestSecurityHeaders: nosniff on every answer; no-store on every /v1
// answer, above all the one that carries a session token.
func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, backends["sqlite"], options{})
	name := h.name("hdr")
	h.raw("POST", "/v1/players", "", "application/json", []byte(`{"name":"`+name+`","password":"correct-horse"}`)).problemOrOK(t, http.StatusCreated)
	login := h.raw("POST", "/v1/sessions", "", "application/json", []byte(`{"name":"`+name+`","password":"correct-horse"}`))
	login.problemOrOK(t, http.StatusCreated)
	if got := login.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("login: Cache-Control %q, want no-store", got)
	}
	for _, path := range []string{"/healthz", "/openapi.json", "/docs", "/v1/players/" + name, "/nowhere"} {
		a := h.raw("GET", path, adminKey, "", nil)
		if got := a.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
		if strings.HasPrefix(path, "/v1/") && a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", path, a.header.Get("Cache-Control"))
		}
	}
}

// problemOrOK fails t unless a has status.
func (a answer) problemOrOK(t *testing.T, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
}
