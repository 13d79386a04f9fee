package capacity

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gamedata-dev/gamedata"
)

// Prices is a dated price file (deploy/prices/): what each unit costs in
// one region, and the machines the plan may choose, with where each figure
// came from.
type Prices struct {
	Name     string `yaml:"name" json:"name"`
	Region   string `yaml:"region" json:"region"`
	Currency string `yaml:"currency" json:"currency"`
	// AsOf is the date the figures were taken.
	AsOf string `yaml:"as_of" json:"as_of"`
	// HoursPerMonth prices a month of an hourly resource (AWS uses 730).
	HoursPerMonth float64 `yaml:"hours_per_month" json:"hours_per_month"`
	// BilledGB is how many bytes a billed GB holds.
	BilledGB    float64              `yaml:"billed_gb_bytes" json:"billed_gb_bytes"`
	EC2         map[string]Instance  `yaml:"ec2" json:"ec2"`
	EBS         EBSPrices            `yaml:"ebs_gp3" json:"ebs_gp3"`
	Transfer    TransferPrices       `yaml:"data_transfer" json:"data_transfer"`
	Keyspaces   KeyspacesPrices      `yaml:"keyspaces" json:"keyspaces"`
	OpenSearch  OpenSearchPrices     `yaml:"opensearch" json:"opensearch"`
	ElastiCache map[string]CacheNode `yaml:"elasticache" json:"elasticache"`
	S3          S3Prices             `yaml:"s3" json:"s3"`
	// Unconfirmed lists the figures the file could not check against an
	// AWS source; the plan repeats them.
	Unconfirmed []string `yaml:"unconfirmed,omitempty" json:"unconfirmed,omitempty"`
	path        string
}

// Instance is an EC2 instance type that can run Cassandra.
type Instance struct {
	Hourly    float64 `yaml:"hourly" json:"hourly"`
	VCPUs     int     `yaml:"vcpus" json:"vcpus"`
	MemoryGiB float64 `yaml:"memory_gib" json:"memory_gib"`
	// InstanceStore is its local NVMe disk, in bytes (0: EBS only).
	InstanceStore Bytes `yaml:"instance_store" json:"instance_store"`
	// WritesPerSec and ReadsPerSec are the planning default of what one
	// Cassandra node of this type serves at its peak, as one replica of
	// each write and read; a gamedata bench file replaces them.
	WritesPerSec     float64 `yaml:"cassandra_writes_per_s" json:"cassandra_writes_per_s"`
	ReadsPerSec      float64 `yaml:"cassandra_reads_per_s" json:"cassandra_reads_per_s"`
	ThroughputSource string  `yaml:"throughput_source" json:"throughput_source"`
	Source           string  `yaml:"source" json:"source"`
}

// EBSPrices are gp3's.
type EBSPrices struct {
	GBMonth   float64 `yaml:"gb_month" json:"gb_month"`
	IOPSMonth float64 `yaml:"iops_month" json:"iops_month"`
	MBpsMonth float64 `yaml:"mbps_month" json:"mbps_month"`
	FreeIOPS  float64 `yaml:"free_iops" json:"free_iops"`
	FreeMBps  float64 `yaml:"free_mbps" json:"free_mbps"`
	// MaxVolume is the largest volume.
	MaxVolume Bytes  `yaml:"max_volume" json:"max_volume"`
	Source    string `yaml:"source" json:"source"`
}

// TransferPrices are per GB: between availability zones (charged in each
// direction) and out to another region.
type TransferPrices struct {
	InterAZGB     float64 `yaml:"inter_az_gb_each_way" json:"inter_az_gb_each_way"`
	InterRegionGB float64 `yaml:"inter_region_gb" json:"inter_region_gb"`
	Source        string  `yaml:"source" json:"source"`
}

