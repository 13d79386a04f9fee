package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
)

func TestMetadata(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		key := h.name("shop")
		doc := json.RawMessage(`{"items": [{"id": "sword", "price": "4.99"}], "ok": true}`)
		if err := h.admin.PutMeta(ctx, key, doc); err != nil {
			t.Fatal(err)
		}
		got, err := h.anon.GetMeta(ctx, key)
		if err != nil || !jsonEqual(t, got, doc) {
			t.Fatalf("read back %s, %v; want %s", got, err, doc)
		}
		// A write is visible at once; any JSON is a document.
		for _, next := range []string{`[1, 2, 3]`, `"just a string"`, `42`, `{"nested": {"deep": [null, false]}}`} {
			if err := h.admin.PutMeta(ctx, key, json.RawMessage(next)); err != nil {
				t.Fatal(err)
			}
			if got, err := h.anon.GetMeta(ctx, key); err != nil || !jsonEqual(t, got, json.RawMessage(next)) {
				t.Fatalf("after writing %s read %s, %v", next, got, err)
			}
		}
		if _, err := h.anon.GetMeta(ctx, h.name("nothing")); !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("unknown key: %v", err)
		}
		if err := h.anon.PutMeta(ctx, key, doc); !client.IsUnauthorized(err) {
			t.Fatalf("write without a key: %v", err)
		}

		// 256 KiB is the limit of a document.
		big := []byte(`{"blob":"` + strings.Repeat("x", 256<<10) + `"}`)
		if err := h.admin.PutMeta(ctx, key, json.RawMessage(big)); !client.IsTooLarge(err) {
			t.Fatalf("a document over 256 KiB: %v", err)
		}
		h.raw("PUT", "/v1/meta/"+key, adminKey, "application/json", big).problem(t, http.StatusRequestEntityTooLarge)
		fits := []byte(`{"blob":"` + strings.Repeat("x", 256<<10-12) + `"}`)
		if err := h.admin.PutMeta(ctx, key, json.RawMessage(fits)); err != nil {
			t.Fatalf("a document of %d bytes: %v", len(fits), err)
		}
		h.raw("PUT", "/v1/meta/"+key, adminKey, "application/json", []byte(`{"open":`)).fields(t, "body")
		h.raw("PUT", "/v1/meta/bad%20key", adminKey, "application/json", []byte(`{}`)).fields(t, "key")
		h.raw("PUT", "/v1/meta/"+strings.Repeat("k", 129), adminKey, "application/json", []byte(`{}`)).fields(t, "key")
	})
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var ca, cb bytes.Buffer
	if err := json.Compact(&ca, a); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Compact(&cb, b); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
