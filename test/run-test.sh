#!/bin/sh
# run-test.sh NAME TIMEOUT EXPECT QEMU.SH-ARGS...
# An integration test: boot the system with qemu.sh, keep the serial console
# in NAME.log, and pass only if EXPECT (a line the test program prints on
# success) appears and no failure marker does. On failure print the log.
set -u
name=$1; limit=$2; expect=$3; shift 3
log=$name.log
here=$(dirname "$0")
timeout -k 5 "$limit" sh "$here/../tools/qemu.sh" "$@" </dev/null >"$log" 2>&1
rc=$?
fail=""
[ $rc -eq 124 ] && fail="timed out after ${limit}s"
if grep -aqE "KERNEL PANIC|kernel trap|the pager died|^FAIL" "$log"; then
	fail="${fail:+$fail; }failure reported on the console"
fi
grep -aqF -- "$expect" "$log" || fail="${fail:+$fail; }missing \"$expect\""
if [ -n "$fail" ]; then
	echo "FAILED: $name: $fail"
	echo "----- console log ($log) -----"
	cat "$log"
	exit 1
fi
echo "passed: $name"
