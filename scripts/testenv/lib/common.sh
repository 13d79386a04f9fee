# shellcheck shell=bash
# Shared helpers for scripts/testenv/testenv. Sourced, not run.

# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------
say()  { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; return 1; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

now()     { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# tail_log FILE [N]: show the end of an engine's log after a failure.
tail_log() {
  local f=$1 n=${2:-40}
  if [[ -s $f ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
    tail -n "$n" "$f" >&2
    printf -- '----- end of %s -----\n' "$f" >&2
  else
    printf '(no log at %s)\n' "$f" >&2
  fi
}

# render TEMPLATE OUT NAME=VALUE...: replace @NAME@ with VALUE.
render() {
  local tmpl=$1 out=$2; shift 2
  local args=() kv k v
  for kv in "$@"; do
    k=${kv%%=*}; v=${kv#*=}
    v=${v//\\/\\\\}; v=${v//|/\\|}; v=${v//&/\\&}
    args+=(-e "s|@${k}@|${v}|g")
  done
  sed "${args[@]}" "$tmpl" > "$out.tmp"
  if grep -q '@[A-Z_][A-Z_]*@' "$out.tmp"; then
    grep -n '@[A-Z_][A-Z_]*@' "$out.tmp" >&2
    rm -f "$out.tmp"
    fail "unfilled placeholder in $tmpl"
    return 1
  fi
  mv "$out.tmp" "$out"
}

# ---------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------

# pid_alive PID: true if PID is a live (non-zombie) process.
pid_alive() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z && $state != X ]]
}

# pid_cmdline PID: the command line with spaces between the arguments.
pid_cmdline() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null; }

# pidfile_pid FILE CHECK...: print the pid in FILE if that process is alive and
# "CHECK... PID" accepts it; otherwise remove the stale file and fail.
pidfile_pid() {
  local file=$1; shift
  local pid
  [[ -f $file ]] || return 1
  pid=$(tr -dc '0-9' < "$file" 2>/dev/null)
  if [[ -n $pid ]] && pid_alive "$pid" && "$@" "$pid"; then
    printf '%s\n' "$pid"
    return 0
  fi
  rm -f "$file"
  return 1
}

# engine_pid PIDFILE PORT CHECK...: the pid of a running engine: the one in
# PIDFILE, or else (a lost or stale pid file) the listener on PORT if
# "CHECK... PID" accepts it as ours, which is then written to PIDFILE.
engine_pid() {
  local file=$1 port=$2; shift 2
  local pid
  pidfile_pid "$file" "$@" && return 0
  pid=$(port_pid "$port")
  if [[ -n $pid ]] && pid_alive "$pid" && "$@" "$pid"; then
    mkdir -p "${file%/*}"
    printf '%s\n' "$pid" > "$file"
    printf '%s\n' "$pid"
    return 0
  fi
  return 1
}

# has_marker MARKER PID: the process' command line contains MARKER.
has_marker() { [[ "$(pid_cmdline "$2")" == *"$1"* ]]; }

# spawn DIR LOG CMD...: start CMD in its own session, in DIR, with stdin from
# /dev/null, stdout+stderr to LOG and no other inherited file descriptors (a
# held lock or pipe would otherwise outlive this script). Sets SPAWNED_PID.
SPAWNED_PID=
spawn() {
  local dir=$1 log=$2; shift 2
  (
    cd "$dir" || exit 1
    ulimit -n 65536 2>/dev/null || true
    local fd
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
  SPAWNED_PID=$!
}

# stop_pid NAME PID [GRACE]: SIGTERM, wait up to GRACE seconds, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 grace=${3:-30} i
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  warn "$name (pid $pid) still running after ${grace}s: sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  fail "$name (pid $pid) did not stop"
}

# port_pid PORT: pid of the process listening on 127.0.0.1/any:PORT (empty if none).
port_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# port_in_use PORT: something listens on PORT (on any address).
port_in_use() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# port_owner_desc PORT: "pid N (command line)" of the listener, for messages.
port_owner_desc() {
  local pid
  pid=$(port_pid "$1")
  if [[ -n $pid ]]; then
    printf 'pid %s (%.160s)' "$pid" "$(pid_cmdline "$pid")"
  else
    printf 'an unknown process'
  fi
}

# ensure_ports_free ENGINE PORT...: fail with a clear message if a port is taken.
# A leftover of this tool whose runtime dir was deleted (an orphan) is stopped.
ensure_ports_free() {
  local engine=$1; shift
  local port pid cmd other
  local i
  for port in "$@"; do
    # A server that has just been stopped may hold its socket a moment longer.
    for ((i = 0; i < 20; i++)); do
      port_in_use "$port" || break
      [[ -n "$(port_pid "$port")" ]] && break
      sleep 0.5
    done
    port_in_use "$port" || continue
    pid=$(port_pid "$port")
    if [[ -n $pid ]]; then
      cmd=$(pid_cmdline "$pid")
      other=
      if [[ $cmd =~ -Dgamedata\.testenv=([^ ]+) ]]; then
        other=${BASH_REMATCH[1]}
      elif [[ $cmd =~ --defaults-file=([^ ]+)/mariadb/my\.cnf ]]; then
        other=${BASH_REMATCH[1]}
      elif [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" =~ ^(.*)/redis/[0-9]+(\ \(deleted\))?$ ]]; then
        other=${BASH_REMATCH[1]}
        [[ -n ${BASH_REMATCH[2]} ]] && other="$other (deleted)"
      fi
      if [[ -n $other && ( ! -d $other || $other == *"(deleted)" ) ]]; then
        say "port $port is held by an orphaned testenv process (pid $pid, runtime dir $other is gone): stopping it"
        stop_pid "$engine (orphan)" "$pid" 30 || return 1
        continue
      fi
      if [[ -n $other ]]; then
        fail "port $port is used by $engine of another testenv ($other, pid $pid).
  Stop it with: GAMEDATA_TESTENV=$other $TESTENV_CMD down $engine
  or use it by running this tool with GAMEDATA_TESTENV=$other"
        return 1
      fi
    fi
    fail "port $port (needed by $engine) is already in use by $(port_owner_desc "$port")"
    return 1
  done
}

# wait_for SECONDS PID LOG DESCRIPTION CMD...: run CMD every second until it
# succeeds; fail early if PID dies, or after SECONDS.
wait_for() {
  local secs=$1 pid=$2 log=$3 what=$4; shift 4
  local deadline=$((SECONDS + secs)) tries=0
  while :; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [[ -n $pid ]] && ! pid_alive "$pid"; then
      fail "$what: the process (pid $pid) exited during start-up"
      tail_log "$log" 40
      return 1
    fi
    if ((SECONDS >= deadline)); then
      fail "$what: not ready after ${secs}s"
      tail_log "$log" 40
      return 1
    fi
    # Poll quickly at first (a small server is up in a fraction of a second).
    if ((++tries < 20)); then sleep 0.1; else sleep 0.5; fi
  done
}

# ---------------------------------------------------------------------------
# locks: one per engine, so that two 'up's (two engineers running 'make test'
# in the same checkout) do not start the same engine twice.
# ---------------------------------------------------------------------------
with_lock() {
  local name=$1; shift
  local fd
  mkdir -p "$RUN_DIR"
  exec {fd}>"$RUN_DIR/$name.lock"
  if ! flock -w "$TIMEOUT" "$fd"; then
    fail "could not take the lock $RUN_DIR/$name.lock within ${TIMEOUT}s"
    return 1
  fi
  local rc=0
  "$@" || rc=$?
  exec {fd}>&-
  return "$rc"
}

# ---------------------------------------------------------------------------
# tools
# ---------------------------------------------------------------------------

# apt_install PACKAGE...: install Debian packages without starting services.
apt_install() {
  [[ $(id -u) == 0 ]] || { fail "need root to apt-get install $*; install them yourself"; return 1; }
  mkdir -p "$CACHE"
  (
    flock -w 900 9 || { echo "apt lock timeout" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages' own services (port 6379/3306) from starting.
    local policy=/usr/sbin/policy-rc.d made_policy=
    if [[ ! -e $policy ]]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
    fi
    local rc=0
    # One 'apt-get update' an hour is enough (redis and mariadb may both ask).
    if [[ -z $(find "$CACHE/apt-updated" -mmin -60 2>/dev/null) ]]; then
      say "apt-get update"
      apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null && touch "$CACHE/apt-updated" || rc=$?
    fi
    if ((rc == 0)); then
      say "apt-get install $*"
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null || rc=$?
    fi
    [[ -n $made_policy ]] && rm -f "$policy"
    exit "$rc"
  ) 9>"$CACHE/apt.lock"
}

# find_java: set JAVA to a Java 17 'java' (Cassandra 5.0 runs on 11 or 17 only).
find_java() {
  [[ -n ${JAVA:-} ]] && return 0
  local cand v
  for cand in ${GAMEDATA_JAVA_HOME:+"$GAMEDATA_JAVA_HOME/bin/java"} \
              ${JAVA_HOME:+"$JAVA_HOME/bin/java"} \
              "$(command -v java 2>/dev/null)" \
              /usr/lib/jvm/java-17-openjdk-*/bin/java /usr/lib/jvm/*17*/bin/java; do
    [[ -n $cand && -x $cand ]] || continue
    v=$("$cand" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { print $2 }')
    if [[ $v == 17 ]]; then
      JAVA=$(readlink -f "$cand")
      JAVA_HOME_17=${JAVA%/bin/java}
      return 0
    fi
  done
  fail "no Java 17 found (set GAMEDATA_JAVA_HOME); Cassandra 5.0 needs Java 17"
}

need_mvn() {
  command -v mvn >/dev/null 2>&1 || { fail "mvn (Maven) is needed to download the engines"; return 1; }
}

# mvn_fetch POM GOAL ARGS...: run Maven quietly; one at a time per machine so
# two cold fetches do not race in the local repository.
mvn_fetch() {
  local pom=$1; shift
  need_mvn || return 1
  find_java || return 1
  mkdir -p "$CACHE"
  local log=${pom%/*}/mvn.log
  if ! (
    flock -w 1200 9 || { echo "maven lock timeout" >&2; exit 1; }
    JAVA_HOME=$JAVA_HOME_17 mvn -B -ntp -Dstyle.color=never -f "$pom" \
      ${GAMEDATA_MAVEN_REPO:+"-Dmaven.repo.local=$GAMEDATA_MAVEN_REPO"} "$@"
  ) 9>"$CACHE/maven.lock" >"$log" 2>&1; then
    grep -E 'ERROR|FAIL' "$log" | head -n 30 >&2 || tail_log "$log" 30
    return 1
  fi
}

# rss_of PID: resident set size, human readable.
rss_of() {
  local kb
  kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
  [[ -n $kb ]] || { printf -- '-'; return; }
  awk -v k="$kb" 'BEGIN { if (k >= 1048576) printf "%.2fGiB", k/1048576; else printf "%dMiB", k/1024 }'
}

# export_var NAME VALUE: print an 'export NAME='VALUE'' line for eval.
export_var() {
  local v=$2
  printf "export %s='%s'\n" "$1" "${v//\'/\'\\\'\'}"
}
