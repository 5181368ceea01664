#!/bin/sh
# pipe-run.sh MODE PRISTINE KERNEL BOOTIMG BUILD: boot test_pipe MODE as
# init over a fresh copy of the ext2 image PRISTINE (disk-run.sh: e2fsck
# after). For "done", test/posix/pdone.c is first built with the
# documented command (tools/cc) and written to the copy as /bin/pdone.
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4; build=$5
here=$(cd "$(dirname "$0")" && pwd)
put=
[ "$mode" = done ] && put="-p $here/posix/pdone.c /bin/pdone $build"
exec sh "$here/disk-run.sh" pipe.$mode "$pristine" 150 "PASS: pipe_$mode" $put \
	-a "init=test_pipe $mode" "$kernel" "$bootimg"
