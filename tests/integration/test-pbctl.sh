#!/bin/sh
# pbctl and the shell client, end to end: autostart, output, exit codes.
# Usage: test-pbctl.sh /path/to/patchbay.sh   ($PBCTL and $PATCHBAYD from ctest)
set -eu
. "$1"

tmp=$(mktemp -d /tmp/pbctl-test.XXXXXX)
export PATCHBAY_SOCKET="$tmp/run/patchbayd.sock"
cleanup() {
	"$PBCTL" --no-autostart shutdown >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_rc WANT CMD...: run CMD, capture its output, check its exit status.
expect_rc() {
	want=$1
	shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, wanted $want; stderr: $(cat "$tmp/err")"
}

# No daemon and no autostart: a connection error.
expect_rc 1 "$PBCTL" --no-autostart info
[ ! -e "$PATCHBAY_SOCKET" ] || fail "--no-autostart started a daemon"

# Autostart, JSON output.
expect_rc 0 pb_info
grep -q '"api_version":1' "$tmp/out" || fail "info JSON: $(cat "$tmp/out")"
[ -S "$PATCHBAY_SOCKET" ] || fail "no socket after autostart"
pid=$(pb_get pid daemon.info)
case $pid in '' | *[!0-9]*) fail "pid is '$pid'" ;; esac
kill -0 "$pid" || fail "daemon pid $pid not alive"

# Errors from the daemon: exit 2, the error object on stderr.
expect_rc 2 pb_call no.such.method
[ "$(pb_error_name <"$tmp/err")" = patchbay.MethodNotFound ] || fail "error: $(cat "$tmp/err")"
expect_rc 2 pb_call daemon.ping '{"delay_ms":"soon"}'
grep -q '"parameter":"delay_ms"' "$tmp/err" || fail "no parameter in $(cat "$tmp/err")"
expect_rc 2 "$PBCTL" call daemon.info '{"bogus":true}'
grep -q 'bogus' "$tmp/err" || fail "human error does not name the parameter"

# Usage errors: exit 1.
expect_rc 1 "$PBCTL" frobnicate
expect_rc 1 "$PBCTL"
expect_rc 1 pb_call daemon.ping '{not json'
expect_rc 1 "$PBCTL" info extra-argument

# Human output.
expect_rc 0 "$PBCTL" info
grep -q '^version  *0\.1\.0$' "$tmp/out" || fail "info table: $(cat "$tmp/out")"
grep -q "^pid  *$pid\$" "$tmp/out" || fail "info table pid"
expect_rc 0 "$PBCTL" methods
grep -q '^lab\.create  *[A-Z]' "$tmp/out" || fail "methods: lab.create"
grep -q '^daemon\.info  *[A-Z]' "$tmp/out" || fail "methods: daemon.info"

# Fields, nested paths and params on stdin.
expect_rc 0 pb_get data.1 daemon.ping '{"data":[5,6]}'
[ "$(cat "$tmp/out")" = 6 ] || fail "field data.1 = $(cat "$tmp/out")"
out=$(echo '{"data":"hi there"}' | "$PBCTL" --json --field data call daemon.ping -)
[ "$out" = "hi there" ] || fail "stdin params gave '$out'"
expect_rc 1 pb_get no.such.field daemon.ping

# Shutdown removes the socket before pbctl returns; without a daemon it starts none.
expect_rc 0 pb_shutdown
[ ! -e "$PATCHBAY_SOCKET" ] || fail "socket left after shutdown"
expect_rc 1 "$PBCTL" shutdown
[ ! -e "$PATCHBAY_SOCKET" ] || fail "shutdown started a daemon"
echo "PASS pbctl"
