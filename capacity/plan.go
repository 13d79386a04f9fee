package capacity

import (
	"fmt"
	"math"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// Input is what a plan is made from.
type Input struct {
	Workload Workload
	Prices   *Prices
	// Profile is the per-node throughput; nil: the price file's default
	// for the Cassandra instance type.
	Profile *NodeProfile
	// Start is the first month when the workload does not set one.
	Start time.Time
}

// Plan is the answer, month by month.
type Plan struct {
	Workload Workload    `json:"workload"`
	Prices   PricesUsed  `json:"prices"`
	Profile  NodeProfile `json:"node_profile"`
	// Storage is where the Cassandra nodes keep their data.
	Storage Storage `json:"cassandra_storage"`
	// Growth says how the months' players were found.
	Growth   string        `json:"growth"`
	Months   []Month       `json:"months"`
	Schedule []Addition    `json:"schedule"`
	Totals   []Cost        `json:"totals"` // each cost line over the whole plan
	Options  []OptionTotal `json:"options"`
	Steps    []Step        `json:"working,omitempty"`
	inst     Instance
	prices   *Prices
}

// PricesUsed names the price file a plan used.
type PricesUsed struct {
	File        string   `json:"file"`
	Name        string   `json:"name"`
	Region      string   `json:"region"`
	AsOf        string   `json:"as_of"`
	Currency    string   `json:"currency"`
	Unconfirmed []string `json:"unconfirmed,omitempty"`
}

// Month is one month of the plan. Stocks (data, nodes) are at its end;
// flows (requests, bytes written, dollars) are over the month.
type Month struct {
	Month        int     `json:"month"`
	Label        string  `json:"label"`
	Players      float64 `json:"daily_players"`
	Factor       float64 `json:"growth_factor"`
	WritesPerSec float64 `json:"writes_per_s"`
	ReadsPerSec  float64 `json:"reads_per_s"`
	// Written is the bytes written this month, one copy.
	Written float64 `json:"written_bytes"`
	// Stored is the hot data at the month's end, one copy; Replicated is
	// every copy in every region.
	Stored     float64         `json:"stored_bytes"`
	Replicated float64         `json:"replicated_bytes"`
	Cassandra  CassandraMonth  `json:"cassandra"`
	Keyspaces  KeyspacesMonth  `json:"keyspaces"`
	OpenSearch OpenSearchMonth `json:"opensearch"`
	Redis      RedisMonth      `json:"redis"`
	Archive    ArchiveMonth    `json:"archive"`
	Costs      []Cost          `json:"costs"`
	Options    []OptionTotal   `json:"options"`
}

// CassandraMonth is the self-managed cluster.
type CassandraMonth struct {
	DataPerRegion float64 `json:"data_per_region_bytes"`
	DiskPerRegion float64 `json:"disk_per_region_bytes"`
	// The nodes a region needs for its data (MaxDataPerNode), for its disk
	// (the largest disk a node has) and for its peak requests.
	NodesForData       int `json:"nodes_for_data"`
	NodesForDisk       int `json:"nodes_for_disk"`
	NodesForThroughput int `json:"nodes_for_throughput"`
	// Load is the peak requests of a region in whole nodes' capacity.
	Load           float64 `json:"load_nodes"`
	NodesPerRegion int     `json:"nodes_per_region"`
	Nodes          int     `json:"nodes"`
	// VolumeGB is each node's gp3 volume in billed GB (0 on instance
	// store); EBSGB all of them.
	VolumeGB float64 `json:"volume_gb"`
	EBSGB    float64 `json:"ebs_gb"`
	// InterAZBytes and InterRegionBytes are the replication traffic.
	InterAZBytes     float64 `json:"inter_az_bytes"`
	InterRegionBytes float64 `json:"inter_region_bytes"`
}

// KeyspacesMonth is the same workload on Amazon Keyspaces.
type KeyspacesMonth struct {
	WRU      float64 `json:"write_request_units"`
	RRU      float64 `json:"read_request_units"`
	TTLUnits float64 `json:"ttl_delete_units"`
	// WCU and RCU are the provisioned capacity of every region together.
	WCU float64 `json:"write_capacity_units"`
	RCU float64 `json:"read_capacity_units"`
	// StorageGBMonths is the month's mean storage of every region, billed GB.
	StorageGBMonths float64 `json:"storage_gb_months"`
}

// OpenSearchMonth is each region's search domain.
type OpenSearchMonth struct {
	SourcePerRegion  float64 `json:"source_per_region_bytes"`
	StoragePerRegion float64 `json:"storage_per_region_bytes"`
	NodesPerRegion   int     `json:"nodes_per_region"`
	Nodes            int     `json:"nodes"`
	EBSGB            float64 `json:"ebs_gb"`
}

// RedisMonth is each region's ElastiCache cluster.
type RedisMonth struct {
	MemoryPerRegion float64 `json:"memory_per_region_bytes"`
	Shards          int     `json:"shards_per_region"`
	NodesPerRegion  int     `json:"nodes_per_region"`
	Nodes           int     `json:"nodes"`
}

// ArchiveMonth is the Parquet archive in S3 (one copy for all regions).
type ArchiveMonth struct {
	Bytes    float64 `json:"bytes"`
	Added    float64 `json:"added_bytes"`
	Objects  float64 `json:"objects_written"`
	GBMonths float64 `json:"gb_months"`
}

// Group is what a cost line belongs to: one way of running the store, or
// every way (common).
type Group string

// Cost groups.
const (
	GroupCassandraEC2         Group = "cassandra_ec2"
	GroupKeyspaces            Group = "keyspaces" // both capacity modes
	GroupKeyspacesOnDemand    Group = "keyspaces_on_demand"
	GroupKeyspacesProvisioned Group = "keyspaces_provisioned"
	GroupCommon               Group = "common"
)

// Option is a way of running the primary store, with everything else
// (search, cache, archive) alike.
type Option string

// The options a plan compares.
const (
	CassandraEC2         Option = "cassandra_ec2"
	KeyspacesOnDemand    Option = "keyspaces_on_demand"
	KeyspacesProvisioned Option = "keyspaces_provisioned"
)

// Options are the options in the order of the tables.
var Options = []Option{CassandraEC2, KeyspacesOnDemand, KeyspacesProvisioned}

// Includes reports whether the option pays the lines of g.
func (o Option) Includes(g Group) bool {
	switch g {
	case GroupCommon:
		return true
	case GroupKeyspaces:
		return o == KeyspacesOnDemand || o == KeyspacesProvisioned
	}
	return string(g) == string(o)
}

// Title is how tables name the option.
func (o Option) Title() string {
	switch o {
	case CassandraEC2:
		return "Cassandra on EC2"
	case KeyspacesOnDemand:
		return "Keyspaces on-demand"
	}
	return "Keyspaces provisioned"
}

// Cost is one line of a bill.
type Cost struct {
	Key     string  `json:"key"`
	Group   Group   `json:"group"`
	What    string  `json:"what"`
	Dollars float64 `json:"dollars"`
}

// OptionTotal is what an option costs, its share of the common lines
// included.
type OptionTotal struct {
	Option  Option  `json:"option"`
	Dollars float64 `json:"dollars"`
}

// Addition is a change of a cluster's size: the nodes each region must
// have from the start of a month, and the date the work must start to get
// there in time.
type Addition struct {
	Service string `json:"service"`
	Month   int    `json:"month"`
	Label   string `json:"label"`
	From    int    `json:"from_per_region"`
	To      int    `json:"to_per_region"`
	// Bootstrap is the time the new nodes take to receive their data, one
	// after another.
	BootstrapHours float64 `json:"bootstrap_hours"`
	StartBy        string  `json:"start_by"`
}

// Step is one line of the working: a quantity, its formula with the inputs
// it was given, and its value.
type Step struct {
	Month   int    `json:"month"` // 0: the whole plan
	What    string `json:"what"`
	Formula string `json:"formula"`
	Value   string `json:"value"`
}

func (p *Plan) step(month int, what, value, formula string, args ...any) {
	p.Steps = append(p.Steps, Step{Month: month, What: what, Formula: fmt.Sprintf(formula, args...), Value: value})
}

// kindSeries is a kind's data month by month (index 0 is before month 1).
type kindSeries struct {
	k         Kind
	rows      []float64 // rows inserted in the month
	written   []float64 // bytes inserted in the month, one copy
	cumulated []float64 // bytes inserted up to the month's end
	hot       []float64 // hot bytes at the month's end, one copy
	docs      []float64 // search source bytes at the month's end
}

// keep is the share of what was written age months before the end of the
// month it was written in that is still kept at a month's end, with a
// retention of r months (0: for ever): writes are even through a month.
func keep(age int, r float64) float64 {
	if r <= 0 {
		return 1
	}
	return math.Max(0, math.Min(1, r-float64(age)))
}

// Compute makes the plan.
func Compute(in Input) (*Plan, error) {
	w := in.Workload
	if err := w.Validate(); err != nil {
		return nil, err
	}
	pr := in.Prices
	inst, err := pr.instance(w.Deployment.CassandraInstance)
	if err != nil {
		return nil, err
	}
	storage := w.Deployment.CassandraStorage
	if storage == "" {
		storage = EBSGP3
		if inst.InstanceStore > 0 {
			storage = InstanceStore
		}
	}
	if storage == InstanceStore && inst.InstanceStore <= 0 {
		return nil, gamedata.Invalid("deployment.cassandra_storage", "%s has no instance store: choose %s or an instance with local disks", w.Deployment.CassandraInstance, EBSGP3)
	}
	search, err := pr.searchInstance(w.Deployment.OpenSearchInstance)
	if err != nil {
		return nil, err
	}
	cache, err := pr.cacheNode(w.Deployment.RedisNode)
	if err != nil {
		return nil, err
	}
	prof := defaultProfile(w.Deployment.CassandraInstance, inst)
	if in.Profile != nil {
		prof = *in.Profile
	}
	if prof.WritesPerSec <= 0 || prof.ReadsPerSec <= 0 {
		return nil, gamedata.Invalid("node profile", "writes and reads a second must be more than 0")
	}
	c, err := growthCurve(&w, in.Start)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		Workload: w, Profile: prof, Storage: storage, Growth: c.source, inst: inst, prices: pr,
		Prices: PricesUsed{File: pr.path, Name: pr.Name, Region: pr.Region, AsOf: pr.AsOf, Currency: pr.Currency, Unconfirmed: pr.Unconfirmed},
	}
	p.describeInputs(pr)
	months := len(c.labels)
	series := make([]kindSeries, len(w.Kinds))
	for i, k := range w.Kinds {
		s := kindSeries{k: k, rows: make([]float64, months+1), written: make([]float64, months+1),
			cumulated: make([]float64, months+1), hot: make([]float64, months+1), docs: make([]float64, months+1)}
		r := k.RetentionDays / daysPerMonth
		for m := 1; m <= months; m++ {
			f := c.players[m-1] / w.Players
			s.rows[m] = k.WritesPerSec * f * k.InsertShare * secondsPerMonth
			s.written[m] = s.rows[m] * float64(k.WriteSize)
			s.cumulated[m] = s.cumulated[m-1] + s.written[m]
			for j := 1; j <= m; j++ {
				s.hot[m] += s.written[j] * keep(m-j, r)
				if k.Search != nil {
					s.docs[m] += s.rows[j] * k.Search.DocShare * float64(k.Search.DocSize) * keep(m-j, k.Search.RetentionDays/daysPerMonth)
				}
			}
		}
		series[i] = s
	}
	var prevArchive float64
	prevNodes := map[string]int{}
	for m := 1; m <= months; m++ {
		mo := p.month(m, c, series, search, cache, &prevArchive)
		p.Months = append(p.Months, mo)
		p.schedule(mo, c, prevNodes)
	}
	p.total()
	return p, nil
}