// KeyspacesPrices are Amazon Keyspaces'.
type KeyspacesPrices struct {
	WRUMillion float64 `yaml:"wru_per_million" json:"wru_per_million"`
	RRUMillion float64 `yaml:"rru_per_million" json:"rru_per_million"`
	WCUHour    float64 `yaml:"wcu_hour" json:"wcu_hour"`
	RCUHour    float64 `yaml:"rcu_hour" json:"rcu_hour"`
	StorageGB  float64 `yaml:"storage_gb_month" json:"storage_gb_month"`
	PITRGB     float64 `yaml:"pitr_gb_month" json:"pitr_gb_month"`
	TTLMillion float64 `yaml:"ttl_deletes_per_million" json:"ttl_deletes_per_million"`
	// WriteUnit and ReadUnit are the sizes one request unit covers.
	WriteUnit Bytes  `yaml:"write_unit" json:"write_unit"`
	ReadUnit  Bytes  `yaml:"read_unit" json:"read_unit"`
	Source    string `yaml:"source" json:"source"`
}

// OpenSearchPrices are Amazon OpenSearch Service's.
type OpenSearchPrices struct {
	Instances map[string]SearchInstance `yaml:"instances" json:"instances"`
	GP3GB     float64                   `yaml:"gp3_gb_month" json:"gp3_gb_month"`
	Source    string                    `yaml:"source" json:"source"`
}

// SearchInstance is an OpenSearch data node type.
type SearchInstance struct {
	Hourly float64 `yaml:"hourly" json:"hourly"`
	// MaxStorage is the most EBS storage a node of the type takes.
	MaxStorage Bytes `yaml:"max_storage" json:"max_storage"`
}

// CacheNode is an ElastiCache node type.
type CacheNode struct {
	Hourly    float64 `yaml:"hourly" json:"hourly"`
	MemoryGiB float64 `yaml:"memory_gib" json:"memory_gib"`
	Source    string  `yaml:"source" json:"source"`
}

// S3Prices are S3 Standard's.
type S3Prices struct {
	Tiers      []S3Tier `yaml:"storage_tiers" json:"storage_tiers"`
	PutPer1000 float64  `yaml:"put_per_1000" json:"put_per_1000"`
	Source     string   `yaml:"source" json:"source"`
}

// S3Tier prices the GB-months above the previous tier up to UpTo (0: no
// limit).
type S3Tier struct {
	UpTo    Bytes   `yaml:"up_to" json:"up_to"`
	GBMonth float64 `yaml:"gb_month" json:"gb_month"`
}

// ReadPrices reads and checks a price file.
func ReadPrices(path string) (*Prices, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	return ParsePrices(path, data)
}

// ParsePrices reads and checks the price file named path whose content is
// data. An unknown key is an error, so that a misspelt price does not
// silently count as 0.
func ParsePrices(path string, data []byte) (*Prices, error) {
	var p Prices
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("prices %s: %w", path, err)
	}
	p.path = path
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("prices %s: %w", path, err)
	}
	return &p, nil
}

// Path is the file the prices came from.
func (p *Prices) Path() string { return p.path }

