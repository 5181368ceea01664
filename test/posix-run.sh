#!/bin/sh
# posix-run.sh MODE PRISTINE KERNEL BOOTIMG BUILD: boot test_posix MODE as
# init over a fresh copy of the ext2 image PRISTINE (disk-run.sh: e2fsck
# after). For "programs", test/posix/pproc.c is first built with tools/cc
# (as a build outside CMake would) and written to the copy as /bin/pcc.
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4; build=$5
here=$(cd "$(dirname "$0")" && pwd)
put=
[ "$mode" = programs ] && put="-p $here/posix/pproc.c /bin/pcc $build"
exec sh "$here/disk-run.sh" posix.$mode "$pristine" 120 "PASS: posix_$mode" $put \
	-a "init=test_posix $mode" "$kernel" "$bootimg"