// describeInputs records the plan's constants in the working.
func (p *Plan) describeInputs(pr *Prices) {
	w := p.Workload
	p.step(0, "prices", "", "%s: %s, %s, as of %s", pr.path, pr.Name, pr.Region, pr.AsOf)
	p.step(0, "a month", num(secondsPerMonth)+" s", "365 days × 86,400 s / 12, priced as %g hours", pr.HoursPerMonth)
	p.step(0, "a billed GB", num(pr.BilledGB)+" B", "as the price file says")
	p.step(0, "a node", fmt.Sprintf("%s writes/s or %s reads/s", num(p.Profile.WritesPerSec), num(p.Profile.ReadsPerSec)), "%s", p.Profile.Source)
	p.step(0, "Cassandra", "", "%s ($%g/h) on %s, %d region(s) × replication %d", w.Deployment.CassandraInstance, p.inst.Hourly, p.Storage, w.Regions, w.Replication)
	for _, k := range w.Kinds {
		p.step(0, "kind "+k.Name, "", "%s writes/s of %s (%g%% new rows, %g%% LWT), %s reads/s of %s at %s, %s, kept %g days hot",
			num(k.WritesPerSec), k.WriteSize, k.InsertShare*100, k.LWTShare*100, num(k.ReadsPerSec), k.ReadSize, k.ReadConsistency, k.Compaction, k.RetentionDays)
	}
}

