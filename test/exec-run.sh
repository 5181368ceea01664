#!/bin/sh
# exec-run.sh MODE PRISTINE KERNEL BOOTIMG: boot test_exec MODE as init
# with a fresh copy of the ext2 image PRISTINE (its /bin has xprobe and
# hello); e2fsck -fn must find the copy clean afterwards. bench runs
# under -icount (instructions, the same run to run) and shows its lines.
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4
here=$(cd "$(dirname "$0")" && pwd)
name=exec.$mode
img=$name.img
cp "$pristine" "$img" || exit 1
icount=
[ "$mode" = bench ] && icount=-i
sh "$here/run-test.sh" $name 150 "PASS: exec_$mode" $icount -m 512M -a "init=test_exec $mode" \
	-x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0" \
	"$kernel" "$bootimg" || exit 1
[ "$mode" = bench ] && grep -a "^bench:" "$name.log"
out=$(e2fsck -fn "$img" 2>&1)
rc=$?
if [ $rc -ne 0 ] || echo "$out" | grep -q '? no'; then
	echo "FAILED: $name: e2fsck -fn $img is not clean (exit $rc):"
	echo "$out"
	exit 1
fi
echo "exec-run: e2fsck -fn $img clean"
