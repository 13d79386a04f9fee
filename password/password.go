// Package password hashes and verifies player passwords with argon2id, in
// the PHC string format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// v1 stored unsalted MD5 hashes. WrapMD5 turns one into an argon2id hash of
// the MD5 hex (id "md5-argon2id" instead of "argon2id"), so migrated players
// keep their password without an MD5 ever being stored again; Verify accepts
// both forms and asks for a rehash of a wrapped one, which the login then
// replaces by a plain argon2id hash.
//
// A server hashes through a Pool (pool.go), which bounds the hashes run at
// once and those waiting, so that hashing never takes every core.
package password

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Default follows OWASP's argon2id recommendation (m=19 MiB, t=2, p=1).
var Default = Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Identifiers of the two encodings.
const (
	idArgon2id = "argon2id"
	idMD5      = "md5-argon2id" // argon2id over the lower-case MD5 hex of the password
)

// ErrMalformed reports an encoded hash that this package cannot read.
var ErrMalformed = errors.New("password: malformed hash")

// Hash returns the encoded argon2id hash of pw with the Default
// parameters, at once and at full cost. A server hashes through a Pool;
// Hash is for tools that hash once (a preload) and for tests.
func Hash(pw string) string {
	return hashWith(idArgon2id, []byte(pw), Default)
}

// WrapMD5 wraps a v1 hash (32 hex digits, the unsalted MD5 of a password)
// in argon2id. Verify then accepts the original password and reports
// needsRehash.
func WrapMD5(md5hex string) string {
	return hashWith(idMD5, []byte(strings.ToLower(md5hex)), Default)
}

// Unmatchable returns a hash with the Default parameters that no password
// matches (its key is random, not derived): checking a password against it
// costs what a real check costs, so a login for an unknown name takes as
// long as one with a wrong password.
func Unmatchable() string {
	return encode(idArgon2id, Default, random(Default.SaltLen), random(Default.KeyLen))
}

// Verify reports whether pw matches encoded, at once and at full cost (a
// server checks through a Pool). needsRehash is true when encoded is a
// wrapped MD5 or uses other parameters than Default: the caller should then
// store a fresh hash of pw. err is ErrMalformed for a hash this package did
// not make.
func Verify(pw, encoded string) (ok, needsRehash bool, err error) {
	c, err := newCheck(pw, encoded)
	if err != nil {
		return false, false, err
	}
	ok, needsRehash = c.result(c.derive())
	return ok, needsRehash, nil
}

// check is the work of checking a password against a decoded hash.
type check struct {
	id               string
	p                Params
	input, salt, key []byte
}

func newCheck(pw, encoded string) (*check, error) {
	id, p, salt, key, err := decode(encoded)
	if err != nil {
		return nil, err
	}
	input := []byte(pw)
	if id == idMD5 {
		sum := md5.Sum(input)
		input = []byte(hex.EncodeToString(sum[:]))
	}
	return &check{id: id, p: p, input: input, salt: salt, key: key}, nil
}

// derive is the costly part: the key of the password.
func (c *check) derive() []byte {
	return argon2.IDKey(c.input, c.salt, c.p.Time, c.p.Memory, c.p.Threads, uint32(len(c.key)))
}

func (c *check) result(got []byte) (ok, needsRehash bool) {
	if subtle.ConstantTimeCompare(got, c.key) != 1 {
		return false, false
	}
	return true, c.id != idArgon2id || c.p != Default
}

func hashWith(id string, input []byte, p Params) string {
	salt := random(p.SaltLen)
	return encode(id, p, salt, argon2.IDKey(input, salt, p.Time, p.Memory, p.Threads, p.KeyLen))
}

func random(n uint32) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("password: crypto/rand failed: " + err.Error())
	}
	return b
}

func encode(id string, p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", id, argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// maxMemory refuses a stored hash that would make Verify take more than
// 1 GiB (a corrupt or hostile row must not take the server down).
const maxMemory = 1 << 20

func decode(encoded string) (id string, p Params, salt, key []byte, err error) {
	// "", id, version, params, salt, key
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || (parts[1] != idArgon2id && parts[1] != idMD5) {
		return "", p, nil, nil, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return "", p, nil, nil, fmt.Errorf("%w: version %q", ErrMalformed, parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory < 8 || p.Memory > maxMemory || p.Time < 1 || p.Threads < 1 {
		return "", p, nil, nil, fmt.Errorf("%w: parameters %q", ErrMalformed, parts[3])
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return "", p, nil, nil, fmt.Errorf("%w: salt", ErrMalformed)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return "", p, nil, nil, fmt.Errorf("%w: key", ErrMalformed)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return parts[1], p, salt, key, nil
}
