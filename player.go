package gamedata

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/cases"
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
// matched, ignoring case. Stores key players by it.
func NameKey(name string) string {
	return folder.String(norm.NFC.String(name))
}

// ValidateName checks the name rules of the API: 3 to 32 letters, digits,
// '_', '.' or '-'.
func ValidateName(v *ValidationError, field, name string) {
	n := utf8.RuneCountInString(name)
	if n < NameMinLen || n > NameMaxLen {
		v.Add(field, "must be %d to %d characters", NameMinLen, NameMaxLen)
		return
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.' && r != '-' {
			v.Add(field, "may hold only letters, digits, '_', '.' and '-'")
			return
		}
	}
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
