package e2e

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/password"
)

func TestRegisterAndRead(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		name := h.name("Alice")
		age, email := 27, "alice@example.com"
		a := h.raw("POST", "/v1/players", "", "application/json",
			jsonBody(t, map[string]any{"name": name, "password": "correct-horse", "email": email, "age": age}))
		if a.status != http.StatusCreated {
			t.Fatalf("register: %d %s", a.status, a.body)
		}
		for _, secret := range []string{"password", "hash", "correct-horse", "argon2"} {
			if strings.Contains(string(a.body), secret) {
				t.Fatalf("the player JSON shows %q: %s", secret, a.body)
			}
		}
		p, err := h.admin.GetPlayer(ctx, strings.ToUpper(name))
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != name || p.Email != email || p.Age == nil || *p.Age != age || !p.CreatedAt.Equal(h.clock.Now()) || p.ID.Version() != 1 {
			t.Fatalf("player as read: %+v", p)
		}

		// Names are unique ignoring case.
		_, err = h.anon.CreatePlayer(ctx, client.NewPlayer{Name: strings.ToLower(name), Password: "another-password"})
		var e *client.Error
		if !errors.Is(err, gamedata.ErrConflict) || !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "name" {
			t.Fatalf("same name in other case: %v", err)
		}

		_, err = h.admin.GetPlayer(ctx, h.name("nobody"))
		if !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("unknown player: %v", err)
		}
	})
}

func TestRegisterRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		cases := []struct {
			body   map[string]any
			fields []string
		}{
			{map[string]any{"name": "has space", "password": "correct-horse"}, []string{"name"}},
			{map[string]any{"name": "ab", "password": "correct-horse"}, []string{"name"}},
			{map[string]any{"name": h.name("p"), "password": "short"}, []string{"password"}},
			{map[string]any{"name": h.name("p"), "password": "correct-horse", "email": "no-at-sign"}, []string{"email"}},
			{map[string]any{"name": h.name("p"), "password": "correct-horse", "phone": "call me"}, []string{"phone"}},
			{map[string]any{"name": h.name("p"), "password": "correct-horse", "age": 151}, []string{"age"}},
			{map[string]any{"name": h.name("p"), "password": "correct-horse", "age": -1}, []string{"age"}},
			{map[string]any{"name": h.name("p"), "password": "correct-horse", "age": "old"}, []string{"age"}},
			{map[string]any{"password": "correct-horse"}, []string{"name"}},
			{map[string]any{"name": h.name("p"), "password": "correct-horse", "pasword": "typo"}, []string{"pasword"}},
		}
		for _, c := range cases {
			h.raw("POST", "/v1/players", "", "application/json", jsonBody(t, c.body)).fields(t, c.fields...)
		}
	})
}

func TestSessionsAndOwnership(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		bob, _ := h.player("bob")

		// A session acts for its player, named in any case, and no other.
		if p, err := asAlice.GetPlayer(ctx, strings.ToUpper(alice)); err != nil || p.Name != alice {
			t.Fatalf("own player: %+v %v", p, err)
		}
		if _, err := asAlice.GetPlayer(ctx, bob); !client.IsForbidden(err) {
			t.Fatalf("other player: %v", err)
		}
		if _, err := asAlice.UpdatePlayer(ctx, bob, client.PlayerPatch{Age: ptr(30)}); !client.IsForbidden(err) {
			t.Fatalf("patch other player: %v", err)
		}

		// Wrong password and unknown name get the same answer.
		wrong := h.raw("POST", "/v1/sessions", "", "application/json", jsonBody(t, map[string]string{"name": alice, "password": "wrong-password"}))
		unknown := h.raw("POST", "/v1/sessions", "", "application/json", jsonBody(t, map[string]string{"name": h.name("ghost"), "password": "wrong-password"}))
		pw, pu := wrong.problem(t, 401), unknown.problem(t, 401)
		if !reflect.DeepEqual(pw, pu) || wrong.header.Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("wrong password %+v, unknown name %+v, WWW-Authenticate %q", pw, pu, wrong.header.Get("WWW-Authenticate"))
		}

		// Expiry: the token stops working once the TTL has passed.
		s, err := h.anon.Login(ctx, alice, "correct-horse-battery")
		if err != nil || !strings.HasPrefix(s.Token, gamedata.SessionPrefix) || !s.ExpiresAt.Equal(h.clock.Now().Add(24*time.Hour)) {
			t.Fatalf("login: %+v %v", s, err)
		}
		h.clock.Advance(24*time.Hour + time.Second)
		if _, err := h.anon.WithToken(s.Token).GetPlayer(ctx, alice); !client.IsUnauthorized(err) {
			t.Fatalf("expired session: %v", err)
		}
	})
}

func TestLogoutKillsTheTokenAtOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		if err := asAlice.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		a := h.raw("GET", "/v1/players/"+alice, asAlice.Token(), "", nil)
		a.problem(t, http.StatusUnauthorized)
		if a.header.Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("401 without WWW-Authenticate: Bearer: %v", a.header)
		}
		if err := h.admin.Logout(ctx); !client.IsForbidden(err) {
			t.Fatalf("logout with a server key: %v", err)
		}
	})
}

