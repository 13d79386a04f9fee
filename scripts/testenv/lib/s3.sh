# shellcheck shell=bash
# An S3-compatible server: versitygw (Versity S3 Gateway) on its posix
# backend, built once from the Go module proxy into the cache, serving
# 127.0.0.1:19900 with one bucket for the tests.

S3_VERSION=${GAMEDATA_VERSITYGW_VERSION:-v1.8.0}
S3_PORT=19900
S3_ACCESS_KEY=gamedata
S3_SECRET_KEY=gamedata-secret
S3_REGION=us-east-1
S3_BUCKET=gamedata-test
# The SHA-256 of an empty body, which S3 wants named in a signed request.
S3_EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

s3_dir()     { printf '%s/s3\n' "$RT"; }
s3_pidfile() { printf '%s/s3.pid\n' "$RUN_DIR"; }
s3_log()     { printf '%s/s3/versitygw.log\n' "$RT"; }
s3_bin()     { printf '%s/versitygw-%s/versitygw\n' "$CACHE" "$S3_VERSION"; }
s3_pid()     { engine_pid "$(s3_pidfile)" "$S3_PORT" has_marker "$(s3_dir)/data"; }

# s3_install: go install the gateway into the cache (about a minute, once).
s3_install() {
  [[ -x "$(s3_bin)" ]] && return 0
  command -v go >/dev/null 2>&1 || { fail "go is needed to build versitygw"; return 1; }
  local t0 bindir
  t0=$(now)
  bindir=$(dirname "$(s3_bin)")
  mkdir -p "$bindir"
  say "building versitygw $S3_VERSION from the Go module proxy"
  GOBIN=$bindir GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$S3_VERSION" ||
    { fail "could not build versitygw $S3_VERSION"; return 1; }
  say "versitygw built in $(elapsed "$t0")"
}

# s3_curl ARGS...: a request signed with the test credentials (SigV4).
s3_curl() {
  curl -sS -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    -H "x-amz-content-sha256: $S3_EMPTY_SHA256" \
    --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "$@"
}

# s3_ready: the gateway answers a signed request for the test bucket.
s3_ready() { [[ "$(s3_curl -I "http://127.0.0.1:$S3_PORT/$S3_BUCKET")" == 200 ]]; }
s3_answers() { [[ "$(s3_curl "http://127.0.0.1:$S3_PORT/")" == 200 ]]; }

s3_up() {
  local t0 pid dir
  t0=$(now)
  dir=$(s3_dir)
  if pid=$(s3_pid) && s3_ready; then
    say "versitygw 127.0.0.1:$S3_PORT already running and healthy"
    return 0
  fi
  if [[ -z ${pid:-} ]]; then
    ensure_ports_free s3 "$S3_PORT" || return 1
    s3_install || return 1
    mkdir -p "$dir/data" "$dir/meta" "$RUN_DIR"
    spawn "$dir" "$(s3_log)" "$(s3_bin)" --port "127.0.0.1:$S3_PORT" --quiet \
      --access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" --region "$S3_REGION" \
      posix --sidecar "$dir/meta" "$dir/data"
    pid=$SPAWNED_PID
    printf '%s\n' "$pid" > "$(s3_pidfile)"
  fi
  wait_for 30 "$pid" "$(s3_log)" versitygw s3_answers || return 1
  if ! s3_ready; then
    local code
    code=$(s3_curl -X PUT "http://127.0.0.1:$S3_PORT/$S3_BUCKET")
    [[ $code == 200 ]] || { fail "could not create bucket $S3_BUCKET (HTTP $code)"; return 1; }
  fi
  say "versitygw $S3_VERSION 127.0.0.1:$S3_PORT (bucket $S3_BUCKET) ready in $(elapsed "$t0")"
}

s3_down() {
  local pid
  if pid=$(s3_pid); then
    stop_pid versitygw "$pid" 10 || return 1
    rm -f "$(s3_pidfile)"
    say "stopped versitygw (pid $pid)"
  fi
}

s3_status() {
  local pid
  if pid=$(s3_pid) && s3_ready; then
    printf '%-11s %-8s pid %-8s RSS %-8s 127.0.0.1:%s  versitygw %s, bucket %s\n' s3 healthy "$pid" \
      "$(rss_of "$pid")" "$S3_PORT" "$S3_VERSION" "$S3_BUCKET"
    return 0
  fi
  if [[ -n ${pid:-} ]]; then
    printf '%-11s %-8s pid %s\n' s3 unhealthy "$pid"
  else
    printf '%-11s %-8s\n' s3 down
  fi
  return 1
}

s3_env() {
  export_var GAMEDATA_TEST_S3 "http://127.0.0.1:$S3_PORT"
  export_var GAMEDATA_TEST_S3_BUCKET "$S3_BUCKET"
  export_var GAMEDATA_TEST_S3_ACCESS_KEY "$S3_ACCESS_KEY"
  export_var GAMEDATA_TEST_S3_SECRET_KEY "$S3_SECRET_KEY"
  export_var GAMEDATA_TEST_S3_REGION "$S3_REGION"
}

s3_logs() { s3_log; }
