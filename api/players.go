package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamedata-dev/gamedata"
)

// PlayerPath is a player name in a path. Only its length is bounded: v1
// allowed 64 characters of anything, and migrated players keep their names.
// (The input types that operations embed are exported because huma reads
// only exported fields.)
type PlayerPath struct {
	Name string `path:"name" maxLength:"64" doc:"player name, matched ignoring case"`
}

type playerOut struct {
	Body gamedata.Player
}

type createPlayerIn struct {
	IdempotencyHeader
	Body struct {
		Name     string  `json:"name" minLength:"3" maxLength:"32" doc:"letters, digits, '_', '.', '-'; unique ignoring case"`
		Password string  `json:"password" minLength:"8" maxLength:"128"`
		Email    *string `json:"email,omitempty" maxLength:"254"`
		Phone    *string `json:"phone,omitempty" maxLength:"32"`
		Age      *int    `json:"age,omitempty" minimum:"0" maximum:"150"`
	}
}

type updatePlayerIn struct {
	PlayerPath
	Body struct {
		Email    *string `json:"email,omitempty" maxLength:"254" doc:"an empty string clears it"`
		Phone    *string `json:"phone,omitempty" maxLength:"32" doc:"an empty string clears it"`
		Age      *int    `json:"age,omitempty" minimum:"0" maximum:"150"`
		Password *string `json:"password,omitempty" minLength:"8" maxLength:"128"`
		// CurrentPassword proves that a player session's holder knows the
		// password: a stolen token alone cannot take the account over.
		CurrentPassword *string `json:"current_password,omitempty" minLength:"1" maxLength:"1024" doc:"the password now; required with password from a player session (a server key may reset without it)"`
	}
}

type loginIn struct {
	Body struct {
		Name     string `json:"name" minLength:"1" maxLength:"64"`
		Password string `json:"password" minLength:"1" maxLength:"1024"`
	}
}

type sessionOut struct {
	Body struct {
		Token     string          `json:"token" doc:"the bearer token of the session, shown only now"`
		ExpiresAt time.Time       `json:"expires_at"`
		Player    gamedata.Player `json:"player"`
	}
}

func (s *Server) registerPlayers() {
	handle(s, limited, huma.Operation{
		OperationID: "create-player", Method: http.MethodPost, Path: "/v1/players", Tags: []string{"players"},
		Summary: "Register a player", DefaultStatus: http.StatusCreated, Errors: []int{http.StatusConflict},
	}, s.createPlayer)
	handle(s, caller, huma.Operation{
		OperationID: "get-player", Method: http.MethodGet, Path: "/v1/players/{name}", Tags: []string{"players"},
		Summary: "Read a player", Errors: []int{http.StatusNotFound},
	}, s.getPlayer)
	handle(s, caller, huma.Operation{
		OperationID: "update-player", Method: http.MethodPatch, Path: "/v1/players/{name}", Tags: []string{"players"},
		Summary: "Change a player's profile or password", Errors: []int{http.StatusNotFound},
	}, s.updatePlayer)
	handle(s, limited, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/v1/sessions", Tags: []string{"sessions"},
		Summary: "Log in: make a player session", DefaultStatus: http.StatusCreated,
		Description: "Answers 401, the same for an unknown name and a wrong password.",
		Errors:      []int{http.StatusUnauthorized},
	}, s.login)
	handle(s, playerOnly, huma.Operation{
		OperationID: "logout", Method: http.MethodDelete, Path: "/v1/sessions/current", Tags: []string{"sessions"},
		Summary: "Log out: the session's token stops working at once", DefaultStatus: http.StatusNoContent,
	}, s.logout)
}

// newPlayer is a registration as resolved, with its password hash (which a
// Player's JSON leaves out).
type newPlayer struct {
	Player       gamedata.Player
	PasswordHash string
}

func (s *Server) createPlayer(ctx context.Context, in *createPlayerIn) (*answer[gamedata.Player], error) {
	b := in.Body
	same := b
	same.Password = "" // the key's record keeps no password, not even hashed fast
	return idempotent[newPlayer, gamedata.Player]{
		op: "create-player", same: same,
		prepare: func() (newPlayer, error) {
			v := &gamedata.ValidationError{}
			gamedata.ValidateName(v, "name", b.Name)
			gamedata.ValidatePassword(v, "password", b.Password)
			gamedata.ValidateContact(v, b.Email, b.Phone, b.Age)
			if err := v.Err(); err != nil {
				return newPlayer{}, err
			}
			hash, err := s.passwords.Hash(ctx, b.Password)
			if err != nil {
				return newPlayer{}, fmt.Errorf("hash password: %w", err)
			}
			now := s.clock.Now()
			return newPlayer{Player: gamedata.Player{
				ID: gamedata.NewID(now), Name: b.Name, Email: deref(b.Email), Phone: deref(b.Phone), Age: b.Age,
				CreatedAt: now, UpdatedAt: now,
			}, PasswordHash: hash}, nil
		},
		run: func(np newPlayer, a attempt) (*answer[gamedata.Player], error) {
			p := np.Player
			p.PasswordHash = np.PasswordHash
			err := s.store.CreatePlayer(ctx, p)
			if errors.Is(err, gamedata.ErrConflict) && a == repeatRun {
				// The name may be taken by this request's own first call.
				if stored, gerr := s.store.GetPlayer(ctx, p.Name); gerr == nil && stored.ID == p.ID {
					return &answer[gamedata.Player]{Status: http.StatusCreated, Body: p}, nil
				}
			}
			switch {
			case errors.Is(err, gamedata.ErrConflict):
				return nil, newProblem(http.StatusConflict, "this name is taken (names are unique ignoring case)",
					gamedata.FieldError{Field: "name", Message: "is taken"})
			case err != nil:
				return nil, err
			}
			return &answer[gamedata.Player]{Status: http.StatusCreated, Body: p}, nil
		},
	}.do(ctx, s, in.IdempotencyKey)
}