func TestUpdatePlayer(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		h.clock.Advance(time.Minute)
		// A player session changes the password only with the current one.
		for _, current := range []*string{nil, ptr("a-wrong-password")} {
			_, err := asAlice.UpdatePlayer(ctx, alice, client.PlayerPatch{Password: ptr("taken-over-password"), CurrentPassword: current})
			if !client.IsForbidden(err) {
				t.Fatalf("change the password with current_password %v: %v, want 403", current, err)
			}
		}
		if _, err := h.anon.Login(ctx, alice, "taken-over-password"); !client.IsUnauthorized(err) {
			t.Fatalf("the refused password works: %v", err)
		}
		p, err := asAlice.UpdatePlayer(ctx, alice, client.PlayerPatch{Email: ptr("a@example.com"), Age: ptr(30),
			Password: ptr("new-long-password"), CurrentPassword: ptr("correct-horse-battery")})
		if err != nil || p.Email != "a@example.com" || *p.Age != 30 || !p.UpdatedAt.Equal(h.clock.Now()) {
			t.Fatalf("patch: %+v %v", p, err)
		}
		if _, err := h.anon.Login(ctx, alice, "correct-horse-battery"); !client.IsUnauthorized(err) {
			t.Fatalf("old password after change: %v", err)
		}
		if _, err := h.anon.Login(ctx, alice, "new-long-password"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		// A server key resets it without the current one.
		if _, err := h.admin.UpdatePlayer(ctx, alice, client.PlayerPatch{Password: ptr("reset-by-the-server")}); err != nil {
			t.Fatalf("reset with a server key: %v", err)
		}
		if _, err := h.anon.Login(ctx, alice, "reset-by-the-server"); err != nil {
			t.Fatalf("the reset password: %v", err)
		}
		h.raw("PATCH", "/v1/players/"+alice, adminKey, "application/json", []byte(`{"email":"nope","phone":"call me"}`)).
			fields(t, "email", "phone")
		h.raw("PATCH", "/v1/players/"+alice, adminKey, "application/json", []byte(`{"password":"short"}`)).fields(t, "password")
		if _, err := h.admin.UpdatePlayer(ctx, h.name("ghost"), client.PlayerPatch{Age: ptr(3)}); !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("patch unknown player: %v", err)
		}
	})
}

func TestLoginUpgradesAWrappedV1Hash(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		sum := md5.Sum([]byte("v1-secret"))
		name := h.name("legacy")
		now := h.clock.Now()
		if err := h.store.CreatePlayer(ctx, gamedata.Player{
			ID: gamedata.NewID(now), Name: name, CreatedAt: now, UpdatedAt: now,
			PasswordHash: password.WrapMD5(hex.EncodeToString(sum[:])),
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.anon.Login(ctx, name, "v1-secret"); err != nil {
			t.Fatalf("login with the v1 password: %v", err)
		}
		p, err := h.store.GetPlayer(ctx, name)
		if err != nil || !strings.HasPrefix(p.PasswordHash, "$argon2id$") {
			t.Fatalf("hash after login: %q %v", p.PasswordHash, err)
		}
		if _, err := h.anon.Login(ctx, name, "v1-secret"); err != nil {
			t.Fatalf("login after the upgrade: %v", err)
		}
	})
}

func TestServerKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		secret := gamedata.NewSecret(gamedata.APIKeyPrefix)
		key := gamedata.APIKey{ID: gamedata.NewID(h.clock.Now()), Name: "match-server", Prefix: secret[:8],
			Hash: gamedata.HashSecret(secret), CreatedAt: h.clock.Now()}
		if err := h.store.CreateAPIKey(ctx, key); err != nil {
			t.Fatal(err)
		}
		server := h.client(secret)
		if _, err := server.GetPlayer(ctx, alice); err != nil {
			t.Fatalf("API key: %v", err)
		}
		if err := h.store.RevokeAPIKey(ctx, key.ID, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := server.GetPlayer(ctx, alice); !client.IsUnauthorized(err) {
			t.Fatalf("revoked API key: %v", err)
		}
		for _, token := range []string{"", "gdk_unknown", "gds_unknown", "something-else", adminKey + "x"} {
			h.raw("GET", "/v1/players/"+alice, token, "", nil).problem(t, http.StatusUnauthorized)
		}
		// Endpoints for server keys refuse a session.
		o, _, err := asAlice.CreateOrder(ctx, alice, client.NewOrder{Item: "sword", Amount: 1, Price: 100})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := asAlice.PayOrder(ctx, alice, o.ID); !client.IsForbidden(err) {
			t.Fatalf("session pays: %v", err)
		}
		if _, err := asAlice.AppendEvents(ctx, []client.NewEvent{{Player: alice, Type: "x"}}); !client.IsForbidden(err) {
			t.Fatalf("session logs events: %v", err)
		}
		if err := asAlice.PutMeta(ctx, "shop", map[string]int{"a": 1}); !client.IsForbidden(err) {
			t.Fatalf("session writes metadata: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestLookAlikeNamesCannotRegister: a full-width copy of a name, or its
// decomposed accents, is the same name (409); a Latin name with a Cyrillic
// letter is refused (400).
func TestLookAlikeNamesCannotRegister(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		name := h.name("ecole")
		wide := []rune{}
		for _, r := range name {
			wide = append(wide, r+0xFEE0) // the full-width form of an ASCII character
		}
		register := func(n string) answer {
			return h.raw("POST", "/v1/players", "", "application/json", jsonBody(t, map[string]string{"name": n, "password": "correct-horse"}))
		}
		if a := register("é" + name); a.status != http.StatusCreated {
			t.Fatalf("register é%s: %d %s", name, a.status, a.body)
		}
		register("e\u0301"+name).problem(t, http.StatusConflict)
		register("é"+string(wide)).problem(t, http.StatusConflict)
		register("\u0430"+name).fields(t, "name") // Cyrillic a
		// The decomposed spelling finds the player too.
		if a := h.raw("GET", "/v1/players/e\u0301"+name, adminKey, "", nil); a.status != http.StatusOK {
			t.Errorf("GET by the decomposed name: %d %s", a.status, a.body)
		}
	})
}
