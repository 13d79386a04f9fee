package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/gamedata-dev/gamedata"
)

// access says who may call an operation.
type access int

const (
	open       access = iota // anyone, no credentials
	limited                  // anyone, rate limited per client address
	caller                   // a server key, or a player session acting for its player
	serverOnly               // a server key
	playerOnly               // a player session
)

// whoMay says who may call, in the OpenAPI document (as the extension
// x-gamedata-access) and on /docs.
var whoMay = map[access]string{
	open:       "anyone",
	limited:    "anyone; rate limited per client address",
	caller:     "a server key, or a session of the player named in the request; rate limited per player and per key",
	serverOnly: "server keys only; rate limited per key",
	playerOnly: "player sessions only; rate limited per player",
}

const (
	bearerScheme    = "bearer"
	accessExtension = "x-gamedata-access"
)

// maxSecretLen bounds a bearer secret: ours are 47 bytes, an admin key a
// few dozen.
const maxSecretLen = 512

// principal is who is calling: a server key, or one player's session.
type principal struct {
	server  bool
	key     string // the server key's id ("admin" for GAMEDATA_ADMIN_KEY)
	player  string // NameKey of the session's player
	session string // hash of the session token
}

// adminKeyID names GAMEDATA_ADMIN_KEY among the server keys.
const adminKeyID = "admin"

type principalKey struct{}

func principalOf(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// actFor refuses a player session acting for another player.
func actFor(ctx context.Context, name string) error {
	p := principalOf(ctx)
	if p.server || p.player == gamedata.NameKey(name) {
		return nil
	}
	return forbidden("a player session may act only for its own player")
}

// handle registers one operation of the API: it documents who may call it,
// checks the caller before huma reads the input, and maps the handler's
// errors to problems.
func handle[I, O any](s *Server, who access, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	switch who {
	case limited:
		op.Middlewares = append(op.Middlewares, s.rateLimit)
		op.Errors = append(op.Errors, http.StatusTooManyRequests)
	case caller, serverOnly, playerOnly:
		op.Security = []map[string][]string{{bearerScheme: {}}}
		op.Middlewares = append(op.Middlewares, s.authenticate(who))
		op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests)
	}
	op.Extensions = map[string]any{accessExtension: whoMay[who]}
	if op.MaxBodyBytes == 0 {
		op.MaxBodyBytes = maxBody
	}
	// huma refuses a body of exactly MaxBodyBytes.
	op.MaxBodyBytes++
	op.Errors = append(op.Errors, http.StatusBadRequest, http.StatusServiceUnavailable)
	if op.Method != http.MethodGet {
		op.Errors = append(op.Errors, http.StatusGatewayTimeout) // a write of unknown outcome
	}
	if _, ok := reflect.TypeFor[I]().FieldByName("IdempotencyHeader"); ok {
		op.Errors = append(op.Errors, http.StatusUnprocessableEntity) // a key reused for another request
	}
	huma.Register(s.api, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		var answer huma.StatusError
		switch {
		case err == nil:
			return out, nil
		case errors.As(err, &answer):
			return nil, answer // a problem (or a problem with more) made for this request
		default:
			return nil, s.problemOf(ctx, err)
		}
	})
}

// authenticate is the middleware of the operations that need credentials.
func (s *Server) authenticate(who access) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		p, err := s.credentials(ctx.Context(), ctx.Header("Authorization"))
		var refused *problem
		switch {
		case errors.As(err, &refused) && refused.Status == http.StatusUnauthorized:
			// Each refused secret costs the address one request of its
			// budget: guessing is as slow as the open endpoints allow.
			r, _ := humago.Unwrap(ctx)
			if p := s.overLimit(ctx.Context(), s.limiter, "auth:"+s.clientAddr(r), "too many refused credentials from this address"); p != nil {
				err = p
			}
			s.refuse(ctx, err)
			return
		case err != nil:
			s.refuse(ctx, err)
			return
		case who == serverOnly && !p.server:
			s.refuse(ctx, forbidden("only a server key may do this"))
			return
		case who == playerOnly && p.server:
			s.refuse(ctx, forbidden("only a player session may do this"))
			return
		}
		limiter, key, who := s.playerLimit, "player:"+p.player, "this player"
		if p.server {
			limiter, key, who = s.keyLimit, "key:"+p.key, "this server key"
		}
		if p := s.overLimit(ctx.Context(), limiter, key, "too many requests of "+who); p != nil {
			s.refuse(ctx, p)
			return
		}
		next(huma.WithValue(ctx, principalKey{}, p))
	}
}

