# shellcheck shell=bash
# Cassandra 5.0: cassandra-all and its dependencies from Maven Central, run as
# `java -cp lib/* org.apache.cassandra.service.CassandraDaemon` on Java 17.

CASSANDRA_VERSION=${GAMEDATA_CASSANDRA_VERSION:-5.0.9}
CASSANDRA_HEAP=${GAMEDATA_CASSANDRA_HEAP:-1g}
CASSANDRA_CQL_PORT=19042
CASSANDRA_STORAGE_PORT=17000
CASSANDRA_JMX_PORT=17199
CASSANDRA_USER=cassandra
CASSANDRA_PASSWORD=cassandra

cassandra_dir()     { printf '%s/cassandra\n' "$RT"; }
cassandra_pidfile() { printf '%s/cassandra.pid\n' "$RUN_DIR"; }
cassandra_log()     { printf '%s/cassandra/logs/system.log\n' "$RT"; }
cassandra_lib()     { printf '%s/cassandra-%s/lib\n' "$CACHE" "$CASSANDRA_VERSION"; }

cassandra_pid() { engine_pid "$(cassandra_pidfile)" "$CASSANDRA_STORAGE_PORT" has_marker "-Dgamedata.testenv=$RT "; }

# cassandra_install: the jars, once, into the cache.
cassandra_install() {
  local home=$CACHE/cassandra-$CASSANDRA_VERSION
  [[ -f $home/.complete ]] && return 0
  local t0 tmp
  t0=$(now)
  say "downloading cassandra-all $CASSANDRA_VERSION and its dependencies (Maven Central)"
  tmp=$(mktemp -d "$CACHE/.cassandra-XXXXXX") || return 1
  render "$TEMPLATES/cassandra-pom.xml.tmpl" "$tmp/pom.xml" \
    VERSION="$CASSANDRA_VERSION" DEPENDENCY_PLUGIN="$DEPENDENCY_PLUGIN" || return 1
  if ! mvn_fetch "$tmp/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp/lib"; then
    rm -rf "$tmp"
    fail "mvn could not fetch cassandra-all $CASSANDRA_VERSION"
    return 1
  fi
  [[ -f $tmp/lib/cassandra-all-$CASSANDRA_VERSION.jar ]] || { rm -rf "$tmp"; fail "cassandra-all jar missing after mvn"; return 1; }
  rm -rf "$home"
  mkdir -p "$home"
  mv "$tmp/lib" "$tmp/pom.xml" "$home/"
  rmdir "$tmp" 2>/dev/null || rm -rf "$tmp"
  touch "$home/.complete"
  say "cassandra downloaded in $(elapsed "$t0") ($(du -sh "$home" | cut -f1))"
}

# cqlcheck: build (or reuse) the Go readiness probe under scripts/testenv/cqlcheck.
CQLCHECK=
cassandra_cqlcheck_build() {
  local bin=$RT/bin/cqlcheck src=$TESTENV_DIR/cqlcheck/main.go
  if [[ ! -x $bin || $src -nt $bin || $REPO/go.sum -nt $bin ]]; then
    command -v go >/dev/null 2>&1 || { fail "go is needed to build the CQL readiness check"; return 1; }
    mkdir -p "$RT/bin"
    (cd "$REPO" && go build -o "$bin.tmp" ./scripts/testenv/cqlcheck) || { fail "building scripts/testenv/cqlcheck failed"; return 1; }
    mv "$bin.tmp" "$bin"
  fi
  CQLCHECK=$bin
}

cassandra_ready() {
  "$CQLCHECK" -addr "127.0.0.1:$CASSANDRA_CQL_PORT" -user "$CASSANDRA_USER" -password "$CASSANDRA_PASSWORD" "$@"
}

# cassandra_probe: one readiness check; on success records the node's release
# version and data centre (CASSANDRA_RELEASE, CASSANDRA_DC and files).
cassandra_probe() {
  local out
  out=$(cassandra_ready 2>/dev/null) || return 1
  # "ok <release_version> <data_center>"
  read -r _ CASSANDRA_RELEASE CASSANDRA_DC <<<"$out"
  printf '%s\n' "$CASSANDRA_DC" > "$(cassandra_dir)/datacenter"
  printf '%s\n' "$CASSANDRA_RELEASE" > "$(cassandra_dir)/release_version"
}

cassandra_wait_ready() {
  local pid=$1 secs=$2
  wait_for "$secs" "$pid" "$(cassandra_log)" "cassandra" cassandra_probe
}

