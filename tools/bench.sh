#!/bin/sh
# bench.sh KERNEL BOOTIMG [FSIMG]: run apps/microbench under -icount shift=0
# and print its "bench: <name> <value> <unit>" lines; fail if it did not
# finish. With FSIMG (tools/mkfsimg.sh, FSIMG_BENCH=1), then the file
# benchmarks (test_filemap bench) over a copy of it as the disk.
set -u
here=$(dirname "$0")
out=$(timeout 300 sh "$here/qemu.sh" -m 512M -i -a init=microbench "$1" "$2" </dev/null 2>&1)
printf '%s\n' "$out" | grep -a '^bench: ' | grep -v '^bench: done'
printf '%s\n' "$out" | grep -aq '^bench: done' || {
	echo "bench: did not finish; console:"; printf '%s\n' "$out"; exit 1; }
[ $# -ge 3 ] || exit 0
img=$3.run
cp "$3" "$img" || exit 1
out=$(timeout 600 sh "$here/qemu.sh" -m 512M -i -a "init=test_filemap bench" \
	-x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0" \
	"$1" "$2" </dev/null 2>&1)
rm -f "$img"
printf '%s\n' "$out" | grep -a '^bench: ' | grep -v '^bench: done'
printf '%s\n' "$out" | grep -aq '^bench: done' || {
	echo "bench: the file benchmarks did not finish; console:"; printf '%s\n' "$out"; exit 1; }
