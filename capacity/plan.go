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

func (p *Plan) month(m int, c curve, series []kindSeries, search SearchInstance, cache CacheNode, prevArchive *float64) Month {
	w := p.Workload
	s := w.Settings
	pr := p.prices
	rf, regions := float64(w.Replication), float64(w.Regions)
	mo := Month{Month: m, Label: c.labels[m-1], Players: c.players[m-1], Factor: c.players[m-1] / w.Players}
	p.step(m, "growth factor", trim(mo.Factor, 6), "%s daily players / %s", num(mo.Players), num(w.Players))

	// Data, disk and requests of each kind.
	var data, disk, load, writeBytes float64
	var wru, rru, ttl, wcu, rcu, storageMean, docs float64
	for _, ks := range series {
		k := ks.k
		wps, rps := k.WritesPerSec*mo.Factor, k.ReadsPerSec*mo.Factor
		mo.WritesPerSec += wps
		mo.ReadsPerSec += rps
		mo.Written += ks.written[m]
		mo.Stored += ks.hot[m]
		p.step(m, k.Name+": written (one copy)", formatBytes(ks.written[m]), "%s writes/s × %g new × %s × %s s", num(wps), k.InsertShare, k.WriteSize, num(secondsPerMonth))
		p.step(m, k.Name+": stored (one copy)", formatBytes(ks.hot[m]), "%s", retentionWording(k.RetentionDays))

		replicas := ks.hot[m] * rf
		free := map[Compaction]float64{STCS: s.STCSFree, LCS: s.LCSFree, TWCS: s.TWCSFree}[k.Compaction]
		window := 0.0
		if k.Compaction == TWCS {
			window = wps * k.InsertShare * float64(k.WriteSize) * s.TWCSWindowDays * secondsPerDay * rf
		}
		kdisk := (replicas + window) / (1 - free)
		data += replicas
		disk += kdisk
		if window > 0 {
			p.step(m, k.Name+": disk per region", formatBytes(kdisk), "(%s stored × %d replicas + %s for one %g-day TWCS window) / (1 − %g free)",
				formatBytes(ks.hot[m]), w.Replication, formatBytes(window), s.TWCSWindowDays, free)
		} else {
			p.step(m, k.Name+": disk per region", formatBytes(kdisk), "%s stored × %d replicas / (1 − %g free for %s)", formatBytes(ks.hot[m]), w.Replication, free, k.Compaction)
		}

		// Every region applies every write; reads are shared between them.
		lwt := 1 + k.LWTShare*(s.LWTCost-1)
		q := quorum(k.ReadConsistency, w.Replication)
		kl := wps*w.PeakFactor*rf*lwt/p.Profile.WritesPerSec + rps*w.PeakFactor/regions*float64(q)/p.Profile.ReadsPerSec
		load += kl
		p.step(m, k.Name+": peak load per region", trim(kl, 4)+" nodes", "%s writes/s × %g peak × %d replicas × %g (LWT) / %s + %s reads/s × %g peak / %d regions × %d replicas read / %s",
			num(wps), w.PeakFactor, w.Replication, lwt, num(p.Profile.WritesPerSec), num(rps), w.PeakFactor, w.Regions, q, num(p.Profile.ReadsPerSec))
		writeBytes += wps * float64(k.WriteSize) * secondsPerMonth

		// Keyspaces' units: a write of up to 1 KB is one WRU in every
		// region; a read of up to 4 KB one RRU at LOCAL_QUORUM, half at
		// LOCAL_ONE; a row expiring by TTL one TTL unit per KB.
		wu := math.Ceil(float64(k.WriteSize) / float64(pr.Keyspaces.WriteUnit))
		ru := math.Ceil(float64(k.ReadSize) / float64(pr.Keyspaces.ReadUnit))
		if k.ReadConsistency == LocalOne {
			ru /= 2
		}
		if k.WritesPerSec == 0 {
			wu = 0
		}
		if k.ReadsPerSec == 0 {
			ru = 0
		}
		kwru := wps * secondsPerMonth * wu * regions
		krru := rps * secondsPerMonth * ru
		wru += kwru
		rru += krru
		p.step(m, k.Name+": Keyspaces WRU", num(kwru), "%s writes/s × %s s × %g WRU (%s per %s) × %d regions", num(wps), num(secondsPerMonth), wu, k.WriteSize, pr.Keyspaces.WriteUnit, w.Regions)
		p.step(m, k.Name+": Keyspaces RRU", num(krru), "%s reads/s × %s s × %g RRU (%s per %s at %s)", num(rps), num(secondsPerMonth), ru, k.ReadSize, pr.Keyspaces.ReadUnit, k.ReadConsistency)
		if k.RetentionDays > 0 {
			expired := (ks.cumulated[m] - ks.hot[m]) - (ks.cumulated[m-1] - ks.hot[m-1])
			rows := expired / float64(k.WriteSize)
			kttl := rows * wu * regions
			ttl += kttl
			p.step(m, k.Name+": Keyspaces TTL deletes", num(kttl), "%s expired / %s a row × %g units × %d regions", formatBytes(expired), k.WriteSize, wu, w.Regions)
		}
		// Provisioned capacity is sized for the peak at the auto scaling
		// target; writes are provisioned in every region, reads where
		// they are served.
		kwcu := ceil(wps*w.PeakFactor*wu/s.KeyspacesTargetUtilization) * regions
		krcu := ceil(rps*w.PeakFactor/regions*ru/s.KeyspacesTargetUtilization) * regions
		wcu += kwcu
		rcu += krcu
		p.step(m, k.Name+": Keyspaces provisioned WCU", num(kwcu), "⌈%s writes/s × %g peak × %g WCU / %g target⌉ × %d regions", num(wps), w.PeakFactor, wu, s.KeyspacesTargetUtilization, w.Regions)
		p.step(m, k.Name+": Keyspaces provisioned RCU", num(krcu), "⌈%s reads/s × %g peak / %d regions × %g RCU / %g target⌉ × %d regions", num(rps), w.PeakFactor, w.Regions, ru, s.KeyspacesTargetUtilization, w.Regions)
		storageMean += (ks.hot[m-1] + ks.hot[m]) / 2 * regions
		docs += ks.docs[m]
	}
	mo.Replicated = mo.Stored * rf * regions
	p.step(m, "stored, every copy", formatBytes(mo.Replicated), "%s × %d replicas × %d regions", formatBytes(mo.Stored), w.Replication, w.Regions)

	// Cassandra on EC2.
	cm := &mo.Cassandra
	cm.DataPerRegion, cm.DiskPerRegion, cm.Load = data, disk, load
	cm.NodesForData = int(ceil(data / float64(s.MaxDataPerNode)))
	perNodeDisk := float64(pr.EBS.MaxVolume)
	if p.Storage == InstanceStore {
		perNodeDisk = float64(p.inst.InstanceStore)
	}
	cm.NodesForDisk = int(ceil(disk / perNodeDisk))
	cm.NodesForThroughput = int(ceil(load / s.TargetUtilization))
	least := max(s.MinNodes, w.Replication)
	n := max(cm.NodesForData, cm.NodesForDisk, cm.NodesForThroughput, least)
	n = (n + s.Racks - 1) / s.Racks * s.Racks
	cm.NodesPerRegion, cm.Nodes = n, n*w.Regions
	p.step(m, "Cassandra nodes for the data", fmt.Sprint(cm.NodesForData), "⌈%s per region / %s a node⌉", formatBytes(data), s.MaxDataPerNode)
	p.step(m, "Cassandra nodes for the disk", fmt.Sprint(cm.NodesForDisk), "⌈%s per region / %s a node (%s)⌉", formatBytes(disk), formatBytes(perNodeDisk), p.Storage)
	p.step(m, "Cassandra nodes for the requests", fmt.Sprint(cm.NodesForThroughput), "⌈%s nodes of load / %g target utilization⌉", trim(load, 4), s.TargetUtilization)
	p.step(m, "Cassandra nodes per region", fmt.Sprint(n), "the most of %d, %d, %d and %d (the least a region runs), up to a multiple of %d racks",
		cm.NodesForData, cm.NodesForDisk, cm.NodesForThroughput, least, s.Racks)
	var costs []Cost
	add := func(key string, g Group, what string, dollars float64, formula string, args ...any) {
		costs = append(costs, Cost{Key: key, Group: g, What: what, Dollars: dollars})
		p.step(m, "$ "+key, money(dollars), formula, args...)
	}
	add("cassandra_ec2.instances", GroupCassandraEC2, "EC2 instances", float64(cm.Nodes)*p.inst.Hourly*pr.HoursPerMonth,
		"%d nodes × $%g/h × %g h", cm.Nodes, p.inst.Hourly, pr.HoursPerMonth)
	if p.Storage == EBSGP3 {
		cm.VolumeGB = math.Ceil(pr.gb(disk/float64(n)) - 1e-9)
		cm.EBSGB = cm.VolumeGB * float64(cm.Nodes)
		extra := math.Max(0, s.EBSIOPS-pr.EBS.FreeIOPS)*pr.EBS.IOPSMonth + math.Max(0, s.EBSThroughput-pr.EBS.FreeMBps)*pr.EBS.MBpsMonth
		p.step(m, "EBS gp3 per node", num(cm.VolumeGB)+" GB", "⌈%s per region / %d nodes / %s B⌉", formatBytes(disk), n, num(pr.BilledGB))
		add("cassandra_ec2.ebs", GroupCassandraEC2, "EBS gp3", cm.EBSGB*pr.EBS.GBMonth+float64(cm.Nodes)*extra,
			"%s GB × $%g + %d volumes × $%g (IOPS and MB/s above %g and %g)", num(cm.EBSGB), pr.EBS.GBMonth, cm.Nodes, extra, pr.EBS.FreeIOPS, pr.EBS.FreeMBps)
	}
	cm.InterAZBytes = writeBytes * (rf - 1) * regions
	cm.InterRegionBytes = writeBytes * (regions - 1)
	add("cassandra_ec2.transfer", GroupCassandraEC2, "replication traffic",
		pr.gb(cm.InterAZBytes)*2*pr.Transfer.InterAZGB+pr.gb(cm.InterRegionBytes)*pr.Transfer.InterRegionGB,
		"%s written × %d other zones × %d regions × 2 ways × $%g/GB + %s × %d other regions × $%g/GB",
		formatBytes(writeBytes), w.Replication-1, w.Regions, pr.Transfer.InterAZGB, formatBytes(writeBytes), w.Regions-1, pr.Transfer.InterRegionGB)

	// Keyspaces.
	km := &mo.Keyspaces
	km.WRU, km.RRU, km.TTLUnits, km.WCU, km.RCU = wru, rru, ttl, wcu, rcu
	km.StorageGBMonths = pr.gb(storageMean)
	kp := pr.Keyspaces
	add("keyspaces.storage", GroupKeyspaces, "Keyspaces storage", km.StorageGBMonths*kp.StorageGB,
		"%s GB (the month's mean, one logical copy a region: Keyspaces' 3 replicas are in the price) × $%g", num(km.StorageGBMonths), kp.StorageGB)
	if s.KeyspacesPITR == PITROn {
		add("keyspaces.pitr", GroupKeyspaces, "Keyspaces PITR", km.StorageGBMonths*kp.PITRGB, "%s GB × $%g", num(km.StorageGBMonths), kp.PITRGB)
	}
	add("keyspaces.ttl", GroupKeyspaces, "Keyspaces TTL deletes", ttl/1e6*kp.TTLMillion, "%s units / 1M × $%g", num(ttl), kp.TTLMillion)
	add("keyspaces.transfer", GroupKeyspaces, "replication between regions", pr.gb(cm.InterRegionBytes)*pr.Transfer.InterRegionGB,
		"%s × %d other regions × $%g/GB", formatBytes(writeBytes), w.Regions-1, pr.Transfer.InterRegionGB)
	add("keyspaces_on_demand.writes", GroupKeyspacesOnDemand, "Keyspaces WRU", wru/1e6*kp.WRUMillion, "%s WRU / 1M × $%g", num(wru), kp.WRUMillion)
	add("keyspaces_on_demand.reads", GroupKeyspacesOnDemand, "Keyspaces RRU", rru/1e6*kp.RRUMillion, "%s RRU / 1M × $%g", num(rru), kp.RRUMillion)
	add("keyspaces_provisioned.writes", GroupKeyspacesProvisioned, "Keyspaces WCU", wcu*kp.WCUHour*pr.HoursPerMonth, "%s WCU × $%g/h × %g h", num(wcu), kp.WCUHour, pr.HoursPerMonth)
	add("keyspaces_provisioned.reads", GroupKeyspacesProvisioned, "Keyspaces RCU", rcu*kp.RCUHour*pr.HoursPerMonth, "%s RCU × $%g/h × %g h", num(rcu), kp.RCUHour, pr.HoursPerMonth)

	// OpenSearch: AWS's sizing rule, source × (1 + replicas) × 1.45.
	om := &mo.OpenSearch
	if docs > 0 {
		om.SourcePerRegion = docs
		om.StoragePerRegion = docs * float64(1+s.OpenSearchReplicas) * s.OpenSearchOverhead
		om.NodesPerRegion = max(s.OpenSearchMinNodes, int(ceil(om.StoragePerRegion/float64(search.MaxStorage))))
		om.Nodes = om.NodesPerRegion * w.Regions
		om.EBSGB = math.Ceil(pr.gb(om.StoragePerRegion/float64(om.NodesPerRegion))-1e-9) * float64(om.Nodes)
		p.step(m, "OpenSearch storage per region", formatBytes(om.StoragePerRegion), "%s of documents × (1 + %d replicas) × %g", formatBytes(docs), s.OpenSearchReplicas, s.OpenSearchOverhead)
		p.step(m, "OpenSearch nodes per region", fmt.Sprint(om.NodesPerRegion), "the more of %d and ⌈%s / %s a node⌉", s.OpenSearchMinNodes, formatBytes(om.StoragePerRegion), search.MaxStorage)
	} else {
		p.step(m, "OpenSearch", "none", "no kind is indexed")
	}
	add("opensearch.instances", GroupCommon, "OpenSearch nodes", float64(om.Nodes)*search.Hourly*pr.HoursPerMonth, "%d nodes × $%g/h × %g h", om.Nodes, search.Hourly, pr.HoursPerMonth)
	add("opensearch.storage", GroupCommon, "OpenSearch gp3", om.EBSGB*pr.OpenSearch.GP3GB, "%s GB × $%g", num(om.EBSGB), pr.OpenSearch.GP3GB)

	// Redis: sessions and hot data of the region's daily players.
	rm := &mo.Redis
	ss := w.Sessions
	perPlayer := ss.PerPlayer * float64(ss.SessionSize+s.RedisKeyOverhead)
	if ss.HotSize > 0 {
		perPlayer += float64(ss.HotSize + s.RedisKeyOverhead)
	}
	rm.MemoryPerRegion = mo.Players / regions * perPlayer / (1 - s.RedisReserved)
	rm.Shards = max(1, int(ceil(rm.MemoryPerRegion/(cache.MemoryGiB*gib))))
	rm.NodesPerRegion = rm.Shards * (1 + s.RedisReplicas)
	rm.Nodes = rm.NodesPerRegion * w.Regions
	p.step(m, "Redis memory per region", formatBytes(rm.MemoryPerRegion), "%s players / %d regions × (%g sessions × (%s + %s) + %s + %s) / (1 − %g reserved)",
		num(mo.Players), w.Regions, ss.PerPlayer, ss.SessionSize, s.RedisKeyOverhead, ss.HotSize, s.RedisKeyOverhead, s.RedisReserved)
	p.step(m, "Redis nodes per region", fmt.Sprint(rm.NodesPerRegion), "⌈%s / %g GiB a node⌉ shards × (1 + %d replicas)", formatBytes(rm.MemoryPerRegion), cache.MemoryGiB, s.RedisReplicas)
	add("elasticache.nodes", GroupCommon, "ElastiCache nodes", float64(rm.Nodes)*cache.Hourly*pr.HoursPerMonth, "%d nodes × $%g/h × %g h", rm.Nodes, cache.Hourly, pr.HoursPerMonth)

	// The archive: every row, once its day has closed, as Parquet.
	am := &mo.Archive
	for _, ks := range series {
		am.Added += ks.written[m] * w.Archive.Ratio
		if ks.written[m] > 0 {
			am.Objects += math.Max(ks.written[m]*w.Archive.Ratio/float64(w.Archive.ObjectSize), daysPerMonth)
		}
	}
	am.Bytes = *prevArchive + am.Added
	am.GBMonths = pr.gb((*prevArchive + am.Bytes) / 2)
	*prevArchive = am.Bytes
	p.step(m, "archive in S3", formatBytes(am.Bytes), "everything written so far × %g (Parquet)", w.Archive.Ratio)
	s3, tiers := pr.s3Month(am.GBMonths)
	add("s3.storage", GroupCommon, "S3 storage", s3, "%s GB-months (the month's mean): %s", num(am.GBMonths), tiers)
	add("s3.requests", GroupCommon, "S3 PUTs", am.Objects/1000*pr.S3.PutPer1000, "%s objects (at least one a kind a day) / 1,000 × $%g", num(am.Objects), pr.S3.PutPer1000)

	mo.Costs = costs
	for _, o := range Options {
		t := OptionTotal{Option: o}
		for _, cst := range costs {
			if o.Includes(cst.Group) {
				t.Dollars += cst.Dollars
			}
		}
		mo.Options = append(mo.Options, t)
		p.step(m, "$ total, "+o.Title(), money(t.Dollars), "its lines and the common ones")
	}
	return mo
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
