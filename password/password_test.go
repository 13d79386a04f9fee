package password

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
)

var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerify(t *testing.T) {
	h1 := Hash("correct horse")
	h2 := Hash("correct horse")
	if !phc.MatchString(h1) {
		t.Fatalf("hash %q is not a PHC argon2id string with the OWASP parameters", h1)
	}
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if ok, rehash, err := Verify("correct horse", h1); !ok || rehash || err != nil {
		t.Fatalf("Verify(right) = %v, %v, %v", ok, rehash, err)
	}
	if ok, _, err := Verify("correct horsE", h1); ok || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
}

func TestWrapMD5(t *testing.T) {
	sum := md5.Sum([]byte("v1-password"))
	v1 := hex.EncodeToString(sum[:])
	for _, stored := range []string{v1, strings.ToUpper(v1)} {
		wrapped := WrapMD5(stored)
		if !strings.HasPrefix(wrapped, "$md5-argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(wrapped, v1) {
			t.Fatalf("wrapped hash %q", wrapped)
		}
		if ok, rehash, err := Verify("v1-password", wrapped); !ok || !rehash || err != nil {
			t.Fatalf("Verify(right, wrapped) = %v, %v, %v; want true, true, nil", ok, rehash, err)
		}
		if ok, _, _ := Verify(v1, wrapped); ok {
			t.Fatal("the MD5 hex itself was accepted as the password")
		}
		if ok, _, _ := Verify("v1-passwort", wrapped); ok {
			t.Fatal("a wrong password was accepted")
		}
	}
}

func TestOtherParametersNeedRehash(t *testing.T) {
	old := hashWith(idArgon2id, []byte("pw-123456"), Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if ok, rehash, err := Verify("pw-123456", old); !ok || !rehash || err != nil {
		t.Fatalf("Verify(old params) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func TestMalformed(t *testing.T) {
	good := Hash("x")
	parts := strings.Split(good, "$")
	bad := []string{
		"", "5f4dcc3b5aa765d61d8327deb882cf99", "$argon2i$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$",
		good + "$",
	}
	for _, enc := range bad {
		if ok, _, err := Verify("x", enc); ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
	}
}

func TestUnmatchable(t *testing.T) {
	u := Unmatchable()
	if !phc.MatchString(u) || u == Unmatchable() {
		t.Fatalf("Unmatchable() = %q: not a PHC hash with the OWASP parameters, or not random", u)
	}
	for _, pw := range []string{"", "x", "correct horse"} {
		if ok, rehash, err := Verify(pw, u); ok || rehash || err != nil {
			t.Fatalf("Verify(%q, unmatchable) = %v, %v, %v", pw, ok, rehash, err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		Hash("correct horse battery")
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	enc := Hash("correct horse battery")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := Verify("correct horse battery", enc); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
