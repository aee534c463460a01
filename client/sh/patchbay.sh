# patchbay.sh: shell client of patchbayd, for test scripts.
#
#   . /path/to/patchbay.sh
#   pb_call daemon.info                      # prints the result as JSON
#   pid=$(pb_get pid daemon.info)            # prints one field of the result
#   pb_call lab.create '{"name":"t1"}' || echo "failed with $?"
#
# Every function is a thin wrapper over `pbctl --json`, so exit codes are
# pbctl's: 0 success, 1 usage or connection error, 2 error from the daemon
# (the error object is printed as JSON on stderr).  Set PBCTL to choose the
# binary and PATCHBAY_SOCKET to choose the daemon.

: "${PBCTL:=pbctl}"

# pb_call METHOD [JSON]: call METHOD with JSON params, print the result.
pb_call() {
	"$PBCTL" --json call "$@"
}

# pb_get FIELD METHOD [JSON]: call METHOD and print FIELD of the result
# (dot-separated path, array indexes allowed: ifaces.0.ip).
pb_get() {
	_pb_field=$1
	shift
	"$PBCTL" --json --field "$_pb_field" call "$@"
}

# pb_info: the daemon's info object.
pb_info() {
	"$PBCTL" --json info
}

# pb_shutdown: stop the daemon (does not start one).
pb_shutdown() {
	"$PBCTL" --json shutdown
}

# pb_error_name: read an error object (pbctl's stderr) on stdin, print its
# symbolic name, e.g. patchbay.NoSuchLab.
pb_error_name() {
	sed -n 's/.*"error": *"\([^"]*\)".*/\1/p'
}
