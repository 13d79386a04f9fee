package gamedata

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

// Page is one page of a list, newest first unless said otherwise. NextToken
// is empty on the last page.
type Page[T any] struct {
	Items     []T
	NextToken string
}