func (p *Prices) validate() error {
	var v gamedata.ValidationError
	if p.Name == "" || p.AsOf == "" || p.Currency == "" {
		v.Add("name, as_of, currency", "are required: the plan says which prices it used")
	}
	if p.HoursPerMonth <= 0 || p.BilledGB <= 0 {
		v.Add("hours_per_month, billed_gb_bytes", "must be more than 0")
	}
	neg := func(field string, xs ...float64) {
		for _, x := range xs {
			if x < 0 {
				v.Add(field, "a price must not be negative")
				return
			}
		}
	}
	for name, i := range p.EC2 {
		if i.Hourly <= 0 || i.VCPUs <= 0 || i.WritesPerSec <= 0 || i.ReadsPerSec <= 0 {
			v.Add("ec2."+name, "needs hourly, vcpus, cassandra_writes_per_s and cassandra_reads_per_s above 0")
		}
	}
	e := p.EBS
	neg("ebs_gp3", e.GBMonth, e.IOPSMonth, e.MBpsMonth, e.FreeIOPS, e.FreeMBps)
	if e.MaxVolume <= 0 {
		v.Add("ebs_gp3.max_volume", "must be more than 0")
	}
	neg("data_transfer", p.Transfer.InterAZGB, p.Transfer.InterRegionGB)
	k := p.Keyspaces
	neg("keyspaces", k.WRUMillion, k.RRUMillion, k.WCUHour, k.RCUHour, k.StorageGB, k.PITRGB, k.TTLMillion)
	if k.WriteUnit <= 0 || k.ReadUnit <= 0 {
		v.Add("keyspaces.write_unit, read_unit", "must be more than 0")
	}
	for name, i := range p.OpenSearch.Instances {
		if i.Hourly <= 0 || i.MaxStorage <= 0 {
			v.Add("opensearch.instances."+name, "needs hourly and max_storage above 0")
		}
	}
	neg("opensearch.gp3_gb_month", p.OpenSearch.GP3GB)
	for name, n := range p.ElastiCache {
		if n.Hourly <= 0 || n.MemoryGiB <= 0 {
			v.Add("elasticache."+name, "needs hourly and memory_gib above 0")
		}
	}
	if len(p.S3.Tiers) == 0 {
		v.Add("s3.storage_tiers", "name at least one tier")
	}
	for i, t := range p.S3.Tiers {
		last := i == len(p.S3.Tiers)-1
		if (t.UpTo <= 0) != last || t.GBMonth < 0 || (i > 0 && !last && t.UpTo <= p.S3.Tiers[i-1].UpTo) {
			v.Add(fmt.Sprintf("s3.storage_tiers[%d]", i), "tiers rise, each with up_to above the last, and only the last has none")
		}
	}
	neg("s3.put_per_1000", p.S3.PutPer1000)
	return v.Err()
}

// instance returns the EC2 type name, or says which types the file has.
func (p *Prices) instance(name string) (Instance, error) {
	i, ok := p.EC2[name]
	if !ok {
		return i, gamedata.Invalid("deployment.cassandra_instance", "%q is not in %s (it has %s)", name, p.path, keys(p.EC2))
	}
	return i, nil
}

func (p *Prices) searchInstance(name string) (SearchInstance, error) {
	i, ok := p.OpenSearch.Instances[name]
	if !ok {
		return i, gamedata.Invalid("deployment.opensearch_instance", "%q is not in %s (it has %s)", name, p.path, keys(p.OpenSearch.Instances))
	}
	return i, nil
}

func (p *Prices) cacheNode(name string) (CacheNode, error) {
	n, ok := p.ElastiCache[name]
	if !ok {
		return n, gamedata.Invalid("deployment.redis_node", "%q is not in %s (it has %s)", name, p.path, keys(p.ElastiCache))
	}
	return n, nil
}

// gb is bytes in billed GB.
func (p *Prices) gb(bytes float64) float64 { return bytes / p.BilledGB }

// s3Month prices an average of gbMonths billed GB stored through a month,
// tier by tier.
func (p *Prices) s3Month(gbMonths float64) (dollars float64, working string) {
	var parts []string
	lo := 0.0
	for _, t := range p.S3.Tiers {
		hi := p.gb(float64(t.UpTo))
		if t.UpTo <= 0 {
			hi = gbMonths
		}
		in := min(gbMonths, hi) - lo
		if in <= 0 {
			break
		}
		dollars += in * t.GBMonth
		parts = append(parts, fmt.Sprintf("%s GB × $%g", num(in), t.GBMonth))
		lo = hi
	}
	if len(parts) == 0 {
		return 0, "0 GB"
	}
	return dollars, strings.Join(parts, " + ")
}

func keys[V any](m map[string]V) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}
