#!/bin/sh
# trace.sh [-o OUT.svg] [-l LOG] [-w SECONDS] [-B BUILD] PROGRAM [ARGS...]
# Trace a program from the disk (docs/tracing.md): boot the product (the
# boot image and a copy of the ext2 disk, -icount so that times are
# instructions), type `trace PROGRAM ARGS` at the shell's prompt, wait for
# the tracer's end line, power off with `exit`, and draw the trace with
# tracesvg: OUT.svg (default trace.svg) and the console log LOG (default
# trace.log). BUILD is the build directory (default: build/ in the tree).
# -k KERNEL, -b BOOTIMG, -d DISK, -t TRACESVG name the parts one by one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build; out=trace.svg; log=trace.log; wait=120
kernel=; bootimg=; disk=; tool=
while getopts "o:l:w:B:k:b:d:t:" o; do
	case $o in
	o) out=$OPTARG ;;
	l) log=$OPTARG ;;
	w) wait=$OPTARG ;;
	B) build=$OPTARG ;;
	k) kernel=$OPTARG ;;
	b) bootimg=$OPTARG ;;
	d) disk=$OPTARG ;;
	t) tool=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: trace.sh [-o OUT.svg] [-l LOG] [-B BUILD] PROGRAM [ARGS...]"; exit 2; }
kernel=${kernel:-$build/kernel/kernel.elf}
bootimg=${bootimg:-$build/boot.cpio}
disk=${disk:-$build/test/fs-4096.img}
tool=${tool:-$build/tools/tracesvg}
for f in "$kernel" "$bootimg" "$disk" "$tool"; do
	[ -f "$f" ] || { echo "trace.sh: $f is missing (build first: cmake --build build)"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$disk" "$tmp/disk.img"
mkfifo "$tmp/in"
: > "$log"
timeout -k 5 $((wait + 60)) sh "$here/qemu.sh" -i -m 256M \
	-x "-drive if=none,id=hd0,format=raw,file=$tmp/disk.img -device virtio-blk-device,drive=hd0" \
	"$kernel" "$bootimg" < "$tmp/in" > "$log" 2>&1 &
qemu=$!
exec 3> "$tmp/in"	# QEMU's stdin stays open while we type
until_seen() {	# PATTERN SECONDS
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		grep -aqE -- "$1" "$log" && return 0
		kill -0 $qemu 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
rc=0
if until_seen 'sh\$ ' 60; then
	printf 'trace %s\r' "$*" >&3
	until_seen '^(trace: end |trace: cannot start|usage: trace)' "$wait" ||
		{ echo "trace.sh: no end line within ${wait}s"; rc=1; }
	grep -aq '^trace: end ' "$log" || rc=1
	printf 'exit\r' >&3
else
	echo "trace.sh: the shell's prompt never came"; rc=1
fi
exec 3>&-
wait $qemu || true
[ $rc -eq 0 ] || { tr -d '\r' < "$log" | tail -20; exit $rc; }
"$tool" -o "$out" "$log"
echo "trace.sh: $(tr -d '\r' < "$log" | grep -a '^trace: end ') -> $out (log: $log)"
