package main

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A burst of logins larger than the password hash pool (one worker, one
// place in the queue) is answered at once for what does not fit: 503 with
// Retry-After, counted as busy; what fits logs in.
func TestALoginBurstBeyondTheHashPoolIsRefusedWith503(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, serverOpts{args: []string{"--data-dir", dataDir, "--rate-limit", "0", "--admin-addr", "127.0.0.1:0",
		"--password-hash-workers", "1", "--password-hash-queue", "1"}})
	admin := readSecretFile(t, filepath.Join(dataDir, "admin.key"))
	if status, body := call(t, http.MethodPost, s.URL+"/v1/players", admin, `{"name":"alice","password":"correct-horse-battery"}`); status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, body)
	}

	const burst = 24
	type answer struct {
		status     int
		retryAfter string
	}
	answers := make([]answer, burst)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			<-start
			resp, err := http.Post(s.URL+"/v1/sessions", "application/json", strings.NewReader(`{"name":"alice","password":"correct-horse-battery"}`))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			answers[i] = answer{resp.StatusCode, resp.Header.Get("Retry-After")}
		})
	}
	close(start)
	wg.Wait()

	var created, refused int
	for _, a := range answers {
		switch a.status {
		case http.StatusCreated:
			created++
		case http.StatusServiceUnavailable:
			refused++
			if n, err := strconv.Atoi(a.retryAfter); err != nil || n < 1 {
				t.Errorf("a 503 with Retry-After %q, want whole seconds >= 1", a.retryAfter)
			}
		default:
			t.Errorf("login: %d, want 201 or 503", a.status)
		}
	}
	// Two hashes fit at once (the worker's and the queue's); 24 requests
	// sent together cannot all find room.
	if created < 2 || refused == 0 {
		t.Errorf("%d logins in, %d refused: want at least the 2 the pool holds in and some refused", created, refused)
	}
	hashes := series(scrape(t, metricsURL(t, s)), "gamedata_password_hashes_total")
	if hashes["result=busy"] != float64(refused) || hashes["result=done"] != float64(created+1) {
		t.Errorf("gamedata_password_hashes_total = %v; want busy %d, done %d (the logins and the registration)", hashes, refused, created+1)
	}
}
