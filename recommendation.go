package gamedata

import (
	"context"
	"time"
)

// RecKind names what a recommendation suggests.
type RecKind string

// Kinds of recommendation.
const (
	RecItems   RecKind = "items"
	RecFriends RecKind = "friends"
)

// Recommendation is one suggestion as served: what, how strongly, and
// reasons a person can read. Reasons never carry private data (emails,
// phones, messages).
type Recommendation struct {
	ID      string
	Score   float64
	Reasons []string
}

// Recommendations answer GET /v1/players/{name}/recommendations.
type Recommendations struct {
	Kind        RecKind
	Items       []Recommendation
	GeneratedAt time.Time
}

// Recommender serves a player's recommendations: the stored ones, blended
// with what changed since they were built. Package recs implements it.
type Recommender interface {
	// Recommend returns up to limit suggestions of kind for player. The
	// caller checks that the player exists.
	Recommend(ctx context.Context, player string, kind RecKind, limit int) (Recommendations, error)
}

// StoredRec is a stored suggestion with its evidence as data; the server
// words the reasons when it serves them, after blending in what changed.
type StoredRec struct {
	// ID is an item id (items) or a player's display name (friends).
	ID    string  `json:"i"`
	Score float64 `json:"s"`
	// Because (items) is the item of the player's history that pulls this
	// one most.
	Because string `json:"b,omitempty"`
	// Tag is an interest that pulls the item (items), or one the two
	// players share (friends).
	Tag string `json:"t,omitempty"`
	// Friends is how many friends hold the item (items), or how many
	// friends the two share (friends).
	Friends int `json:"f,omitempty"`
	// Tags (friends) is how many interests the two share.
	Tags int `json:"n,omitempty"`
}

// RecSet is one player's stored suggestions of one kind.
type RecSet struct {
	// Player is the player's NameKey, or PopularKey.
	Player      string
	Kind        RecKind
	Items       []StoredRec
	GeneratedAt time.Time
}

// PopularKey is the Player of the set served to players the build has no
// set for (new since the build): the most held items. No name has '*'.
const PopularKey = "*popular"

// RecsBuild is the state of the recommendation build, kept in the store so
// that an interrupted build resumes.
type RecsBuild struct {
	// Started is when the current build began (zero: none yet).
	Started time.Time
	// After is the NameKey up to which every player's sets are stored (in
	// name key order); empty before the first.
	After string
	// Done counts the players stored so far; Finished is set at the end.
	Done     int
	Finished time.Time
}

// RecsStore keeps the built recommendations: one read of one partition (or
// row) serves a player's set of a kind.
type RecsStore interface {
	// PutRecs stores sets, replacing each player's earlier set of its kind.
	PutRecs(ctx context.Context, sets []RecSet) error
	// GetRecs returns player's set of kind; ErrNotFound when none.
	GetRecs(ctx context.Context, player string, kind RecKind) (RecSet, error)
	// RecsBuild returns the build's state (the zero state when none).
	RecsBuild(ctx context.Context) (RecsBuild, error)
	// SaveRecsBuild stores it.
	SaveRecsBuild(ctx context.Context, b RecsBuild) error
}

// PaidOrderRow, PlayRow, FriendshipRow and InterestRow are what the
// recommendation build reads of the store. Player names are NameKeys.
type (
	PaidOrderRow struct {
		Player, Item string
		Amount       int
	}
	PlayRow struct {
		Player, Item string
		Hours        float64
	}
	FriendshipRow struct {
		// Player and Friend are name keys; FriendName is Friend's display
		// name.
		Player, Friend, FriendName string
	}
	InterestRow struct {
		Player string
		Tags   []string
	}
)

// RecsSource scans what the recommendations learn from: paid orders, play
// events (type "play", data {"item", "hours"}), friendships (each side) and
// interests. Scans of whole tables, for the build only: never on a request
// path. fn is called from one goroutine at a time; its error stops the scan.
type RecsSource interface {
	ScanPaidOrders(ctx context.Context, fn func(PaidOrderRow) error) error
	ScanPlays(ctx context.Context, fn func(PlayRow) error) error
	ScanFriendships(ctx context.Context, fn func(FriendshipRow) error) error
	ScanInterests(ctx context.Context, fn func(InterestRow) error) error
}

// PlayEvent is the type of the events that are play history.
const PlayEvent = "play"
