package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/recs"
)

// recsAnswer is the body of GET .../recommendations, decoded strictly.
type recsAnswer struct {
	Kind  string `json:"kind"`
	Items []struct {
		ID      string   `json:"id"`
		Score   float64  `json:"score"`
		Reasons []string `json:"reasons"`
	} `json:"items"`
	GeneratedAt time.Time `json:"generated_at"`
}

func (h *harness) recommendations(token, player, query string) (recsAnswer, string) {
	h.t.Helper()
	a := h.raw(http.MethodGet, "/v1/players/"+player+"/recommendations"+query, token, "", nil)
	if a.status != http.StatusOK {
		h.t.Fatalf("recommendations of %s%s: %d %s", player, query, a.status, a.body)
	}
	var r recsAnswer
	dec := json.NewDecoder(strings.NewReader(string(a.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		h.t.Fatalf("recommendations body %s: %v", a.body, err)
	}
	return r, string(a.body)
}

func (r recsAnswer) reasons(id string) ([]string, bool) {
	for _, it := range r.Items {
		if strings.EqualFold(it.ID, id) {
			return it.Reasons, true
		}
	}
	return nil, false
}

// build runs the recommendation build over the harness's store, as
// `gamedata recs build` does.
func (h *harness) build() {
	h.t.Helper()
	ctx := context.Background()
	snap, err := recs.ReadSnapshot(ctx, h.backend.Lister, h.backend.RecsSource)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := recs.Build(ctx, snap, h.backend.Recs, recs.BuildConfig{Workers: 2, Clock: h.clock, Fresh: true}); err != nil {
		h.t.Fatal(err)
	}
}

func TestRecommendations(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		names := map[string]string{}
		sessions := map[string]*client.Client{}
		secrets := []string{}
		for _, base := range []string{"Alice", "Bob", "Carol", "Dave"} {
			name, as := h.player(base)
			names[base], sessions[base] = name, as
			email, phone := strings.ToLower(name)+"@private.example", fmt.Sprintf("+44 7700 9%05d", len(secrets))
			if _, err := as.UpdatePlayer(ctx, name, client.PlayerPatch{Email: &email, Phone: &phone}); err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, email, phone)
		}
		alice, bob, carol, dave := names["Alice"], names["Bob"], names["Carol"], names["Dave"]
		// Items of this test only: the store may be shared.
		sword, shield, axe := h.name("sword"), h.name("shield"), h.name("axe")
		tag := strings.ToLower(h.name("tag"))
		buy := func(player string, items ...string) {
			for _, item := range items {
				h.clock.Advance(time.Millisecond)
				o, _, err := h.admin.CreateOrder(ctx, player, client.NewOrder{Item: item, Amount: 1, Price: 499})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := h.admin.PayOrder(ctx, player, o.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		buy(bob, sword, shield)
		buy(carol, sword, shield)
		buy(alice, shield)
		for _, pair := range [][2]string{{alice, bob}, {bob, carol}} {
			h.clock.Advance(time.Millisecond)
			if err := h.admin.AddFriend(ctx, pair[0], pair[1]); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range []string{alice, dave} {
			if _, err := h.admin.SetInterests(ctx, p, []string{tag}); err != nil {
				t.Fatal(err)
			}
		}
		secret := "meet me at the old mill " + h.name("x")
		if _, err := sessions["Bob"].SendMessage(ctx, client.NewMessage{From: bob, To: alice, Text: secret}); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, secret)
		h.clock.Advance(time.Second)
		h.build()
		built := h.clock.Now()

		asAlice := sessions["Alice"].Token()
		items, body := h.recommendations(asAlice, alice, "?kind=items")
		if items.Kind != "items" || !items.GeneratedAt.Equal(built) {
			t.Errorf("kind %q generated_at %s, want items at %s", items.Kind, items.GeneratedAt, built)
		}
		if r, ok := items.reasons(sword); !ok || !slices.Contains(r, "1 of your friends bought this") {
			t.Errorf("alice's items lack %s with its friend reason: %s", sword, body)
		}
		if _, ok := items.reasons(shield); ok {
			t.Errorf("alice is offered %s, which she has", shield)
		}
		friends, fbody := h.recommendations(asAlice, alice, "?kind=friends&limit=5")
		if r, ok := friends.reasons(carol); !ok || !slices.Contains(r, "1 friend in common") {
			t.Errorf("alice's friend suggestions lack %s (1 friend in common): %s", carol, fbody)
		}
		if r, ok := friends.reasons(dave); !ok || !slices.Contains(r, "you both like "+tag) {
			t.Errorf("alice's friend suggestions lack %s (you both like %s): %s", dave, tag, fbody)
		}
		for _, never := range []string{alice, bob} {
			if _, ok := friends.reasons(never); ok {
				t.Errorf("alice is offered %s as a friend: %s", never, fbody)
			}
		}
		if len(friends.Items) > 5 {
			t.Errorf("limit 5, got %d", len(friends.Items))
		}

		// Since the build: dave buys an axe and becomes alice's friend;
		// his purchase counts at once, and he is no longer suggested.
		buy(dave, axe)
		h.clock.Advance(time.Millisecond)
		if err := sessions["Alice"].AddFriend(ctx, alice, dave); err != nil {
			t.Fatal(err)
		}
		items, body = h.recommendations(asAlice, alice, "")
		if r, ok := items.reasons(axe); !ok || !slices.Contains(r, "1 of your friends bought this") {
			t.Errorf("the new friend's %s is not counted at once: %s", axe, body)
		}
		if friends, fbody = h.recommendations(h.admin.Token(), alice, "?kind=friends"); true {
			if _, ok := friends.reasons(dave); ok {
				t.Errorf("the new friend %s is still suggested: %s", dave, fbody)
			}
		}

		// Nothing private in any answer, for anyone.
		for base, p := range names {
			for _, kind := range []string{"items", "friends"} {
				_, b := h.recommendations(adminKey, p, "?kind="+kind)
				for _, s := range secrets {
					if strings.Contains(b, s) {
						t.Errorf("%s's %s recommendations hold %q: %s", base, kind, s, b)
					}
				}
			}
		}

		// A player reads only its own.
		path := "/v1/players/" + alice + "/recommendations"
		h.raw(http.MethodGet, path, sessions["Bob"].Token(), "", nil).problem(t, http.StatusForbidden)
		h.raw(http.MethodGet, path, "", "", nil).problem(t, http.StatusUnauthorized)
		h.raw(http.MethodGet, path+"?kind=enemies", asAlice, "", nil).problem(t, http.StatusBadRequest)
		h.raw(http.MethodGet, path+"?limit=0", asAlice, "", nil).problem(t, http.StatusBadRequest)
		h.raw(http.MethodGet, path+"?limit=21", asAlice, "", nil).problem(t, http.StatusBadRequest)
		h.raw(http.MethodGet, "/v1/players/"+h.name("Ghost")+"/recommendations", adminKey, "", nil).problem(t, http.StatusNotFound)
	})
}
