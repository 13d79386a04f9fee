package password

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
)

var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h1, err := Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := Hash(ctx, "correct horse")
	if !phc.MatchString(h1) {
		t.Fatalf("hash %q is not a PHC argon2id string with the OWASP parameters", h1)
	}
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if ok, rehash, err := Verify(ctx, "correct horse", h1); !ok || rehash || err != nil {
		t.Fatalf("Verify(right) = %v, %v, %v", ok, rehash, err)
	}
	if ok, _, err := Verify(ctx, "correct horsE", h1); ok || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
}

func TestWrapMD5(t *testing.T) {
	ctx := context.Background()
	sum := md5.Sum([]byte("v1-password"))
	v1 := hex.EncodeToString(sum[:])
	for _, stored := range []string{v1, strings.ToUpper(v1)} {
		wrapped := WrapMD5(stored)
		if !strings.HasPrefix(wrapped, "$md5-argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(wrapped, v1) {
			t.Fatalf("wrapped hash %q", wrapped)
		}
		if ok, rehash, err := Verify(ctx, "v1-password", wrapped); !ok || !rehash || err != nil {
			t.Fatalf("Verify(right, wrapped) = %v, %v, %v; want true, true, nil", ok, rehash, err)
		}
		if ok, _, _ := Verify(ctx, v1, wrapped); ok {
			t.Fatal("the MD5 hex itself was accepted as the password")
		}
		if ok, _, _ := Verify(ctx, "v1-passwort", wrapped); ok {
			t.Fatal("a wrong password was accepted")
		}
	}
}

func TestOtherParametersNeedRehash(t *testing.T) {
	ctx := context.Background()
	old, err := hashWith(ctx, idArgon2id, []byte("pw-123456"), Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := Verify(ctx, "pw-123456", old); !ok || !rehash || err != nil {
		t.Fatalf("Verify(old params) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func TestMalformed(t *testing.T) {
	good, _ := Hash(context.Background(), "x")
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
		if ok, _, err := Verify(context.Background(), "x", enc); ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
	}
}

func TestHashWaitsForASlotOrTheContext(t *testing.T) {
	for range cap(slots) {
		slots <- struct{}{}
	}
	defer func() {
		for range cap(slots) {
			<-slots
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with every slot taken and a cancelled context: %v", err)
	}
}

func BenchmarkHash(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := Hash(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	ctx := context.Background()
	enc, _ := Hash(ctx, "correct horse battery")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := Verify(ctx, "correct horse battery", enc); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
