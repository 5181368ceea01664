#!/bin/sh
# posix-run.sh MODE PRISTINE KERNEL BOOTIMG BUILD: boot test_posix MODE as
# init with a fresh copy of the ext2 image PRISTINE; e2fsck -fn must find
# the image clean afterwards. For "programs", first build
# test/posix/pproc.c with tools/cc (as a build outside CMake would, with
# RVSYS_BUILD=BUILD) and write it to the copy as /bin/pcc.
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4; build=$5
here=$(cd "$(dirname "$0")" && pwd)
name=posix.$mode
img=$name.img
cp "$pristine" "$img" || exit 1
if [ "$mode" = programs ]; then
	RVSYS_BUILD=$build sh "$here/../tools/cc" -O2 -Wall -o "$name.pcc" "$here/posix/pproc.c" ||
		{ echo "FAILED: $name: tools/cc could not build pproc.c"; exit 1; }
	riscv64-unknown-elf-strip "$name.pcc"
	debugfs -w -R "write $name.pcc /bin/pcc" "$img" >/dev/null 2>&1
	debugfs -R "stat /bin/pcc" "$img" 2>/dev/null | grep -q "Size: [1-9]" ||
		{ echo "FAILED: $name: /bin/pcc not on the image"; exit 1; }
fi
sh "$here/run-test.sh" $name 120 "PASS: posix_$mode" -a "init=test_posix $mode" \
	-x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0" \
	"$kernel" "$bootimg" || exit 1
out=$(e2fsck -fn "$img" 2>&1)
rc=$?
if [ $rc -ne 0 ] || echo "$out" | grep -q '? no'; then
	echo "FAILED: $name: e2fsck -fn $img is not clean (exit $rc):"
	echo "$out"
	exit 1
fi
echo "posix-run: e2fsck -fn $img clean"
