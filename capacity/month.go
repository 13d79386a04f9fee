package capacity

import (
	"fmt"
	"math"
)

// demand is what the kinds of data need in a month, summed: the inputs of
// each engine's sizing and bill.
type demand struct {
	data, disk float64 // Cassandra, per region
	load       float64 // peak requests per region, in nodes
	writeBytes float64 // every write's bytes, one copy
	wru, rru   float64 // Keyspaces request units
	ttl        float64 // Keyspaces TTL delete units
	wcu, rcu   float64 // Keyspaces provisioned capacity
	stored     float64 // Keyspaces' mean storage, bytes, every region
	docs       float64 // search source bytes per region
}

// bill collects a month's cost lines and their working.
type bill struct {
	p     *Plan
	m     int
	costs []Cost
}

func (b *bill) add(key string, g Group, what string, dollars float64, formula string, args ...any) {
	b.costs = append(b.costs, Cost{Key: key, Group: g, What: what, Dollars: dollars})
	b.p.step(b.m, "$ "+key, money(dollars), formula, args...)
}

func (p *Plan) month(m int, c curve, series []kindSeries, search SearchInstance, cache CacheNode, prevArchive *float64) Month {
	w := p.Workload
	mo := Month{Month: m, Label: c.labels[m-1], Players: c.players[m-1], Factor: c.players[m-1] / w.Players}
	p.step(m, "growth factor", trim(mo.Factor, 6), "%s daily players / %s", num(mo.Players), num(w.Players))
	var d demand
	for _, ks := range series {
		p.kind(&mo, ks, &d)
	}
	mo.Replicated = mo.Stored * float64(w.Replication*w.Regions)
	p.step(m, "stored, every copy", formatBytes(mo.Replicated), "%s × %d replicas × %d regions", formatBytes(mo.Stored), w.Replication, w.Regions)
	b := &bill{p: p, m: m}
	p.cassandra(&mo, d, b)
	p.keyspaces(&mo, d, b)
	p.opensearch(&mo, d, search, b)
	p.redis(&mo, cache, b)
	p.archive(&mo, series, prevArchive, b)
	mo.Costs = b.costs
	for _, o := range Options {
		t := OptionTotal{Option: o}
		for _, cst := range b.costs {
			if o.Includes(cst.Group) {
				t.Dollars += cst.Dollars
			}
		}
		mo.Options = append(mo.Options, t)
		p.step(m, "$ total, "+o.Title(), money(t.Dollars), "its lines and the common ones")
	}
	return mo
}

// kind adds one kind's data, disk, requests and Keyspaces units to d.
func (p *Plan) kind(mo *Month, ks kindSeries, d *demand) {
	w, s, pr, m := p.Workload, p.Workload.Settings, p.prices, mo.Month
	rf, regions := float64(w.Replication), float64(w.Regions)
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
	disk := (replicas + window) / (1 - free)
	d.data += replicas
	d.disk += disk
	if window > 0 {
		p.step(m, k.Name+": disk per region", formatBytes(disk), "(%s stored × %d replicas + %s for one %g-day TWCS window) / (1 − %g free)",
			formatBytes(ks.hot[m]), w.Replication, formatBytes(window), s.TWCSWindowDays, free)
	} else {
		p.step(m, k.Name+": disk per region", formatBytes(disk), "%s stored × %d replicas / (1 − %g free for %s)", formatBytes(ks.hot[m]), w.Replication, free, k.Compaction)
	}

	// Every region applies every write; reads are shared between them.
	lwt := 1 + k.LWTShare*(s.LWTCost-1)
	q := quorum(k.ReadConsistency, w.Replication)
	load := wps*w.PeakFactor*rf*lwt/p.Profile.WritesPerSec + rps*w.PeakFactor/regions*float64(q)/p.Profile.ReadsPerSec
	d.load += load
	p.step(m, k.Name+": peak load per region", trim(load, 4)+" nodes", "%s writes/s × %g peak × %d replicas × %g (LWT) / %s + %s reads/s × %g peak / %d regions × %d replicas read / %s",
		num(wps), w.PeakFactor, w.Replication, lwt, num(p.Profile.WritesPerSec), num(rps), w.PeakFactor, w.Regions, q, num(p.Profile.ReadsPerSec))
	d.writeBytes += wps * float64(k.WriteSize) * secondsPerMonth

	// Keyspaces' units: a write of up to 1 KiB is one WRU in every region;
	// a read of up to 4 KiB one RRU at LOCAL_QUORUM, half at LOCAL_ONE; a
	// row expiring by TTL one TTL unit per KiB.
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
	wru := wps * secondsPerMonth * wu * regions
	rru := rps * secondsPerMonth * ru
	d.wru += wru
	d.rru += rru
	p.step(m, k.Name+": Keyspaces WRU", num(wru), "%s writes/s × %s s × %g WRU (%s per %s) × %d regions", num(wps), num(secondsPerMonth), wu, k.WriteSize, pr.Keyspaces.WriteUnit, w.Regions)
	p.step(m, k.Name+": Keyspaces RRU", num(rru), "%s reads/s × %s s × %g RRU (%s per %s at %s)", num(rps), num(secondsPerMonth), ru, k.ReadSize, pr.Keyspaces.ReadUnit, k.ReadConsistency)
	if k.RetentionDays > 0 {
		expired := (ks.cumulated[m] - ks.hot[m]) - (ks.cumulated[m-1] - ks.hot[m-1])
		ttl := expired / float64(k.WriteSize) * wu * regions
		d.ttl += ttl
		p.step(m, k.Name+": Keyspaces TTL deletes", num(ttl), "%s expired / %s a row × %g units × %d regions", formatBytes(expired), k.WriteSize, wu, w.Regions)
	}
	// Provisioned capacity is sized for the peak at the auto scaling
	// target; writes are provisioned in every region, reads where they are
	// served.
	wcu := ceil(wps*w.PeakFactor*wu/s.KeyspacesTargetUtilization) * regions
	rcu := ceil(rps*w.PeakFactor/regions*ru/s.KeyspacesTargetUtilization) * regions
	d.wcu += wcu
	d.rcu += rcu
	p.step(m, k.Name+": Keyspaces provisioned WCU", num(wcu), "⌈%s writes/s × %g peak × %g WCU / %g target⌉ × %d regions", num(wps), w.PeakFactor, wu, s.KeyspacesTargetUtilization, w.Regions)
	p.step(m, k.Name+": Keyspaces provisioned RCU", num(rcu), "⌈%s reads/s × %g peak / %d regions × %g RCU / %g target⌉ × %d regions", num(rps), w.PeakFactor, w.Regions, ru, s.KeyspacesTargetUtilization, w.Regions)
	d.stored += (ks.hot[m-1] + ks.hot[m]) / 2 * regions
	d.docs += ks.docs[m]
}

