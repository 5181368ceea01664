#!/bin/sh
# bench-cold.sh KERNEL BOOTIMG FSIMG: the cold-read figures only
# (read_16mib_cold, file_seq_16mib_cold, file_fault_cold and their warm
# neighbours), each boot over a fresh copy of the bench image in /dev/shm
# with cache=unsafe as tools/bench.sh has it (docs/benchmarks.md,
# "Measuring"). A minute instead of tools/bench.sh's eight.
set -u
here=$(dirname "$0")
img=$(dirname "$3")/bench-cold-run.img
[ -d /dev/shm ] && [ -w /dev/shm ] && img=/dev/shm/bench-cold-$$.img
for t in test_fs test_filemap; do
	cp "$3" "$img" || exit 1
	out=$(timeout 300 sh "$here/qemu.sh" -m 512M -i -a "init=$t bench cold" \
		-x "-drive if=none,format=raw,file=$img,cache=unsafe,id=hd0 -device virtio-blk-device,drive=hd0" \
		"$1" "$2" </dev/null 2>&1)
	rm -f "$img"
	printf '%s\n' "$out" | grep -a '^bench: ' | grep -v "done\r\?$"
	printf '%s\n' "$out" | grep -aq '^bench: .*done' || {
		echo "bench: $t bench cold did not finish; console:"; printf '%s\n' "$out"; exit 1; }
done
