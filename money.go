package gamedata

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
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

// MoneySum is an exact sum of non-negative money, in cents, on 128 bits:
// revenue over any number of orders. An int64 of cents would overflow after
// 923 orders at MaxMoney x AmountMax; 2^128 cents are never reached, and Add
// says so rather than wrap if they were. On the wire it is a decimal string
// like Money, of any length ("92499907490750009.25").
type MoneySum struct{ hi, lo uint64 }

// ErrSumOverflow is the error of a MoneySum that would pass 2^128 cents.
var ErrSumOverflow = errors.New("money sum overflows 128 bits")

// Order totals (price x amount) are summed by the searchers in limbs: each
// total is cut into OrderTotalLimbs pieces of OrderTotalLimbBits bits, each
// piece is summed on its own and the sums are put together here. SQLite adds
// int64s (and fails on an overflow); OpenSearch adds doubles, exact below
// 2^53. A piece is below 2^18, so a bucket may hold 2^35 paid orders (34
// billion) before a double sum of pieces could round; MaxOrderTotal fits in
// the pieces (TestOrderTotalFitsTheLimbs).
const (
	OrderTotalLimbBits = 18
	OrderTotalLimbs    = 3
	OrderTotalLimbMask = 1<<OrderTotalLimbBits - 1
	// MaxLimbSumCount is how many pieces a double adds exactly: a bucket
	// with more paid orders is refused rather than summed inexactly.
	MaxLimbSumCount = 1 << (53 - OrderTotalLimbBits)
)

// MaxOrderTotal is the largest price x amount of an order.
const MaxOrderTotal = MaxMoney * AmountMax

// MoneySumOf returns m as a sum.
func MoneySumOf(m Money) (MoneySum, error) { return MoneySum{}.Add(m) }

// Add returns s + m; m must not be negative.
func (s MoneySum) Add(m Money) (MoneySum, error) {
	if m < 0 {
		return s, fmt.Errorf("money sum: add %s: a sum is of non-negative amounts", m)
	}
	return s.addShifted(uint64(m), 0)
}

// addShifted returns s + v<<shift, or ErrSumOverflow.
func (s MoneySum) addShifted(v uint64, shift uint) (MoneySum, error) {
	var hi, lo uint64
	switch {
	case shift == 0:
		lo = v
	case shift < 64:
		hi, lo = v>>(64-shift), v<<shift
	default:
		if v>>(128-shift) != 0 {
			return s, ErrSumOverflow
		}
		hi = v << (shift - 64)
	}
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, lo, 0)
	s.hi, carry = bits.Add64(s.hi, hi, carry)
	if carry != 0 {
		return s, ErrSumOverflow
	}
	return s, nil
}

// MoneySumOfLimbs puts together the per-piece sums of order totals (see
// OrderTotalLimbBits): limbs[i] sums the pieces of bits [18i, 18i+18).
func MoneySumOfLimbs(limbs [OrderTotalLimbs]int64) (MoneySum, error) {
	var s MoneySum
	for i, l := range limbs {
		if l < 0 {
			return MoneySum{}, fmt.Errorf("money sum: limb %d is negative (%d)", i, l)
		}
		var err error
		if s, err = s.addShifted(uint64(l), uint(i*OrderTotalLimbBits)); err != nil {
			return MoneySum{}, err
		}
	}
	return s, nil
}

// OrderTotalLimbsOf cuts an order total into its pieces.
func OrderTotalLimbsOf(total Money) [OrderTotalLimbs]int64 {
	var l [OrderTotalLimbs]int64
	for i := range l {
		l[i] = int64(total>>(i*OrderTotalLimbBits)) & OrderTotalLimbMask
	}
	return l
}

func (s MoneySum) big() *big.Int {
	b := new(big.Int).SetUint64(s.hi)
	return b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(s.lo))
}

// IsZero reports whether s is 0.
func (s MoneySum) IsZero() bool { return s == MoneySum{} }

// String formats s as a decimal string with two decimals.
func (s MoneySum) String() string {
	var cents big.Int
	whole, _ := new(big.Int).QuoRem(s.big(), big.NewInt(100), &cents)
	return fmt.Sprintf("%s.%02d", whole, cents.Int64())
}

// maxSumDigits bounds the digits before the point of a parsed sum (2^128
// has 39 digits; 37 before the point).
const maxSumDigits = 37

// ParseMoneySum reads a non-negative decimal string with at most two
// decimals, of at most 2^128 - 1 cents.
func ParseMoneySum(str string) (MoneySum, error) {
	whole, frac, hasDot := strings.Cut(str, ".")
	if whole == "" || len(whole) > maxSumDigits || (hasDot && (len(frac) == 0 || len(frac) > 2)) ||
		strings.IndexFunc(whole+frac, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return MoneySum{}, fmt.Errorf("%q is not a non-negative decimal with at most 2 decimals", str)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	b, _ := new(big.Int).SetString(whole+frac, 10) // digits only, checked above
	if b.BitLen() > 128 {
		return MoneySum{}, fmt.Errorf("%q: %w", str, ErrSumOverflow)
	}
	lo := new(big.Int).And(b, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
	return MoneySum{hi: new(big.Int).Rsh(b, 64).Uint64(), lo: lo}, nil
}

// MarshalJSON writes s as a decimal string.
func (s MoneySum) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a decimal string.
func (s *MoneySum) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("a money sum must be a decimal string: %w", err)
	}
	v, err := ParseMoneySum(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}
