package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
)

// post sends body as JSON with key as its Idempotency-Key ("" for none).
func (h *harness) post(path, token, key string, body any) answer {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+path, bytes.NewReader(jsonBody(h.t, body)))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// same fails unless retry answered exactly what first did.
func same(t *testing.T, what string, first, retry answer) {
	t.Helper()
	if retry.status != first.status || !bytes.Equal(retry.body, first.body) {
		t.Errorf("%s: the retry answered %d %s\nthe first call %d %s", what, retry.status, retry.body, first.status, first.body)
	}
}

// A retry with the same Idempotency-Key answers what the first call
// answered, status and body, for every POST that creates or pays; never a
// 409 for its own success, never a second copy.
func TestIdempotencyKeyRetriesAnswerTheFirstCall(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		bob, _ := h.player("bob")

		name := h.name("carol")
		reg := map[string]any{"name": name, "password": "correct-horse-battery", "email": "carol@example.com"}
		first := h.post("/v1/players", "", "reg-1", reg)
		if first.status != http.StatusCreated {
			t.Fatalf("register: %d %s", first.status, first.body)
		}
		same(t, "register", first, h.post("/v1/players", "", "reg-1", reg))
		other := map[string]any{"name": name, "password": "correct-horse-battery", "email": "other@example.com"}
		if p := h.post("/v1/players", "", "reg-1", other).problem(t, http.StatusUnprocessableEntity); p.Type != "urn:gamedata:problem:idempotency-key-reused" {
			t.Errorf("a key reused for another registration: type %q", p.Type)
		}
		// A refusal is an answer too: replayed as it was.
		taken := h.post("/v1/players", "", "reg-2", reg)
		taken.problem(t, http.StatusConflict)
		same(t, "register a taken name", taken, h.post("/v1/players", "", "reg-2", reg))

		order := map[string]any{"item": "gem", "amount": 2, "price": "1.50"}
		path := "/v1/players/" + alice + "/orders"
		first = h.post(path, asAlice.Token(), "order-1", order)
		if first.status != http.StatusCreated {
			t.Fatalf("order: %d %s", first.status, first.body)
		}
		same(t, "order", first, h.post(path, asAlice.Token(), "order-1", order))
		both := map[string]any{"item": "gem", "amount": 2, "price": "1.50", "idempotency_key": "order-2"}
		firstBoth := h.post(path, asAlice.Token(), "order-2", both)
		if firstBoth.status != http.StatusCreated {
			t.Fatalf("order with the header and the field: %d %s", firstBoth.status, firstBoth.body)
		}
		same(t, "order with the header and the field", firstBoth, h.post(path, asAlice.Token(), "order-2", both))
		h.post(path, asAlice.Token(), "order-3", both).fields(t, "idempotency_key")
		orders, err := asAlice.ListOrders(ctx, alice, client.PageOptions{})
		if err != nil || len(orders.Items) != 2 {
			t.Fatalf("%d orders after two orders and their retries, want 2: %v", len(orders.Items), err)
		}

		var o gamedata.Order
		if err := json.Unmarshal(first.body, &o); err != nil {
			t.Fatal(err)
		}
		pay := "/v1/players/" + alice + "/orders/" + o.ID.String() + "/pay"
		paid := h.post(pay, adminKey, "pay-1", nil)
		if paid.status != http.StatusOK {
			t.Fatalf("pay: %d %s", paid.status, paid.body)
		}
		same(t, "pay", paid, h.post(pay, adminKey, "pay-1", nil))
		h.post(pay, adminKey, "pay-2", nil).problem(t, http.StatusConflict) // another payment

		msg := map[string]any{"from": alice, "to": bob, "text": "hello once"}
		first = h.post("/v1/messages", asAlice.Token(), "msg-1", msg)
		if first.status != http.StatusCreated {
			t.Fatalf("message: %d %s", first.status, first.body)
		}
		same(t, "message", first, h.post("/v1/messages", asAlice.Token(), "msg-1", msg))
		// Keys are the caller's own: the server's key is another one.
		if again := h.post("/v1/messages", adminKey, "msg-1", msg); again.status != http.StatusCreated || bytes.Equal(again.body, first.body) {
			t.Errorf("the same key from another caller: %d %s, want a message of its own", again.status, again.body)
		}
		sent, err := asAlice.Sent(ctx, alice, client.PageOptions{})
		if err != nil || len(sent.Items) != 2 {
			t.Fatalf("%d messages sent, want 2 (one per caller): %v", len(sent.Items), err)
		}

		at := h.clock.Now().Add(-time.Minute)
		events := map[string]any{"events": []map[string]any{
			{"player": alice, "type": "login", "at": at},
			{"player": alice, "type": "play", "at": at.Add(time.Second), "data": map[string]any{"item": "chess", "hours": 1}},
		}}
		first = h.post("/v1/events", adminKey, "events-1", events)
		if first.status != http.StatusAccepted {
			t.Fatalf("events: %d %s", first.status, first.body)
		}
		same(t, "events", first, h.post("/v1/events", adminKey, "events-1", events))
		logged, err := h.admin.ListEvents(ctx, alice, gamedata.EventRange{}, client.PageOptions{})
		if err != nil || len(logged.Items) != 2 {
			t.Fatalf("%d events after two events and their retry, want 2: %v", len(logged.Items), err)
		}

		h.post("/v1/messages", asAlice.Token(), strings.Repeat("k", 65), msg).fields(t, "Idempotency-Key")
	})
}
