#!/bin/sh
# fsck-clean.sh NAME IMG: e2fsck -fn must find the ext2 image IMG clean:
# exit 0 and no question asked (a "Fix? no" means damage it left alone).
name=$1; img=$2
out=$(e2fsck -fn "$img" 2>&1)
rc=$?
if [ $rc -ne 0 ] || echo "$out" | grep -q '? no'; then
	echo "FAILED: $name: e2fsck -fn $img is not clean (exit $rc):"
	echo "$out"
	exit 1
fi
echo "$name: e2fsck -fn $img clean"
