package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// playersStore knows every player; nothing else is reached here.
type playersStore struct{ gamedata.Store }

func (playersStore) GetPlayer(_ context.Context, name string) (gamedata.Player, error) {
	return gamedata.Player{Name: name}, nil
}

// fullSocial refuses every friendship: a player is at the cap.
type fullSocial struct{ gamedata.SocialStore }

func (fullSocial) AddFriend(context.Context, string, string, time.Time) error {
	return gamedata.FriendLimit("Bob", gamedata.MaxFriends)
}

// A friendship past the cap is a 409 that says who is at it and why; the
// stores' side of the cap is in storetest (Cap).
func TestFriendLimitIsAClearConflict(t *testing.T) {
	const key = "api-test-admin-key-0123456789"
	hs, _ := newTestServer(t, Config{Store: playersStore{}, Social: fullSocial{}, AdminKey: key})
	req, _ := http.NewRequest(http.MethodPut, hs.URL+"/v1/players/alice/friends/bob", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusConflict || p.Status != http.StatusConflict ||
		!strings.Contains(p.Detail, "Bob has 5000 friends, the most a player may have") {
		t.Errorf("status %d, problem %+v: want 409 naming Bob and the cap", resp.StatusCode, p)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
}
