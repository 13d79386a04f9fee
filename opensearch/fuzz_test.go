package opensearch

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// FuzzPageToken: a page token from a request is refused with ErrInvalid or
// read as the cursor it encodes, never a panic.
func FuzzPageToken(f *testing.F) {
	f.Add("")
	f.Add(cursor{at: 1, id: uuid.New()}.token())
	f.Add("____")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := parseToken(token)
		switch {
		case err != nil && !errors.Is(err, gamedata.ErrInvalid):
			t.Fatalf("parseToken(%q): %v, not ErrInvalid", token, err)
		case err == nil && c.token() != token:
			t.Fatalf("parseToken(%q) reads back as %q", token, c.token())
		}
	})
}
