# shellcheck shell=bash
# OpenSearch 2.19: the integ-test-zip distribution from Maven Central (core
# modules only: no security plugin, no painless, no reindex). OpenSearch will
# not run as root, so as root it runs as the system user $OPENSEARCH_USER.

OPENSEARCH_VERSION=${GAMEDATA_OPENSEARCH_VERSION:-2.19.6}
OPENSEARCH_HEAP=${GAMEDATA_OPENSEARCH_HEAP:-512m}
OPENSEARCH_HTTP_PORT=19200
OPENSEARCH_TRANSPORT_PORT=19300
OPENSEARCH_USER=${GAMEDATA_OPENSEARCH_USER:-gamedata-test}

opensearch_pidfile() { printf '%s/opensearch.pid\n' "$RUN_DIR"; }
opensearch_pid()     { engine_pid "$(opensearch_pidfile)" "$OPENSEARCH_TRANSPORT_PORT" has_marker "-Dgamedata.testenv=$RT "; }
opensearch_url()     { printf 'http://127.0.0.1:%s\n' "$OPENSEARCH_HTTP_PORT"; }

as_root() { [[ $(id -u) == 0 ]]; }

# run_as_os_user CMD...: run CMD as the OpenSearch user (or as is, if not root).
run_as_os_user() {
  if as_root; then
    setpriv --reuid="$OPENSEARCH_USER" --regid="$OPENSEARCH_USER" --init-groups "$@"
  else
    "$@"
  fi
}

opensearch_ensure_user() {
  as_root || return 0
  id -u "$OPENSEARCH_USER" >/dev/null 2>&1 && return 0
  say "creating system user $OPENSEARCH_USER (OpenSearch refuses to run as root)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$OPENSEARCH_USER" 2>/dev/null ||
    id -u "$OPENSEARCH_USER" >/dev/null 2>&1 ||
    { fail "useradd $OPENSEARCH_USER failed"; return 1; }
}

# opensearch_dir: where this runtime dir's node lives. Normally
# $RT/opensearch; if the OpenSearch user cannot reach $RT (say it is under a
# private /root), a folder under /var/tmp named after $RT instead.
opensearch_dir() {
  local rec=$RUN_DIR/opensearch.dir
  if [[ -s $rec ]]; then
    cat "$rec"
    return 0
  fi
  if ! as_root || run_as_os_user test -x "$RT" 2>/dev/null; then
    printf '%s/opensearch\n' "$RT"
  else
    printf '/var/tmp/gamedata-testenv-%s/opensearch\n' "$(printf '%s' "$RT" | sha1sum | cut -c1-12)"
  fi
}

