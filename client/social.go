package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Friends is a page of a player's friends' names, newest friendship first,
// with the player's friend count.
type Friends struct {
	Page[string]
	Count int `json:"count"`
}

// Interests are a player's interest tags, as the server normalised them.
type Interests struct {
	Tags []string `json:"tags"`
}

// AddFriend makes name and other friends (both sides).
func (c *Client) AddFriend(ctx context.Context, name, other string) error {
	if err := nameCheck(name, other); err != nil {
		return err
	}
	return c.Do(ctx, http.MethodPut, playerPath(name, "friends", url.PathEscape(other)), nil, nil)
}

// RemoveFriend ends the friendship of name and other (both sides).
func (c *Client) RemoveFriend(ctx context.Context, name, other string) error {
	if err := nameCheck(name, other); err != nil {
		return err
	}
	return c.Do(ctx, http.MethodDelete, playerPath(name, "friends", url.PathEscape(other)), nil, nil)
}

// ListFriends lists a player's friends, newest friendship first.
func (c *Client) ListFriends(ctx context.Context, name string, opt PageOptions) (Friends, error) {
	var out Friends
	if err := nameCheck(name); err != nil {
		return out, err
	}
	err := c.Do(ctx, http.MethodGet, playerPath(name, "friends")+opt.query(url.Values{}), nil, &out)
	return out, err
}

// SetInterests replaces a player's tags and returns them normalised.
func (c *Client) SetInterests(ctx context.Context, name string, tags []string) (Interests, error) {
	var out Interests
	if err := nameCheck(name); err != nil {
		return out, err
	}
	err := c.Do(ctx, http.MethodPut, playerPath(name, "interests"), Interests{Tags: tags}, &out)
	return out, err
}

// GetInterests reads a player's tags.
func (c *Client) GetInterests(ctx context.Context, name string) (Interests, error) {
	var out Interests
	if err := nameCheck(name); err != nil {
		return out, err
	}
	err := c.Do(ctx, http.MethodGet, playerPath(name, "interests"), nil, &out)
	return out, err
}

// Recommendation is one suggestion: an item id or a player's name.
type Recommendation struct {
	ID      string   `json:"id"`
	Score   float64  `json:"score"`
	Reasons []string `json:"reasons"`
}

// Recommendations are a player's suggestions of one kind.
type Recommendations struct {
	Kind        string           `json:"kind"`
	Items       []Recommendation `json:"items"`
	GeneratedAt time.Time        `json:"generated_at"`
}

// Recommendations reads a player's suggestions of kind ("items" or
// "friends"); limit 0 takes the server's default.
func (c *Client) Recommendations(ctx context.Context, name, kind string, limit int) (Recommendations, error) {
	var out Recommendations
	if err := nameCheck(name); err != nil {
		return out, err
	}
	q := url.Values{"kind": {kind}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	err := c.Do(ctx, http.MethodGet, playerPath(name, "recommendations")+"?"+q.Encode(), nil, &out)
	return out, err
}
