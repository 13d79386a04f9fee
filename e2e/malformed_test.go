package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestMalformedInputIsNever500 sends every endpoint that takes input a table
// of broken requests: each must get a 4xx problem, and a 400 must name at
// least one field.
func TestMalformedInputIsNever500(t *testing.T) {
	bodies := map[string]string{
		"empty":             ``,
		"whitespace":        "  \n ",
		"truncated":         `{"name":"x`,
		"not json":          `name=alice&password=x`,
		"array":             `[1,2,3]`,
		"string":            `"hello"`,
		"null":              `null`,
		"two documents":     `{} {}`,
		"trailing comma":    `{"a":1,}`,
		"invalid utf-8":     "{\"name\":\"\xff\xfe\",\"text\":\"\xc3\x28\",\"item\":\"\xed\xa0\x80\"}",
		"invalid utf-8 key": "{\"\xff\":1}",
		"huge number":       `{"amount":1e400,"age":1e400,"limit":1e400}`,
		"big integer":       `{"amount":123456789012345678901234567890,"age":99999999999999999999}`,
		"negative":          `{"amount":-1,"age":-5}`,
		"wrong types":       `{"name":1,"password":true,"email":[],"phone":{},"age":"x","item":7,"price":4.99,"text":null,"from":3,"to":false,"events":"x"}`,
		"nested events":     `{"events":[1,"x",null,{"player":[],"type":{},"at":5,"data":"x"}]}`,
		"deep nesting":      strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000),
		"nul bytes":         "{\"name\":\"a\\u0000b\",\"password\":\"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\"}",
		"lone surrogate":    `{"name":"\ud800abc","text":"\udfff"}`,
	}
	eachBackend(t, func(t *testing.T, h *harness) {
		alice, asAlice := h.player("alice")
		targets := []struct{ method, path, token string }{
			{"POST", "/v1/players", ""},
			{"POST", "/v1/sessions", ""},
			{"PATCH", "/v1/players/" + alice, adminKey},
			{"POST", "/v1/players/" + alice + "/orders", asAlice.Token()},
			{"POST", "/v1/messages", adminKey},
			{"POST", "/v1/events", adminKey},
			{"PUT", "/v1/meta/k", adminKey},
		}
		for _, tg := range targets {
			for what, body := range bodies {
				a := h.raw(tg.method, tg.path, tg.token, "application/json", []byte(body))
				if a.status < 400 || a.status > 499 {
					if tg.path == "/v1/meta/k" && a.status == 200 {
						continue // any JSON is a document: the valid ones are stored
					}
					t.Errorf("%s %s with %s: %d %s", tg.method, tg.path, what, a.status, a.body)
					continue
				}
				p := a.problem(t, a.status)
				if a.status == http.StatusBadRequest && len(p.Errors) == 0 {
					t.Errorf("%s %s with %s: 400 without field errors: %s", tg.method, tg.path, what, a.body)
				}
			}
		}

		// Paths and queries.
		for _, path := range []string{
			"/v1/players/" + alice + "/orders/not-a-uuid",
			"/v1/players/" + alice + "/orders/00000000-0000-0000-0000-00000000000g",
			"/v1/players/" + alice + "/orders/%ff%fe",
			"/v1/players/%ff%fe",
			"/v1/players/" + strings.Repeat("x", 300),
			"/v1/players/" + alice + "/orders?limit=-1",
			"/v1/players/" + alice + "/orders?limit=99999999999999999999",
			"/v1/players/" + alice + "/orders?page_token=%ff",
			"/v1/players/" + alice + "/orders?page_token=" + strings.Repeat("A", 5000),
			"/v1/players/" + alice + "/inbox?page_token=eyJ4IjoxfQ",
			"/v1/players/" + alice + "/sent?limit=1.5",
			"/v1/players/" + alice + "/conversations/%00?limit=abc",
			"/v1/players/" + alice + "/events?from=2026-01-01&to=x",
			"/v1/players/" + alice + "/events?from=99999-01-01T00:00:00Z",
			"/v1/meta/%ff",
		} {
			a := h.raw("GET", path, adminKey, "", nil)
			if a.status >= 500 || a.status < 400 {
				t.Errorf("GET %s: %d %s", path, a.status, a.body)
				continue
			}
			a.problem(t, a.status)
		}

		// A body over 1 MiB is refused whole.
		big := `{"events":[{"player":"` + alice + `","type":"t","data":{"x":"` + strings.Repeat("y", 1<<20) + `"}}]}`
		h.raw("POST", "/v1/events", adminKey, "application/json", []byte(big)).problem(t, http.StatusRequestEntityTooLarge)
		// Another content type is refused, not guessed at.
		a := h.raw("POST", "/v1/players", "", "text/plain", []byte(`{"name":"abc","password":"correct-horse"}`))
		if a.status < 400 || a.status > 499 {
			t.Fatalf("text/plain body: %d %s", a.status, a.body)
		}
	})
}

// TestBodiesAreReadStrictly: each field has one spelling, given once; a field
// the request does not have is refused; the answer says which field and why
// in the API's words (never Go's), and nothing is stored.
func TestBodiesAreReadStrictly(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		alice, _ := h.player("alice")
		long := strings.Repeat("x", 5000)
		for _, c := range []struct {
			what, method, path, body, field string
		}{
			{"a key in another case beside the field", "POST", "/v1/events",
				`{"events":[{"player":"` + alice + `","PLAYER":"` + long + `","type":"t"}]}`, "events[0].PLAYER"},
			{"only a key in another case", "POST", "/v1/events",
				`{"events":[{"Player":"` + long + `","type":"t"}]}`, "events[0]"},
			{"a field given twice", "POST", "/v1/players/" + alice + "/orders",
				`{"item":"a","amount":1,"price":"1.00","item":"b"}`, "item"},
			{"an unknown field", "POST", "/v1/players/" + alice + "/orders",
				`{"item":"a","amount":1,"price":"1.00","discount":"100"}`, "discount"},
			{"an integer written 1.0", "POST", "/v1/players/" + alice + "/orders",
				`{"item":"a","amount":1.0,"price":"1.00"}`, "amount"},
			{"a name in another case", "POST", "/v1/players",
				`{"name":"bob_strict","password":"correct-horse","NAME":"` + long + `"}`, "NAME"},
		} {
			a := h.raw(c.method, c.path, adminKey, "application/json", []byte(c.body))
			p := a.problem(t, http.StatusBadRequest)
			found := false
			for _, f := range p.Errors {
				found = found || strings.HasPrefix(f.Field, c.field)
				for _, goWords := range []string{"Go ", "unmarshal", "json:", "struct"} {
					if strings.Contains(f.Message, goWords) {
						t.Errorf("%s: a message in Go's words: %q", c.what, f.Message)
					}
				}
			}
			if !found {
				t.Errorf("%s: errors %+v do not name %s", c.what, p.Errors, c.field)
			}
		}
		events := h.raw("GET", "/v1/players/"+alice+"/events", adminKey, "", nil)
		if events.status != http.StatusOK || !strings.Contains(string(events.body), `"items":[]`) {
			t.Errorf("events of %s after refused bodies: %d %s", alice, events.status, events.body)
		}
		orders := h.raw("GET", "/v1/players/"+alice+"/orders", adminKey, "", nil)
		if orders.status != http.StatusOK || !strings.Contains(string(orders.body), `"items":[]`) {
			t.Errorf("orders of %s after refused bodies: %d %s", alice, orders.status, orders.body)
		}
	})
}
