package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// heldHasher holds every hash until release is closed, and refuses one more
// than room as a full password.Pool does.
type heldHasher struct {
	room    int
	mu      sync.Mutex
	inside  int
	entered chan struct{}
	release chan struct{}
}

func (h *heldHasher) enter() error {
	h.mu.Lock()
	if h.inside == h.room {
		h.mu.Unlock()
		return &gamedata.BusyError{What: "password hashes", RetryAfter: 2500 * time.Millisecond}
	}
	h.inside++
	h.mu.Unlock()
	h.entered <- struct{}{}
	<-h.release
	return nil
}

func (h *heldHasher) Hash(context.Context, string) (string, error) {
	return "$argon2id$held", h.enter()
}

func (h *heldHasher) Verify(context.Context, string, string) (bool, bool, error) {
	return false, false, h.enter()
}

// playerStore knows one player, and stores created players and sessions.
type playerStore struct {
	gamedata.Store
	mu      sync.Mutex
	created []string
}

func (s *playerStore) GetPlayer(_ context.Context, name string) (gamedata.Player, error) {
	if gamedata.NameKey(name) != "alice" {
		return gamedata.Player{}, gamedata.ErrNotFound
	}
	return gamedata.Player{ID: gamedata.NewID(time.Now()), Name: "alice", PasswordHash: "$argon2id$stored"}, nil
}

func (s *playerStore) CreatePlayer(_ context.Context, p gamedata.Player) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created = append(s.created, p.Name)
	return nil
}

// When the hashes waiting fill the pool, register and login answer 503 with
// Retry-After without waiting for them, while requests that do not hash go
// on being answered.
func TestBusyPasswordHashingAnswers503AtOnce(t *testing.T) {
	const adminKey = "admin-key-of-the-test-0123456789"
	h := &heldHasher{room: 2, entered: make(chan struct{}, 2), release: make(chan struct{})}
	store := &playerStore{}
	hs, _ := newTestServer(t, Config{Store: store, Passwords: h, AdminKey: adminKey})
	post := func(path, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		resp.Body.Close()
		return resp
	}

	// Two registrations take the room and hang in their hash.
	var held sync.WaitGroup
	for _, name := range []string{"bob", "carol"} {
		held.Go(func() {
			if resp := post("/v1/players", `{"name":"`+name+`","password":"correct-horse-battery"}`); resp != nil && resp.StatusCode != http.StatusCreated {
				t.Errorf("register %s once released: %d", name, resp.StatusCode)
			}
		})
	}
	<-h.entered
	<-h.entered

	// The held hashes never end on their own: these answers did not wait.
	for _, c := range []struct{ path, body string }{
		{"/v1/players", `{"name":"dave","password":"correct-horse-battery"}`},
		{"/v1/sessions", `{"name":"alice","password":"correct-horse-battery"}`},
		{"/v1/sessions", `{"name":"nobody","password":"correct-horse-battery"}`}, // as for a known name
	} {
		resp := post(c.path, c.body)
		if resp == nil {
			continue
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "3" {
			t.Errorf("POST %s %s with hashing busy: %d, Retry-After %q; want 503, 3",
				c.path, c.body, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("POST %s: Content-Type %q", c.path, ct)
		}
	}
	// A request that does not hash is not kept waiting.
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/v1/players/alice", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET a player while hashing is busy: %v, %v", resp, err)
	}
	resp.Body.Close()

	close(h.release)
	held.Wait()
	if len(store.created) != 2 {
		t.Errorf("players created: %v, want bob and carol only", store.created)
	}
}
