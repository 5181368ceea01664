#!/bin/sh
# direct-run.sh MODE PRISTINE KERNEL BOOTIMG NAME: test_direct MODE as init
# over a copy of the ext2 image PRISTINE (test_direct.c says what each
# mode checks), then e2fsck -fn on the copy.
#   ioerror  the disk behind QEMU's blkdebug, failing every read of the
#            block that holds byte 200 * 4096 of /data/cold.bin (debugfs
#            says where it lies)
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4; name=$5
here=$(dirname "$0")
img=$name.img
cp "$pristine" "$img" || exit 1
drive="-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0"
if [ "$mode" = ioerror ]; then
	bsize=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Block size/ { gsub(/ /, "", $2); print $2 }')
	lblk=$((200 * 4096 / bsize))
	pblk=$(debugfs -R "bmap /data/cold.bin $lblk" "$img" 2>/dev/null)
	case $pblk in ''|*[!0-9]*|0) echo "FAILED: $name: no block for /data/cold.bin ($pblk)"; exit 1;; esac
	sector=$((pblk * bsize / 512))
	cfg=$name.cfg
	cat > "$cfg" <<CFG
[inject-error]
event = "read_aio"
errno = "5"
sector = "$sector"
CFG
	drive="-drive if=none,id=hd0,driver=raw,file.driver=blkdebug,file.config=$cfg"
	drive="$drive,file.image.filename=$img -device virtio-blk-device,drive=hd0"
fi
sh "$here/run-test.sh" "$name" 90 "PASS: direct $mode" -a "init=test_direct $mode" \
	-x "$drive" "$kernel" "$bootimg" || exit 1
sh "$here/fsck-clean.sh" "$name" "$img" || exit 1
rm -f "$img"
