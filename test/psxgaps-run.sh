#!/bin/sh
# psxgaps-run.sh MODE PRISTINE KERNEL BOOTIMG: boot test_psxgaps MODE as init
# with a fresh copy of the ext2 image PRISTINE (its /bin has pfdcheck);
# e2fsck -fn must find the copy clean afterwards.
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4
here=$(cd "$(dirname "$0")" && pwd)
name=psxgaps.$mode
img=$name.img
cp "$pristine" "$img" || exit 1
sh "$here/run-test.sh" $name 150 "PASS: psxgaps_$mode" -m 512M -a "init=test_psxgaps $mode" \
	-x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0" \
	"$kernel" "$bootimg" || exit 1
out=$(e2fsck -fn "$img" 2>&1)
rc=$?
if [ $rc -ne 0 ] || echo "$out" | grep -q '? no'; then
	echo "FAILED: $name: e2fsck -fn $img is not clean (exit $rc):"
	echo "$out"
	exit 1
fi
echo "psxgaps-run: e2fsck -fn $img clean"