// schedule adds the month's cluster changes to p.Schedule.
func (p *Plan) schedule(mo Month, c curve, prev map[string]int) {
	w := p.Workload
	begins := c.start.AddDate(0, mo.Month-1, 0)
	for _, svc := range []struct {
		name string
		n    int
	}{{"cassandra", mo.Cassandra.NodesPerRegion}, {"opensearch", mo.OpenSearch.NodesPerRegion}, {"redis", mo.Redis.NodesPerRegion}} {
		from := prev[svc.name]
		prev[svc.name] = svc.n
		if svc.n <= from {
			continue
		}
		a := Addition{Service: svc.name, Month: mo.Month, Label: mo.Label, From: from, To: svc.n}
		if svc.name == "cassandra" && from > 0 {
			// Nodes join one at a time, each streaming its share.
			share := mo.Cassandra.DataPerRegion / float64(svc.n)
			a.BootstrapHours = float64(svc.n-from) * share / float64(w.Settings.StreamRate) / 3600
		}
		lead := time.Duration((w.Deployment.LeadTimeDays*24 + a.BootstrapHours) * float64(time.Hour))
		a.StartBy = begins.Add(-lead).Format(time.DateOnly)
		p.Schedule = append(p.Schedule, a)
		p.step(mo.Month, "add "+svc.name+" nodes", a.StartBy, "%s − %g days lead time − %s h of streaming (%d → %d a region)",
			begins.Format(time.DateOnly), w.Deployment.LeadTimeDays, trim(a.BootstrapHours, 1), from, svc.n)
	}
}

// total sums each cost line and each option over the months.
func (p *Plan) total() {
	idx := map[string]int{}
	for _, mo := range p.Months {
		for _, cst := range mo.Costs {
			i, ok := idx[cst.Key]
			if !ok {
				i = len(p.Totals)
				idx[cst.Key] = i
				p.Totals = append(p.Totals, Cost{Key: cst.Key, Group: cst.Group, What: cst.What})
			}
			p.Totals[i].Dollars += cst.Dollars
		}
	}
	for _, o := range Options {
		t := OptionTotal{Option: o}
		for _, cst := range p.Totals {
			if o.Includes(cst.Group) {
				t.Dollars += cst.Dollars
			}
		}
		p.Options = append(p.Options, t)
	}
}

func retentionWording(days float64) string {
	if days <= 0 {
		return "everything written so far (kept for ever)"
	}
	return fmt.Sprintf("what the last %g days wrote (older rows expire by TTL)", days)
}
