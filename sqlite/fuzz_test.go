package sqlite

import (
	"errors"
	"testing"

	"github.com/gamedata-dev/gamedata"
)

// FuzzPageToken: a page token from a request is refused with ErrInvalid or
// read as the cursor it encodes, never a panic.
func FuzzPageToken(f *testing.F) {
	f.Add("")
	f.Add(top.token())
	f.Add(cursor{at: 42, id: make([]byte, 16)}.token())
	f.Add("%%%")
	f.Add("AAAA")
	f.Add("\r" + cursor{at: 42, id: make([]byte, 16)}.token())
	f.Fuzz(func(t *testing.T, token string) {
		c, err := parseToken(token)
		switch {
		case err != nil && !errors.Is(err, gamedata.ErrInvalid):
			t.Fatalf("parseToken(%q): %v, not ErrInvalid", token, err)
		case err == nil && token != "" && c.token() != token:
			t.Fatalf("parseToken(%q) reads back as %q", token, c.token())
		}
	})
}
