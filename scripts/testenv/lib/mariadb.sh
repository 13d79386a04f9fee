# shellcheck shell=bash
# MariaDB from Debian's mariadb-server package, standing in for the v1 MySQL:
# its own data dir under the runtime dir, a plain process on 127.0.0.1:13306.

MARIADB_PORT=13306
MARIADB_DATABASE=gamedata_v1
MARIADB_USER=gamedata
MARIADB_PASSWORD=gamedata

mariadb_dir()     { printf '%s/mariadb\n' "$RT"; }
mariadb_pidfile() { printf '%s/mariadb.pid\n' "$RUN_DIR"; }
mariadb_socket()  { printf '%s/mariadb/mysqld.sock\n' "$RT"; }
mariadb_log()     { printf '%s/mariadb/mariadb.log\n' "$RT"; }
mariadb_pid()     { engine_pid "$(mariadb_pidfile)" "$MARIADB_PORT" has_marker "--defaults-file=$(mariadb_dir)/my.cnf"; }

mariadb_bin() {
  local b
  for b in mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld; do
    command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return 0; }
  done
  return 1
}
mariadb_client() { command -v mariadb 2>/dev/null || command -v mysql; }
mariadb_admin()  { command -v mariadb-admin 2>/dev/null || command -v mysqladmin; }
mariadb_installdb() { command -v mariadb-install-db 2>/dev/null || command -v mysql_install_db; }

mariadb_install() {
  mariadb_bin >/dev/null && mariadb_installdb >/dev/null && return 0
  local t0
  t0=$(now)
  apt_install mariadb-server mariadb-client || { fail "could not install mariadb-server"; return 1; }
  mariadb_bin >/dev/null || { fail "mariadbd still missing after apt-get"; return 1; }
  say "mariadb installed in $(elapsed "$t0")"
}

mariadb_root() { "$(mariadb_client)" --no-defaults --protocol=socket --socket="$(mariadb_socket)" -uroot "$@"; }
mariadb_ping() { "$(mariadb_admin)" --no-defaults --protocol=socket --socket="$(mariadb_socket)" -uroot ping >/dev/null 2>&1; }
mariadb_login() {
  "$(mariadb_client)" --no-defaults --protocol=tcp -h127.0.0.1 -P"$MARIADB_PORT" \
    -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" "$MARIADB_DATABASE" -Nse 'SELECT VERSION()'
}

mariadb_up() {
  local t0 pid dir
  t0=$(now)
  dir=$(mariadb_dir)
  if pid=$(mariadb_pid); then
    if mariadb_ping && mariadb_login >/dev/null 2>&1; then
      say "already running (pid $pid) and healthy"
      return 0
    fi
    wait_for "$TIMEOUT" "$pid" "$(mariadb_log)" mariadb mariadb_ping || return 1
  else
    ensure_ports_free mariadb "$MARIADB_PORT" || return 1
    mariadb_install || return 1
    mkdir -p "$dir" "$RUN_DIR"
    local user
    user=$(id -un)
    render "$TEMPLATES/mariadb.cnf.tmpl" "$dir/my.cnf" USER="$user" DATA_DIR="$dir/data" \
      SOCKET="$(mariadb_socket)" PID_FILE="$dir/mariadbd.pid" LOG_FILE="$(mariadb_log)" \
      PORT="$MARIADB_PORT" || return 1
    if [[ ! -d $dir/data/mysql ]]; then
      say "initialising the data dir"
      rm -rf "$dir/data"
      "$(mariadb_installdb)" --defaults-file="$dir/my.cnf" --user="$user" \
        --auth-root-authentication-method=socket --skip-test-db >"$dir/install-db.log" 2>&1 ||
        { tail_log "$dir/install-db.log"; fail "mariadb-install-db failed"; return 1; }
    fi
    say "starting MariaDB on 127.0.0.1:$MARIADB_PORT"
    spawn "$dir" "$dir/stdout.log" "$(mariadb_bin)" --defaults-file="$dir/my.cnf"
    pid=$SPAWNED_PID
    printf '%s\n' "$pid" > "$(mariadb_pidfile)"
    wait_for "$TIMEOUT" "$pid" "$(mariadb_log)" mariadb mariadb_ping || return 1
  fi
  mariadb_root <<SQL || { fail "creating the database and user failed"; return 1; }
CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'127.0.0.1' IDENTIFIED BY '$MARIADB_PASSWORD';
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'localhost' IDENTIFIED BY '$MARIADB_PASSWORD';
GRANT ALL PRIVILEGES ON \`gamedata\\_%\`.* TO '$MARIADB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`gamedata\\_%\`.* TO '$MARIADB_USER'@'localhost';
SQL
  local version
  version=$(mariadb_login 2>&1) || { printf '%s\n' "$version" >&2; fail "login as $MARIADB_USER failed"; return 1; }
  say "ready in $(elapsed "$t0"): MariaDB $version, $MARIADB_USER@127.0.0.1:$MARIADB_PORT/$MARIADB_DATABASE (pid $pid)"
}

mariadb_down() {
  local pid
  if pid=$(mariadb_pid); then
    say "stopping mariadb (pid $pid)"
    stop_pid mariadb "$pid" 60 || return 1
    rm -f "$(mariadb_pidfile)"
  else
    say "mariadb is not running"
  fi
}

mariadb_status() {
  local pid v
  if ! pid=$(mariadb_pid); then
    printf '%-11s %-8s\n' mariadb down
    return 1
  fi
  if v=$(mariadb_login 2>/dev/null); then
    printf '%-11s %-8s pid %-8s RSS %-8s 127.0.0.1:%s  MariaDB %s, db %s\n' mariadb healthy "$pid" "$(rss_of "$pid")" "$MARIADB_PORT" "$v" "$MARIADB_DATABASE"
    return 0
  fi
  printf '%-11s %-8s pid %-8s\n' mariadb starting "$pid"
  return 1
}

mariadb_env() {
  export_var GAMEDATA_TEST_MYSQL "mysql://$MARIADB_USER:$MARIADB_PASSWORD@127.0.0.1:$MARIADB_PORT/$MARIADB_DATABASE"
}

mariadb_logs() { mariadb_log; }
