#!/bin/sh
# exec-run.sh MODE PRISTINE KERNEL BOOTIMG: boot test_exec MODE as init
# over a fresh copy of the ext2 image PRISTINE (its /bin has xprobe and
# hello; disk-run.sh: e2fsck after). bench runs under -icount
# (instructions, the same run to run) and shows its lines.
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4
here=$(cd "$(dirname "$0")" && pwd)
icount=
[ "$mode" = bench ] && icount=-i
sh "$here/disk-run.sh" exec.$mode "$pristine" 150 "PASS: exec_$mode" \
	$icount -m 512M -a "init=test_exec $mode" "$kernel" "$bootimg" || exit 1
[ "$mode" = bench ] && grep -a "^bench:" "exec.$mode.log"
exit 0
