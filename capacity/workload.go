package capacity

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/gamedata-dev/gamedata"
)

// Workload is what the studio expects: the kinds of data with their rates
// and sizes, where they live, how they grow, and the assumptions of the
// model (Settings). Rates are averages at Players daily players.
type Workload struct {
	Name string `yaml:"name" json:"name"`
	// Regions is the number of regions, each with its own Cassandra data
	// centre, OpenSearch and Redis; every write is applied in every region
	// and reads are shared evenly between them.
	Regions int `yaml:"regions" json:"regions"`
	// Replication is the replication factor in each region.
	Replication int `yaml:"replication" json:"replication"`
	// Players is the daily players the rates are given for.
	Players float64 `yaml:"players" json:"players"`
	// PeakFactor is the busiest hour's rate over the average: nodes and
	// provisioned capacity are sized for the peak, usage is billed on the
	// average.
	PeakFactor float64      `yaml:"peak_factor" json:"peak_factor"`
	Kinds      []Kind       `yaml:"kinds" json:"kinds"`
	Growth     Growth       `yaml:"growth" json:"growth"`
	Sessions   Sessions     `yaml:"sessions" json:"sessions"`
	Archive    ArchiveModel `yaml:"archive" json:"archive"`
	Deployment Deployment   `yaml:"deployment" json:"deployment"`
	Settings   Settings     `yaml:"settings" json:"settings"`

	// dir is the folder of the workload file: a growth CSV is found
	// relative to it.
	dir string
}

// Kind is one kind of data: a table or a family of tables written and read
// alike.
type Kind struct {
	Name         string  `yaml:"name" json:"name"`
	WritesPerSec float64 `yaml:"writes_per_s" json:"writes_per_s"`
	WriteSize    Bytes   `yaml:"write_size" json:"write_size"`
	ReadsPerSec  float64 `yaml:"reads_per_s" json:"reads_per_s"`
	ReadSize     Bytes   `yaml:"read_size" json:"read_size"`
	// ReadConsistency is LOCAL_QUORUM or LOCAL_ONE; writes are LOCAL_QUORUM.
	ReadConsistency Consistency `yaml:"read_consistency" json:"read_consistency"`
	// InsertShare is the share of writes that add a row; the others
	// overwrite one (a profile update) and add no data.
	InsertShare float64 `yaml:"insert_share" json:"insert_share"`
	// LWTShare is the share of writes that are lightweight transactions
	// (IF NOT EXISTS, IF status = ...), which cost a Cassandra replica
	// Settings.LWTCost writes.
	LWTShare   float64    `yaml:"lwt_share" json:"lwt_share"`
	Compaction Compaction `yaml:"compaction" json:"compaction"`
	// RetentionDays is how long a row stays in the hot store (its TTL);
	// 0 keeps it forever. The archive keeps everything.
	RetentionDays float64 `yaml:"retention_days" json:"retention_days"`
	// Search, when set, indexes the kind's new rows in OpenSearch.
	Search *SearchIndex `yaml:"search,omitempty" json:"search,omitempty"`
}

// SearchIndex is how a kind is indexed.
type SearchIndex struct {
	// DocShare is the share of new rows that become a document.
	DocShare float64 `yaml:"doc_share" json:"doc_share"`
	// DocSize is a document's source size.
	DocSize Bytes `yaml:"doc_size" json:"doc_size"`
	// RetentionDays is how long the index lifecycle keeps a document; 0:
	// for ever.
	RetentionDays float64 `yaml:"retention_days" json:"retention_days"`
}

// Consistency is a read's consistency level.
type Consistency string

// Read consistency levels.
const (
	LocalQuorum Consistency = "LOCAL_QUORUM"
	LocalOne    Consistency = "LOCAL_ONE"
)

// Compaction is a table's compaction strategy, which sets its disk
// headroom.
type Compaction string

// Compaction strategies.
const (
	STCS Compaction = "stcs" // SizeTieredCompactionStrategy
	LCS  Compaction = "lcs"  // LeveledCompactionStrategy
	TWCS Compaction = "twcs" // TimeWindowCompactionStrategy, for time series
)

