package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// never is the stored expiry of what never expires (a zero ExpiresAt), so
// that every read filters with a plain expires > now.
const never = math.MaxInt64

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func expiry(t time.Time) int64 {
	if t.IsZero() {
		return never
	}
	return t.UnixNano()
}

// unixNanos scans a time column into a time.Time: (*unixNanos)(&t).
type unixNanos time.Time

func (t *unixNanos) Scan(src any) error {
	n, ok := src.(int64)
	if !ok {
		return fmt.Errorf("a time column holds %T, not INTEGER", src)
	}
	*t = unixNanos(fromNanos(n))
	return nil
}

// expiresNanos scans an expires column: never becomes the zero time.
type expiresNanos time.Time

func (t *expiresNanos) Scan(src any) error {
	if n, ok := src.(int64); ok && n == never {
		*t = expiresNanos{}
		return nil
	}
	return (*unixNanos)(t).Scan(src)
}

// now is the :now parameter of the reads that skip what has expired.
func (s *Store) now() sql.NamedArg { return sql.Named("now", nanos(s.clock.Now())) }

// blob is how ids are bound: 16 bytes (uuid.UUID's own Value is a string).
func blob(id uuid.UUID) []byte { return id[:] }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// cursor is the sort key of a list item, (time, id); lists are newest first
// and the next page starts below the last item's cursor.
type cursor struct {
	at int64
	id []byte
}

// cursorLen is the size of an encoded cursor: 8 bytes of time, 16 of id.
const cursorLen = 8 + 16

// top is above every cursor: the start of the first page.
var top = cursor{at: math.MaxInt64, id: bytes.Repeat([]byte{0xff}, 16)}

// below reports whether c sorts before d.
func (c cursor) below(d cursor) bool {
	return c.at < d.at || (c.at == d.at && bytes.Compare(c.id, d.id) < 0)
}

func (c cursor) token() string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, cursorLen), uint64(c.at))
	return base64.RawURLEncoding.EncodeToString(append(b, c.id...))
}

func parseToken(token string) (cursor, error) {
	if token == "" {
		return top, nil
	}
	b, ok := gamedata.DecodeToken(token)
	if !ok || len(b) != cursorLen {
		return cursor{}, gamedata.Invalid("page_token", "is not a page token of this list")
	}
	return cursor{at: int64(binary.BigEndian.Uint64(b)), id: b[8:]}, nil
}

// list runs a keyset-paged query and returns one page. stmt selects items
// newest first with (time, id) < (:at, :id), at most :limit rows; args are
// its other parameters. ceil bounds the whole list from above (top for no
// bound): folded into the cursor, it leaves the index one range to scan.
// scan reads one row, key gives an item's cursor.
func list[T any](ctx context.Context, s *Store, op string, stmt *sql.Stmt, p gamedata.PageRequest, ceil cursor,
	scan func(scanner) (T, error), key func(T) cursor, args ...any,
) (gamedata.Page[T], error) {
	var page gamedata.Page[T]
	c, err := parseToken(p.Token)
	if err != nil {
		return page, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if ceil.below(c) {
		c = ceil
	}
	limit := p.PageLimit()
	// One row more than the page tells whether there is a next page.
	args = append(args, sql.Named("at", c.at), sql.Named("id", c.id), sql.Named("limit", limit+1))
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return page, s.fail(op, err)
	}
	defer rows.Close()
	page.Items = make([]T, 0, min(limit, 64))
	for rows.Next() {
		if len(page.Items) == limit {
			page.NextToken = key(page.Items[limit-1]).token()
			break
		}
		item, err := scan(rows)
		if err != nil {
			return page, s.fail(op, err)
		}
		page.Items = append(page.Items, item)
	}
	if err := rows.Err(); err != nil {
		return page, s.fail(op, err)
	}
	return page, nil
}
