// Package client is the Go SDK of the gamedata HTTP API: one method per
// endpoint, taking a context and answering the root domain types.
//
//	c, err := client.New("http://127.0.0.1:8080", client.WithToken(serverKey))
//	p, err := c.CreatePlayer(ctx, client.NewPlayer{Name: "alice", Password: "correct-horse"})
//	_, err = c.GetPlayer(ctx, "bob")
//	if errors.Is(err, gamedata.ErrNotFound) { ... }
//
// A Client is safe for concurrent use and keeps its connections alive, so
// one Client (and WithToken copies of it) should serve a whole program.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Client calls one gamedata server.
type Client struct {
	base  string // scheme://host[:port][/prefix], without a trailing slash
	token string
	hc    *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithToken makes every call carry secret (a server key or a session
// token) as its bearer credentials.
func WithToken(secret string) Option { return func(c *Client) { c.token = secret } }

// WithHTTPClient replaces the default HTTP client (for timeouts, TLS,
// tracing).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a client of the server at baseURL ("http://127.0.0.1:8080").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q is not an http(s) URL", baseURL)
	}
	c := &Client{base: strings.TrimRight(u.String(), "/")}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	return c, nil
}

var (
	sharedOnce sync.Once
	shared     *http.Client
)

// defaultHTTPClient is shared by every Client that was given none, so that
// many clients (one per player in a load test) share one connection pool.
func defaultHTTPClient() *http.Client {
	sharedOnce.Do(func() {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 1024
		t.MaxIdleConnsPerHost = 256 // the default 2 would close and reopen connections under load
		t.IdleConnTimeout = 90 * time.Second
		t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		shared = &http.Client{Transport: t, Timeout: 60 * time.Second}
	})
	return shared
}

// WithToken returns a copy of c that carries secret instead, sharing c's
// connections: one per player session, say.
func (c *Client) WithToken(secret string) *Client {
	cp := *c
	cp.token = secret
	return &cp
}

// Token returns the secret the client sends, if any.
func (c *Client) Token() string { return c.token }

// Do sends a request with in (when not nil) as its JSON body, and decodes a
// 2xx answer into out (when not nil). Any other answer is a *Error. path
// is relative to the base URL and must be escaped already.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	_, err := c.do(ctx, method, path, in, out)
	return err
}

// do is Do that also returns the status of a 2xx answer.
func (c *Client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	// The body is not pooled: the transport may still be sending it after
	// the answer came back (a server that answers before reading it).
	var body io.Reader
	contentType := ""
	if raw, ok := in.(json.RawMessage); ok {
		body, contentType = bytes.NewReader(raw), "application/json"
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("client: encode %s %s: %w", method, path, err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	resp, err := c.Raw(ctx, method, path, contentType, body)
	if err != nil {
		return 0, err
	}
	defer func() {
		// Read to the end so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, readError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return resp.StatusCode, nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp.StatusCode, fmt.Errorf("client: read %s %s: %w", method, path, err)
		}
		*raw = bytes.TrimRight(b, "\n")
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("client: decode the answer of %s %s: %w", method, path, err)
	}
	return resp.StatusCode, nil
}

// Raw sends a request as given and returns the answer whatever its status;
// the caller closes its body. It is the escape hatch for what the typed
// methods do not cover (tests of malformed input, say).
func (c *Client) Raw(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if key, ok := ctx.Value(idempotencyKey{}).(string); ok {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	return resp, nil
}

type idempotencyKey struct{}

// WithIdempotencyKey returns ctx that makes a call send key as its
// Idempotency-Key: a retry of a POST that creates or pays with the same key
// (after a 504 of unknown outcome, a 503, or no answer at all) answers what
// the first call answered, and never writes twice. Use a new key for each
// new request (a random UUID), the same for its retries.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// errorBodyMax bounds how much of an error answer is read.
const errorBodyMax = 64 << 10

func readError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	if s := resp.Header.Get("Retry-After"); s != "" {
		var secs int
		if _, err := fmt.Sscan(s, &secs); err == nil {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyMax))
	var p problem
	if err := json.Unmarshal(b, &p); err != nil || p.Status == 0 {
		// Not a problem document (a proxy's page, say): keep what it said.
		e.Title, e.Detail = http.StatusText(resp.StatusCode), strings.TrimSpace(string(b))
		return e
	}
	e.Type, e.Title, e.Detail, e.Fields = p.Type, p.Title, p.Detail, p.Errors
	return e
}

// errEmptyName guards the methods that put a name in the path.
var errEmptyName = errors.New("client: empty name")

func nameCheck(names ...string) error {
	for _, n := range names {
		if n == "" {
			return errEmptyName
		}
	}
	return nil
}
