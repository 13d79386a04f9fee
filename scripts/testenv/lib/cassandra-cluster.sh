# shellcheck shell=bash
# A multi-node Cassandra 5.0 test cluster, for the tests of regions and node
# failure (e2e/cluster): node N listens on its own loopback address
# 127.0.0.(N+1) and its own ports, with GossipingPropertyFileSnitch and a data
# centre and rack of its own:
#
#   node1 127.0.0.2:19141 dc1/r1 (seed)   node3 127.0.0.4:19143 dc1/r3
#   node2 127.0.0.3:19142 dc1/r2          node4 127.0.0.5:19144 dc2/r1 (seed)
#
# Same jars as the single node (lib/cassandra.sh), small heaps, no
# authentication. Engines: cassandra-cluster (every node) and
# cassandra-node1..4 (one node, for a test that stops and starts it).

CLUSTER_HEAP=${GAMEDATA_CLUSTER_HEAP:-384m}
CLUSTER_NODES=(1 2 3 4)
# dc/rack of each node, by number.
CLUSTER_PLACES=([1]=dc1/r1 [2]=dc1/r2 [3]=dc1/r3 [4]=dc2/r1)
# One token each, spread evenly around the ring in each data centre (a node
# of dc2 sits 100 past its dc1 neighbour: tokens must be unique).
CLUSTER_TOKENS=([1]=-9223372036854775808 [2]=-3074457345618258603 [3]=3074457345618258602 [4]=-9223372036854775708)
CLUSTER_SEEDS=(1 4)

cluster_addr()         { printf '127.0.0.%d\n' "$(($1 + 1))"; }
cluster_cql_port()     { printf '%d\n' "$((19140 + $1))"; }
cluster_storage_port() { printf '%d\n' "$((18100 + $1))"; }
cluster_jmx_port()     { printf '%d\n' "$((18200 + $1))"; }
cluster_dir()          { printf '%s/cassandra-cluster\n' "$RT"; }
cluster_node_dir()     { printf '%s/node%d\n' "$(cluster_dir)" "$1"; }
cluster_node_pidfile() { printf '%s/cassandra-node%d.pid\n' "$RUN_DIR" "$1"; }
cluster_node_log()     { printf '%s/logs/system.log\n' "$(cluster_node_dir "$1")"; }
cluster_node_pid() {
  engine_pid "$(cluster_node_pidfile "$1")" "$(cluster_cql_port "$1")" has_marker "-Dgamedata.testenv=$(cluster_node_dir "$1") "
}

# cluster_node_probe N: node N answers CQL (the cluster as a whole is checked
# by cassandra_cluster_up).
cluster_node_probe() {
  "$CQLCHECK" -addr "$(cluster_addr "$1"):$(cluster_cql_port "$1")" -user '' -q
}

