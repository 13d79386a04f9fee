package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gamedata plan end to end: the seed's year as a table, as JSON with the
// working, and as a chart; the profile of this machine from its bench
// files; a workload file; and bad input refused with the reason.
func TestPlan(t *testing.T) {
	table := mustCLI(t, nil, "plan", "--start", "2027-01")
	for _, want := range []string{
		"deploy/prices/aws-us-east-1-2026-12.yaml (built in)", "as of 2026-12-01", "unconfirmed",
		"31.536 TB", "94.608 TB", "189.216 TB", // a year at the seed's rates: one copy, three, and STCS's disk
		"Cassandra on EC2", "Keyspaces on-demand", "Keyspaces provisioned", "$90,823.68", "$19,710.00",
		"When to add nodes", "45 → 48",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}

	chart := filepath.Join(t.TempDir(), "plan.svg")
	out := mustCLI(t, nil, "plan", "--start", "2027-01", "--growth-percent", "30", "--months", "6", "--regions", "2",
		"--bench-file", "../../deploy/capacity/this-machine-writes.json", "--bench-file", "../../deploy/capacity/this-machine-reads.json",
		"--json", "--explain", "--chart", chart)
	var plan struct {
		Profile struct {
			WritesPerSec float64 `json:"writes_per_s"`
			Source       string  `json:"source"`
		} `json:"node_profile"`
		Months []struct {
			Label        string  `json:"label"`
			WritesPerSec float64 `json:"writes_per_s"`
			Cassandra    struct {
				Nodes              int `json:"nodes"`
				NodesForThroughput int `json:"nodes_for_throughput"`
			} `json:"cassandra"`
		} `json:"months"`
		Options []struct {
			Option  string  `json:"option"`
			Dollars float64 `json:"dollars"`
		} `json:"options"`
		Working []struct {
			What, Formula, Value string
		} `json:"working"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	if len(plan.Months) != 6 || plan.Months[5].Label != "2027-06" || len(plan.Options) != 3 || len(plan.Working) == 0 {
		t.Fatalf("plan --json: %d months, %d options, %d steps", len(plan.Months), len(plan.Options), len(plan.Working))
	}
	if !strings.Contains(plan.Profile.Source, "this-machine-writes.json") || plan.Profile.WritesPerSec <= 0 {
		t.Errorf("node profile %+v: want this machine's bench files", plan.Profile)
	}
	// +30% a month: month 6 writes 1,000 × 1.3^5 a second.
	if got := plan.Months[5].WritesPerSec; got < 3712.9 || got > 3713 {
		t.Errorf("month 6 writes/s %v, want 3712.93", got)
	}
	if m := plan.Months[5].Cassandra; m.NodesForThroughput < 2 || m.Nodes < 2*m.NodesForThroughput {
		t.Errorf("month 6 Cassandra %+v: two regions of at least the nodes the requests need", m)
	}
	doc, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	var svg struct {
		XMLName   xml.Name
		Polylines []struct{} `xml:"polyline"`
	}
	if err := xml.Unmarshal(doc, &svg); err != nil {
		t.Fatalf("the chart is not XML: %v", err)
	}
	if svg.XMLName.Local != "svg" || len(svg.Polylines) != 6 || !bytes.Contains(doc, []byte("Keyspaces on-demand")) || !bytes.Contains(doc, []byte("2027-06")) {
		t.Errorf("the chart: root %v, %d lines\n%s", svg.XMLName, len(svg.Polylines), doc)
	}

	explained := mustCLI(t, nil, "plan", "--workload", "../../deploy/capacity/workload.example.yaml", "--start", "2027-01", "--months", "2", "--explain")
	for _, want := range []string{`"game, +30% a month"`, "kind events", "Month 2 (2027-02)", "OpenSearch storage per region =", "events: disk per region = ("} {
		if !strings.Contains(explained, want) {
			t.Errorf("plan --workload --explain lacks %q", want)
		}
	}

	for _, bad := range [][]string{
		{"plan", "--workload", "../../deploy/capacity/workload.example.yaml", "--writes", "5"},
		{"plan", "--instance", "x9.huge"},
		{"plan", "--compaction", "dtcs"},
		{"plan", "--bench-file", "../../deploy/capacity/this-machine-writes.json"},
		{"plan", "--replication-factor", "0"},
	} {
		if _, errOut, err := runCLI(t, nil, bad...); err == nil || !strings.Contains(errOut, "gamedata:") {
			t.Errorf("gamedata %s: %v, %q; want a refusal", strings.Join(bad[1:], " "), err, errOut)
		}
	}
}