// cassandra sizes the self-managed cluster and bills it.
func (p *Plan) cassandra(mo *Month, d demand, b *bill) {
	w, s, pr, m := p.Workload, p.Workload.Settings, p.prices, mo.Month
	cm := &mo.Cassandra
	cm.DataPerRegion, cm.DiskPerRegion, cm.Load = d.data, d.disk, d.load
	cm.NodesForData = int(ceil(d.data / float64(s.MaxDataPerNode)))
	perNodeDisk := float64(pr.EBS.MaxVolume)
	if p.Storage == InstanceStore {
		perNodeDisk = float64(p.inst.InstanceStore)
	}
	cm.NodesForDisk = int(ceil(d.disk / perNodeDisk))
	cm.NodesForThroughput = int(ceil(d.load / s.TargetUtilization))
	least := max(s.MinNodes, w.Replication)
	n := max(cm.NodesForData, cm.NodesForDisk, cm.NodesForThroughput, least)
	n = (n + s.Racks - 1) / s.Racks * s.Racks
	cm.NodesPerRegion, cm.Nodes = n, n*w.Regions
	p.step(m, "Cassandra nodes for the data", fmt.Sprint(cm.NodesForData), "⌈%s per region / %s a node⌉", formatBytes(d.data), s.MaxDataPerNode)
	p.step(m, "Cassandra nodes for the disk", fmt.Sprint(cm.NodesForDisk), "⌈%s per region / %s a node (%s)⌉", formatBytes(d.disk), formatBytes(perNodeDisk), p.Storage)
	p.step(m, "Cassandra nodes for the requests", fmt.Sprint(cm.NodesForThroughput), "⌈%s nodes of load / %g target utilization⌉", trim(d.load, 4), s.TargetUtilization)
	p.step(m, "Cassandra nodes per region", fmt.Sprint(n), "the most of %d, %d, %d and %d (the least a region runs), up to a multiple of %d racks",
		cm.NodesForData, cm.NodesForDisk, cm.NodesForThroughput, least, s.Racks)
	b.add("cassandra_ec2.instances", GroupCassandraEC2, "EC2 instances", float64(cm.Nodes)*p.inst.Hourly*pr.HoursPerMonth,
		"%d nodes × $%g/h × %g h", cm.Nodes, p.inst.Hourly, pr.HoursPerMonth)
	if p.Storage == EBSGP3 {
		cm.VolumeGB = ceil(pr.gb(d.disk / float64(n)))
		cm.EBSGB = cm.VolumeGB * float64(cm.Nodes)
		extra := math.Max(0, s.EBSIOPS-pr.EBS.FreeIOPS)*pr.EBS.IOPSMonth + math.Max(0, s.EBSThroughput-pr.EBS.FreeMBps)*pr.EBS.MBpsMonth
		p.step(m, "EBS gp3 per node", num(cm.VolumeGB)+" GB", "⌈%s per region / %d nodes / %s B⌉", formatBytes(d.disk), n, num(pr.BilledGB))
		b.add("cassandra_ec2.ebs", GroupCassandraEC2, "EBS gp3", cm.EBSGB*pr.EBS.GBMonth+float64(cm.Nodes)*extra,
			"%s GB × $%g + %d volumes × $%g (IOPS and MB/s above %g and %g)", num(cm.EBSGB), pr.EBS.GBMonth, cm.Nodes, extra, pr.EBS.FreeIOPS, pr.EBS.FreeMBps)
	}
	rf, regions := float64(w.Replication), float64(w.Regions)
	cm.InterAZBytes = d.writeBytes * (rf - 1) * regions
	cm.InterRegionBytes = d.writeBytes * (regions - 1)
	b.add("cassandra_ec2.transfer", GroupCassandraEC2, "replication traffic",
		pr.gb(cm.InterAZBytes)*2*pr.Transfer.InterAZGB+pr.gb(cm.InterRegionBytes)*pr.Transfer.InterRegionGB,
		"%s written × %d other zones × %d regions × 2 ways × $%g/GB + %s × %d other regions × $%g/GB",
		formatBytes(d.writeBytes), w.Replication-1, w.Regions, pr.Transfer.InterAZGB, formatBytes(d.writeBytes), w.Regions-1, pr.Transfer.InterRegionGB)
}

