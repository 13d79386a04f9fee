package recs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gamedata-dev/gamedata"
)

// Bounds of the blending at request time: what changed since the build is
// read from a few bounded lists, so a request costs a few reads whatever
// happened.
const (
	// DefaultServed is how many suggestions a request gets by default.
	DefaultServed = 10
	// blendNewFriends is how many friendships made since the build count
	// (the newest).
	blendNewFriends = 20
	// blendOrders is how many of a new friend's (or the player's own)
	// latest orders are read: what was bought since the build is there.
	blendOrders = 20
	// friendOfNewFriendBoost is what each new friend who knows a
	// candidate adds to its score (blend scores of good candidates are
	// about 1 to 10).
	friendOfNewFriendBoost = 1.0
)

// Service serves recommendations: the player's stored set, blended with
// what changed since it was built. It implements gamedata.Recommender.
type Service struct {
	Recs   gamedata.RecsStore
	Social gamedata.SocialStore
	Orders gamedata.OrderStore
}

var _ gamedata.Recommender = (*Service)(nil)

// Recommend returns up to limit suggestions of kind for player. The caller
// has checked that the player exists (the API does, for its 404): a
// player the store does not know gets the popular items.
func (s *Service) Recommend(ctx context.Context, player string, kind gamedata.RecKind, limit int) (gamedata.Recommendations, error) {
	out := gamedata.Recommendations{Kind: kind, Items: []gamedata.Recommendation{}}
	if limit <= 0 {
		limit = DefaultServed
	}
	limit = min(limit, StoredPerKind)
	key := gamedata.NameKey(player)
	set, err := s.Recs.GetRecs(ctx, key, kind)
	if errors.Is(err, gamedata.ErrNotFound) && kind == gamedata.RecItems {
		set, err = s.Recs.GetRecs(ctx, gamedata.PopularKey, kind)
	}
	switch {
	case errors.Is(err, gamedata.ErrNotFound):
		set = gamedata.RecSet{Player: key, Kind: kind} // no build yet: only what changed
	case err != nil:
		return out, err
	}
	out.GeneratedAt = set.GeneratedAt
	newFriends, err := s.friendsSince(ctx, player, set)
	if err != nil {
		return out, err
	}
	var recs []gamedata.StoredRec
	if kind == gamedata.RecFriends {
		recs, err = s.blendFriends(ctx, player, set, newFriends)
	} else {
		recs, err = s.blendItems(ctx, player, set, newFriends)
	}
	if err != nil {
		return out, err
	}
	for _, r := range recs[:min(limit, len(recs))] {
		out.Items = append(out.Items, gamedata.Recommendation{ID: r.ID, Score: r.Score, Reasons: Reasons(kind, r)})
	}
	return out, nil
}

// friendsSince returns the player's friends made after the set was built
// (all of them when there is no set), newest first, at most blendNewFriends.
func (s *Service) friendsSince(ctx context.Context, player string, set gamedata.RecSet) ([]gamedata.Friend, error) {
	var out []gamedata.Friend
	err := since(ctx, func(p gamedata.PageRequest) (gamedata.Page[gamedata.Friend], error) {
		return s.Social.ListFriends(ctx, player, p)
	}, func(f gamedata.Friend) bool {
		if !set.GeneratedAt.IsZero() && !f.Since.After(set.GeneratedAt) {
			return false
		}
		out = append(out, f)
		return true
	}, blendNewFriends)
	return out, err
}

// firstPage is the page a look at what changed since the build reads
// first: usually little has, and the next pages are read only if all of it
// is new.
const firstPage = 4

// since reads a newest-first list a page at a time, growing, while keep
// says its items are new, up to most items.
func since[T any](ctx context.Context, list func(gamedata.PageRequest) (gamedata.Page[T], error), keep func(T) bool, most int) error {
	p := gamedata.PageRequest{Limit: firstPage}
	seen := 0
	for {
		page, err := list(p)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if seen == most || !keep(it) {
				return nil
			}
			seen++
		}
		if page.NextToken == "" || ctx.Err() != nil {
			return ctx.Err()
		}
		p = gamedata.PageRequest{Limit: min(2*p.Limit, most), Token: page.NextToken}
	}
}

// blendItems counts the purchases of new friends at once, and drops what the
// player bought since the build.
func (s *Service) blendItems(ctx context.Context, player string, set gamedata.RecSet, newFriends []gamedata.Friend) ([]gamedata.StoredRec, error) {
	recs := slices.Clone(set.Items)
	at := map[string]int{}
	for i, r := range recs {
		at[r.ID] = i
	}
	for _, f := range newFriends {
		bought, err := s.paidItems(ctx, f.Name, nil)
		if err != nil {
			return nil, err
		}
		for item := range bought {
			i, ok := at[item]
			if !ok {
				i = len(recs)
				at[item] = i
				recs = append(recs, gamedata.StoredRec{ID: item})
			}
			recs[i].Friends++
			recs[i].Score += FriendPurchaseBoost
		}
	}
	mine, err := s.paidItems(ctx, player, &set)
	if err != nil {
		return nil, err
	}
	recs = slices.DeleteFunc(recs, func(r gamedata.StoredRec) bool { return mine[r.ID] })
	sortRecs(recs)
	return recs, nil
}