func (s *Server) getPlayer(ctx context.Context, in *PlayerPath) (*playerOut, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	p, err := s.store.GetPlayer(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return &playerOut{Body: p}, nil
}

func (s *Server) updatePlayer(ctx context.Context, in *updatePlayerIn) (*playerOut, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	b := &in.Body
	v := &gamedata.ValidationError{}
	gamedata.ValidateContact(v, b.Email, b.Phone, b.Age)
	if b.Password != nil {
		gamedata.ValidatePassword(v, "password", *b.Password)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if b.Email == nil && b.Phone == nil && b.Age == nil && b.Password == nil {
		return s.getPlayer(ctx, &in.PlayerPath)
	}
	if b.Password != nil && !principalOf(ctx).server {
		if err := s.checkCurrentPassword(ctx, in.Name, b.CurrentPassword); err != nil {
			return nil, err
		}
	}
	u := gamedata.PlayerUpdate{Email: b.Email, Phone: b.Phone, Age: b.Age, UpdatedAt: s.clock.Now()}
	if b.Password != nil {
		hash, err := s.passwords.Hash(ctx, *b.Password)
		if err != nil {
			return nil, fmt.Errorf("hash password: %w", err)
		}
		u.PasswordHash = &hash
	}
	p, err := s.store.UpdatePlayer(ctx, in.Name, u)
	if err != nil {
		return nil, err
	}
	return &playerOut{Body: p}, nil
}

// checkCurrentPassword refuses a password change from a player session
// that does not send the password now (403: the session is valid, the
// proof is missing or wrong).
func (s *Server) checkCurrentPassword(ctx context.Context, name string, current *string) error {
	if current == nil {
		return newProblem(http.StatusForbidden, "a player session must send current_password to change the password",
			gamedata.FieldError{Field: "current_password", Message: "is required to change the password"})
	}
	p, err := s.store.GetPlayer(ctx, name)
	if err != nil {
		return err
	}
	ok, _, err := s.passwords.Verify(ctx, *current, p.PasswordHash)
	switch {
	case err != nil:
		return fmt.Errorf("verify the current password of %s: %w", p.Name, err)
	case !ok:
		return newProblem(http.StatusForbidden, "current_password is wrong",
			gamedata.FieldError{Field: "current_password", Message: "is wrong"})
	}
	return nil
}

// badLogin is the one answer to a wrong name or a wrong password.
var badLogin = unauthorized("wrong name or password")

func (s *Server) login(ctx context.Context, in *loginIn) (*sessionOut, error) {
	p, err := s.store.GetPlayer(ctx, in.Body.Name)
	switch {
	case errors.Is(err, gamedata.ErrNotFound):
		// Spend the time a real check takes, so that timing does not tell
		// which names exist.
		if _, _, err := s.passwords.Verify(ctx, in.Body.Password, s.unmatchable); err != nil {
			return nil, fmt.Errorf("verify dummy password: %w", err)
		}
		return nil, badLogin
	case err != nil:
		return nil, err
	}
	ok, rehash, err := s.passwords.Verify(ctx, in.Body.Password, p.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("verify password of %s: %w", p.Name, err)
	}
	if !ok {
		return nil, badLogin
	}
	now := s.clock.Now()
	if rehash {
		s.upgradeHash(ctx, p, in.Body.Password, now)
	}
	token := gamedata.NewSecret(gamedata.SessionPrefix)
	ses := gamedata.Session{
		TokenHash: gamedata.HashSecret(token), PlayerID: p.ID, PlayerName: p.Name,
		CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL),
	}
	if err := s.store.CreateSession(ctx, ses); err != nil {
		return nil, err
	}
	out := &sessionOut{}
	out.Body.Token, out.Body.ExpiresAt, out.Body.Player = token, ses.ExpiresAt, p
	return out, nil
}

// upgradeHash replaces a wrapped v1 hash (or one with old parameters) by a
// fresh argon2id hash. The login goes on if it fails: the old hash still
// works, and the next login tries again.
func (s *Server) upgradeHash(ctx context.Context, p gamedata.Player, pw string, now time.Time) {
	hash, err := s.passwords.Hash(ctx, pw)
	if err == nil {
		_, err = s.store.UpdatePlayer(ctx, p.Name, gamedata.PlayerUpdate{PasswordHash: &hash, UpdatedAt: now})
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "upgrade password hash", slog.String("player", p.Name),
			slog.String("err", err.Error()), requestIDAttr(ctx))
	}
}

func (s *Server) logout(ctx context.Context, _ *struct{}) (*struct{}, error) {
	if err := s.store.DeleteSession(ctx, principalOf(ctx).session); err != nil && !errors.Is(err, gamedata.ErrNotFound) {
		return nil, err
	}
	return nil, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
