#!/bin/sh
# attackproc-run.sh MODE PRISTINE KERNEL BOOTIMG: boot test_attack_proc
# MODE as init with a fresh copy of the ext2 image PRISTINE (its /bin has
# xprobe; disk-run.sh: e2fsck after).
# trace_exec: tools/trace.sh on the product (BOOTIMG: boot.cpio, TRACESVG
# the fifth argument) traces /bin/xprobe reexec 5, a child that execs:
# the tracer serves the new program to its exit status 5.
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4
here=$(cd "$(dirname "$0")" && pwd)
name=attack_proc.$mode
if [ "$mode" = trace_exec ]; then
	img=$name.img
	cp "$pristine" "$img" || exit 1
	timeout -k 5 120 sh "$here/../tools/trace.sh" -k "$kernel" -b "$bootimg" -d "$img" -t "$5" \
		-o "$name.svg" -l "$name.log" /bin/xprobe reexec 5 > "$name.out" 2>&1 ||
		{ cat "$name.out"; echo "FAILED: $name: trace.sh failed or hung"; exit 1; }
	grep -aq '^trace: end [0-9]* status 1280 ' "$name.log" ||
		{ tail -20 "$name.log"; echo "FAILED: $name: no end line with status 5"; exit 1; }
	echo "PASS: $name"
	exit 0
fi
exec sh "$here/disk-run.sh" $name "$pristine" 150 "PASS: attack_proc_$mode" \
	-m 512M -a "init=test_attack_proc $mode" "$kernel" "$bootimg"
