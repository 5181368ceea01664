#!/bin/sh
# mkblkimg.sh OUT SECTORS
# A raw disk image for the block-driver tests: sector i holds the 16-byte
# line "sector %08d\n" 32 times, so any sector says where it came from.
set -eu
awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++) for (j = 0; j < 32; j++) printf "sector %08d\n", i }' > "$1.tmp"
[ "$(wc -c < "$1.tmp")" -eq $(($2 * 512)) ]
mv "$1.tmp" "$1"
