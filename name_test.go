package gamedata

import (
	"errors"
	"testing"
)

// TestLookAlikeNamesAreOneName: what PRECIS maps (width, case, composition)
// gives one key, so the second registration is a conflict.
func TestLookAlikeNamesAreOneName(t *testing.T) {
	for _, pair := range [][2]string{
		{"alice", "ａｌｉｃｅ"},       // full-width
		{"Alice", "ＡＬＩＣＥ"},       // full-width capitals
		{"école", "e\u0301cole"}, // precomposed and decomposed
		{"Straße", "STRASSE"},    // as before PRECIS
		{"ｶﾀｶﾅ", "カタカナ"},         // half-width katakana
	} {
		if NameKey(pair[0]) != NameKey(pair[1]) {
			t.Errorf("%q and %q have different keys: %q, %q", pair[0], pair[1], NameKey(pair[0]), NameKey(pair[1]))
		}
	}
}

// TestNameKeyKeepsTheKeysOfStoredNames: a name without full- or half-width
// forms has the key it had before PRECIS, so stored players are found.
func TestNameKeyKeepsTheKeysOfStoredNames(t *testing.T) {
	for _, name := range []string{"alice", "Alice_01", "a.b-c", "Straße", "İstanbul", "ΣΑΣ", "Ǆemal", "玩家一号",
		"école", "e\u0301cole", "has space", "semi;colon", "ﬁre", "Ⅻabc", "٣abc", "Ωmega"} {
		if got, old := NameKey(name), LegacyNameKey(name); got != old {
			t.Errorf("NameKey(%q) = %q, before PRECIS %q", name, got, old)
		}
	}
}

func TestValidateNameRefusesLookAlikes(t *testing.T) {
	for _, ok := range []string{"e\u0301cole", "école", "ａｌｉｃｅ", "Иван_1", "山田はなこ", "김민수", "Ελένη"} {
		v := &ValidationError{}
		if ValidateName(v, "name", ok); v.Err() != nil {
			t.Errorf("%q refused: %v", ok, v)
		}
	}
	for what, bad := range map[string]string{
		"a Cyrillic a in a Latin name": "\u0430lice",
		"a Greek o in a Latin name":    "b\u03bfb_1",
		"a ligature":                   "ﬁrefly",
		"a zero-width joiner":          "ali\u200dce",
		"a no-break space":             "ali\u00a0ce",
		"a titlecase digraph":          "ǅemal",
		"an accent alone":              "\u0301abc",
	} {
		v := &ValidationError{}
		if ValidateName(v, "name", bad); !errors.Is(v.Err(), ErrInvalid) {
			t.Errorf("%s (%q) accepted", what, bad)
		}
	}
}
