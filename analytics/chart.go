package analytics

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Chart geometry, in SVG pixels.
const (
	chartW, chartH         = 960.0, 420.0
	plotL, plotR           = 80.0, 880.0
	plotT, plotB           = 50.0, 360.0
	chartTicks             = 5
	revenueColor, dauColor = "#4e79a7", "#f28e2b"
)

// WriteSVG draws revenue per day (bars, left axis) and active players per
// day (line, right axis) over the report's days.
func WriteSVG(w io.Writer, points []DayPoint) error {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n",
		chartW, chartH, chartW, chartH)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	b.WriteString(`<text x="80" y="22" font-size="14" font-weight="bold">Revenue and active players per day (from the archive)</text>` + "\n")
	fmt.Fprintf(&b, `<rect x="560" y="32" width="10" height="10" fill="%s"/><text x="575" y="41">revenue (left)</text>`+
		`<line x1="680" y1="37" x2="700" y2="37" stroke="%s" stroke-width="2"/><text x="705" y="41">active players (right)</text>`+"\n",
		revenueColor, dauColor)
	if len(points) == 0 {
		b.WriteString(`<text x="400" y="200">no day archived</text></svg>` + "\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	maxRev, maxDAU := 0.0, 0.0
	for _, p := range points {
		maxRev = math.Max(maxRev, p.Revenue)
		maxDAU = math.Max(maxDAU, float64(p.Active))
	}
	maxRev, maxDAU = niceCeil(maxRev), niceCeil(maxDAU)
	first, last := points[0].Day, points[len(points)-1].Day
	days := last.Sub(first).Hours()/24 + 1
	slot := (plotR - plotL) / days
	x := func(t time.Time) float64 { return plotL + (t.Sub(first).Hours()/24)*slot }
	yRev := func(v float64) float64 { return plotB - v/maxRev*(plotB-plotT) }
	yDAU := func(v float64) float64 { return plotB - v/maxDAU*(plotB-plotT) }
	for i := 0; i <= chartTicks; i++ {
		f := float64(i) / chartTicks
		y := plotB - f*(plotB-plotT)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", plotL, y, plotR, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="%s">%s</text>`+"\n", plotL-6, y+4, revenueColor, short(f*maxRev))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n", plotR+6, y+4, dauColor, short(f*maxDAU))
	}
	// A label at each month's first day (or the first point).
	for i, p := range points {
		if i == 0 || p.Day.Day() == 1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x(p.Day)+slot/2, plotB+16, p.Day.Format("2006-01"))
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`+"\n", x(p.Day), plotB, x(p.Day), plotB+4)
		}
	}
	bw := math.Max(slot*0.8, 0.5)
	for _, p := range points {
		if p.Revenue > 0 {
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"><title>%s: %.2f</title></rect>`+"\n",
				x(p.Day)+(slot-bw)/2, yRev(p.Revenue), bw, plotB-yRev(p.Revenue), revenueColor, p.Day.Format(time.DateOnly), p.Revenue)
		}
	}
	var line []string
	for _, p := range points {
		line = append(line, fmt.Sprintf("%.2f,%.2f", x(p.Day)+slot/2, yDAU(float64(p.Active))))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", dauColor, strings.Join(line, " "))
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", plotL, plotB, plotR, plotB)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s to %s, %d days</text>`+"\n", (plotL+plotR)/2, plotB+40,
		first.Format(time.DateOnly), last.Format(time.DateOnly), len(points))
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 at least).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func short(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}
