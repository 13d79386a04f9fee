package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with serial to
// certFile and keyFile.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "gamedata test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// The key first, then the certificate: a server that reads between the
	// two sees a pair that does not match, and must keep the old one.
	for _, f := range []struct {
		path, kind string
		b          []byte
	}{{keyFile, "EC PRIVATE KEY", kb}, {certFile, "CERTIFICATE", der}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.kind, Bytes: f.b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// serial is the serial number of the certificate the server at addr shows.
func serial(t *testing.T, addr string) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // the test checks the serial itself
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestServeTLSReloadsItsCertificate: with --tls-cert and --tls-key the API
// speaks HTTPS (its own errors still problem+json) and a renewed
// certificate is served without a restart.
func TestServeTLSReloadsItsCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	writeCert(t, certFile, keyFile, 1)
	s := startServer(t, serverOpts{args: []string{"--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile}})
	addr := strings.TrimPrefix(s.URL, "http://")
	if got := serial(t, addr); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get("https://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz over TLS: %v %v", resp, err)
	}
	resp.Body.Close()
	// net/http's own refusal, over TLS: a problem too.
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\n\r\n")
	raw, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || raw.StatusCode != http.StatusBadRequest || raw.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("no Host over TLS: %v %v", raw, err)
	}
	conn.Close()

	writeCert(t, certFile, keyFile, 2)
	deadline := time.Now().Add(10 * time.Second)
	for serial(t, addr) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the renewed certificate is not served within 10s; logs:\n%s", s.logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.mustStop()
}

func TestTLSFlagsGoTogether(t *testing.T) {
	_, stderr, err := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--tls-cert", "x.crt")
	if err == nil || !strings.Contains(stderr, "--tls-cert and --tls-key go together") {
		t.Fatalf("--tls-cert alone: %v\n%s", err, stderr)
	}
}
