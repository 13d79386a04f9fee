# shellcheck shell=bash
# Redis from Debian's redis-server package: one plain server and one
# three-master cluster, as plain processes with no persistence.

REDIS_PORT=16379
REDIS_CLUSTER_PORTS=(17001 17002 17003)

redis_dir()     { printf '%s/redis/%s\n' "$RT" "$1"; }
redis_pidfile() { printf '%s/redis-%s.pid\n' "$RUN_DIR" "$1"; }

# redis_owns PORT PID: PID is the server of this runtime dir for PORT (redis
# chdirs to its 'dir', so its cwd identifies it).
redis_owns() { [[ "$(readlink "/proc/$2/cwd" 2>/dev/null)" == "$(redis_dir "$1")" ]]; }
redis_pid()  { engine_pid "$(redis_pidfile "$1")" "$1" redis_owns "$1"; }

rcli() { local port=$1; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }
redis_ping() { [[ "$(rcli "$1" ping 2>/dev/null)" == PONG ]]; }

redis_install() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  local t0
  t0=$(now)
  apt_install redis-server redis-tools || { fail "could not install redis-server"; return 1; }
  command -v redis-server >/dev/null 2>&1 || { fail "redis-server still missing after apt-get"; return 1; }
  say "redis installed in $(elapsed "$t0")"
}

# redis_start_one PORT CLUSTER(yes|no)
redis_start_one() {
  local port=$1 cluster=$2 dir pid log
  if pid=$(redis_pid "$port") && redis_ping "$port"; then
    return 0
  fi
  dir=$(redis_dir "$port")
  log=$dir/redis.log
  if [[ -z ${pid:-} ]]; then
    ensure_ports_free redis "$port" || return 1
    [[ $cluster == yes ]] && { ensure_ports_free redis "$((port + 10000))" || return 1; }
    mkdir -p "$dir" "$RUN_DIR"
    render "$TEMPLATES/redis.conf.tmpl" "$dir/redis.conf" PORT="$port" CLUSTER="$cluster" \
      DIR="$dir" LOG_FILE="$log" PID_FILE="$(redis_pidfile "$port")" || return 1
    spawn "$dir" "$dir/stdout.log" redis-server "$dir/redis.conf"
    pid=$SPAWNED_PID
    printf '%s\n' "$pid" > "$(redis_pidfile "$port")"
  fi
  wait_for 30 "$pid" "$log" "redis :$port" redis_ping "$port"
}

redis_stop_one() {
  local port=$1 pid
  if pid=$(redis_pid "$port"); then
    stop_pid "redis :$port" "$pid" 10 || return 1
    rm -f "$(redis_pidfile "$port")"
    say "stopped redis :$port (pid $pid)"
  fi
}

# redis_cluster_node_ok PORT: this node sees a healthy 3-master cluster.
redis_cluster_node_ok() {
  local info
  info=$(rcli "$1" cluster info 2>/dev/null | tr -d '\r') || return 1
  grep -qx 'cluster_state:ok' <<<"$info" &&
    grep -qx 'cluster_slots_assigned:16384' <<<"$info" &&
    grep -qx "cluster_known_nodes:${#REDIS_CLUSTER_PORTS[@]}" <<<"$info"
}

redis_cluster_ok() {
  local p
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    redis_cluster_node_ok "$p" || return 1
  done
}

redis_cluster_nodes_arg() {
  local p out=()
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do out+=("127.0.0.1:$p"); done
  printf '%s\n' "${out[@]}"
}

