#!/bin/sh
# mkbootimg.sh OUT PROGRAM... : the boot image, a cpio "newc" archive of the
# given programs (stripped), each under its file name.
set -eu
out=$1; shift
stage=$out.d
rm -rf "$stage" && mkdir -p "$stage"
for f in "$@"; do
	riscv64-unknown-elf-strip -o "$stage/$(basename "$f" .elf)" "$f"
done
(cd "$stage" && ls | LC_ALL=C sort | cpio --quiet -o -H newc) > "$out.tmp"
mv "$out.tmp" "$out"
