package redis_test

import (
	"io"
	"net"
	"sync"
	"testing"
)

// proxy stands between a client and Redis on loopback, to cut the link or
// make Redis silent without touching the server other tests use.
type proxy struct {
	t      *testing.T
	addr   string
	target string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	silent bool // accept connections, answer nothing
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.listen()
	p.addr = p.ln.Addr().String()
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) listen() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go p.accept(ln)
}

func (p *proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		silent := p.silent
		p.mu.Unlock()
		if silent {
			go func() { _, _ = io.Copy(io.Discard, c) }()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[up] = struct{}{}
		p.mu.Unlock()
		go pipe(c, up)
		go pipe(up, c)
	}
}

func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src) // until either side is cut
	dst.Close()
	src.Close()
}

// closeConns drops every connection through the proxy.
func (p *proxy) closeConns() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// cut refuses connections, as a stopped server does.
func (p *proxy) cut() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	p.closeConns()
}

// restore forwards again, on the same address.
func (p *proxy) restore() {
	p.mu.Lock()
	p.silent = false
	p.mu.Unlock()
	p.closeConns()
	p.mu.Lock()
	closed := p.ln == nil
	p.mu.Unlock()
	if closed {
		p.listen()
	}
}

// silence makes Redis a black hole: connections are taken, never answered.
func (p *proxy) silence() {
	p.mu.Lock()
	p.silent = true
	p.mu.Unlock()
	p.closeConns()
}
