#!/bin/sh
# pipe-run.sh MODE PRISTINE KERNEL BOOTIMG BUILD: boot test_pipe MODE as
# init with a fresh copy of the ext2 image PRISTINE; e2fsck -fn must find
# the image clean afterwards. For "done", first build test/posix/pdone.c
# with the documented command (tools/cc, as a build outside CMake would,
# with RVSYS_BUILD=BUILD) and write it to the copy as /bin/pdone.
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4; build=$5
here=$(cd "$(dirname "$0")" && pwd)
name=pipe.$mode
img=$name.img
cp "$pristine" "$img" || exit 1
if [ "$mode" = done ]; then
	RVSYS_BUILD=$build sh "$here/../tools/cc" -O2 -Wall -o "$name.elf" "$here/posix/pdone.c" ||
		{ echo "FAILED: $name: tools/cc could not build pdone.c"; exit 1; }
	riscv64-unknown-elf-strip "$name.elf"
	debugfs -w -R "write $name.elf /bin/pdone" "$img" >/dev/null 2>&1
	debugfs -R "stat /bin/pdone" "$img" 2>/dev/null | grep -q "Size: [1-9]" ||
		{ echo "FAILED: $name: /bin/pdone not on the image"; exit 1; }
fi
sh "$here/run-test.sh" $name 150 "PASS: pipe_$mode" -a "init=test_pipe $mode" \
	-x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0" \
	"$kernel" "$bootimg" || exit 1
out=$(e2fsck -fn "$img" 2>&1)
rc=$?
if [ $rc -ne 0 ] || echo "$out" | grep -q '? no'; then
	echo "FAILED: $name: e2fsck -fn $img is not clean (exit $rc):"
	echo "$out"
	exit 1
fi
echo "pipe-run: e2fsck -fn $img clean"