// keyspaces bills the same workload on Amazon Keyspaces, both modes.
func (p *Plan) keyspaces(mo *Month, d demand, b *bill) {
	w, s, pr := p.Workload, p.Workload.Settings, p.prices
	km := &mo.Keyspaces
	km.WRU, km.RRU, km.TTLUnits, km.WCU, km.RCU = d.wru, d.rru, d.ttl, d.wcu, d.rcu
	km.StorageGBMonths = pr.gb(d.stored)
	kp := pr.Keyspaces
	b.add("keyspaces.storage", GroupKeyspaces, "Keyspaces storage", km.StorageGBMonths*kp.StorageGB,
		"%s GB (the month's mean, one logical copy a region: Keyspaces' 3 replicas are in the price) × $%g", num(km.StorageGBMonths), kp.StorageGB)
	if s.KeyspacesPITR == PITROn {
		b.add("keyspaces.pitr", GroupKeyspaces, "Keyspaces PITR", km.StorageGBMonths*kp.PITRGB, "%s GB × $%g", num(km.StorageGBMonths), kp.PITRGB)
	}
	b.add("keyspaces.ttl", GroupKeyspaces, "Keyspaces TTL deletes", d.ttl/1e6*kp.TTLMillion, "%s units / 1M × $%g", num(d.ttl), kp.TTLMillion)
	b.add("keyspaces.transfer", GroupKeyspaces, "replication between regions", pr.gb(d.writeBytes*float64(w.Regions-1))*pr.Transfer.InterRegionGB,
		"%s × %d other regions × $%g/GB", formatBytes(d.writeBytes), w.Regions-1, pr.Transfer.InterRegionGB)
	b.add("keyspaces_on_demand.writes", GroupKeyspacesOnDemand, "Keyspaces WRU", d.wru/1e6*kp.WRUMillion, "%s WRU / 1M × $%g", num(d.wru), kp.WRUMillion)
	b.add("keyspaces_on_demand.reads", GroupKeyspacesOnDemand, "Keyspaces RRU", d.rru/1e6*kp.RRUMillion, "%s RRU / 1M × $%g", num(d.rru), kp.RRUMillion)
	b.add("keyspaces_provisioned.writes", GroupKeyspacesProvisioned, "Keyspaces WCU", d.wcu*kp.WCUHour*pr.HoursPerMonth, "%s WCU × $%g/h × %g h", num(d.wcu), kp.WCUHour, pr.HoursPerMonth)
	b.add("keyspaces_provisioned.reads", GroupKeyspacesProvisioned, "Keyspaces RCU", d.rcu*kp.RCUHour*pr.HoursPerMonth, "%s RCU × $%g/h × %g h", num(d.rcu), kp.RCUHour, pr.HoursPerMonth)
}