// Growth is how the rates change month by month: MonthlyPercent a month
// for Months months, or as the daily players of a CSV file.
type Growth struct {
	MonthlyPercent float64 `yaml:"monthly_percent" json:"monthly_percent"`
	// Months is how many months to plan; 0: DefaultMonths, or with a CSV
	// every month it has.
	Months int `yaml:"months" json:"months"`
	// PlayersCSV names a file of date,players rows (a day each); the rates
	// of a month scale with its mean over Workload.Players.
	PlayersCSV string `yaml:"players_csv,omitempty" json:"players_csv,omitempty"`
	// Start is the first month, YYYY-MM; with a CSV, its first month.
	Start string `yaml:"start,omitempty" json:"start,omitempty"`
}

// Sessions is what Redis holds per daily player.
type Sessions struct {
	PerPlayer   float64 `yaml:"per_player" json:"per_player"`
	SessionSize Bytes   `yaml:"session_size" json:"session_size"`
	// HotSize is the cached hot data of a player (profile, inbox head).
	HotSize Bytes `yaml:"hot_size" json:"hot_size"`
}

// ArchiveModel is how the Parquet archive in S3 grows: every row, once its
// day has closed.
type ArchiveModel struct {
	// Ratio is the Parquet bytes per stored byte (compression).
	Ratio float64 `yaml:"ratio" json:"ratio"`
	// ObjectSize is the size of one archive file (one PUT).
	ObjectSize Bytes `yaml:"object_size" json:"object_size"`
}

// Deployment names what each engine runs on; the names are keys of the
// price file.
type Deployment struct {
	CassandraInstance string `yaml:"cassandra_instance" json:"cassandra_instance"`
	// CassandraStorage is ebs-gp3 or instance-store; empty: the
	// instance's own disks when it has them, else EBS gp3.
	CassandraStorage   Storage `yaml:"cassandra_storage,omitempty" json:"cassandra_storage,omitempty"`
	OpenSearchInstance string  `yaml:"opensearch_instance" json:"opensearch_instance"`
	RedisNode          string  `yaml:"redis_node" json:"redis_node"`
	// LeadTimeDays is how long before a node must serve that its order
	// starts (approval, provisioning, tests), before the data streams in.
	LeadTimeDays float64 `yaml:"lead_time_days" json:"lead_time_days"`
}

// Storage is where a Cassandra node keeps its data.
type Storage string

// Cassandra storage.
const (
	EBSGP3        Storage = "ebs-gp3"
	InstanceStore Storage = "instance-store"
)

// PITR says whether Keyspaces point-in-time recovery is on.
type PITR string

// PITR modes.
const (
	PITROn  PITR = "on"
	PITROff PITR = "off"
)

