#!/bin/sh
# blk-run.sh MODE PRISTINE KERNEL BOOTIMG
# The block-driver tests: boot test_blk as init with a fresh copy of the
# pattern image PRISTINE (tools/mkblkimg.sh) as a virtio-blk disk, then
# check on the host what the guest wrote.
#   rw       run-test.sh, then sectors 1000..1015 hold "written"
#   durable  kill QEMU (SIGKILL) the moment the guest prints that its
#            flush returned; sectors 2000..2063 must hold "durable"; then
#            boot again and read them back through the driver
#   ioerror  the disk behind QEMU's blkdebug, failing sector 77's reads and
#            sector 90's writes with EIO
#   readonly the disk read-only (readonly=on)
#   nodisk   no disk at all
#   otherdev another virtio device offered to the driver before the disk
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4
here=$(dirname "$0")
img=blk-$mode.img
drive="-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0"
cp "$pristine" "$img" || exit 1

# check_sectors WORD FIRST COUNT: the image holds "WORD %07d\n" lines there.
check_sectors() {
	awk -v w="$1" -v f="$2" -v n="$3" \
		'BEGIN { for (i = f; i < f + n; i++) for (j = 0; j < 32; j++) printf "%s %07d\n", w, i }' \
		> "$img.want"
	if ! dd if="$img" bs=512 skip="$2" count="$3" 2>/dev/null | cmp - "$img.want"; then
		echo "FAILED: blk.$mode: sectors $2..$(($2 + $3 - 1)) of $img are not \"$1\":"
		dd if="$img" bs=512 skip="$2" count=1 2>/dev/null | od -c | head -4
		exit 1
	fi
	echo "blk-run: sectors $2..$(($2 + $3 - 1)) of $img hold \"$1\" on the host"
}

case $mode in
rw)
	sh "$here/run-test.sh" blk.rw 60 "PASS: blk rw" -a "init=test_blk rw" -x "$drive" \
		"$kernel" "$bootimg" || exit 1
	check_sectors written 1000 16
	;;
durable)
	sh "$here/kill-on-marker.sh" blk.durable blk.durable.log "blk: flush returned" 600 \
		-a "init=test_blk durable" -x "$drive" \
		"$kernel" "$bootimg" || exit 1
	check_sectors durable 2000 64
	sh "$here/run-test.sh" blk.durable_verify 60 "PASS: blk verify" -a "init=test_blk verify" \
		-x "$drive" "$kernel" "$bootimg"
	;;
ioerror)
	cfg=blk-ioerror.cfg
	cat > "$cfg" <<CFG
[inject-error]
event = "read_aio"
errno = "5"
sector = "77"

[inject-error]
event = "write_aio"
errno = "5"
sector = "90"
CFG
	drive="-drive if=none,id=hd0,driver=raw,file.driver=blkdebug,file.config=$cfg"
	drive="$drive,file.image.filename=$img -device virtio-blk-device,drive=hd0"
	sh "$here/run-test.sh" blk.ioerror 60 "PASS: blk ioerror" -a "init=test_blk ioerror" \
		-x "$drive" "$kernel" "$bootimg"
	;;
readonly)
	sh "$here/run-test.sh" blk.readonly 60 "PASS: blk readonly" -a "init=test_blk readonly" \
		-x "-drive if=none,id=hd0,format=raw,file=$img,readonly=on -device virtio-blk-device,drive=hd0" \
		"$kernel" "$bootimg" || exit 1
	cmp "$img" "$pristine" || { echo "FAILED: blk.readonly: the image changed"; exit 1; }
	;;
otherdev)
	sh "$here/run-test.sh" blk.otherdev 60 "PASS: blk rw" -a "init=test_blk rw" \
		-x "-device virtio-rng-device -device virtio-rng-device $drive" "$kernel" "$bootimg"
	;;
nodisk)
	sh "$here/run-test.sh" blk.nodisk 60 "PASS: blk nodisk" -a "init=test_blk nodisk" \
		"$kernel" "$bootimg"
	;;
*)
	echo "blk-run.sh: unknown mode $mode"
	exit 2
	;;
esac
