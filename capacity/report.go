package capacity

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the plan as tables: what it assumed, the capacity at
// each month's end, the cost of each option by month, each cost line over
// the plan, and when to add nodes.
func (p *Plan) WriteTable(out io.Writer) error {
	w := p.Workload
	var b strings.Builder
	first, last := p.Months[0], p.Months[len(p.Months)-1]
	fmt.Fprintf(&b, "gamedata plan %q: %d months, %s to %s; %d region(s) × replication %d; growth: %s\n",
		w.Name, len(p.Months), first.Label, last.Label, w.Regions, w.Replication, p.Growth)
	fmt.Fprintf(&b, "prices: %s: %s, %s, as of %s\n", p.Prices.File, p.Prices.Name, p.Prices.Region, p.Prices.AsOf)
	if n := len(p.Prices.Unconfirmed); n > 0 {
		fmt.Fprintf(&b, "  %d figures of the price file are unconfirmed:\n", n)
		for _, u := range p.Prices.Unconfirmed {
			fmt.Fprintf(&b, "  - %s\n", u)
		}
	}
	fmt.Fprintf(&b, "Cassandra: %s on %s; a node serves %s writes/s or %s reads/s (%s)\n",
		w.Deployment.CassandraInstance, p.Storage, num(p.Profile.WritesPerSec), num(p.Profile.ReadsPerSec), p.Profile.Source)
	for _, k := range w.Kinds {
		fmt.Fprintf(&b, "kind %s: %s writes/s of %s, %s reads/s of %s at %s, %s, %s\n", k.Name, num(k.WritesPerSec), k.WriteSize,
			num(k.ReadsPerSec), k.ReadSize, k.ReadConsistency, k.Compaction, retentionWording(k.RetentionDays))
	}

	b.WriteString("\nCapacity at each month's end (data in SI units; nodes for data, disk, requests → per region)\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "month\twrites/s\treads/s\tstored, 1 copy\tall copies\tdisk/region\tC* for data/disk/req\tC*/region\tC* nodes\tEBS GB\tRedis\tOpenSearch\tS3 archive\t")
	for _, m := range p.Months {
		c := m.Cassandra
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d/%d\t%d\t%d\t%s\t%s, %d nodes\t%s, %d nodes\t%s\t\n",
			m.Label, num(m.WritesPerSec), num(m.ReadsPerSec), formatBytes(m.Stored), formatBytes(m.Replicated), formatBytes(c.DiskPerRegion),
			c.NodesForData, c.NodesForDisk, c.NodesForThroughput, c.NodesPerRegion, c.Nodes, num(c.EBSGB),
			formatBytes(m.Redis.MemoryPerRegion*float64(w.Regions)), m.Redis.Nodes,
			formatBytes(m.OpenSearch.StoragePerRegion*float64(w.Regions)), m.OpenSearch.Nodes, formatBytes(m.Archive.Bytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	b.WriteString("\nCost by month (USD; every option includes OpenSearch, ElastiCache and S3)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "month\t"
	for _, o := range Options {
		head += o.Title() + "\t"
	}
	fmt.Fprintln(tw, head+"of which common\t")
	row := func(label string, totals []OptionTotal, common float64) {
		fmt.Fprintf(tw, "%s\t", label)
		for _, t := range totals {
			fmt.Fprintf(tw, "%s\t", money(t.Dollars))
		}
		fmt.Fprintf(tw, "%s\t\n", money(common))
	}
	for _, m := range p.Months {
		row(m.Label, m.Options, commonOf(m.Costs))
	}
	row("total", p.Options, commonOf(p.Totals))
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(&b, "\nCost lines over the %d months (USD)\n", len(p.Months))
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "line\tpaid by\tdollars")
	for _, c := range p.Totals {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Key, groupTitle(c.Group), money(c.Dollars))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	b.WriteString("\nWhen to add nodes (per region; the start date allows the lead time and, for Cassandra, streaming the data one node at a time)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "service\tfrom month\tnodes\tstart by")
	for _, a := range p.Schedule {
		fmt.Fprintf(tw, "%s\t%s\t%d → %d\t%s\n", a.Service, a.Label, a.From, a.To, a.StartBy)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n--explain shows every formula with its inputs; docs/capacity.md explains the model.\n")
	_, err := io.WriteString(out, b.String())
	return err
}

// WriteExplain prints the working: every quantity of every month with its
// formula and inputs.
func (p *Plan) WriteExplain(out io.Writer) error {
	var b strings.Builder
	month := -1
	for _, s := range p.Steps {
		if s.Month != month {
			month = s.Month
			if month == 0 {
				b.WriteString("Inputs\n")
			} else {
				fmt.Fprintf(&b, "\nMonth %d (%s)\n", month, p.Months[month-1].Label)
			}
		}
		if s.Value == "" {
			fmt.Fprintf(&b, "  %s: %s\n", s.What, s.Formula)
		} else {
			fmt.Fprintf(&b, "  %s = %s = %s\n", s.What, s.Formula, s.Value)
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func commonOf(costs []Cost) float64 {
	var sum float64
	for _, c := range costs {
		if c.Group == GroupCommon {
			sum += c.Dollars
		}
	}
	return sum
}

func groupTitle(g Group) string {
	switch g {
	case GroupCommon:
		return "every option"
	case GroupKeyspaces:
		return "both Keyspaces modes"
	}
	return Option(g).Title()
}
