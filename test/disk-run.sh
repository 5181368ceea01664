#!/bin/sh
# disk-run.sh NAME PRISTINE TIMEOUT EXPECT [-p SRC DEST BUILD]... QEMU.SH-ARGS...
# An integration test with a disk: copy the ext2 image PRISTINE to
# NAME.img, optionally build plain POSIX sources into it (-p: SRC built
# with the documented tools/cc as a build outside CMake would, with
# RVSYS_BUILD=BUILD, written to the copy as DEST), boot it as the
# virtio-blk disk with run-test.sh NAME TIMEOUT EXPECT QEMU.SH-ARGS, and
# pass only if e2fsck -fn then finds the copy clean (fsck-clean.sh).
set -u
name=$1; pristine=$2; limit=$3; expect=$4; shift 4
here=$(cd "$(dirname "$0")" && pwd)
img=$name.img
cp "$pristine" "$img" || exit 1
while [ "${1:-}" = -p ]; do
	src=$2; dest=$3; build=$4; shift 4
	elf=$name.$(basename "$dest").elf
	RVSYS_BUILD=$build sh "$here/../tools/cc" -O2 -Wall -o "$elf" "$src" ||
		{ echo "FAILED: $name: tools/cc could not build $src"; exit 1; }
	riscv64-unknown-elf-strip "$elf"
	debugfs -w -R "write $elf $dest" "$img" >/dev/null 2>&1
	debugfs -R "stat $dest" "$img" 2>/dev/null | grep -q "Size: [1-9]" ||
		{ echo "FAILED: $name: $dest not on the image"; exit 1; }
done
sh "$here/run-test.sh" "$name" "$limit" "$expect" \
	-x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0" \
	"$@" || exit 1
sh "$here/fsck-clean.sh" "$name" "$img"
