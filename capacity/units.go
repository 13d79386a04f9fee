// Package capacity is the planner behind gamedata plan: from a workload
// (writes and reads by kind, their sizes, retention, replication, regions
// and a growth curve), a price file and a per-node throughput profile, it
// works out month by month the data stored, the disk and the nodes each
// engine needs, when to add them, and what each way of running the store
// costs, and keeps every formula with its inputs so that --explain can
// show the working. The model and its assumptions are described in
// docs/capacity.md.
package capacity

import (
	"fmt"
	"math"
	"strings"

	"github.com/dustin/go-humanize"
	"gopkg.in/yaml.v3"
)

// Time units of the plan. A month is a twelfth of a 365-day year, as AWS
// prices a month at 730 hours: twelve of them are exactly a year.
const (
	daysPerYear     = 365
	secondsPerDay   = 24 * 3600
	daysPerMonth    = float64(daysPerYear) / 12
	secondsPerMonth = daysPerYear * secondsPerDay / 12 // 2,628,000
)

// Byte units. Sizes in a workload follow the SI and IEC prefixes as written
// ("1KB" is 1,000 bytes, "1KiB" 1,024); a data size is printed in SI units.
const (
	kib = 1 << 10
	gib = 1 << 30
	tib = 1 << 40
)

// Bytes is a size in bytes that reads from YAML or a flag as "1KB", "4KiB",
// "2TB" or a plain number.
type Bytes float64

// ParseBytes reads "1KB", "4 KiB", "2TB" or "512".
func ParseBytes(s string) (Bytes, error) {
	v, err := humanize.ParseBigBytes(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number of bytes like 512, 1KB or 4KiB", s)
	}
	f, _ := v.Float64()
	return Bytes(f), nil
}

// String prints b in SI units with up to three decimals: "31.536 TB".
func (b Bytes) String() string { return formatBytes(float64(b)) }

// Set implements pflag.Value.
func (b *Bytes) Set(s string) error {
	v, err := ParseBytes(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// Type names the flag's values in --help.
func (b *Bytes) Type() string { return "size" }

// UnmarshalYAML reads a size written as text or as a number.
func (b *Bytes) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseBytes(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

func formatBytes(v float64) string {
	// A whole number of binary units that is not one of decimal units
	// (a Keyspaces unit of 1 KiB, an EBS volume of 16 TiB) reads as such.
	for i, u := range []string{"PiB", "TiB", "GiB", "MiB", "KiB"} {
		b := math.Pow(1024, float64(5-i))
		d := math.Pow(1000, float64(5-i))
		if v >= b && math.Mod(v, b) == 0 && math.Mod(v, d) != 0 {
			return trim(v/b, 3) + " " + u
		}
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	i := 0
	for math.Abs(v) >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return trim(v, 0) + " B"
	}
	return trim(v, 3) + " " + units[i]
}

// trim prints v with at most prec decimals and no trailing zeros.
func trim(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// num prints a count or a rate with thousands separators and at most two
// decimals: 2,628,000 or 1,428.57.
func num(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Sprint(v)
	}
	return humanize.Commaf(math.Round(v*100) / 100)
}

// money prints dollars with cents: $1,642.50.
func money(v float64) string {
	s := humanize.CommafWithDigits(math.Round(v*100)/100, 2)
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	if strings.HasPrefix(whole, "-") {
		return "-$" + whole[1:] + "." + frac
	}
	return "$" + whole + "." + frac
}

// ceil rounds up, forgiving the float error of a product that is a whole
// number (3 × 1.0000000000000002 needs 3 nodes, not 4).
func ceil(v float64) float64 { return math.Ceil(v - 1e-9) }
