package gamedata

import (
	"errors"
	"fmt"
	"math/big"
	"testing"
)

func TestOrderTotalFitsTheLimbs(t *testing.T) {
	if MaxOrderTotal >= 1<<(OrderTotalLimbs*OrderTotalLimbBits) {
		t.Fatalf("MaxOrderTotal %d does not fit %d limbs of %d bits", MaxOrderTotal, OrderTotalLimbs, OrderTotalLimbBits)
	}
}

// TestMoneySumIsExactPastInt64 adds what overflows an int64 of cents (923
// orders at the largest total) and compares with math/big.
func TestMoneySumIsExactPastInt64(t *testing.T) {
	const n = 1000
	total := Money(MaxMoney * 999_999) // odd: not a double either
	var s, limbs MoneySum
	var l [OrderTotalLimbs]int64
	want := new(big.Int)
	for range n {
		var err error
		if s, err = s.Add(total); err != nil {
			t.Fatal(err)
		}
		for i, v := range OrderTotalLimbsOf(total) {
			l[i] += v
		}
		want.Add(want, big.NewInt(int64(total)))
	}
	limbs, err := MoneySumOfLimbs(l)
	if err != nil {
		t.Fatal(err)
	}
	wantStr := fmt.Sprintf("%s.%02d", new(big.Int).Quo(want, big.NewInt(100)), new(big.Int).Rem(want, big.NewInt(100)).Int64())
	if s.String() != wantStr || limbs != s {
		t.Fatalf("sum %s, limbs %s, want %s", s, limbs, wantStr)
	}
	back, err := ParseMoneySum(s.String())
	if err != nil || back != s {
		t.Fatalf("ParseMoneySum(%s) = %s, %v", s, back, err)
	}
}

func TestMoneySumOverflowIsAnError(t *testing.T) {
	top, err := ParseMoneySum("3402823669209384634633746074317682114.55") // 2^128 - 1 cents
	if err != nil {
		t.Fatal(err)
	}
	if _, err := top.Add(1); !errors.Is(err, ErrSumOverflow) {
		t.Fatalf("2^128-1 cents + 1: %v, want ErrSumOverflow", err)
	}
	if _, err := ParseMoneySum("3402823669209384634633746074317682114.56"); !errors.Is(err, ErrSumOverflow) {
		t.Fatalf("parse 2^128 cents: %v", err)
	}
	if _, err := (MoneySum{}).Add(-1); err == nil {
		t.Fatal("a negative amount was added")
	}
	for _, bad := range []string{"", ".5", "1.", "1.234", "-1", "1e3", " 1", "१"} {
		if _, err := ParseMoneySum(bad); err == nil {
			t.Errorf("ParseMoneySum(%q) took it", bad)
		}
	}
}
