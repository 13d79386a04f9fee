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
package password

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
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

// slots bounds the hashes computed at once: each one holds Params.Memory of
// RAM for tens of milliseconds, so 50 concurrent logins must queue rather
// than take a gigabyte.
var slots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// Hash returns the encoded argon2id hash of pw with the Default parameters.
// It waits for a free hashing slot, or for ctx.
func Hash(ctx context.Context, pw string) (string, error) {
	return hashWith(ctx, idArgon2id, []byte(pw), Default)
}

// WrapMD5 wraps a v1 hash (32 hex digits, the unsalted MD5 of a password)
// in argon2id. Verify then accepts the original password and reports
// needsRehash.
func WrapMD5(md5hex string) string {
	enc, err := hashWith(context.Background(), idMD5, []byte(strings.ToLower(md5hex)), Default)
	if err != nil { // only a cancelled context fails, and this one never is
		panic("password: " + err.Error())
	}
	return enc
}

// Verify reports whether pw matches encoded. needsRehash is true when
// encoded is a wrapped MD5 or uses other parameters than Default: the
// caller should then store a fresh Hash(pw). err is ErrMalformed for a hash
// this package did not make, or ctx's error.
func Verify(ctx context.Context, pw, encoded string) (ok, needsRehash bool, err error) {
	id, p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	input := []byte(pw)
	if id == idMD5 {
		sum := md5.Sum(input)
		input = []byte(hex.EncodeToString(sum[:]))
	}
	got, err := derive(ctx, input, salt, p, uint32(len(key)))
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, id != idArgon2id || p != Default, nil
}

func hashWith(ctx context.Context, id string, input []byte, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("password: crypto/rand failed: " + err.Error())
	}
	key, err := derive(ctx, input, salt, p, p.KeyLen)
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", id, argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func derive(ctx context.Context, input, salt []byte, p Params, keyLen uint32) ([]byte, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("password: wait for a hashing slot: %w", ctx.Err())
	}
	defer func() { <-slots }()
	return argon2.IDKey(input, salt, p.Time, p.Memory, p.Threads, keyLen), nil
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
