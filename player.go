package gamedata

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/cases"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Limits of player fields.
const (
	NameMinLen     = 3
	NameMaxLen     = 32
	PasswordMinLen = 8
	PasswordMaxLen = 128
	EmailMaxLen    = 254
	PhoneMaxLen    = 32
	AgeMax         = 150
)

// Player is one account of the game. Name is the display form chosen at
// registration; the key under which it is stored is NameKey(Name).
type Player struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	Age       *int      `json:"age"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// PasswordHash is an encoded argon2id hash (see package password). It never
	// leaves the server.
	PasswordHash string `json:"-"`
}

// PlayerUpdate changes some fields of a player; nil fields are left alone.
type PlayerUpdate struct {
	Email        *string
	Phone        *string
	Age          *int
	PasswordHash *string
	UpdatedAt    time.Time
}

var folder = cases.Fold()

// NameKey is the canonical form of a player name: names are unique, and
// matched, by it. Stores key players by it. It is the PRECIS
// UsernameCaseMapped form (RFC 8265: full- and half-width letters mapped to
// their usual form, lower case, NFC, so "ａｌｉｃｅ", "ALICE" and "alice", or
// a precomposed and a decomposed accent, are one name), then case-folded
// ("Straße" and "STRASSE" are one name, as before PRECIS). A name PRECIS
// refuses (a v1 name with a space or a symbol, which the API no longer
// accepts) keeps the key it always had: case-folded NFC. For every name
// without full- or half-width forms the key is the one it was before
// PRECIS; docs/security.md says what that means for stored keys.
func NameKey(name string) string {
	if k, err := precis.UsernameCaseMapped.String(name); err == nil {
		return folder.String(k)
	}
	return LegacyNameKey(name)
}

// LegacyNameKey is the key of a name before PRECIS: case-folded NFC. It
// differs from NameKey only for names with full- or half-width forms.
func LegacyNameKey(name string) string {
	return folder.String(norm.NFC.String(name))
}

// ValidateName checks the name rules of the API: 3 to 32 characters, each a
// letter, a digit, '_', '.' or '-' (an accent may follow a letter, composed
// or not); a name PRECIS UsernameCaseMapped accepts; and the letters of one
// script, so that a Cyrillic or Greek look-alike cannot sit in a Latin name
// ("аlice" with a Cyrillic a). Han may go with Hiragana and Katakana, or
// with Hangul, or with Bopomofo, as Japanese, Korean and Chinese names do
// (the "highly restrictive" level of Unicode TR 39).
func ValidateName(v *ValidationError, field, name string) {
	n := utf8.RuneCountInString(name)
	if n < NameMinLen || n > NameMaxLen {
		v.Add(field, "must be %d to %d characters", NameMinLen, NameMaxLen)
		return
	}
	key, err := precis.UsernameCaseMapped.String(name)
	if err != nil {
		v.Add(field, "may hold only letters, digits, '_', '.' and '-' (no spaces, symbols, ligatures or invisible characters)")
		return
	}
	prev := rune(0)
	for _, r := range key { // width-mapped and composed: '＿' is '_'
		mark := unicode.In(r, unicode.Mn, unicode.Mc) && unicode.IsLetter(prev)
		if !mark && !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.' && r != '-' {
			v.Add(field, "may hold only letters, digits, '_', '.' and '-'")
			return
		}
		if !mark {
			prev = r
		}
	}
	if scripts := scriptsOf(name); !oneScript(scripts) {
		v.Add(field, "mixes the letters of several scripts (%s): use the letters of one", strings.Join(scripts, ", "))
	}
}

// scriptsOf lists the scripts of the letters of name, sorted.
func scriptsOf(name string) []string {
	var found []string
	for _, r := range name {
		if !unicode.IsLetter(r) {
			continue
		}
		for script, table := range unicode.Scripts {
			if script != "Common" && script != "Inherited" && unicode.Is(table, r) {
				if !slices.Contains(found, script) {
					found = append(found, script)
				}
				break
			}
		}
	}
	slices.Sort(found)
	return found
}

// scriptSets are the sets of scripts one name may mix.
var scriptSets = [][]string{{"Han", "Hiragana", "Katakana"}, {"Han", "Hangul"}, {"Bopomofo", "Han"}}

func oneScript(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, set := range scriptSets {
		all := true
		for _, s := range scripts {
			all = all && slices.Contains(set, s)
		}
		if all {
			return true
		}
	}
	return false
}

// ValidatePassword checks the password length rule.
func ValidatePassword(v *ValidationError, field, pw string) {
	if n := utf8.RuneCountInString(pw); n < PasswordMinLen || n > PasswordMaxLen {
		v.Add(field, "must be %d to %d characters", PasswordMinLen, PasswordMaxLen)
	}
}

// ValidateContact checks the optional profile fields.
func ValidateContact(v *ValidationError, email, phone *string, age *int) {
	if email != nil && *email != "" {
		at := strings.LastIndexByte(*email, '@')
		if len(*email) > EmailMaxLen || at <= 0 || at == len(*email)-1 {
			v.Add("email", "must be an email address of at most %d characters", EmailMaxLen)
		}
	}
	if phone != nil && *phone != "" {
		ok := len(*phone) <= PhoneMaxLen
		for _, r := range *phone {
			if !unicode.IsDigit(r) && r != '+' && r != ' ' && r != '-' && r != '(' && r != ')' {
				ok = false
			}
		}
		if !ok {
			v.Add("phone", "must be at most %d digits, spaces and '+-()'", PhoneMaxLen)
		}
	}
	if age != nil && (*age < 0 || *age > AgeMax) {
		v.Add("age", "must be between 0 and %d", AgeMax)
	}
}