opensearch_install() {
  local home=$CACHE/opensearch-$OPENSEARCH_VERSION
  [[ -f $home/.complete ]] && return 0
  local t0 tmp zip
  t0=$(now)
  say "downloading opensearch integ-test-zip $OPENSEARCH_VERSION (Maven Central)"
  tmp=$(mktemp -d "$CACHE/.opensearch-XXXXXX") || return 1
  render "$TEMPLATES/opensearch-pom.xml.tmpl" "$tmp/pom.xml" \
    VERSION="$OPENSEARCH_VERSION" DEPENDENCY_PLUGIN="$DEPENDENCY_PLUGIN" || return 1
  if ! mvn_fetch "$tmp/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/zip"; then
    rm -rf "$tmp"
    fail "mvn could not fetch the opensearch $OPENSEARCH_VERSION zip"
    return 1
  fi
  zip=$(ls "$tmp"/zip/opensearch-*.zip 2>/dev/null | head -n1)
  [[ -n $zip ]] || { rm -rf "$tmp"; fail "opensearch zip missing after mvn"; return 1; }
  unzip -q "$zip" -d "$tmp/unzipped" || { rm -rf "$tmp"; fail "unzip $zip failed"; return 1; }
  local top
  top=$(ls -d "$tmp"/unzipped/*/ | head -n1)
  [[ -x $top/bin/opensearch ]] || { rm -rf "$tmp"; fail "no bin/opensearch in $zip"; return 1; }
  rm -rf "$home"
  mv "${top%/}" "$home"
  chmod -R a+rX "$home"
  rm -rf "$tmp"
  touch "$home/.complete"
  say "opensearch downloaded in $(elapsed "$t0") ($(du -sh "$home" | cut -f1) unpacked)"
}

opensearch_health() {
  curl -fsS --max-time 5 "$(opensearch_url)/_cluster/health?wait_for_status=yellow&timeout=2s"
}

opensearch_version() {
  curl -fsS --max-time 3 "$(opensearch_url)/" 2>/dev/null |
    sed -n 's/.*"number"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n1
}

opensearch_up() {
  local t0 pid dir
  t0=$(now)
  if pid=$(opensearch_pid); then
    if opensearch_health >/dev/null 2>&1; then
      say "already running (pid $pid) and healthy: $(opensearch_version)"
      return 0
    fi
    dir=$(opensearch_dir)
    say "running (pid $pid) but not ready yet: waiting"
    wait_for "$TIMEOUT" "$pid" "$dir/logs/gamedata-test.log" opensearch opensearch_health || return 1
    say "ready in $(elapsed "$t0")"
    return 0
  fi

  ensure_ports_free opensearch "$OPENSEARCH_HTTP_PORT" "$OPENSEARCH_TRANSPORT_PORT" || return 1
  find_java || return 1
  opensearch_ensure_user || return 1
  opensearch_install || return 1

  mkdir -p "$RUN_DIR"
  dir=$(opensearch_dir)
  printf '%s\n' "$dir" > "$RUN_DIR/opensearch.dir"
  mkdir -p "$dir"
  # The distribution: hard links into the cache (instant), or a copy. The
  # user may not be able to reach the cache itself (say under /root).
  local home=$dir/opensearch-$OPENSEARCH_VERSION
  if [[ ! -f $home/.complete ]]; then
    rm -rf "$home"
    cp -al "$CACHE/opensearch-$OPENSEARCH_VERSION" "$home" 2>/dev/null ||
      { rm -rf "$home"; cp -a "$CACHE/opensearch-$OPENSEARCH_VERSION" "$home"; } ||
      { fail "could not copy opensearch into $home"; return 1; }
  fi
  mkdir -p "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
  cp "$home/config/jvm.options" "$home/config/log4j2.properties" "$dir/config/"
  [[ -d $home/config/jvm.options.d ]] && cp -r "$home/config/jvm.options.d" "$dir/config/"
  # jvm.options names logs/ and data/ relative to the (read-only) home.
  sed -i -e "s|file=logs/|file=$dir/logs/|g" -e "s|-Xloggc:logs/|-Xloggc:$dir/logs/|g" \
    -e "s|-XX:ErrorFile=logs/|-XX:ErrorFile=$dir/logs/|" -e "s|-XX:HeapDumpPath=data\$|-XX:HeapDumpPath=$dir/tmp|" \
    "$dir/config/jvm.options"
  render "$TEMPLATES/opensearch.yml.tmpl" "$dir/config/opensearch.yml" \
    DATA_DIR="$dir/data" LOG_DIR="$dir/logs" \
    HTTP_PORT="$OPENSEARCH_HTTP_PORT" TRANSPORT_PORT="$OPENSEARCH_TRANSPORT_PORT" || return 1
  as_root && chown -R "$OPENSEARCH_USER:$OPENSEARCH_USER" "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
  as_root && chown "$OPENSEARCH_USER:$OPENSEARCH_USER" "$dir"
  if ! run_as_os_user test -r "$home/bin/opensearch" -a -w "$dir/data"; then
    fail "user $OPENSEARCH_USER cannot use $dir"
    return 1
  fi

  say "starting OpenSearch $OPENSEARCH_VERSION (heap $OPENSEARCH_HEAP) on $(opensearch_url)"
  : > "$dir/logs/stdout.log"
  local cmd=()
  as_root && cmd=(setpriv --reuid="$OPENSEARCH_USER" --regid="$OPENSEARCH_USER" --init-groups)
  cmd+=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$dir" LANG=C.UTF-8
    OPENSEARCH_JAVA_HOME="$JAVA_HOME_17"
    OPENSEARCH_PATH_CONF="$dir/config"
    OPENSEARCH_TMPDIR="$dir/tmp"
    OPENSEARCH_JAVA_OPTS="-Xms$OPENSEARCH_HEAP -Xmx$OPENSEARCH_HEAP -Dgamedata.testenv=$RT "
    "$home/bin/opensearch")
  spawn "$dir" "$dir/logs/stdout.log" "${cmd[@]}"
  pid=$SPAWNED_PID
  printf '%s\n' "$pid" > "$(opensearch_pidfile)"
  wait_for "$TIMEOUT" "$pid" "$dir/logs/stdout.log" opensearch opensearch_health || return 1
  say "ready in $(elapsed "$t0"): $(opensearch_version) (pid $pid)"
}

opensearch_down() {
  local pid
  if pid=$(opensearch_pid); then
    say "stopping opensearch (pid $pid)"
    stop_pid opensearch "$pid" 60 || return 1
    rm -f "$(opensearch_pidfile)"
  else
    say "opensearch is not running"
  fi
}

opensearch_status() {
  local pid out
  if ! pid=$(opensearch_pid); then
    printf '%-11s %-8s\n' opensearch down
    return 1
  fi
  if out=$(opensearch_health 2>/dev/null); then
    out=$(sed -n 's/.*"status"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$out")
    printf '%-11s %-8s pid %-8s RSS %-8s %s  %s, cluster %s\n' opensearch healthy "$pid" "$(rss_of "$pid")" "$(opensearch_url)" "$(opensearch_version)" "$out"
    return 0
  fi
  printf '%-11s %-8s pid %-8s RSS %-8s %s\n' opensearch starting "$pid" "$(rss_of "$pid")" "$(opensearch_url)"
  return 1
}

opensearch_env() {
  export_var GAMEDATA_TEST_OPENSEARCH "$(opensearch_url)"
}

opensearch_logs() {
  local dir
  dir=$(opensearch_dir)
  printf '%s\n' "$dir/logs/gamedata-test.log" "$dir/logs/stdout.log"
}