redis_cluster_form() {
  redis_cluster_ok && return 0
  # A cluster formed earlier (nodes.conf kept) re-forms by itself after a restart.
  local p known=1 n
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    n=$(rcli "$p" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')
    [[ $n == "${#REDIS_CLUSTER_PORTS[@]}" ]] || known=0
  done
  if ((known)); then
    wait_for 20 "" /dev/null "redis cluster" redis_cluster_ok 2>/dev/null && return 0
    warn "redis cluster did not re-form: resetting it"
  fi
  say "creating redis cluster on ports ${REDIS_CLUSTER_PORTS[*]}"
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    rcli "$p" flushall >/dev/null 2>&1 || true
    rcli "$p" cluster reset hard >/dev/null || { fail "cluster reset on :$p failed"; return 1; }
  done
  local nodes
  mapfile -t nodes < <(redis_cluster_nodes_arg)
  local out
  if ! out=$(redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes 2>&1); then
    printf '%s\n' "$out" >&2
    fail "redis-cli --cluster create failed"
    return 1
  fi
  wait_for 30 "" "$(redis_dir "${REDIS_CLUSTER_PORTS[0]}")/redis.log" "redis cluster" redis_cluster_ok
}

redis_single_up() {
  redis_install || return 1
  local t0 was=
  t0=$(now)
  redis_pid "$REDIS_PORT" >/dev/null && redis_ping "$REDIS_PORT" && was=1
  redis_start_one "$REDIS_PORT" no || return 1
  if [[ -n $was ]]; then
    say "redis 127.0.0.1:$REDIS_PORT already running and healthy"
  else
    say "redis 127.0.0.1:$REDIS_PORT ready in $(elapsed "$t0")"
  fi
}

redis_cluster_pids_ok() {
  local p
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    redis_pid "$p" >/dev/null || return 1
  done
}

redis_cluster_up() {
  redis_install || return 1
  local t0 p
  t0=$(now)
  if redis_cluster_pids_ok && redis_cluster_ok; then
    say "redis cluster ${REDIS_CLUSTER_PORTS[*]} already running and healthy"
    return 0
  fi
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    redis_start_one "$p" yes || return 1
  done
  redis_cluster_form || return 1
  say "redis cluster ${REDIS_CLUSTER_PORTS[*]} ready in $(elapsed "$t0")"
}

redis_up() {
  redis_single_up || return 1
  redis_cluster_up
}

redis_single_down() { redis_stop_one "$REDIS_PORT"; }
redis_cluster_down() {
  local p rc=0
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do redis_stop_one "$p" || rc=1; done
  return "$rc"
}
redis_down() {
  local rc=0
  redis_single_down || rc=1
  redis_cluster_down || rc=1
  return "$rc"
}

redis_single_status() {
  local pid
  if pid=$(redis_pid "$REDIS_PORT") && redis_ping "$REDIS_PORT"; then
    printf '%-11s %-8s pid %-8s RSS %-8s 127.0.0.1:%s  %s\n' redis healthy "$pid" "$(rss_of "$pid")" "$REDIS_PORT" \
      "$(rcli "$REDIS_PORT" info server | tr -d '\r' | sed -n 's/^redis_version:/redis /p')"
    return 0
  fi
  if [[ -n ${pid:-} ]]; then
    printf '%-11s %-8s pid %s\n' redis unhealthy "$pid"
  else
    printf '%-11s %-8s\n' redis down
  fi
  return 1
}

redis_cluster_status() {
  local p pid pids=() rss=0 kb
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    if pid=$(redis_pid "$p"); then
      pids+=("$pid")
      kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
      rss=$((rss + ${kb:-0}))
    fi
  done
  if ((${#pids[@]} == 0)); then
    printf '%-11s %-8s\n' redis-clust down
    return 1
  fi
  local state=unhealthy rc=1
  redis_cluster_ok && { state=healthy; rc=0; }
  printf '%-11s %-8s pids %s RSS %dMiB (3 nodes)  127.0.0.1:%s-%s  3 masters\n' redis-clust "$state" \
    "$(IFS=,; printf '%s' "${pids[*]}")" "$((rss / 1024))" "${REDIS_CLUSTER_PORTS[0]}" "${REDIS_CLUSTER_PORTS[-1]}"
  return "$rc"
}

redis_status() {
  local rc=0
  redis_single_status || rc=1
  redis_cluster_status || rc=1
  return "$rc"
}

redis_single_env() { export_var GAMEDATA_TEST_REDIS "127.0.0.1:$REDIS_PORT"; }
redis_cluster_env() {
  local nodes
  nodes=$(redis_cluster_nodes_arg | paste -sd, -)
  export_var GAMEDATA_TEST_REDIS_CLUSTER "$nodes"
}
redis_env() { redis_single_env; redis_cluster_env; }

redis_logs() {
  local p
  for p in "$REDIS_PORT" "${REDIS_CLUSTER_PORTS[@]}"; do printf '%s\n' "$(redis_dir "$p")/redis.log"; done
}