// Settings are the model's assumptions, each a number a studio can change.
type Settings struct {
	// Free disk each compaction strategy needs, as a share of the disk:
	// STCS may rewrite its largest tier at once (half the disk, worst
	// case), LCS about a tenth; TWCS rewrites one window at a time, so it
	// needs a window's data free on top of TWCSFree.
	STCSFree       float64 `yaml:"stcs_free" json:"stcs_free"`
	LCSFree        float64 `yaml:"lcs_free" json:"lcs_free"`
	TWCSFree       float64 `yaml:"twcs_free" json:"twcs_free"`
	TWCSWindowDays float64 `yaml:"twcs_window_days" json:"twcs_window_days"`
	// MaxDataPerNode bounds a node's data (one replica's share), so that
	// streaming a node back and repairs stay short.
	MaxDataPerNode Bytes `yaml:"max_data_per_node" json:"max_data_per_node"`
	// TargetUtilization is the share of a node's measured peak the plan
	// uses, leaving room for a failed node, repairs and compaction.
	TargetUtilization float64 `yaml:"target_utilization" json:"target_utilization"`
	// LWTCost is what one lightweight transaction costs a replica, in
	// plain writes (Paxos: prepare, read, propose, commit).
	LWTCost float64 `yaml:"lwt_cost" json:"lwt_cost"`
	// Racks is the number of racks (availability zones) per region: a
	// region's nodes are a multiple of it.
	Racks    int `yaml:"racks" json:"racks"`
	MinNodes int `yaml:"min_nodes" json:"min_nodes"`
	// StreamRate is how fast a new node receives its data.
	StreamRate Bytes `yaml:"stream_rate_per_s" json:"stream_rate_per_s"`
	// EBSIOPS and EBSThroughput are provisioned per gp3 volume; above the
	// price file's free baseline they cost extra.
	EBSIOPS       float64 `yaml:"ebs_iops" json:"ebs_iops"`
	EBSThroughput float64 `yaml:"ebs_throughput_mbps" json:"ebs_throughput_mbps"`
	// KeyspacesTargetUtilization is the auto scaling target of provisioned
	// capacity.
	KeyspacesTargetUtilization float64 `yaml:"keyspaces_target_utilization" json:"keyspaces_target_utilization"`
	KeyspacesPITR              PITR    `yaml:"keyspaces_pitr" json:"keyspaces_pitr"`
	// OpenSearchReplicas and OpenSearchOverhead size a domain's storage as
	// AWS's sizing guide does: source × (1 + replicas) × 1.45.
	OpenSearchReplicas int     `yaml:"opensearch_replicas" json:"opensearch_replicas"`
	OpenSearchOverhead float64 `yaml:"opensearch_overhead" json:"opensearch_overhead"`
	OpenSearchMinNodes int     `yaml:"opensearch_min_nodes" json:"opensearch_min_nodes"`
	// RedisReplicas per shard; RedisKeyOverhead is what Redis spends on a
	// key beyond its value; RedisReserved is the share of a node's memory
	// kept free (ElastiCache's reserved memory).
	RedisReplicas    int     `yaml:"redis_replicas" json:"redis_replicas"`
	RedisKeyOverhead Bytes   `yaml:"redis_key_overhead" json:"redis_key_overhead"`
	RedisReserved    float64 `yaml:"redis_reserved" json:"redis_reserved"`
}

// The seed's workload and the default assumptions. docs/capacity.md says
// why each is what it is.
const (
	SeedWritesPerSec = 1000
	SeedWriteSize    = 1000 // "1 KB"
	SeedReadsPerSec  = 1000
	SeedReadSize     = 4000 // "4 KB"
	// DefaultPlayers is the daily players the seed's rates are taken for
	// when a workload does not say (it sizes Redis only).
	DefaultPlayers = 100_000
	// DefaultMonths is a year.
	DefaultMonths = 12
)

// DefaultKind is the seed's single kind of data: 1,000 writes/s of 1 KB and
// 1,000 reads/s of 4 KB at LOCAL_QUORUM, kept a year hot.
func DefaultKind() Kind {
	return Kind{
		Name: "seed", WritesPerSec: SeedWritesPerSec, WriteSize: SeedWriteSize,
		ReadsPerSec: SeedReadsPerSec, ReadSize: SeedReadSize, ReadConsistency: LocalQuorum,
		InsertShare: 1, Compaction: STCS, RetentionDays: daysPerYear,
	}
}

// DefaultSettings are the assumptions docs/capacity.md explains.
func DefaultSettings() Settings {
	return Settings{
		STCSFree: 0.5, LCSFree: 0.1, TWCSFree: 0.1, TWCSWindowDays: 1,
		MaxDataPerNode: 2e12, TargetUtilization: 0.6, LWTCost: 4,
		Racks: 3, MinNodes: 3, StreamRate: 50e6,
		EBSIOPS: 3000, EBSThroughput: 125,
		KeyspacesTargetUtilization: 0.7, KeyspacesPITR: PITROn,
		OpenSearchReplicas: 1, OpenSearchOverhead: 1.45, OpenSearchMinNodes: 2,
		RedisReplicas: 1, RedisKeyOverhead: 100, RedisReserved: 0.25,
	}
}

