#!/bin/sh
# mkfsimg.sh OUT SIZE BSIZE [--bench] [PROGRAM...] : the ext2 disk image.
# The programs (stripped) go in /bin; /data holds the test data the fs
# tests expect (test/integration/test_fs.c); --bench adds the bench
# target's big files: /data/16mib.bin for the file server's reads,
# /data/seq16.bin and /data/cold16.bin for the file-mapping benchmarks.
# The feature list is explicit: filetype, sparse_super, large_file,
# nothing else (docs/ext2.md).
set -eu
out=$1; size=$2; bsize=$3; shift 3
bench=0
if [ "${1:-}" = --bench ]; then bench=1; shift; fi
stage=$out.d
rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/data/dir/sub" "$stage/tmp"
if [ $bench = 1 ]; then
	# 16 MiB of lines "16mib %057d\n" (64 bytes each).
	awk 'BEGIN { for (i = 0; i < 262144; i++) printf "16mib %057d\n", i }' > "$stage/data/16mib.bin"
	awk 'BEGIN { for (i = 0; i < 262144; i++) printf "seq %059d\n", i }' > "$stage/data/seq16.bin"
	awk 'BEGIN { for (i = 0; i < 262144; i++) printf "c16 %059d\n", i }' > "$stage/data/cold16.bin"
fi
for f in "$@"; do
	riscv64-unknown-elf-strip -o "$stage/bin/$(basename "$f" .elf)" "$f"
done
printf 'hello\n' > "$stage/data/hello.txt"
# 300000 bytes: 'A' + i % 23 at byte i (past the direct and single
# indirect blocks of 1 KiB blocks).
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "%c", 65 + i % 23 }' > "$stage/data/big.bin"
# 4 MiB, more than the server's cache: reading it keeps the disk busy.
awk 'BEGIN { for (i = 0; i < 65536; i++) printf "cold %058d\n", i }' > "$stage/data/cold.bin"
printf 'read only\n' > "$stage/data/readonly.txt"
chmod 0444 "$stage/data/readonly.txt"
printf 'write only\n' > "$stage/data/writeonly.txt"
chmod 0222 "$stage/data/writeonly.txt"
printf 'a\n' > "$stage/data/dir/a"
printf 'b\n' > "$stage/data/dir/sub/b"
mkdir -p "$stage/etc"
cat > "$stage/etc/demo.sh" <<'DEMO'
# The shell's demo (test fs.shell): files made, listed, read, removed.
echo hello, disk > /tmp/greeting
echo second line >> /tmp/greeting
cat /tmp/greeting
mkdir /tmp/d; cp /tmp/greeting /tmp/d/copy
ls /tmp/d
stat /tmp/d/copy
mv /tmp/d/copy /tmp/moved
/bin/cat /tmp/moved
/bin/ls /tmp
hello from-the-shell
rm /tmp/moved; rmdir /tmp/d
ls /data
DEMO
rm -f "$out.tmp"
mke2fs -q -F -t ext2 -b "$bsize" -O none,filetype,sparse_super,large_file -m 0 \
	-E root_owner=0:0 -d "$stage" "$out.tmp" "$size"
mv "$out.tmp" "$out"
