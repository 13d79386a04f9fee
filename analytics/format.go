package analytics

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Format is how a Result is written.
type Format string

const (
	FormatTable Format = "table"
	FormatCSV   Format = "csv"
	FormatJSON  Format = "json"
)

// Formats are the formats Write knows.
var Formats = []string{string(FormatTable), string(FormatCSV), string(FormatJSON)}

// Write writes r to w in format f: an aligned table, CSV with a header,
// or JSON lines of objects.
func (r Result) Write(w io.Writer, f Format) error {
	switch f {
	case FormatCSV:
		cw := csv.NewWriter(w)
		_ = cw.Write(r.Columns)
		for _, row := range r.Rows {
			_ = cw.Write(r.strings(row))
		}
		cw.Flush()
		return cw.Error()
	case FormatJSON:
		enc := json.NewEncoder(w)
		for _, row := range r.Rows {
			obj := make(map[string]any, len(row))
			for i, c := range r.Columns {
				obj[c] = jsonValue(row[i])
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
		return nil
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(r.Columns, "\t"))
		for _, row := range r.Rows {
			fmt.Fprintln(tw, strings.Join(r.strings(row), "\t"))
		}
		if len(r.Rows) == 0 {
			fmt.Fprintln(tw, "(no rows)")
		}
		return tw.Flush()
	}
}

func (r Result) strings(row []any) []string {
	out := make([]string, len(row))
	for i, v := range row {
		out[i] = Text(v)
	}
	return out
}

// Text writes a value as an analyst reads it: dates as YYYY-MM-DD,
// timestamps in RFC 3339, decimals exactly, with every digit of their scale.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if x.Equal(x.Truncate(24 * time.Hour)) {
			return x.UTC().Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case duckdb.Decimal:
		return decimalText(x)
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// jsonValue keeps numbers and strings as JSON has them; a decimal is a
// string, so that no cent is lost to a float.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, float32, float64:
		return x
	default:
		return Text(v)
	}
}

// decimalText writes d with all its scale's digits (3.10, not 3.1).
func decimalText(d duckdb.Decimal) string {
	v := new(big.Int).Set(d.Value)
	neg := v.Sign() < 0
	digits := v.Abs(v).String()
	scale := int(d.Scale)
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		digits = "-" + digits
	}
	return digits
}
