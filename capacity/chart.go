package capacity

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// chartSeries is one line of a panel: a value per month.
type chartSeries struct {
	name   string
	color  string
	values []float64
}

// chartPanel is one line chart over the plan's months.
type chartPanel struct {
	title  string
	unit   func(float64) string // an axis label
	series []chartSeries
}

// Layout of the chart, in pixels.
const (
	chartWidth       = 960
	chartPanelHeight = 320
	chartLeft        = 90
	chartRight       = 45
	chartTop         = 40
	chartBelow       = 75 // the months and the legend
)

// WriteSVG draws the nodes and the monthly cost of each option over the
// plan's months as one SVG document.
func (p *Plan) WriteSVG(w io.Writer) error {
	n := len(p.Months)
	nodes := chartPanel{title: "Nodes at each month's end (every region)", unit: func(v float64) string { return trim(v, 1) }}
	cost := chartPanel{title: "Cost of each month (" + p.Prices.Currency + ", " + p.Prices.Name + ", as of " + p.Prices.AsOf + ")", unit: func(v float64) string { return "$" + num(math.Round(v)) }}
	cas := chartSeries{name: "Cassandra (" + p.Workload.Deployment.CassandraInstance + ")", color: "#4e79a7", values: make([]float64, n)}
	os := chartSeries{name: "OpenSearch", color: "#f28e2b", values: make([]float64, n)}
	rd := chartSeries{name: "Redis", color: "#e15759", values: make([]float64, n)}
	colors := map[Option]string{CassandraEC2: "#4e79a7", KeyspacesOnDemand: "#59a14f", KeyspacesProvisioned: "#b07aa1"}
	opts := make([]chartSeries, len(Options))
	for i, o := range Options {
		opts[i] = chartSeries{name: o.Title(), color: colors[o], values: make([]float64, n)}
	}
	for i, m := range p.Months {
		cas.values[i], os.values[i], rd.values[i] = float64(m.Cassandra.Nodes), float64(m.OpenSearch.Nodes), float64(m.Redis.Nodes)
		for j, t := range m.Options {
			opts[j].values[i] = t.Dollars
		}
	}
	nodes.series = []chartSeries{cas, os, rd}
	cost.series = opts
	labels := make([]string, n)
	for i, m := range p.Months {
		labels[i] = m.Label
	}
	height := 2 * chartPanelHeight
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, "<title>gamedata plan %s</title>\n", html.EscapeString(p.Workload.Name))
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	nodes.draw(&b, 0, labels)
	cost.draw(&b, chartPanelHeight, labels)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten, so that the axis
// has round ticks.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if v <= f*e {
			return f * e
		}
	}
	return 10 * e
}

func (c chartPanel) draw(b *strings.Builder, top int, labels []string) {
	x0, x1 := float64(chartLeft), float64(chartWidth-chartRight)
	y0, y1 := float64(top+chartPanelHeight-chartBelow), float64(top+chartTop)
	hi := 0.0
	for _, s := range c.series {
		for _, v := range s.values {
			hi = math.Max(hi, v)
		}
	}
	hi = niceMax(hi)
	x := func(i int) float64 {
		if len(labels) == 1 {
			return (x0 + x1) / 2
		}
		return x0 + float64(i)/float64(len(labels)-1)*(x1-x0)
	}
	y := func(v float64) float64 { return y0 - v/hi*(y0-y1) }
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>`+"\n", chartLeft, top+20, html.EscapeString(c.title))
	const ticks = 5
	for t := 0; t <= ticks; t++ {
		v := hi * float64(t) / ticks
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, y(v), x1, y(v))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-6, y(v)+4, html.EscapeString(c.unit(v)))
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", x0, y0, x1, y0)
	step := max(1, (len(labels)+11)/12) // at most about twelve month labels
	for i, l := range labels {
		if i%step == 0 || i == len(labels)-1 {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x(i), y0+16, html.EscapeString(l))
		}
	}
	for _, s := range c.series {
		pts := make([]string, len(s.values))
		for i, v := range s.values {
			pts[i] = fmt.Sprintf("%.1f,%.1f", x(i), y(v))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", s.color, strings.Join(pts, " "))
		for i, v := range s.values {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s, %s: %s</title></circle>`+"\n",
				x(i), y(v), s.color, html.EscapeString(s.name), html.EscapeString(labels[i]), html.EscapeString(c.unit(v)))
		}
	}
	lx := x0
	for _, s := range c.series {
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="12" height="4" fill="%s"/>`+"\n", lx, y0+36, s.color)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+16, y0+42, html.EscapeString(s.name))
		lx += 40 + 6.5*float64(len(s.name))
	}
}