// overLimit takes one request from key's budget in limiter and returns the
// 429 to answer when there is none left; nil when the request may go on,
// also when the limiter fails (its outage must not take the API down).
func (s *Server) overLimit(ctx context.Context, limiter gamedata.RateLimiter, key, why string) *problem {
	if limiter == nil {
		return nil
	}
	ok, wait, err := limiter.Allow(ctx, key)
	switch {
	case err != nil:
		s.log.LogAttrs(ctx, slog.LevelWarn, "rate limiter failed; request let through",
			slog.String("err", err.Error()), requestIDAttr(ctx))
	case !ok:
		return newProblem(http.StatusTooManyRequests, why+"; retry after Retry-After seconds").
			withHeader("Retry-After", retryAfter(wait))
	}
	return nil
}

// credentials finds who holds the bearer secret in header.
func (s *Server) credentials(ctx context.Context, header string) (principal, error) {
	scheme, secret, _ := strings.Cut(header, " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return principal{}, unauthorized("send Authorization: Bearer <server key or session token>")
	}
	if len(secret) > maxSecretLen {
		return principal{}, unauthorized("unknown credentials")
	}
	if s.adminHash != nil {
		// Compare hashes, so the time taken tells nothing, not even the length.
		h := sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(h[:], s.adminHash[:]) == 1 {
			return principal{server: true, key: adminKeyID}, nil
		}
	}
	hash := gamedata.HashSecret(secret)
	switch {
	case strings.HasPrefix(secret, gamedata.APIKeyPrefix):
		k, err := s.store.GetAPIKey(ctx, hash)
		switch {
		case errors.Is(err, gamedata.ErrNotFound):
			return principal{}, unauthorized("unknown credentials")
		case err != nil:
			return principal{}, err
		case k.RevokedAt != nil:
			return principal{}, unauthorized("this API key is revoked")
		}
		return principal{server: true, key: k.ID.String()}, nil
	case strings.HasPrefix(secret, gamedata.SessionPrefix):
		ses, err := s.store.GetSession(ctx, hash)
		switch {
		case errors.Is(err, gamedata.ErrNotFound):
			return principal{}, unauthorized("unknown or expired session")
		case err != nil:
			return principal{}, err
		case !ses.ExpiresAt.After(s.clock.Now()):
			return principal{}, unauthorized("unknown or expired session")
		}
		return principal{player: gamedata.NameKey(ses.PlayerName), session: hash}, nil
	}
	return principal{}, unauthorized("unknown credentials")
}

// rateLimit is the middleware of the open endpoints that write or that
// anyone can hammer. A limiter that fails lets the request through: its
// outage must not take the API down.
func (s *Server) rateLimit(ctx huma.Context, next func(huma.Context)) {
	if s.limiter == nil {
		next(ctx)
		return
	}
	r, _ := humago.Unwrap(ctx)
	if p := s.overLimit(ctx.Context(), s.limiter, "ip:"+s.clientAddr(r), "too many requests from this address"); p != nil {
		s.refuse(ctx, p)
		return
	}
	next(ctx)
}

// refuse answers from a middleware.
func (s *Server) refuse(ctx huma.Context, err error) {
	_, w := humago.Unwrap(ctx)
	writeProblem(w, s.problemOf(ctx.Context(), err))
}

// clientAddr is the address the limits apply to. Behind a trusted proxy it
// is the last X-Forwarded-For entry, the one that proxy added (the ones
// before it come from the client and could be forged). IPv6 addresses
// count by /64, the block one host usually holds.
func (s *Server) clientAddr(r *http.Request) string {
	addr := r.RemoteAddr
	if s.trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			addr = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
		}
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip := net.ParseIP(addr)
	switch {
	case ip == nil:
		return addr
	case ip.To4() != nil:
		return ip.String()
	default:
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
}