cassandra_up() {
  local t0 pid dir lib
  t0=$(now)
  if pid=$(cassandra_pid); then
    cassandra_cqlcheck_build || return 1
    if cassandra_probe; then
      say "already running (pid $pid) and healthy: $CASSANDRA_RELEASE, $CASSANDRA_DC"
      return 0
    fi
    say "running (pid $pid) but not ready yet: waiting"
    cassandra_wait_ready "$pid" "$TIMEOUT" || return 1
    say "ready in $(elapsed "$t0"): $CASSANDRA_RELEASE, $CASSANDRA_DC"
    return 0
  fi

  ensure_ports_free cassandra "$CASSANDRA_CQL_PORT" "$CASSANDRA_STORAGE_PORT" "$CASSANDRA_JMX_PORT" || return 1
  find_java || return 1
  cassandra_install || return 1
  lib=$(cassandra_lib)

  dir=$(cassandra_dir)
  mkdir -p "$dir/conf" "$dir/logs" "$dir/data/triggers" "$dir/tmp" "$RUN_DIR"
  local vars=(
    CQL_PORT="$CASSANDRA_CQL_PORT" STORAGE_PORT="$CASSANDRA_STORAGE_PORT" JMX_PORT="$CASSANDRA_JMX_PORT"
    DATA_DIR="$dir/data" LOG_DIR="$dir/logs" CONF_DIR="$dir/conf" TMP_DIR="$dir/tmp"
    LIB_DIR="$lib" HEAP="$CASSANDRA_HEAP" RUNTIME_DIR="$RT"
  )
  render "$TEMPLATES/cassandra.yaml.tmpl" "$dir/conf/cassandra.yaml" "${vars[@]}" || return 1
  render "$TEMPLATES/cassandra-logback.xml.tmpl" "$dir/conf/logback.xml" "${vars[@]}" || return 1
  render "$TEMPLATES/cassandra-jvm.options" "$dir/conf/jvm.options" "${vars[@]}" || return 1

  local opts=()
  mapfile -t opts < <(sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$dir/conf/jvm.options")
  # The marker must end with a space in the command line: it is followed by
  # the class path below.
  say "starting Cassandra $CASSANDRA_VERSION (heap $CASSANDRA_HEAP) on 127.0.0.1:$CASSANDRA_CQL_PORT"
  # Cassandra mlockall()s its memory when it may, which as root (CAP_IPC_LOCK)
  # makes the whole heap resident at once: drop that capability so that a
  # test node only takes the memory it uses.
  local launcher=()
  if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null 2>&1; then
    launcher=(setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock)
  fi
  # A fresh system.log per start, so that a failure shows this start's log.
  [[ -f $dir/logs/system.log ]] && mv -f "$dir/logs/system.log" "$dir/logs/system.log.prev"
  : > "$dir/logs/stdout.log"
  spawn "$dir" "$dir/logs/stdout.log" "${launcher[@]}" "$JAVA" "${opts[@]}" -cp "$dir/conf:$lib/*" \
    org.apache.cassandra.service.CassandraDaemon
  pid=$SPAWNED_PID
  printf '%s\n' "$pid" > "$(cassandra_pidfile)"

  # Build the probe while the JVM boots.
  cassandra_cqlcheck_build || return 1
  cassandra_wait_ready "$pid" "$TIMEOUT" || {
    tail_log "$dir/logs/stdout.log" 20
    [[ -s $dir/logs/system.log ]] && grep -E '^(ERROR|WARN)' "$dir/logs/system.log" | tail -n 10 >&2
    return 1
  }
  say "ready in $(elapsed "$t0"): $CASSANDRA_RELEASE, DC $CASSANDRA_DC, login $CASSANDRA_USER/$CASSANDRA_PASSWORD ok (pid $pid)"
}

cassandra_down() {
  local pid
  if pid=$(cassandra_pid); then
    say "stopping cassandra (pid $pid)"
    stop_pid cassandra "$pid" 60 || return 1
    rm -f "$(cassandra_pidfile)"
  else
    say "cassandra is not running"
  fi
}

cassandra_status() {
  local pid
  if ! pid=$(cassandra_pid); then
    printf '%-11s %-8s\n' cassandra down
    return 1
  fi
  CQLCHECK=$RT/bin/cqlcheck
  local out
  if [[ -x $CQLCHECK ]] && out=$(cassandra_ready 2>&1); then
    printf '%-11s %-8s pid %-8s RSS %-8s 127.0.0.1:%s  %s\n' cassandra healthy "$pid" "$(rss_of "$pid")" "$CASSANDRA_CQL_PORT" "${out#ok }"
    return 0
  fi
  printf '%-11s %-8s pid %-8s RSS %-8s 127.0.0.1:%s  %s\n' cassandra starting "$pid" "$(rss_of "$pid")" "$CASSANDRA_CQL_PORT" "${out:-}"
  return 1
}

cassandra_env() {
  local dc=datacenter1
  [[ -s $(cassandra_dir)/datacenter ]] && dc=$(<"$(cassandra_dir)/datacenter")
  export_var GAMEDATA_TEST_CASSANDRA "127.0.0.1:$CASSANDRA_CQL_PORT"
  export_var GAMEDATA_TEST_CASSANDRA_USER "$CASSANDRA_USER"
  export_var GAMEDATA_TEST_CASSANDRA_PASSWORD "$CASSANDRA_PASSWORD"
  export_var GAMEDATA_TEST_CASSANDRA_DC "$dc"
}

# cassandra_nodetool ARGS...: Cassandra's nodetool against the test node (JMX on
# 127.0.0.1:$CASSANDRA_JMX_PORT), with the node's own jars.
cassandra_nodetool() {
  find_java || return 1
  local lib dir opts=()
  lib=$(cassandra_lib)
  dir=${NODETOOL_DIR:-$(cassandra_dir)}
  [[ -d $lib ]] || { fail "cassandra is not installed yet: testenv up cassandra"; return 1; }
  [[ -f $dir/conf/jvm.options ]] && mapfile -t opts < <(grep -E '^--add-(exports|opens)' "$dir/conf/jvm.options")
  mkdir -p "$dir/tools"
  "$JAVA" -Xmx128m -Xss256k "${opts[@]}" -Duser.home="$dir/tools" -Dcassandra.logdir="$dir/tools" \
    -Dcassandra.storagedir="$dir/tools" -Dlogback.configurationFile="$TEMPLATES/cassandra-logback-tools.xml" \
    -cp "$lib/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "$CASSANDRA_JMX_PORT" "$@"
}

cassandra_logs() { printf '%s\n' "$(cassandra_log)" "$(cassandra_dir)/logs/stdout.log"; }
