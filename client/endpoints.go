package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// Page is one page of a list. NextPageToken is empty on the last page.
type Page[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token"`
}

// PageOptions asks for a page: Limit 0 is the server's default (50), Token
// the previous page's NextPageToken.
type PageOptions struct {
	Limit int
	Token string
}

func (o PageOptions) query(q url.Values) string {
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Token != "" {
		q.Set("page_token", o.Token)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// NewPlayer is a registration. Optional fields are nil when not given.
type NewPlayer struct {
	Name     string  `json:"name"`
	Password string  `json:"password"`
	Email    *string `json:"email,omitempty"`
	Phone    *string `json:"phone,omitempty"`
	Age      *int    `json:"age,omitempty"`
}

// PlayerPatch changes a player; nil fields are left alone, an empty
// Email or Phone clears it.
type PlayerPatch struct {
	Email    *string `json:"email,omitempty"`
	Phone    *string `json:"phone,omitempty"`
	Age      *int    `json:"age,omitempty"`
	Password *string `json:"password,omitempty"`
	// CurrentPassword must come with Password from a player session.
	CurrentPassword *string `json:"current_password,omitempty"`
}

// Session is a login: Token is the bearer secret of the player.
type Session struct {
	Token     string          `json:"token"`
	ExpiresAt time.Time       `json:"expires_at"`
	Player    gamedata.Player `json:"player"`
}

// NewOrder is an order to create.
type NewOrder struct {
	Item           string         `json:"item"`
	Amount         int            `json:"amount"`
	Price          gamedata.Money `json:"price"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
}

// NewMessage is a message to send.
type NewMessage struct {
	From string `json:"from"`
	To   string `json:"to"`
	Text string `json:"text"`
}

// NewEvent is an event to log; a zero At means now, nil Data none.
type NewEvent struct {
	Player string          `json:"player"`
	Type   string          `json:"type"`
	At     *time.Time      `json:"at,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// Readiness is the answer of /readyz.
type Readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func playerPath(name string, rest ...string) string {
	p := "/v1/players/" + url.PathEscape(name)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// CreatePlayer registers a player (open endpoint).
func (c *Client) CreatePlayer(ctx context.Context, p NewPlayer) (gamedata.Player, error) {
	var out gamedata.Player
	err := c.Do(ctx, http.MethodPost, "/v1/players", p, &out)
	return out, err
}

// GetPlayer reads a player.
func (c *Client) GetPlayer(ctx context.Context, name string) (gamedata.Player, error) {
	var out gamedata.Player
	if err := nameCheck(name); err != nil {
		return out, err
	}
	err := c.Do(ctx, http.MethodGet, playerPath(name), nil, &out)
	return out, err
}

// UpdatePlayer changes a player's profile or password.
func (c *Client) UpdatePlayer(ctx context.Context, name string, patch PlayerPatch) (gamedata.Player, error) {
	var out gamedata.Player
	if err := nameCheck(name); err != nil {
		return out, err
	}
	err := c.Do(ctx, http.MethodPatch, playerPath(name), patch, &out)
	return out, err
}

// Login makes a player session (open endpoint). Use c.WithToken(s.Token)
// to act as the player.
func (c *Client) Login(ctx context.Context, name, password string) (Session, error) {
	var out Session
	err := c.Do(ctx, http.MethodPost, "/v1/sessions", map[string]string{"name": name, "password": password}, &out)
	return out, err
}

// Logout ends the session c carries.
func (c *Client) Logout(ctx context.Context) error {
	return c.Do(ctx, http.MethodDelete, "/v1/sessions/current", nil, nil)
}

// CreateOrder creates an order. created is false when o.IdempotencyKey was
// used before: the order is then the first one made with it.
func (c *Client) CreateOrder(ctx context.Context, name string, o NewOrder) (order gamedata.Order, created bool, err error) {
	if err := nameCheck(name); err != nil {
		return order, false, err
	}
	status, err := c.do(ctx, http.MethodPost, playerPath(name, "orders"), o, &order)
	return order, status == http.StatusCreated, err
}

// ListOrders lists a player's orders, newest first.
func (c *Client) ListOrders(ctx context.Context, name string, opt PageOptions) (Page[gamedata.Order], error) {
	return list[gamedata.Order](ctx, c, playerPath(name, "orders"), url.Values{}, opt, name)
}

// GetOrder reads an order.
func (c *Client) GetOrder(ctx context.Context, name string, id uuid.UUID) (gamedata.Order, error) {
	var out gamedata.Order
	if err := nameCheck(name); err != nil {
		return out, err
	}
	err := c.Do(ctx, http.MethodGet, playerPath(name, "orders", id.String()), nil, &out)
	return out, err
}

// PayOrder marks an order paid (server keys only). A second call, or one
// that lost a race, fails with gamedata.ErrConflict.
func (c *Client) PayOrder(ctx context.Context, name string, id uuid.UUID) (gamedata.Order, error) {
	var out gamedata.Order
	if err := nameCheck(name); err != nil {
		return out, err
	}
	err := c.Do(ctx, http.MethodPost, playerPath(name, "orders", id.String(), "pay"), nil, &out)
	return out, err
}

// SendMessage sends a message.
func (c *Client) SendMessage(ctx context.Context, m NewMessage) (gamedata.Message, error) {
	var out gamedata.Message
	err := c.Do(ctx, http.MethodPost, "/v1/messages", m, &out)
	return out, err
}

// Inbox lists the messages a player received, newest first.
func (c *Client) Inbox(ctx context.Context, name string, opt PageOptions) (Page[gamedata.Message], error) {
	return list[gamedata.Message](ctx, c, playerPath(name, "inbox"), url.Values{}, opt, name)
}

// Sent lists the messages a player sent, newest first.
func (c *Client) Sent(ctx context.Context, name string, opt PageOptions) (Page[gamedata.Message], error) {
	return list[gamedata.Message](ctx, c, playerPath(name, "sent"), url.Values{}, opt, name)
}

// Conversation lists the messages between name and other, both ways,
// newest first.
func (c *Client) Conversation(ctx context.Context, name, other string, opt PageOptions) (Page[gamedata.Message], error) {
	return list[gamedata.Message](ctx, c, playerPath(name, "conversations", url.PathEscape(other)), url.Values{}, opt, name, other)
}

// AppendEvents logs events (server keys only, 1 to 1000 a call) and returns
// how many the server accepted.
func (c *Client) AppendEvents(ctx context.Context, events []NewEvent) (int, error) {
	var out struct {
		Accepted int `json:"accepted"`
	}
	err := c.Do(ctx, http.MethodPost, "/v1/events", map[string][]NewEvent{"events": events}, &out)
	return out.Accepted, err
}

// ListEvents lists a player's events in r (zero bounds are open), newest
// first.
func (c *Client) ListEvents(ctx context.Context, name string, r gamedata.EventRange, opt PageOptions) (Page[gamedata.Event], error) {
	q := url.Values{}
	if !r.From.IsZero() {
		q.Set("from", r.From.Format(time.RFC3339Nano))
	}
	if !r.To.IsZero() {
		q.Set("to", r.To.Format(time.RFC3339Nano))
	}
	return list[gamedata.Event](ctx, c, playerPath(name, "events"), q, opt, name)
}

// PutMeta stores a metadata document (server keys only): doc is sent as
// JSON (a json.RawMessage as it is).
func (c *Client) PutMeta(ctx context.Context, key string, doc any) error {
	return c.Do(ctx, http.MethodPut, "/v1/meta/"+url.PathEscape(key), doc, nil)
}

// GetMeta reads a metadata document (open endpoint).
func (c *Client) GetMeta(ctx context.Context, key string) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.Do(ctx, http.MethodGet, "/v1/meta/"+url.PathEscape(key), nil, &out)
	return out, err
}

// Health reports whether the server process answers (/healthz).
func (c *Client) Health(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, "/healthz", nil, nil)
}

// Ready reads /readyz; a backend that is down makes it a 503 *Error.
func (c *Client) Ready(ctx context.Context) (Readiness, error) {
	var out Readiness
	err := c.Do(ctx, http.MethodGet, "/readyz", nil, &out)
	return out, err
}

func list[T any](ctx context.Context, c *Client, path string, q url.Values, opt PageOptions, names ...string) (Page[T], error) {
	var out Page[T]
	if err := nameCheck(names...); err != nil {
		return out, err
	}
	err := c.Do(ctx, http.MethodGet, path+opt.query(q), nil, &out)
	return out, err
}
