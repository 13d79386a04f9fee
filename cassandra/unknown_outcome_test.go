package cassandra_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/storetest"
)

// A write the replicas did not all acknowledge in time, or a Paxos round
// of unknown outcome, is ErrUnknownOutcome, not ErrUnavailable: it may
// commit.
func TestWriteTimeoutsAreUnknownOutcomes(t *testing.T) {
	s, f := openFaulty(t, storetest.NewClock(time.Now().Truncate(time.Millisecond)))
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, c := range []struct {
		name string
		err  error
	}{{"cas-unknown", casUnknown}, {"cas-timeout", casTimeout}} {
		p := gamedata.Player{ID: gamedata.NewID(now), Name: fresh("Fault"),
			PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
		f.arm("INSERT INTO players", c.err)
		err := s.CreatePlayer(ctx, p)
		if !errors.Is(err, gamedata.ErrUnknownOutcome) || errors.Is(err, gamedata.ErrUnavailable) {
			t.Errorf("%s: CreatePlayer answered %v, want ErrUnknownOutcome alone", c.name, err)
		}
		if _, err := s.GetPlayer(ctx, p.Name); err != nil {
			t.Errorf("%s: the write reached Cassandra, yet: %v", c.name, err)
		}
	}
	f.arm("INSERT INTO messages_inbox", batchTimeout)
	m := gamedata.Message{ID: gamedata.NewID(now), From: "a", To: "b", Text: "hi", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.SendMessage(ctx, m); !errors.Is(err, gamedata.ErrUnknownOutcome) {
		t.Errorf("SendMessage with a batch timeout: %v, want ErrUnknownOutcome", err)
	}
}

// fresh is a player name no other test uses.
func fresh(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return prefix + "_" + hex.EncodeToString(b)
}

// faultyAPI is the API over a store whose writes can be made to time out
// after they reached Cassandra.
type faultyAPI struct {
	t      *testing.T
	url    string
	faults *faults
}

const faultAdminKey = "fault-test-admin-key-0123"

func newFaultyAPI(t *testing.T) *faultyAPI {
	s, f := openFaulty(t, gamedata.SystemClock{})
	srv, err := api.New(api.Config{Store: s, Registry: prometheus.NewRegistry(), AdminKey: faultAdminKey})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &faultyAPI{t: t, url: hs.URL, faults: f}
}

type reply struct {
	status int
	body   []byte
}

func (a *faultyAPI) do(method, path, key string, body any) reply {
	a.t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			a.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, a.url+path, bytes.NewReader(b))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+faultAdminKey)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return reply{resp.StatusCode, out}
}

// unknown checks that r is the 504 of an unknown outcome.
func (a *faultyAPI) unknown(what string, r reply) {
	a.t.Helper()
	var p struct{ Type string }
	if err := json.Unmarshal(r.body, &p); err != nil || r.status != http.StatusGatewayTimeout ||
		p.Type != "urn:gamedata:problem:unknown-outcome" {
		a.t.Fatalf("%s with a timeout after the write: %d %s, want the 504 of an unknown outcome", what, r.status, r.body)
	}
}

// decode reads r's body, which must have status want.
func decode[T any](t *testing.T, what string, r reply, want int) T {
	t.Helper()
	var v T
	if r.status != want {
		t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, want)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("%s: %s: %v", what, r.body, err)
	}
	return v
}

