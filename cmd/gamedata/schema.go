package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
)

// schemaConfig holds the flags of the schema commands.
type schemaConfig struct {
	Cassandra   cassandraConfig
	Replication string
}

func (c *schemaConfig) addFlags(fs *pflag.FlagSet) {
	c.Cassandra.addFlags(fs)
	fs.StringVar(&c.Replication, "replication", "",
		"replication factor of each data centre (region) of the keyspace, like dc1=3,dc2=3 (or dc1:3); empty: 3 in --cassandra-local-dc "+
			"(ignored with --keyspaces). Changing it alters the keyspace; apply prints the rebuild and repair to run next")
}

// schema is the schema the flags describe.
func (c schemaConfig) schema() (cassandra.Schema, error) {
	sc := cassandra.Schema{Keyspace: c.Cassandra.Keyspace, Keyspaces: c.Cassandra.Keyspaces}
	if sc.Keyspaces {
		return sc, nil
	}
	replication := c.Replication
	if replication == "" {
		replication = c.Cassandra.LocalDC + "=3"
	}
	rf, err := cassandra.ParseReplication(replication)
	if err != nil {
		return sc, fmt.Errorf("--replication: %w", err)
	}
	sc.Replication = rf
	return sc, nil
}

func newSchemaCmd() *cobra.Command {
	var c schemaConfig
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Create or upgrade the Cassandra keyspace and tables, or print their CQL",
		Long: `The Cassandra store keeps its tables in one keyspace per region, replicated
with NetworkTopologyStrategy in each data centre (--replication). "schema
apply" creates the keyspace and tables, or brings them up to date: each
versioned step is applied once, in order, even when several appliers run at
once, and running it again changes nothing. "schema print" shows the CQL.
With --keyspaces the schema is the one Amazon Keyspaces supports.`,
	}
	c.addFlags(cmd.PersistentFlags())
	cmd.AddCommand(newSchemaApplyCmd(&c), newSchemaPrintCmd(&c))
	return cmd
}

func newSchemaApplyCmd(c *schemaConfig) *cobra.Command {
	return &cobra.Command{
		Use:   "apply",
		Short: "Create the keyspace and tables, or apply the schema steps they lack",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := c.schema()
			if err != nil {
				return err
			}
			cfg, err := c.Cassandra.config(gamedata.SystemClock{})
			if err != nil {
				return err
			}
			report, err := cassandra.ApplySchema(cmd.Context(), cfg, sc)
			if err != nil {
				return err
			}
			printReport(cmd.OutOrStdout(), sc, report)
			return nil
		},
	}
}

func printReport(w io.Writer, sc cassandra.Schema, r cassandra.SchemaReport) {
	if r.ReplicationChanged {
		fmt.Fprintf(w, "keyspace %s: replication changed from %s to %s; now run, in order:\n", sc.Keyspace,
			factors(r.Previous), factors(sc.Replication))
		for i, step := range r.ReplicationSteps(sc) {
			fmt.Fprintf(w, "  %d. %s\n", i+1, step)
		}
	}
	if len(r.Applied) == 0 {
		fmt.Fprintf(w, "keyspace %s: schema version %d, up to date\n", sc.Keyspace, r.Version)
		return
	}
	fmt.Fprintf(w, "keyspace %s: schema version %d, applied steps %v\n", sc.Keyspace, r.Version, r.Applied)
}

// factors writes replication factors as --replication takes them.
func factors(rf map[string]int) string {
	if rf == nil {
		return "another strategy"
	}
	parts := make([]string, 0, len(rf))
	for _, dc := range slices.Sorted(maps.Keys(rf)) {
		parts = append(parts, fmt.Sprintf("%s=%d", dc, rf[dc]))
	}
	return strings.Join(parts, ",")
}

func newSchemaPrintCmd(c *schemaConfig) *cobra.Command {
	return &cobra.Command{
		Use:   "print",
		Short: "Print the CQL of the keyspace and tables (no connection needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := c.schema()
			if err != nil {
				return err
			}
			script, err := sc.CQL()
			if err != nil {
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), script)
			return err
		},
	}
}
