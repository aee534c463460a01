#!/bin/sh
# Demo: start patchbayd on demand with pbctl, look at it, and stop it.
# (Grows into a whole lab — routers, devices, a ping and a probe — as the
# topology methods land.)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PBCTL=${PBCTL:-$here/build/bin/pbctl}
export PATCHBAY_SOCKET=${PATCHBAY_SOCKET:-${TMPDIR:-/tmp}/patchbay-demo-$(id -u)/patchbayd.sock}

echo "== pbctl info (starts patchbayd at $PATCHBAY_SOCKET)"
"$PBCTL" info
echo
echo "== the API: methods this build implements"
"$PBCTL" methods | grep -v '(not yet)'
echo
echo "== a deferred call: daemon.ping answering after 200 ms"
"$PBCTL" --json call daemon.ping '{"delay_ms":200,"data":"pong"}'
echo
echo "== pbctl shutdown"
"$PBCTL" shutdown
echo "done: the daemon has stopped and removed its socket"
