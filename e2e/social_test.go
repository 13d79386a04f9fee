package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/client"
)

func TestFriends(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("Alice")
		bob, asBob := h.player("Bob")
		carol, _ := h.player("Carol")
		for _, other := range []string{bob, strings.ToUpper(carol)} {
			h.clock.Advance(time.Millisecond) // each friendship its own time: the list's order
			if err := asAlice.AddFriend(ctx, alice, other); err != nil {
				t.Fatalf("alice befriends %s: %v", other, err)
			}
		}
		// Twice is once.
		if err := asBob.AddFriend(ctx, bob, alice); err != nil {
			t.Fatalf("bob befriends alice again: %v", err)
		}
		want := func(who string, as *client.Client, names ...string) {
			t.Helper()
			got, err := as.ListFriends(ctx, who, client.PageOptions{})
			if err != nil {
				t.Fatalf("friends of %s: %v", who, err)
			}
			if !slices.Equal(got.Items, names) || got.Count != len(names) || got.NextPageToken != "" {
				t.Errorf("friends of %s: %v (count %d), want %v", who, got.Items, got.Count, names)
			}
		}
		want(alice, asAlice, carol, bob)
		want(bob, asBob, alice)
		want(carol, h.admin, alice)

		// Bob ends it for both.
		if err := asBob.RemoveFriend(ctx, bob, alice); err != nil {
			t.Fatalf("bob unfriends alice: %v", err)
		}
		want(alice, asAlice, carol)
		want(bob, asBob)
		if err := asBob.RemoveFriend(ctx, bob, alice); err != nil {
			t.Errorf("unfriend again: %v", err)
		}

		// The rules, each a clear problem.
		h.raw(http.MethodPut, "/v1/players/"+alice+"/friends/"+strings.ToLower(alice), asAlice.Token(), "", nil).problem(t, http.StatusBadRequest)
		h.raw(http.MethodPut, "/v1/players/"+alice+"/friends/"+h.name("Ghost"), asAlice.Token(), "", nil).problem(t, http.StatusNotFound)
		h.raw(http.MethodPut, "/v1/players/"+h.name("Ghost")+"/friends/"+alice, adminKey, "", nil).problem(t, http.StatusNotFound)
		h.raw(http.MethodGet, "/v1/players/"+h.name("Ghost")+"/friends", adminKey, "", nil).problem(t, http.StatusNotFound)
		// A player acts only for itself.
		h.raw(http.MethodPut, "/v1/players/"+bob+"/friends/"+carol, asAlice.Token(), "", nil).problem(t, http.StatusForbidden)
		h.raw(http.MethodDelete, "/v1/players/"+carol+"/friends/"+alice, asBob.Token(), "", nil).problem(t, http.StatusForbidden)
		h.raw(http.MethodGet, "/v1/players/"+alice+"/friends", asBob.Token(), "", nil).problem(t, http.StatusForbidden)
		h.raw(http.MethodGet, "/v1/players/"+alice+"/friends", "", "", nil).problem(t, http.StatusUnauthorized)
		want(carol, h.admin, alice)
	})
}

func TestFriendsPaging(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		hub, _ := h.player("Hub")
		var added []string
		for i := range 7 {
			other := h.name(fmt.Sprintf("Fan%d", i))
			if _, err := h.anon.CreatePlayer(ctx, client.NewPlayer{Name: other, Password: "correct-horse-battery"}); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(time.Millisecond)
			if err := h.admin.AddFriend(ctx, other, hub); err != nil {
				t.Fatal(err)
			}
			added = append(added, other)
		}
		slices.Reverse(added)
		var got []string
		opt := client.PageOptions{Limit: 3}
		for range 5 {
			page, err := h.admin.ListFriends(ctx, hub, opt)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page.Items...)
			if page.NextPageToken == "" {
				break
			}
			opt.Token = page.NextPageToken
		}
		if !slices.Equal(got, added) {
			t.Errorf("pages of 3: %v, want %v", got, added)
		}
		h.raw(http.MethodGet, "/v1/players/"+hub+"/friends?page_token=nope", adminKey, "", nil).problem(t, http.StatusBadRequest)
	})
}

func TestInterests(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("Alice")
		bob, _ := h.player("Bob")
		got, err := asAlice.GetInterests(ctx, alice)
		if err != nil || got.Tags == nil || len(got.Tags) != 0 {
			t.Fatalf("interests never set: %v, %v (want [])", got.Tags, err)
		}
		set, err := asAlice.SetInterests(ctx, alice, []string{" RPG ", "Strategy", "rpg", "co-op"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"co-op", "rpg", "strategy"}
		if !slices.Equal(set.Tags, want) {
			t.Errorf("set answered %v, want %v", set.Tags, want)
		}
		if got, _ := h.admin.GetInterests(ctx, alice); !slices.Equal(got.Tags, want) {
			t.Errorf("read %v, want %v", got.Tags, want)
		}
		path := "/v1/players/" + alice + "/interests"
		h.raw(http.MethodPut, path, asAlice.Token(), "application/json", jsonBody(t, map[string]any{"tags": []string{"ok", "  "}})).fields(t, "tags[1]")
		h.raw(http.MethodPut, path, asAlice.Token(), "application/json", jsonBody(t, map[string]any{"tags": []string{strings.Repeat("x", 33)}})).fields(t, "tags[0]")
		many := make([]string, 33)
		for i := range many {
			many[i] = fmt.Sprintf("tag%d", i)
		}
		h.raw(http.MethodPut, path, asAlice.Token(), "application/json", jsonBody(t, map[string]any{"tags": many})).fields(t, "tags")
		h.raw(http.MethodPut, "/v1/players/"+bob+"/interests", asAlice.Token(), "application/json", jsonBody(t, map[string]any{"tags": []string{"rpg"}})).problem(t, http.StatusForbidden)
		h.raw(http.MethodGet, "/v1/players/"+bob+"/interests", asAlice.Token(), "", nil).problem(t, http.StatusForbidden)
		h.raw(http.MethodPut, "/v1/players/"+h.name("Ghost")+"/interests", adminKey, "application/json", jsonBody(t, map[string]any{"tags": []string{"rpg"}})).problem(t, http.StatusNotFound)
		// Nothing of the refused writes was kept.
		if got, _ := h.admin.GetInterests(ctx, alice); !slices.Equal(got.Tags, want) {
			t.Errorf("after refused writes: %v, want %v", got.Tags, want)
		}
	})
}