// paidItems returns the items of player's latest paid orders; with since,
// the items of every order made after the set was built.
func (s *Service) paidItems(ctx context.Context, player string, since *gamedata.RecSet) (map[string]bool, error) {
	out := map[string]bool{}
	if since == nil {
		page, err := s.Orders.ListOrders(ctx, player, gamedata.PageRequest{Limit: blendOrders})
		if err != nil {
			return nil, fmt.Errorf("recs: orders of %s: %w", player, err)
		}
		for _, o := range page.Items {
			if o.Status == gamedata.OrderPaid {
				out[o.Item] = true
			}
		}
		return out, nil
	}
	err := sinceOrders(ctx, s.Orders, player, func(o gamedata.Order) bool {
		if !o.CreatedAt.After(since.GeneratedAt) {
			return false
		}
		out[o.Item] = true
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("recs: orders of %s: %w", player, err)
	}
	return out, nil
}

func sinceOrders(ctx context.Context, orders gamedata.OrderStore, player string, keep func(gamedata.Order) bool) error {
	return since(ctx, func(p gamedata.PageRequest) (gamedata.Page[gamedata.Order], error) {
		return orders.ListOrders(ctx, player, p)
	}, keep, blendOrders)
}

// blendFriends drops the people befriended since the build and counts each
// new friend's friends as one more friend in common.
func (s *Service) blendFriends(ctx context.Context, player string, set gamedata.RecSet, newFriends []gamedata.Friend) ([]gamedata.StoredRec, error) {
	recs := slices.Clone(set.Items)
	self := gamedata.NameKey(player)
	known := map[string]bool{self: true}
	for _, f := range newFriends {
		known[gamedata.NameKey(f.Name)] = true
	}
	at := map[string]int{}
	for i, r := range recs {
		at[gamedata.NameKey(r.ID)] = i
	}
	for _, f := range newFriends[:min(len(newFriends), blendNewFriendsFriends)] {
		page, err := s.Social.ListFriends(ctx, f.Name, gamedata.PageRequest{Limit: gamedata.DefaultPageLimit})
		if err != nil {
			return nil, err
		}
		for _, ff := range page.Items {
			k := gamedata.NameKey(ff.Name)
			if known[k] {
				continue
			}
			i, ok := at[k]
			if !ok {
				i = len(recs)
				at[k] = i
				recs = append(recs, gamedata.StoredRec{ID: ff.Name})
			}
			recs[i].Friends++
			recs[i].Score += friendOfNewFriendBoost
		}
	}
	// Drop those who became friends since; an older friend is never in
	// the set, as the build skips friends. The friends of a few new
	// friends are checked against the player's first page of friends.
	if len(newFriends) > 0 {
		page, err := s.Social.ListFriends(ctx, player, gamedata.PageRequest{Limit: gamedata.MaxPageLimit})
		if err != nil {
			return nil, err
		}
		for _, f := range page.Items {
			known[gamedata.NameKey(f.Name)] = true
		}
	}
	recs = slices.DeleteFunc(recs, func(r gamedata.StoredRec) bool { return known[gamedata.NameKey(r.ID)] })
	sortRecs(recs)
	return recs, nil
}

// blendNewFriendsFriends is how many new friends' friend lists are read.
const blendNewFriendsFriends = 5

func sortRecs(recs []gamedata.StoredRec) {
	slices.SortStableFunc(recs, func(a, b gamedata.StoredRec) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// Reasons words a suggestion's evidence for a person: counts, a game or
// item of the player's own history, an interest; never anything private.
func Reasons(kind gamedata.RecKind, r gamedata.StoredRec) []string {
	var out []string
	if kind == gamedata.RecFriends {
		switch {
		case r.Friends == 1:
			out = append(out, "1 friend in common")
		case r.Friends > 1:
			out = append(out, fmt.Sprintf("%d friends in common", r.Friends))
		}
		if r.Tag != "" {
			out = append(out, "you both like "+r.Tag)
		}
		if r.Tags > 1 {
			out = append(out, fmt.Sprintf("%d interests in common", r.Tags))
		}
		return out
	}
	switch {
	case r.Friends == 1:
		out = append(out, "1 of your friends bought this")
	case r.Friends > 1:
		out = append(out, fmt.Sprintf("%d of your friends bought this", r.Friends))
	}
	if r.Because != "" {
		out = append(out, "players of "+r.Because+" also play this")
	}
	if r.Tag != "" {
		out = append(out, "popular with players who like "+r.Tag)
	}
	if len(out) == 0 {
		out = append(out, "popular with players")
	}
	return out
}