cluster_node_start() {
  local n=$1 dir lib addr seeds=() s place
  dir=$(cluster_node_dir "$n")
  lib=$(cassandra_lib)
  addr=$(cluster_addr "$n")
  for s in "${CLUSTER_SEEDS[@]}"; do seeds+=("$(cluster_addr "$s"):$(cluster_storage_port "$s")"); done
  place=${CLUSTER_PLACES[$n]}
  ensure_ports_free "cassandra-node$n" "$(cluster_cql_port "$n")" "$(cluster_storage_port "$n")" "$(cluster_jmx_port "$n")" || return 1
  mkdir -p "$dir/conf" "$dir/logs" "$dir/data/triggers" "$dir/tmp"
  local vars=(
    CQL_PORT="$(cluster_cql_port "$n")" STORAGE_PORT="$(cluster_storage_port "$n")" JMX_PORT="$(cluster_jmx_port "$n")"
    ADDRESS="$addr" SEEDS="$(IFS=,; printf '%s' "${seeds[*]}")" TOKEN="${CLUSTER_TOKENS[$n]}"
    DATA_DIR="$dir/data" LOG_DIR="$dir/logs" CONF_DIR="$dir/conf" TMP_DIR="$dir/tmp"
    LIB_DIR="$lib" HEAP="$CLUSTER_HEAP" RUNTIME_DIR="$dir"
  )
  render "$TEMPLATES/cassandra-cluster.yaml.tmpl" "$dir/conf/cassandra.yaml" "${vars[@]}" || return 1
  render "$TEMPLATES/cassandra-logback.xml.tmpl" "$dir/conf/logback.xml" "${vars[@]}" || return 1
  render "$TEMPLATES/cassandra-jvm.options" "$dir/conf/jvm.options" "${vars[@]}" || return 1
  printf 'dc=%s\nrack=%s\nprefer_local=true\n' "${place%/*}" "${place#*/}" > "$dir/conf/cassandra-rackdc.properties"

  local opts=()
  mapfile -t opts < <(sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$dir/conf/jvm.options")
  # Fewer JIT and GC threads: four JVMs share two cores.
  opts+=(-XX:CICompilerCount=2 -XX:ParallelGCThreads=1 -XX:ConcGCThreads=1)
  local launcher=()
  if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null 2>&1; then
    launcher=(setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock)
  fi
  [[ -f $dir/logs/system.log ]] && mv -f "$dir/logs/system.log" "$dir/logs/system.log.prev"
  : > "$dir/logs/stdout.log"
  say "starting node$n ($place, heap $CLUSTER_HEAP) on $addr:$(cluster_cql_port "$n")"
  # The marker must be followed by a space: the class path comes next.
  spawn "$dir" "$dir/logs/stdout.log" "${launcher[@]}" "$JAVA" "${opts[@]}" -cp "$dir/conf:$lib/*" \
    org.apache.cassandra.service.CassandraDaemon
  printf '%s\n' "$SPAWNED_PID" > "$(cluster_node_pidfile "$n")"
}

# cluster_node_wait N SECONDS: wait until node N answers CQL.
cluster_node_wait() {
  local n=$1 pid
  pid=$(cluster_node_pid "$n") || { fail "node$n is not running"; return 1; }
  wait_for "$2" "$pid" "$(cluster_node_log "$n")" "node$n" cluster_node_probe "$n" || {
    grep -E '^(ERROR|WARN)' "$(cluster_node_log "$n")" 2>/dev/null | tail -n 10 >&2
    return 1
  }
}

cluster_prepare() {
  find_java || return 1
  cassandra_install || return 1
  cassandra_cqlcheck_build || return 1
  mkdir -p "$(cluster_dir)" "$RUN_DIR"
}

# cluster_node_up N: start node N if it is not running, and wait until it
# answers and sees every other running node.
cluster_node_up() {
  local n=$1 t0
  t0=$(now)
  cluster_prepare || return 1
  if ! cluster_node_pid "$n" >/dev/null; then
    cluster_node_start "$n" || return 1
  fi
  cluster_node_wait "$n" "$TIMEOUT" || return 1
  say "node$n ready in $(elapsed "$t0")"
}

cluster_node_down() {
  local n=$1 pid
  if pid=$(cluster_node_pid "$n"); then
    say "stopping node$n (pid $pid)"
    stop_pid "node$n" "$pid" 60 || return 1
    rm -f "$(cluster_node_pidfile "$n")"
  else
    say "node$n is not running"
  fi
}

cluster_node_status() {
  local n=$1 pid state=starting
  if ! pid=$(cluster_node_pid "$n"); then
    printf '%-17s %-8s %s\n' "cassandra-node$n" down "${CLUSTER_PLACES[$n]}"
    return 1
  fi
  CQLCHECK=$RT/bin/cqlcheck
  [[ -x $CQLCHECK ]] && cluster_node_probe "$n" 2>/dev/null && state=healthy
  printf '%-17s %-8s pid %-8s RSS %-8s %s:%s %s\n' "cassandra-node$n" "$state" "$pid" "$(rss_of "$pid")" \
    "$(cluster_addr "$n")" "$(cluster_cql_port "$n")" "${CLUSTER_PLACES[$n]}"
  [[ $state == healthy ]]
}

# cassandra_cluster_up: the first seed alone (it creates the system
# keyspaces), then every other node at once; then, through each node in
# turn, a write at ALL to a keyspace with a replica on every node, so that
# the cluster is up in every node's view before the tests start.
cassandra_cluster_up() {
  local t0 n pids=() rc=0 nodes=${#CLUSTER_NODES[@]}
  t0=$(now)
  cluster_prepare || return 1
  cluster_node_up "${CLUSTER_NODES[0]}" || return 1
  for n in "${CLUSTER_NODES[@]:1}"; do
    cluster_node_up "$n" &
    pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n" || rc=1; done
  ((rc == 0)) || return 1
  for n in "${CLUSTER_NODES[@]}"; do
    "$CQLCHECK" -addr "$(cluster_addr "$n"):$(cluster_cql_port "$n")" -user '' -q -cluster "$nodes" -wait "${TIMEOUT}s" ||
      { fail "node$n does not see all $nodes nodes up"; return 1; }
  done
  say "cluster of $nodes nodes ready in $(elapsed "$t0")"
}

cassandra_cluster_down() {
  local n pids=() rc=0
  for n in "${CLUSTER_NODES[@]}"; do
    cluster_node_down "$n" &
    pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n" || rc=1; done
  return "$rc"
}

cassandra_cluster_status() {
  local n rc=0 any=
  for n in "${CLUSTER_NODES[@]}"; do cluster_node_pid "$n" >/dev/null && any=1; done
  if [[ -z $any ]]; then
    printf '%-17s %-8s (not a default engine: testenv up cassandra-cluster)\n' cassandra-cluster down
    return 0
  fi
  for n in "${CLUSTER_NODES[@]}"; do cluster_node_status "$n" || rc=1; done
  return "$rc"
}

cassandra_cluster_running() {
  local n
  for n in "${CLUSTER_NODES[@]}"; do cluster_node_pid "$n" >/dev/null || return 1; done
}

# cassandra_cluster_env: the contact points, and each node as
# name=host:port@dc/rack for the test helper (cassandra/clustertest).
cassandra_cluster_env() {
  local n hosts=() nodes=()
  for n in "${CLUSTER_NODES[@]}"; do
    hosts+=("$(cluster_addr "$n"):$(cluster_cql_port "$n")")
    nodes+=("node$n=$(cluster_addr "$n"):$(cluster_cql_port "$n")@${CLUSTER_PLACES[$n]}")
  done
  export_var GAMEDATA_TEST_CLUSTER "$(IFS=,; printf '%s' "${hosts[*]}")"
  export_var GAMEDATA_TEST_CLUSTER_NODES "${nodes[*]}"
}

cassandra_cluster_logs() {
  local n
  for n in "${CLUSTER_NODES[@]}"; do cluster_node_log "$n"; done
}

# cassandra_cluster_nodetool N ARGS...: nodetool against node N.
cassandra_cluster_nodetool() {
  local n=$1; shift
  CASSANDRA_JMX_PORT=$(cluster_jmx_port "$n") NODETOOL_DIR=$(cluster_node_dir "$n") cassandra_nodetool "$@"
}

# Per-node engines: cassandra-node1 .. cassandra-nodeN.
for _n in "${CLUSTER_NODES[@]}"; do
  eval "cassandra_node${_n}_up() { cluster_node_up $_n; }
cassandra_node${_n}_down() { cluster_node_down $_n; }
cassandra_node${_n}_status() { cluster_node_status $_n; }
cassandra_node${_n}_env() { cassandra_cluster_env; }
cassandra_node${_n}_logs() { cluster_node_log $_n; }"
done
unset _n
