package gamedata

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// The parsers of outside input never panic, refuse with ErrInvalid-style
// errors, and what they accept reads back as itself. Their seed corpora are
// in testdata/fuzz; scripts/test fuzzes each for a few seconds.

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"0", "4.99", "99999999.99", "1.5", "00.10", "-1", "1e3", "1.", ".5", "１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			return
		}
		if m < 0 || m > MaxMoney {
			t.Fatalf("ParseMoney(%q) = %d, out of 0..MaxMoney", s, m)
		}
		back, err := ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %s, which reads back as %d, %v", s, m, back, err)
		}
	})
}

func FuzzParseMoneySum(f *testing.F) {
	for _, s := range []string{"0.00", "92499907490750009.25", "3402823669209384634633746074317682114.55", "3402823669209384634633746074317682114.56", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseMoneySum(s)
		if err != nil {
			return
		}
		back, err := ParseMoneySum(v.String())
		if err != nil || back != v {
			t.Fatalf("ParseMoneySum(%q) = %s, which reads back as %s, %v", s, v, back, err)
		}
	})
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"alice", "ａｌｉｃｅ", "e\u0301cole", "\u0430lice", "Straße", "has space", "ǅemal", "玩家一号", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		key := NameKey(name) // never panics, whatever a v1 name held
		v := &ValidationError{}
		ValidateName(v, "name", name)
		if err := v.Err(); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ValidateName(%q): %v, not ErrInvalid", name, err)
			}
			return
		}
		// A valid name has a stable key: its key is a valid name's key too.
		if !utf8.ValidString(name) || NameKey(key) != key {
			t.Fatalf("valid name %q: key %q, whose key is %q", name, key, NameKey(key))
		}
	})
}
