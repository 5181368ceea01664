#!/bin/sh
# bench.sh KERNEL BOOTIMG: run apps/microbench under -icount shift=0 and print
# its "bench: <name> <value> <unit>" lines; fail if it did not finish.
set -u
here=$(dirname "$0")
out=$(timeout 300 sh "$here/qemu.sh" -m 512M -i -a init=microbench "$1" "$2" </dev/null 2>&1)
printf '%s\n' "$out" | grep -a '^bench: ' | grep -v '^bench: done'
printf '%s\n' "$out" | grep -aq '^bench: done' || {
	echo "bench: did not finish; console:"; printf '%s\n' "$out"; exit 1; }
