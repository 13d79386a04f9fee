package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// Listener wraps ln so that the answers net/http writes by itself, before
// any handler runs, are problem+json like every other error: a request
// that is not HTTP/1.1, conflicting Content-Length headers, a missing or
// malformed Host, headers over the server's MaxHeaderBytes (431), an
// unknown transfer encoding (501), another HTTP version (505), an Expect
// other than 100-continue (417). net/http has no hook for them: it writes
// each in one piece straight to the connection, as a status line followed
// by exactly cannedHeaders (no Date header, which every answer of a handler
// has), and that piece is rewritten here. HTTP/2 is not served through it
// (serve speaks HTTP/1.1 on TLS too).
func Listener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

// problemConn rewrites net/http's own error answers on one connection.
type problemConn struct {
	net.Conn
	mu sync.Mutex
}

// cannedHeaders are the headers of every answer net/http writes itself.
const cannedHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// expectationFailed starts net/http's own 417, which has a Date and no body.
const expectationFailed = "HTTP/1.1 417 "

func (c *problemConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := cannedProblem(b); p != nil {
		if _, err := c.Conn.Write(p); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// cannedProblem returns the problem+json answer that replaces b, or nil
// when b is not one of net/http's own answers.
func cannedProblem(b []byte) []byte {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(b, []byte(proto)) || len(b) < len(proto)+3 {
		return nil
	}
	code, err := strconv.Atoi(string(b[len(proto) : len(proto)+3]))
	if err != nil || code < 400 {
		return nil
	}
	var detail string
	switch line, body, ok := bytes.Cut(b, []byte(cannedHeaders)); {
	case ok && bytes.IndexByte(line, '\n') < 0:
		detail = cannedDetail(code, string(body))
	case bytes.HasPrefix(b, []byte(expectationFailed)):
		detail = "only Expect: 100-continue is understood"
	default:
		return nil
	}
	p, _ := json.Marshal(newProblem(code, detail)) // a problem always marshals
	var out bytes.Buffer
	fmt.Fprintf(&out, "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nX-Content-Type-Options: nosniff\r\n"+
		"Cache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n\r\n", code, http.StatusText(code), len(p))
	out.Write(p)
	return out.Bytes()
}

// cannedDetail words net/http's body ("400 Bad Request: missing required
// Host header") for a person.
func cannedDetail(code int, body string) string {
	prefix := strconv.Itoa(code) + " " + http.StatusText(code)
	switch rest, _ := bytes.CutPrefix([]byte(body), []byte(prefix)); {
	case code == http.StatusRequestHeaderFieldsTooLarge:
		return "the request's headers are too large"
	case bytes.HasPrefix(rest, []byte(": ")):
		return "the request is not valid HTTP/1.1: " + string(rest[2:])
	case code == http.StatusNotImplemented:
		return "the request's transfer encoding is not supported"
	}
	return "the request is not valid HTTP/1.1"
}
