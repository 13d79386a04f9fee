package gamedata

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in cents. Prices are money, never floating point; on the
// wire they are decimal strings with at most two decimals ("12.50").
type Money int64

// MaxMoney bounds a single price (v1 used DECIMAL(10,2)).
const MaxMoney Money = 99_999_999_99

// ParseMoney reads a non-negative decimal string with at most two decimals.
func ParseMoney(s string) (Money, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 8 || (hasDot && (len(frac) == 0 || len(frac) > 2)) {
		return 0, fmt.Errorf("%q is not a decimal with at most 2 decimals and 8 digits before the point", s)
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("%q is not a non-negative decimal", s)
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %q: %w", s, err)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // digits only, checked above
	return Money(w*100 + f), nil
}

// String formats m as a decimal string with two decimals.
func (m Money) String() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}

// MarshalJSON writes m as a decimal string.
func (m Money) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON reads a decimal string.
func (m *Money) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("money must be a decimal string: %w", err)
	}
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
