// Package gamedata holds the domain of the gamedata platform: the types the
// game keeps (players, sessions, orders, messages, events, metadata), the
// domain errors, and the interfaces every store implements.
//
// Nothing here imports a driver. The embedded life (sqlite), the production
// life (cassandra, opensearch, redis) and the HTTP API all depend on this
// package, never on each other.
//
// The interfaces are shaped for Cassandra: every read is keyed (one partition
// or a small bounded set), every list is paged with an opaque token, a state
// change that must happen once reports ErrConflict, and retention travels
// with the write (ExpiresAt).
package gamedata
