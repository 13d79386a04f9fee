package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// series is one set of bars of a panel: a value (ms) per category.
type series struct {
	name   string
	values []float64
}

// panel is one bar chart: categories along x, a log-scale y in ms.
type panel struct {
	title      string
	categories []string
	series     []series
	// goal, when not 0, is drawn as a line at that many ms.
	goal      float64
	goalLabel string
}

var colors = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948"}

// Layout of the plot, in pixels.
const (
	plotWidth   = 980
	panelHeight = 300
	marginLeft  = 70
	marginRight = 20
	marginTop   = 40
	marginBelow = 70 // the category names
)

// panels are the plot's charts: the percentiles of each seed run, and the
// p99s of each growth pair.
func (r *report) panels() []panel {
	var out []panel
	for _, br := range r.table("a") {
		p := panel{title: "Seed workload, " + br.meta.Label + ": latency percentiles (ms, log scale)",
			goal: readP99Goal, goalLabel: fmt.Sprintf("goal of the reads' p99: %g ms", readP99Goal)}
		ps := []series{{name: "p50"}, {name: "p95"}, {name: "p99"}, {name: "p99.9"}}
		for _, s := range br.out.Scenarios {
			p.categories = append(p.categories, s.Name)
			for i, v := range []float64{s.P50, s.P95, s.P99, s.P999} {
				ps[i].values = append(ps[i].values, v)
			}
		}
		p.series = ps
		out = append(out, p)
	}
	for _, pair := range growthPairs(r.table("c")) {
		p := panel{title: "As the data grows, " + pair[0].meta.Label + ": p99 (ms, log scale)"}
		small := series{name: fmt.Sprintf("p99 at %d players", pair[0].meta.Players)}
		large := series{name: fmt.Sprintf("p99 at %d players", pair[1].meta.Players)}
		for _, row := range growthRows(pair) {
			p.categories = append(p.categories, row.name)
			small.values = append(small.values, row.small.P99)
			large.values = append(large.values, row.large.P99)
		}
		p.series = []series{small, large}
		out = append(out, p)
	}
	return out
}

// plot writes the panels as one SVG.
func (r *report) plot(w io.Writer) error {
	panels := r.panels()
	height := max(len(panels), 1) * panelHeight
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		plotWidth, height, plotWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for i, p := range panels {
		p.draw(&b, i*panelHeight)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// decades returns the powers of ten that frame values (ms), at least 0.1
// to 10.
func decades(p panel) (lo, hi float64) {
	lo, hi = 0.1, 10
	for _, s := range p.series {
		for _, v := range s.values {
			if v > 0 {
				lo = math.Min(lo, math.Pow(10, math.Floor(math.Log10(v))))
				hi = math.Max(hi, math.Pow(10, math.Ceil(math.Log10(v))))
			}
		}
	}
	return lo, hi
}

func (p panel) draw(b *strings.Builder, top int) {
	x0, x1 := float64(marginLeft), float64(plotWidth-marginRight)
	y0, y1 := float64(top+panelHeight-marginBelow), float64(top+marginTop)
	lo, hi := decades(p)
	y := func(v float64) float64 {
		v = math.Max(v, lo)
		return y0 - (math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*(y0-y1)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>`+"\n", marginLeft, top+18, html.EscapeString(p.title))
	for d := lo; d <= hi*1.0001; d *= 10 {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, y(d), x1, y(d))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s ms</text>`+"\n", x0-6, y(d)+4, trimFloat(d))
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", x0, y0, x1, y0)
	if p.goal > 0 {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="6 4"/>`+"\n", x0, y(p.goal), x1, y(p.goal))
	}
	if len(p.categories) == 0 {
		return
	}
	groupW := (x1 - x0) / float64(len(p.categories))
	barW := groupW * 0.8 / float64(len(p.series))
	for ci, c := range p.categories {
		gx := x0 + float64(ci)*groupW + groupW*0.1
		for si, s := range p.series {
			v := s.values[ci]
			bx, by := gx+float64(si)*barW, y(v)
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.2f ms</title></rect>`+"\n",
				bx, by, barW*0.92, y0-by, colors[si%len(colors)], html.EscapeString(c), html.EscapeString(s.name), v)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", gx+groupW*0.4, y0+16, html.EscapeString(c))
	}
	lx := x0
	for si, s := range p.series {
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`+"\n", lx, y0+34, colors[si%len(colors)])
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+14, y0+43, html.EscapeString(s.name))
		lx += 24 + 7*float64(len(s.name))
	}
	if p.goal > 0 {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="6 4"/>`+"\n", lx, y0+39, lx+24, y0+39)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="#c00">%s</text>`+"\n", lx+30, y0+43, html.EscapeString(p.goalLabel))
	}
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}