// DefaultWorkload is the seed's scenario: one region of three replicas, a
// year at the seed's rates with no growth.
func DefaultWorkload() Workload {
	return Workload{
		Name: "seed", Regions: 1, Replication: 3, Players: DefaultPlayers, PeakFactor: 1,
		Kinds:    []Kind{DefaultKind()},
		Growth:   Growth{},
		Sessions: Sessions{PerPlayer: 1, SessionSize: 512, HotSize: 2000},
		Archive:  ArchiveModel{Ratio: 0.3, ObjectSize: 128e6},
		Deployment: Deployment{
			CassandraInstance: "m6i.2xlarge", OpenSearchInstance: "r6g.large.search",
			RedisNode: "cache.r6g.large", LeadTimeDays: 30,
		},
		Settings: DefaultSettings(),
	}
}

// UnmarshalYAML fills what a kind leaves out with the seed kind's values,
// so that a file names only what differs.
func (k *Kind) UnmarshalYAML(n *yaml.Node) error {
	type plain Kind
	p := plain(DefaultKind())
	p.Name = ""
	if err := n.Decode(&p); err != nil {
		return err
	}
	*k = Kind(p)
	return nil
}

// UnmarshalYAML fills a search index's missing fields.
func (s *SearchIndex) UnmarshalYAML(n *yaml.Node) error {
	type plain SearchIndex
	p := plain{DocShare: 1, DocSize: 1000}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = SearchIndex(p)
	return nil
}

// ReadWorkload reads a workload file over the defaults: what it leaves out
// keeps the seed's value. An unknown key is an error.
func ReadWorkload(path string) (Workload, error) {
	w := DefaultWorkload()
	data, err := os.ReadFile(path)
	if err != nil {
		return w, fmt.Errorf("workload: %w", err)
	}
	w.Kinds = nil // a file that lists kinds replaces the seed's
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil && !errors.Is(err, io.EOF) {
		return w, fmt.Errorf("workload %s: %w", path, err)
	}
	if w.Kinds == nil {
		w.Kinds = []Kind{DefaultKind()}
	}
	w.dir = filepath.Dir(path)
	return w, nil
}

