#!/bin/sh
# system-run.sh PRISTINE KERNEL BOOTIMG: the product's boot (the run
# target). The boot image must hold exactly the pager, init, blk and fsd;
# booted with a copy of the ext2 image PRISTINE, init must run /bin/pmap
# and the shell's demo from the disk, and the image must stay clean.
set -u
pristine=$1; kernel=$2; bootimg=$3
here=$(dirname "$0")
img=system.run.img
have=$(cpio --quiet -it < "$bootimg" | LC_ALL=C sort | tr '\n' ' ')
if [ "$have" != "blk fsd init pager " ]; then
	echo "FAILED: system.run: the boot image holds \"$have\", not \"blk fsd init pager \""
	exit 1
fi
cp "$pristine" "$img" || exit 1
sh "$here/run-test.sh" system.run 60 "init: done" \
	-x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0" \
	"$kernel" "$bootimg" || exit 1
for want in '^pmap: pid ' '^hello, disk' '^hello from the disk: /bin/hello from-the-shell'; do
	grep -aq -- "$want" system.run.log || { echo "FAILED: system.run: no \"$want\""; cat system.run.log; exit 1; }
done
out=$(e2fsck -fn "$img" 2>&1) || { echo "FAILED: system.run: e2fsck: $out"; exit 1; }
echo "system-run: boot image \"$have\", programs from the disk, e2fsck clean"
