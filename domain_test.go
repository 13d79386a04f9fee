package gamedata

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestParseMoney(t *testing.T) {
	good := map[string]Money{"0": 0, "1": 100, "12.5": 1250, "12.05": 1205, "0.99": 99, "99999999.99": MaxMoney}
	for in, want := range good {
		got, err := ParseMoney(in)
		if err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := ParseMoney(got.String()); back != got {
			t.Errorf("round trip of %q gave %v", in, back)
		}
	}
	for _, in := range []string{"", "-1", "1.234", "1.", ".5", "1e3", "abc", "1,00", "123456789", " 1"} {
		if _, err := ParseMoney(in); err == nil {
			t.Errorf("ParseMoney(%q) accepted", in)
		}
	}
	var m Money
	if err := json.Unmarshal([]byte(`"3.10"`), &m); err != nil || m != 310 {
		t.Fatalf("unmarshal: %v %v", m, err)
	}
	if b, _ := json.Marshal(Money(310)); string(b) != `"3.10"` {
		t.Fatalf("marshal: %s", b)
	}
	if err := json.Unmarshal([]byte(`3.1`), &m); err == nil {
		t.Fatal("a JSON number was accepted as money")
	}
}

func TestNameKeyIgnoresCase(t *testing.T) {
	if NameKey("Alice_01") != NameKey("aLiCe_01") {
		t.Fatal("names differing in case got different keys")
	}
	if NameKey("alice") == NameKey("alicé") {
		t.Fatal("different names got one key")
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"abc", "Alice_01", "a.b-c", "玩家一号", "x234567890123456789012345678901z"} {
		v := &ValidationError{}
		if ValidateName(v, "name", ok); v.Err() != nil {
			t.Errorf("%q refused: %v", ok, v)
		}
	}
	for _, bad := range []string{"", "ab", "has space", "semi;colon", "x2345678901234567890123456789012z"} {
		v := &ValidationError{}
		if ValidateName(v, "name", bad); !errors.Is(v.Err(), ErrInvalid) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNewIDIsTimeOrderedAndUnique(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	seen := map[string]bool{}
	for range 1000 {
		id := NewID(at)
		if id.Version() != 1 {
			t.Fatalf("version %d", id.Version())
		}
		if got := IDTime(id); !got.Equal(at) {
			t.Fatalf("IDTime = %v, want %v", got, at)
		}
		if seen[id.String()] {
			t.Fatal("duplicate id in the same instant")
		}
		seen[id.String()] = true
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(APIKeyPrefix), NewSecret(APIKeyPrefix)
	if a == b || len(a) != len(APIKeyPrefix)+43 || a[:4] != APIKeyPrefix {
		t.Fatalf("secrets %q %q", a, b)
	}
	if HashSecret(a) == HashSecret(b) || HashSecret(a) != HashSecret(a) || len(HashSecret(a)) != 64 {
		t.Fatal("hashes are not a stable function of the secret")
	}
}

func TestPageLimitKeepsWithinBounds(t *testing.T) {
	for asked, want := range map[int]int{
		-1: DefaultPageLimit, 0: DefaultPageLimit, 1: 1, 20: 20,
		MaxPageLimit: MaxPageLimit, MaxPageLimit + 1: MaxPageLimit,
	} {
		if got := (PageRequest{Limit: asked}).PageLimit(); got != want {
			t.Errorf("PageLimit of %d = %d, want %d", asked, got, want)
		}
	}
}

func TestBusyErrorIsErrBusy(t *testing.T) {
	err := fmt.Errorf("hash password: %w", &BusyError{What: "password hashes", RetryAfter: time.Second})
	var busy *BusyError
	if !errors.Is(err, ErrBusy) || errors.Is(err, ErrUnavailable) || !errors.As(err, &busy) || busy.RetryAfter != time.Second {
		t.Fatalf("%v: Is(ErrBusy) %v, Is(ErrUnavailable) %v", err, errors.Is(err, ErrBusy), errors.Is(err, ErrUnavailable))
	}
}