// Validate reports every field that is out of range.
func (w *Workload) Validate() error {
	var v gamedata.ValidationError
	positive := func(field string, x float64) {
		if !(x > 0) {
			v.Add(field, "must be more than 0, not %g", x)
		}
	}
	share := func(field string, x float64, maxOK bool) {
		if x < 0 || x > 1 || (!maxOK && x == 1) {
			v.Add(field, "must be a share between 0 and 1, not %g", x)
		}
	}
	if w.Regions < 1 {
		v.Add("regions", "must be at least 1, not %d", w.Regions)
	}
	if w.Replication < 1 {
		v.Add("replication", "must be at least 1, not %d", w.Replication)
	}
	positive("players", w.Players)
	if w.PeakFactor < 1 {
		v.Add("peak_factor", "must be at least 1 (the peak over the average), not %g", w.PeakFactor)
	}
	if len(w.Kinds) == 0 {
		v.Add("kinds", "name at least one kind of data")
	}
	names := map[string]bool{}
	for i, k := range w.Kinds {
		f := fmt.Sprintf("kinds[%d]", i)
		if k.Name == "" {
			v.Add(f+".name", "is required")
		} else if names[k.Name] {
			v.Add(f+".name", "%q is given twice", k.Name)
		}
		names[k.Name] = true
		if k.WritesPerSec < 0 || k.ReadsPerSec < 0 {
			v.Add(f, "rates must not be negative")
		}
		if k.WritesPerSec > 0 {
			positive(f+".write_size", float64(k.WriteSize))
		}
		if k.ReadsPerSec > 0 {
			positive(f+".read_size", float64(k.ReadSize))
		}
		if k.ReadConsistency != LocalQuorum && k.ReadConsistency != LocalOne {
			v.Add(f+".read_consistency", "must be %s or %s, not %q", LocalQuorum, LocalOne, k.ReadConsistency)
		}
		share(f+".insert_share", k.InsertShare, true)
		share(f+".lwt_share", k.LWTShare, true)
		switch k.Compaction {
		case STCS, LCS, TWCS:
		default:
			v.Add(f+".compaction", "must be stcs, lcs or twcs, not %q", k.Compaction)
		}
		if k.RetentionDays < 0 {
			v.Add(f+".retention_days", "must not be negative")
		}
		if s := k.Search; s != nil {
			share(f+".search.doc_share", s.DocShare, true)
			positive(f+".search.doc_size", float64(s.DocSize))
			if s.RetentionDays < 0 {
				v.Add(f+".search.retention_days", "must not be negative")
			}
		}
	}
	g := w.Growth
	if g.Months < 0 {
		v.Add("growth.months", "must not be negative, not %d", g.Months)
	}
	if g.MonthlyPercent <= -100 {
		v.Add("growth.monthly_percent", "must be more than -100, not %g", g.MonthlyPercent)
	}
	if g.PlayersCSV != "" && g.MonthlyPercent != 0 {
		v.Add("growth", "give monthly_percent or players_csv, not both")
	}
	if g.Start != "" {
		if _, err := parseMonth(g.Start); err != nil {
			v.Add("growth.start", "%v", err)
		}
	}
	if w.Sessions.PerPlayer < 0 || w.Sessions.SessionSize < 0 || w.Sessions.HotSize < 0 {
		v.Add("sessions", "must not be negative")
	}
	positive("archive.ratio", w.Archive.Ratio)
	positive("archive.object_size", float64(w.Archive.ObjectSize))
	d := w.Deployment
	if d.CassandraStorage != "" && d.CassandraStorage != EBSGP3 && d.CassandraStorage != InstanceStore {
		v.Add("deployment.cassandra_storage", "must be %s or %s, not %q", EBSGP3, InstanceStore, d.CassandraStorage)
	}
	if d.LeadTimeDays < 0 {
		v.Add("deployment.lead_time_days", "must not be negative")
	}
	s := w.Settings
	share("settings.stcs_free", s.STCSFree, false)
	share("settings.lcs_free", s.LCSFree, false)
	share("settings.twcs_free", s.TWCSFree, false)
	if s.TWCSWindowDays < 0 {
		v.Add("settings.twcs_window_days", "must not be negative")
	}
	positive("settings.max_data_per_node", float64(s.MaxDataPerNode))
	if s.TargetUtilization <= 0 || s.TargetUtilization > 1 {
		v.Add("settings.target_utilization", "must be more than 0 and at most 1, not %g", s.TargetUtilization)
	}
	if s.LWTCost < 1 {
		v.Add("settings.lwt_cost", "must be at least 1, not %g", s.LWTCost)
	}
	if s.Racks < 1 || s.MinNodes < 1 {
		v.Add("settings", "racks and min_nodes must be at least 1")
	}
	positive("settings.stream_rate_per_s", float64(s.StreamRate))
	if s.EBSIOPS < 0 || s.EBSThroughput < 0 {
		v.Add("settings", "ebs_iops and ebs_throughput_mbps must not be negative")
	}
	if s.KeyspacesTargetUtilization <= 0 || s.KeyspacesTargetUtilization > 1 {
		v.Add("settings.keyspaces_target_utilization", "must be more than 0 and at most 1, not %g", s.KeyspacesTargetUtilization)
	}
	if s.KeyspacesPITR != PITROn && s.KeyspacesPITR != PITROff {
		v.Add("settings.keyspaces_pitr", "must be on or off, not %q", s.KeyspacesPITR)
	}
	if s.OpenSearchReplicas < 0 || s.OpenSearchMinNodes < 1 || s.OpenSearchOverhead < 1 {
		v.Add("settings", "opensearch_replicas must be at least 0, opensearch_min_nodes at least 1, opensearch_overhead at least 1")
	}
	if s.RedisReplicas < 0 || s.RedisKeyOverhead < 0 {
		v.Add("settings", "redis_replicas and redis_key_overhead must not be negative")
	}
	share("settings.redis_reserved", s.RedisReserved, false)
	return v.Err()
}

// quorum is how many replicas of rf a read at c asks.
func quorum(c Consistency, rf int) int {
	if c == LocalOne {
		return 1
	}
	return rf/2 + 1
}
