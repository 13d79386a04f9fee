package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata/capacity"
	"github.com/gamedata-dev/gamedata/deploy"
)

type planConfig struct {
	Workload   string
	Prices     string
	BenchFiles []string
	JSON       bool
	Chart      string
	Explain    bool
	Start      string

	// The single kind of data, when there is no workload file.
	kind capacity.Kind
	// Settings of the workload that a flag may override.
	w capacity.Workload
}

// planKindFlags set the single kind of data; a workload file names its own.
var planKindFlags = []string{"writes", "write-size", "reads", "read-size", "read-consistency", "compaction", "retention-days"}

func newPlanCmd() *cobra.Command {
	var c planConfig
	def := capacity.DefaultWorkload()
	c.kind, c.w = capacity.DefaultKind(), def
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Work out month by month the data, the nodes and what each way of running the store costs",
		Long: `Plan the infrastructure of a workload: month by month, the data stored (one
copy and every replica), the disk its compaction needs, the Cassandra nodes
needed for the data, the disk and the requests, when to start adding them
given a lead time, Redis memory, OpenSearch storage and the S3 archive; and
what that costs on Cassandra on EC2, Amazon Keyspaces on-demand and Amazon
Keyspaces provisioned, side by side, with the prices of a dated price file.

The workload is the seed's unless flags or --workload FILE.yaml say
otherwise: 1,000 writes/s of 1 KB and 1,000 reads/s of 4 KB at LOCAL_QUORUM,
kept a year hot, in one region of three replicas, for 12 months. A node's
throughput comes from gamedata bench runs (--bench-file, a closed-loop run of
writes and one of reads against one Cassandra node) or else from the price
file's default for the instance type. --explain prints every formula with
its inputs. The model and its assumptions: docs/capacity.md.`,
		Example: `  gamedata plan
  gamedata plan --growth-percent 30 --months 12 --chart plan.svg
  gamedata plan --workload deploy/capacity/workload.example.yaml --json
  gamedata plan --bench-file writes.json --bench-file reads.json --explain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlan(cmd.Flags(), c, time.Now(), cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&c.Workload, "workload", "", "YAML workload file (see deploy/capacity/workload.example.yaml); the flags below override its settings")
	fs.StringVar(&c.Prices, "prices", "", "price file; empty: the built-in deploy/"+deploy.DefaultPrices)
	fs.StringArrayVar(&c.BenchFiles, "bench-file", nil, "JSON of a closed-loop gamedata bench run against one Cassandra node; give one of writes and one of reads; none: the price file's default for --instance")
	fs.BoolVar(&c.JSON, "json", false, "print the plan as JSON instead of tables")
	fs.StringVar(&c.Chart, "chart", "", "also write an SVG chart of the nodes and the monthly cost to this file")
	fs.BoolVar(&c.Explain, "explain", false, "also print every formula with its inputs (in the JSON: \"working\")")
	fs.StringVar(&c.Start, "start", "", "first month, YYYY-MM; default: next month")

	fs.Float64Var(&c.kind.WritesPerSec, "writes", c.kind.WritesPerSec, "writes a second (average, at --players)")
	fs.Var(&c.kind.WriteSize, "write-size", "size of a write: 1KB is 1,000 bytes, 1KiB 1,024")
	fs.Float64Var(&c.kind.ReadsPerSec, "reads", c.kind.ReadsPerSec, "reads a second (average, at --players)")
	fs.Var(&c.kind.ReadSize, "read-size", "size of a read")
	fs.Var(newEnum((*string)(&c.kind.ReadConsistency), string(c.kind.ReadConsistency), string(capacity.LocalQuorum), string(capacity.LocalOne)), "read-consistency", "consistency of the reads")
	fs.Var(newEnum((*string)(&c.kind.Compaction), string(c.kind.Compaction), string(capacity.STCS), string(capacity.LCS), string(capacity.TWCS)), "compaction", "compaction strategy, which sets the disk headroom: twcs for time series")
	fs.Float64Var(&c.kind.RetentionDays, "retention-days", c.kind.RetentionDays, "days a row stays in the hot store before it expires (the archive keeps it); 0: for ever")

	fs.IntVar(&c.w.Regions, "regions", def.Regions, "regions, each with its own data centre, OpenSearch and Redis")
	fs.IntVar(&c.w.Replication, "replication-factor", def.Replication, "replicas in each region (the replication factor of each data centre)")
	fs.Float64Var(&c.w.Players, "players", def.Players, "daily players the rates are given for (sizes Redis; scales the rates with --players-csv)")
	fs.Float64Var(&c.w.PeakFactor, "peak-factor", def.PeakFactor, "the busiest hour's rate over the average")
	fs.Float64Var(&c.w.Growth.MonthlyPercent, "growth-percent", 0, "growth of the rates each month, in percent")
	fs.IntVar(&c.w.Growth.Months, "months", 0, "months to plan; 0: 12, or with --players-csv every month of the file")
	fs.StringVar(&c.w.Growth.PlayersCSV, "players-csv", "", "CSV of date,players (expected daily players) that sets the growth instead")
	fs.StringVar(&c.w.Deployment.CassandraInstance, "instance", def.Deployment.CassandraInstance, "EC2 instance type of the Cassandra nodes (a key of the price file)")
	fs.Var(newEnum((*string)(&c.w.Deployment.CassandraStorage), "", string(capacity.EBSGP3), string(capacity.InstanceStore)), "storage", "where Cassandra keeps its data; default: the instance's own disks if it has them, else EBS gp3")
	fs.Float64Var(&c.w.Deployment.LeadTimeDays, "lead-time-days", def.Deployment.LeadTimeDays, "days from deciding to add a node to its joining (before streaming)")
	for _, name := range []string{"workload", "prices", "bench-file", "json", "chart", "explain", "start", "writes", "write-size", "reads", "read-size",
		"read-consistency", "compaction", "retention-days", "regions", "replication-factor", "players", "peak-factor", "growth-percent", "months",
		"players-csv", "instance", "storage", "lead-time-days"} {
		cliOnly(fs, name) // what one plan is of, not a setting of the installation
	}
	return cmd
}

// runPlan makes the plan and prints it; now sets the default first month.
func runPlan(fs *pflag.FlagSet, c planConfig, now time.Time, stdout io.Writer) error {
	w, err := planWorkload(fs, c)
	if err != nil {
		return err
	}
	prices, err := planPrices(c.Prices)
	if err != nil {
		return err
	}
	in := capacity.Input{Workload: w, Prices: prices, Start: time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)}
	if c.Start != "" {
		if in.Start, err = time.Parse("2006-01", c.Start); err != nil {
			return fmt.Errorf("--start %q: want YYYY-MM", c.Start)
		}
		in.Workload.Growth.Start = c.Start
	}
	if len(c.BenchFiles) > 0 {
		runs := make([]capacity.BenchRun, len(c.BenchFiles))
		for i, path := range c.BenchFiles {
			if runs[i], err = capacity.ReadBenchFile(path); err != nil {
				return err
			}
		}
		prof, err := capacity.ProfileFromBench(runs...)
		if err != nil {
			return err
		}
		in.Profile = &prof
	}
	plan, err := capacity.Compute(in)
	if err != nil {
		return err
	}
	if c.Chart != "" {
		var svg bytes.Buffer
		if err := plan.WriteSVG(&svg); err != nil {
			return err
		}
		if err := os.WriteFile(c.Chart, svg.Bytes(), 0o644); err != nil {
			return fmt.Errorf("--chart: %w", err)
		}
	}
	if c.JSON {
		if !c.Explain {
			plan.Steps = nil
		}
		return writeJSON(stdout, plan)
	}
	if err := plan.WriteTable(stdout); err != nil {
		return err
	}
	if c.Explain {
		fmt.Fprintln(stdout)
		return plan.WriteExplain(stdout)
	}
	return nil
}

// planWorkload is the workload file (or the seed's), with the flags given
// on the command line over it.
func planWorkload(fs *pflag.FlagSet, c planConfig) (capacity.Workload, error) {
	w := capacity.DefaultWorkload()
	if c.Workload != "" {
		for _, name := range planKindFlags {
			if fs.Changed(name) {
				return w, fmt.Errorf("--%s: a workload file names its kinds of data; set them there", name)
			}
		}
		var err error
		if w, err = capacity.ReadWorkload(c.Workload); err != nil {
			return w, err
		}
	} else {
		w.Kinds = []capacity.Kind{c.kind}
	}
	set := func(name string, apply func()) {
		if fs.Changed(name) {
			apply()
		}
	}
	set("regions", func() { w.Regions = c.w.Regions })
	set("replication-factor", func() { w.Replication = c.w.Replication })
	set("players", func() { w.Players = c.w.Players })
	set("peak-factor", func() { w.PeakFactor = c.w.PeakFactor })
	set("growth-percent", func() { w.Growth.MonthlyPercent = c.w.Growth.MonthlyPercent })
	set("months", func() { w.Growth.Months = c.w.Growth.Months })
	set("players-csv", func() { w.Growth.PlayersCSV = c.w.Growth.PlayersCSV })
	set("instance", func() { w.Deployment.CassandraInstance = c.w.Deployment.CassandraInstance })
	set("storage", func() { w.Deployment.CassandraStorage = c.w.Deployment.CassandraStorage })
	set("lead-time-days", func() { w.Deployment.LeadTimeDays = c.w.Deployment.LeadTimeDays })
	return w, nil
}

// planPrices reads --prices, or the built-in file.
func planPrices(path string) (*capacity.Prices, error) {
	if path != "" {
		return capacity.ReadPrices(path)
	}
	data, err := deploy.Files.ReadFile(deploy.DefaultPrices)
	if err != nil {
		return nil, errors.New("the built-in price file is missing: " + err.Error())
	}
	return capacity.ParsePrices("deploy/"+deploy.DefaultPrices+" (built in)", data)
}
