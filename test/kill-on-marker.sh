#!/bin/sh
# kill-on-marker.sh NAME LOG MARKER LIMIT QEMU.SH-ARGS...
# A durability test's boot: run QEMU (tools/qemu.sh) with its console in
# LOG and kill it with SIGKILL the moment a line starting with MARKER
# appears, as a power cut would. Fails (printing LOG) if the marker does
# not come within LIMIT tenths of a second or QEMU ends first, or if the
# console reports a failure.
set -u
name=$1; log=$2; marker=$3; limit=$4; shift 4
here=$(dirname "$0")
: >"$log"	# before QEMU starts: a stale marker must not count
sh "$here/../tools/qemu.sh" "$@" </dev/null >"$log" 2>&1 &
qemu=$!		# qemu.sh execs QEMU: this is QEMU's pid
t=0
until grep -aq "^$marker" "$log"; do
	if [ $t -ge "$limit" ] || ! kill -0 $qemu 2>/dev/null; then
		kill -9 $qemu 2>/dev/null
		echo "FAILED: $name: no \"$marker\""
		cat "$log"
		exit 1
	fi
	sleep 0.1
	t=$((t + 1))
done
kill -9 $qemu
wait $qemu 2>/dev/null
echo "$name: QEMU killed after \"$marker\""
if grep -aqE "KERNEL PANIC|kernel trap|the pager died|^FAIL" "$log"; then
	echo "FAILED: $name: failure reported on the console"
	cat "$log"
	exit 1
fi
