// Command gamedata runs the gamedata server and its operator tools.
//
// Every subcommand lives in its own file; the flags that choose and open the
// primary store are shared (store.go), and every flag can also be set from
// the environment or a YAML config file (config.go).
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "gamedata:", err)
		return 1
	}
	return 0
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "gamedata",
		Short: "The game's data platform: players, sessions, orders, messages, events and metadata over HTTP",
		Long: `gamedata keeps the game's players, sessions, orders, messages, event logs and
metadata, and serves them over a JSON HTTP API (see /docs on a running server).

With no flags, "gamedata serve" runs the embedded life: everything in one
SQLite file under ./gamedata-data, no other server needed.

Every flag can also be set by an environment variable (--data-dir is
GAMEDATA_DATA_DIR) or by a key of the YAML file named by --config (data-dir:).
A flag wins over the environment, the environment over the file, and the file
over the default. GAMEDATA_ADMIN_KEY, where set, is accepted as an admin key.`,
		SilenceErrors: true, // run prints the error once, prefixed
		// A bad flag deserves the usage; a failure once the flags are read does not.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SilenceUsage = true
			return bindConfig(cmd, os.LookupEnv)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentFlags().String(configFlag, "", "YAML config file whose keys are flag names (see deploy/config/gamedata.example.yaml)")
	root.AddCommand(newServeCmd(), newAPIKeyCmd(), newVersionCmd(), newSchemaCmd(), newIndexerCmd(), newReindexCmd(), newBenchCmd(), newFeedCmd(), newRecsCmd(), newPlanCmd(), newArchiveCmd(), newAnalyticsCmd(),
		newBackupCmd(), newRestoreCmd())
	documentEnv(root)
	return root
}
