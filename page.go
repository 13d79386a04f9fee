package gamedata

import "encoding/base64"

// Paging limits of every list.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// PageRequest asks for one page of a list. Token is empty for the first page
// and otherwise a NextToken returned by the previous page; it is opaque and
// only the store that made it can read it (a bad token is ErrInvalid).
type PageRequest struct {
	Limit int
	Token string
}

// PageLimit is the page size asked for, within the bounds of every list:
// DefaultPageLimit when none is asked, at most MaxPageLimit.
func (p PageRequest) PageLimit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// Page is one page of a list, newest first unless said otherwise. NextToken
// is empty on the last page.
type Page[T any] struct {
	Items     []T
	NextToken string
}

// DecodeToken reads a page token or feed cursor a store made: unpadded URL
// base64 in its one canonical spelling. The decoder alone would accept line
// breaks and stray padding bits, giving one cursor many spellings.
func DecodeToken(token string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != token {
		return nil, false
	}
	return b, true
}
