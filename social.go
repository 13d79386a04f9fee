package gamedata

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxFriends bounds a player's friends, so that a player's friends stay one
// bounded partition (Cassandra) and a read of them stays cheap. A friendship
// that would pass it is refused with ErrConflict.
const MaxFriends = 5000

// Interest tag rules: at most MaxTags tags of 1 to MaxTagLen characters.
const (
	MaxTags   = 32
	MaxTagLen = 32
)

// Friend is one of a player's friends.
type Friend struct {
	// Name is the friend's display name.
	Name string
	// Since is when the friendship was made (the same on both sides).
	Since time.Time
}

// Interests are a player's interest tags, normalised (NormalizeTags).
type Interests struct {
	Tags      []string
	UpdatedAt time.Time // zero when never set
}

// SocialStore keeps the friendship graph and the players' interests.
// Friendship is mutual: one call makes or ends both sides at once, and
// concurrent calls from both sides leave both sides alike.
type SocialStore interface {
	// AddFriend makes a and b friends at time at. ErrInvalid when a and b
	// are one player; ErrNotFound when either does not exist; ErrConflict
	// when either has as many friends as the store allows (MaxFriends by
	// default) already. Adding friends who are
	// friends already changes nothing.
	AddFriend(ctx context.Context, a, b string, at time.Time) error
	// RemoveFriend ends the friendship of a and b on both sides; ending
	// one that does not exist is no error.
	RemoveFriend(ctx context.Context, a, b string) error
	// ListFriends lists player's friends, newest friendship first.
	ListFriends(ctx context.Context, player string, p PageRequest) (Page[Friend], error)
	// FriendCount is how many friends player has.
	FriendCount(ctx context.Context, player string) (int, error)
	// SetInterests replaces player's tags (already normalised) at time at;
	// ErrNotFound for an unknown player.
	SetInterests(ctx context.Context, player string, tags []string, at time.Time) error
	// GetInterests returns player's tags (none when never set).
	GetInterests(ctx context.Context, player string) (Interests, error)
}

// CheckFriends validates a friendship request of a with b.
func CheckFriends(a, b string) error {
	if NameKey(a) == NameKey(b) {
		return Invalid("other", "a player cannot befriend itself")
	}
	return nil
}

// FriendLimitError refuses a friendship that would pass a store's cap on
// friends; it matches ErrConflict under errors.Is.
type FriendLimitError struct {
	Player string // display name of the player at the cap
	Cap    int
}

func (e *FriendLimitError) Error() string {
	return fmt.Sprintf("%s has %d friends, the most a player may have", e.Player, e.Cap)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *FriendLimitError) Is(target error) bool { return target == ErrConflict }

// FriendLimit is the error of a friendship that would pass a store's cap.
func FriendLimit(player string, cap int) error { return &FriendLimitError{Player: player, Cap: cap} }

// NormalizeTags returns tags trimmed, lower-cased, without repeats and
// sorted; ErrInvalid (naming each bad tag's index) when a tag is empty or
// longer than MaxTagLen once trimmed, or when more than MaxTags remain.
func NormalizeTags(tags []string) ([]string, error) {
	v := &ValidationError{}
	out := make([]string, 0, len(tags))
	for i, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if n := utf8.RuneCountInString(t); n < 1 || n > MaxTagLen {
			v.Add(fmt.Sprintf("tags[%d]", i), "must be 1 to %d characters once trimmed", MaxTagLen)
			continue
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		v.Add("tags", "at most %d distinct tags, not %d", MaxTags, len(out))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
