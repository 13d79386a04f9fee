package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/opensearch"
)

func newReindexCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild a search index from the primary store",
	}
	cmd.AddCommand(newReindexUsersCmd())
	return cmd
}

func newReindexUsersCmd() *cobra.Command {
	var (
		sc      storeConfig
		oc      openSearchConfig
		restart bool
	)
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Rebuild the users index from the store and swap the users alias onto it",
		Long: `Create a new users index (with the current template: mappings, shards,
replicas), fill it with every player of the store, then move the users alias
onto it and delete the old index in one atomic step. Searches keep working
throughout, and no change is lost: while the new index is built, the indexer
writes changed players into it too. It needs no _reindex API.

A reindex that stops half way leaves the live index alone; run it again with
--restart to start over.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := oc.open()
			if err != nil {
				return err
			}
			defer client.Close()
			return withStore(cmd.Context(), &sc, func(b gamedata.Backend) error {
				if b.Lister == nil {
					return fmt.Errorf("the %s store cannot list all its players (yet)", sc.Kind)
				}
				rep, err := client.ReindexUsers(cmd.Context(), b.Lister, opensearch.ReindexOptions{Restart: restart})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "reindexed %d players into %s in %s; deleted %v\n",
					rep.Players, rep.Index, rep.Took.Round(time.Millisecond), rep.Deleted)
				return nil
			})
		},
	}
	sc.addFlags(cmd.Flags())
	oc.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&restart, "restart", false, "delete the index of an unfinished reindex and start over")
	cliOnly(cmd.Flags(), "restart")
	return cmd
}
