package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gamedata-dev/gamedata/client"
)

// fastClient sends the scenarios' requests. bench runs beside the server
// it measures and shares its CPUs, so its requests are cheap: fasthttp
// writes and reads each one on the calling goroutine (net/http's transport
// adds two goroutines per connection and a hand-off each way), reuses its
// request and response buffers, and the bodies are bytes built without
// reflection. The set-up (population, probe, metrics) goes through the Go
// client, as any program would.
type fastClient struct {
	hc       *fasthttp.HostClient
	base     string // scheme://host[:port][/prefix]
	auth     string // the Authorization header
	counts   *countingTransport
	deadline time.Duration // of each request (Config.Timeout)
}

func newFastClient(cfg Config, counts *countingTransport) (*fastClient, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bench: URL %q is not an http(s) URL", cfg.URL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += map[string]string{"http": ":80", "https": ":443"}[u.Scheme]
	}
	return &fastClient{
		hc: &fasthttp.HostClient{
			Addr: addr, IsTLS: u.Scheme == "https",
			// One connection per scenario in flight; a request waits for one
			// rather than fail.
			MaxConns: cfg.Concurrency, MaxConnWaitTimeout: cfg.Timeout,
			MaxIdleConnDuration: 90 * time.Second, NoDefaultUserAgentHeader: true,
		},
		base: strings.TrimRight(u.String(), "/"), auth: "Bearer " + cfg.Key, counts: counts, deadline: cfg.Timeout,
	}, nil
}

// do sends one request with body (JSON, or none when nil) and decodes a
// 2xx answer into out when out is not nil; another status is a
// *client.Error, as the Go client reports it. route names the API route
// for the counts.
func (f *fastClient) do(ctx context.Context, route, method, path string, body []byte, out any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline := time.Now().Add(f.deadline)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI(f.base + path)
	req.Header.Set("Authorization", f.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body) // sent before do returns: the caller may reuse it then
	}
	if err := f.hc.DoDeadline(req, resp, deadline); err != nil {
		return fmt.Errorf("bench: %s %s: %w", method, path, err)
	}
	status := resp.StatusCode()
	f.counts.count(route, method, status)
	if status < 200 || status > 299 {
		return problemOf(resp)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body(), out); err != nil {
			return fmt.Errorf("bench: decode the answer of %s %s: %w", method, path, err)
		}
	}
	return nil
}

// problemOf reads an error answer as the Go client does.
func problemOf(resp *fasthttp.Response) *client.Error {
	status := resp.StatusCode()
	e := &client.Error{Status: status, Title: http.StatusText(status), RequestID: string(resp.Header.Peek("X-Request-Id"))}
	if secs, err := strconv.Atoi(string(resp.Header.Peek("Retry-After"))); err == nil {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	var p struct {
		Title, Detail string
	}
	if err := json.Unmarshal(resp.Body(), &p); err == nil && p.Title != "" {
		e.Title, e.Detail = p.Title, p.Detail
	} else {
		e.Detail = strings.TrimSpace(string(resp.Body()))
	}
	return e
}