// opensearch sizes each region's domain as AWS's sizing guide does
// (source × (1 + replicas) × 1.45) and bills it.
func (p *Plan) opensearch(mo *Month, d demand, search SearchInstance, b *bill) {
	w, s, pr, m := p.Workload, p.Workload.Settings, p.prices, mo.Month
	om := &mo.OpenSearch
	if d.docs > 0 {
		om.SourcePerRegion = d.docs
		om.StoragePerRegion = d.docs * float64(1+s.OpenSearchReplicas) * s.OpenSearchOverhead
		om.NodesPerRegion = max(s.OpenSearchMinNodes, int(ceil(om.StoragePerRegion/float64(search.MaxStorage))))
		om.Nodes = om.NodesPerRegion * w.Regions
		om.EBSGB = ceil(pr.gb(om.StoragePerRegion/float64(om.NodesPerRegion))) * float64(om.Nodes)
		p.step(m, "OpenSearch storage per region", formatBytes(om.StoragePerRegion), "%s of documents × (1 + %d replicas) × %g", formatBytes(d.docs), s.OpenSearchReplicas, s.OpenSearchOverhead)
		p.step(m, "OpenSearch nodes per region", fmt.Sprint(om.NodesPerRegion), "the more of %d and ⌈%s / %s a node⌉", s.OpenSearchMinNodes, formatBytes(om.StoragePerRegion), search.MaxStorage)
	} else {
		p.step(m, "OpenSearch", "none", "no kind is indexed")
	}
	b.add("opensearch.instances", GroupCommon, "OpenSearch nodes", float64(om.Nodes)*search.Hourly*pr.HoursPerMonth, "%d nodes × $%g/h × %g h", om.Nodes, search.Hourly, pr.HoursPerMonth)
	b.add("opensearch.storage", GroupCommon, "OpenSearch gp3", om.EBSGB*pr.OpenSearch.GP3GB, "%s GB × $%g", num(om.EBSGB), pr.OpenSearch.GP3GB)
}

// redis sizes each region's cluster for the sessions and hot data of its
// daily players, and bills it.
func (p *Plan) redis(mo *Month, cache CacheNode, b *bill) {
	w, s, pr, m := p.Workload, p.Workload.Settings, p.prices, mo.Month
	rm := &mo.Redis
	ss := w.Sessions
	perPlayer := ss.PerPlayer * float64(ss.SessionSize+s.RedisKeyOverhead)
	if ss.HotSize > 0 {
		perPlayer += float64(ss.HotSize + s.RedisKeyOverhead)
	}
	rm.MemoryPerRegion = mo.Players / float64(w.Regions) * perPlayer / (1 - s.RedisReserved)
	rm.Shards = max(1, int(ceil(rm.MemoryPerRegion/(cache.MemoryGiB*gib))))
	rm.NodesPerRegion = rm.Shards * (1 + s.RedisReplicas)
	rm.Nodes = rm.NodesPerRegion * w.Regions
	p.step(m, "Redis memory per region", formatBytes(rm.MemoryPerRegion), "%s players / %d regions × (%g sessions × (%s + %s) + %s + %s) / (1 − %g reserved)",
		num(mo.Players), w.Regions, ss.PerPlayer, ss.SessionSize, s.RedisKeyOverhead, ss.HotSize, s.RedisKeyOverhead, s.RedisReserved)
	p.step(m, "Redis nodes per region", fmt.Sprint(rm.NodesPerRegion), "⌈%s / %g GiB a node⌉ shards × (1 + %d replicas)", formatBytes(rm.MemoryPerRegion), cache.MemoryGiB, s.RedisReplicas)
	b.add("elasticache.nodes", GroupCommon, "ElastiCache nodes", float64(rm.Nodes)*cache.Hourly*pr.HoursPerMonth, "%d nodes × $%g/h × %g h", rm.Nodes, cache.Hourly, pr.HoursPerMonth)
}

// archive grows the Parquet archive in S3 by every row whose day closed in
// the month, and bills it.
func (p *Plan) archive(mo *Month, series []kindSeries, prev *float64, b *bill) {
	w, pr, m := p.Workload, p.prices, mo.Month
	am := &mo.Archive
	for _, ks := range series {
		am.Added += ks.written[m] * w.Archive.Ratio
		if ks.written[m] > 0 {
			am.Objects += math.Max(ks.written[m]*w.Archive.Ratio/float64(w.Archive.ObjectSize), daysPerMonth)
		}
	}
	am.Bytes = *prev + am.Added
	am.GBMonths = pr.gb((*prev + am.Bytes) / 2)
	*prev = am.Bytes
	p.step(m, "archive in S3", formatBytes(am.Bytes), "everything written so far × %g (Parquet)", w.Archive.Ratio)
	s3, tiers := pr.s3Month(am.GBMonths)
	b.add("s3.storage", GroupCommon, "S3 storage", s3, "%s GB-months (the month's mean): %s", num(am.GBMonths), tiers)
	b.add("s3.requests", GroupCommon, "S3 PUTs", am.Objects/1000*pr.S3.PutPer1000, "%s objects (at least one a kind a day) / 1,000 × $%g", num(am.Objects), pr.S3.PutPer1000)
}
