package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"
)

// addAdminFlag adds --admin-addr to fs.
func addAdminFlag(fs *pflag.FlagSet, addr *string) {
	fs.StringVar(addr, "admin-addr", "",
		"address of the admin listener: Go profiles at /debug/pprof/ and the metrics at /metrics; keep it private "+
			"(127.0.0.1:6060, say: profiles show the program's internals); empty: none. Never served on --addr")
}

// adminHandler serves the profiles and the metrics. It is its own mux, not
// http.DefaultServeMux, so that nothing else registered there leaks out.
func adminHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // also serves the named profiles: heap, goroutine...
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

// startAdmin starts the admin listener on addr and returns its server;
// closing it stops the listener.
func startAdmin(addr string, reg *prometheus.Registry, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --admin-addr: %w", err)
	}
	srv := &http.Server{
		Handler:           adminHandler(reg),
		ReadHeaderTimeout: 10 * time.Second,
		// No write timeout: a CPU profile or a trace streams for as long
		// as its ?seconds= asks.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("admin listener stopped", "err", err)
		}
	}()
	log.Info("admin listening", "addr", ln.Addr().String(), "paths", "/debug/pprof/ /metrics")
	return srv, nil
}
