// Package cluster holds the tests of gamedata on the multi-node Cassandra
// cluster (cassandra/clustertest: three nodes in dc1, one in dc2): two
// regions serving at once, a node down, a region down, and the restore
// drill. Each region is an API server over its own data centre (LOCAL_QUORUM
// there), with its own OpenSearch indices fed by its own indexer from the
// replicated change feed. It is the only package that uses the cluster, so
// the test command runs this suite once; its tests run one after another,
// since they stop and start nodes. docs/operations.md is the runbook they
// back.
package cluster
