#!/bin/sh
# notices-run.sh MODE PRISTINE KERNEL BOOTIMG: boot test_notices MODE as init
# over a fresh copy of the ext2 image PRISTINE (its /bin has xprobe;
# disk-run.sh: e2fsck after).
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/disk-run.sh" notices.$mode "$pristine" 150 "PASS: notices_$mode" \
	-m 512M -a "init=test_notices $mode" "$kernel" "$bootimg"
