package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/spf13/pflag"
)

// tlsConfig is how serve speaks TLS on --addr.
type tlsConfig struct {
	CertFile, KeyFile string
}

func (c *tlsConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.CertFile, "tls-cert", "",
		"PEM certificate chain of the API (with --tls-key): serve HTTPS on --addr; the files are read again when they change, "+
			"so a renewed certificate needs no restart; empty: plain HTTP (behind a load balancer that ends TLS)")
	fs.StringVar(&c.KeyFile, "tls-key", "", "PEM private key of --tls-cert")
}

func (c tlsConfig) validate() error {
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	return nil
}

// certCheckInterval is how often a handshake may look at the files again.
const certCheckInterval = time.Second

// listener wraps ln in TLS when a certificate is configured. HTTP/1.1 only:
// api.Listener, above it, rewrites net/http's own HTTP/1 errors.
func (c tlsConfig) listener(ln net.Listener, log *slog.Logger) (net.Listener, error) {
	if c.CertFile == "" {
		return ln, nil
	}
	r := &certReloader{certFile: c.CertFile, keyFile: c.KeyFile, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	return tls.NewListener(ln, &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"http/1.1"},
		GetCertificate: r.get,
	}), nil
}

// certReloader serves the certificate of two files, read again when either
// changes (its modification time or size), at most every certCheckInterval.
// A pair that does not load (half written, a key of another certificate)
// leaves the last good one in use, and is tried again at the next check.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // modification times and sizes of the files loaded
	checked time.Time
}

func (r *certReloader) fileStamp() (string, error) {
	var stamp string
	for _, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		stamp += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return stamp, nil
}

func (r *certReloader) load() error {
	stamp, err := r.fileStamp()
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	r.cert, r.stamp = &cert, stamp
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= certCheckInterval {
		r.checked = now
		if stamp, err := r.fileStamp(); err == nil && stamp != r.stamp {
			if err := r.load(); err != nil {
				r.log.Warn("TLS certificate changed but does not load; the previous one stays in use", "err", err)
			} else {
				r.log.Info("TLS certificate reloaded", "cert", r.certFile)
			}
		}
	}
	return r.cert, nil
}