// Each POST that creates or pays times out after its write reached
// Cassandra (a fault-injecting Executor, as Temporal's persistence tests
// do): the client gets a 504, retries with the same Idempotency-Key, and
// gets the first call's result: the one player, order, payment, message or
// events that call wrote, never a 409 for its own success, never a second
// copy. A retry after that replays the same answer.
func TestRetryAfterAnUnknownOutcomeGetsTheFirstResult(t *testing.T) {
	a := newFaultyAPI(t)
	retry := func(what, method, path, key string, body any, want int) reply {
		t.Helper()
		r := a.do(method, path, key, body)
		if r.status != want {
			t.Fatalf("%s, retried with its key: %d %s, want %d", what, r.status, r.body, want)
		}
		if again := a.do(method, path, key, body); again.status != r.status || !bytes.Equal(again.body, r.body) {
			t.Errorf("%s, retried again: %d %s, want %d %s", what, again.status, again.body, r.status, r.body)
		}
		return r
	}

	name := fresh("Dana")
	reg := map[string]any{"name": name, "password": "correct-horse-battery"}
	a.faults.arm("INSERT INTO players", casUnknown)
	a.unknown("register", a.do(http.MethodPost, "/v1/players", "reg", reg))
	player := decode[gamedata.Player](t, "register", retry("register", http.MethodPost, "/v1/players", "reg", reg, http.StatusCreated), http.StatusCreated)
	stored := decode[gamedata.Player](t, "read the player", a.do(http.MethodGet, "/v1/players/"+name, "", nil), http.StatusOK)
	if stored.ID != player.ID {
		t.Errorf("the retry answered player %s, the store holds %s", player.ID, stored.ID)
	}
	// Without a key the retry cannot tell its own write from another's.
	other := map[string]any{"name": name + "x", "password": "correct-horse-battery"}
	a.faults.arm("INSERT INTO players", casUnknown)
	a.unknown("register without a key", a.do(http.MethodPost, "/v1/players", "", other))
	if r := a.do(http.MethodPost, "/v1/players", "", other); r.status != http.StatusConflict {
		t.Errorf("a retry without a key: %d %s, want the 409 the key avoids", r.status, r.body)
	}

	orders := "/v1/players/" + name + "/orders"
	order := map[string]any{"item": "sword", "amount": 1, "price": "9.99"}
	a.faults.arm("INSERT INTO order_keys", casUnknown)
	a.unknown("order", a.do(http.MethodPost, orders, "order", order))
	o := decode[gamedata.Order](t, "order", retry("order", http.MethodPost, orders, "order", order, http.StatusCreated), http.StatusCreated)
	list := decode[struct{ Items []gamedata.Order }](t, "list orders", a.do(http.MethodGet, orders, "", nil), http.StatusOK)
	if len(list.Items) != 1 || list.Items[0].ID != o.ID {
		t.Errorf("orders after an order and its retries: %+v, want the one order %s", list.Items, o.ID)
	}

	pay := orders + "/" + o.ID.String() + "/pay"
	a.faults.arm("UPDATE orders SET status", casTimeout)
	a.unknown("pay", a.do(http.MethodPost, pay, "pay", nil))
	if paid := decode[gamedata.Order](t, "pay", retry("pay", http.MethodPost, pay, "pay", nil, http.StatusOK), http.StatusOK); paid.Status != gamedata.OrderPaid {
		t.Errorf("the retried payment answered %+v", paid)
	}
	if r := a.do(http.MethodPost, pay, "pay-again", nil); r.status != http.StatusConflict {
		t.Errorf("another payment: %d %s, want 409", r.status, r.body)
	}

	msg := map[string]any{"from": name, "to": name, "text": "a note to self"}
	a.faults.arm("INSERT INTO messages_inbox", batchTimeout)
	a.unknown("message", a.do(http.MethodPost, "/v1/messages", "msg", msg))
	m := decode[gamedata.Message](t, "message", retry("message", http.MethodPost, "/v1/messages", "msg", msg, http.StatusCreated), http.StatusCreated)
	inbox := decode[struct{ Items []gamedata.Message }](t, "inbox", a.do(http.MethodGet, "/v1/players/"+name+"/inbox", "", nil), http.StatusOK)
	if len(inbox.Items) != 1 || inbox.Items[0].ID != m.ID {
		t.Errorf("inbox after a message and its retries: %+v, want the one message %s", inbox.Items, m.ID)
	}

	events := map[string]any{"events": []map[string]any{{"player": name, "type": "login"}, {"player": name, "type": "logout"}}}
	a.faults.arm("INSERT INTO events", batchTimeout)
	a.unknown("events", a.do(http.MethodPost, "/v1/events", "events", events))
	retry("events", http.MethodPost, "/v1/events", "events", events, http.StatusAccepted)
	logged := decode[struct{ Items []gamedata.Event }](t, "events", a.do(http.MethodGet, "/v1/players/"+name+"/events", "", nil), http.StatusOK)
	if len(logged.Items) != 2 {
		t.Errorf("%d events after two events and their retries, want 2", len(logged.Items))
	}
}
