#!/bin/sh
# bench.sh KERNEL BOOTIMG [FSIMG]: run apps/microbench under -icount shift=0
# and print its "bench: <name> <value> <unit>" lines; fail if it did not
# finish. With FSIMG (the bench disk image, mkfsimg.sh --bench), then boot
# "test_fs bench" with a copy of it as the virtio-blk disk and print the
# file server's lines (issue 9's figures, docs/fs-protocol.md), then the
# file-mapping ones (issue 10's, docs/page-cache.md).
set -u
here=$(dirname "$0")
out=$(timeout 300 sh "$here/qemu.sh" -m 512M -i -a init=microbench "$1" "$2" </dev/null 2>&1)
printf '%s\n' "$out" | grep -a '^bench: ' | grep -v '^bench: done'
printf '%s\n' "$out" | grep -aq '^bench: done' || {
	echo "bench: did not finish; console:"; printf '%s\n' "$out"; exit 1; }
# External pagers (test_extobj bench, docs/external-pagers.md): no disk.
out=$(timeout 120 sh "$here/qemu.sh" -m 512M -i -a "init=test_extobj bench" "$1" "$2" </dev/null 2>&1)
printf '%s\n' "$out" | grep -a '^bench: ' | grep -v '^bench: extobj done'
printf '%s\n' "$out" | grep -aq '^bench: extobj done' || {
	echo "bench: the external-pager benchmarks did not finish; console:"; printf '%s\n' "$out"; exit 1; }
[ $# -ge 3 ] || exit 0
# The disk image of the runs lives in /dev/shm when there is one: a flush
# there costs the host nothing, so the cold and fsync figures count what
# the system does, not the host disk's fdatasync (a wait the hart spends
# idle, which -icount counts as instructions). docs/benchmarks.md.
# The image is a scratch copy (the durability tests use their own runner),
# and even on tmpfs QEMU hands each virtio flush to a worker thread for an
# fdatasync: how soon that thread runs varies with the host, and the wait
# is counted. cache=unsafe answers the guest's flush at once; the guest
# still sends it and waits for its completion.
img=$(dirname "$3")/bench-run.img
[ -d /dev/shm ] && [ -w /dev/shm ] && img=/dev/shm/bench-run-$$.img
cp "$3" "$img" || exit 1
out=$(timeout 300 sh "$here/qemu.sh" -m 512M -i -a "init=test_fs bench" \
	-x "-drive if=none,format=raw,file=$img,cache=unsafe,id=hd0 -device virtio-blk-device,drive=hd0" \
	"$1" "$2" </dev/null 2>&1)
printf '%s\n' "$out" | grep -a '^bench: ' | grep -v '^bench: fs done'
printf '%s\n' "$out" | grep -aq '^bench: fs done' || {
	echo "bench: the file server's benchmarks did not finish; console:"; printf '%s\n' "$out"; exit 1; }
rm -f "$img"
# Then the file-mapping benchmarks (test_filemap bench, docs/page-cache.md)
# over a fresh copy of the same image.
cp "$3" "$img" || exit 1
out=$(timeout 600 sh "$here/qemu.sh" -m 512M -i -a "init=test_filemap bench" \
	-x "-drive if=none,id=hd0,format=raw,file=$img,cache=unsafe -device virtio-blk-device,drive=hd0" \
	"$1" "$2" </dev/null 2>&1)
rm -f "$img"
printf '%s\n' "$out" | grep -a '^bench: ' | grep -v '^bench: done'
printf '%s\n' "$out" | grep -aq '^bench: done' || {
	echo "bench: the file-mapping benchmarks did not finish; console:"; printf '%s\n' "$out"; exit 1; }
