package cassandra

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// FuzzPageToken: a page token from a request is refused with ErrInvalid, or
// read as a cursor of its list whose id Cassandra can bind (a timeuuid).
func FuzzPageToken(f *testing.F) {
	id := uuid.Must(uuid.NewUUID())
	f.Add("")
	f.Add(cursor{bucket: 3, id: id}.token(ordersList))
	f.Add(cursor{bucket: -1, id: id}.token(eventsList))
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("%%")
	f.Fuzz(func(t *testing.T, token string) {
		for _, k := range []listKind{ordersList, inboxList, eventsList} {
			c, ok, err := parseToken(k, token)
			switch {
			case err != nil && !errors.Is(err, gamedata.ErrInvalid):
				t.Fatalf("parseToken(%d, %q): %v, not ErrInvalid", k, token, err)
			case ok && !isTimeUUID(c.id):
				t.Fatalf("parseToken(%d, %q) took an id that is no timeuuid: %s", k, token, c.id)
			}
		}
	})
}
