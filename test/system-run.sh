#!/bin/sh
# system-run.sh PRISTINE KERNEL BOOTIMG: the product's boot (the run
# target). The boot image must hold exactly the pager, init, the drivers
# (blk, console) and fsd; booted with a copy of the ext2 image PRISTINE,
# init must run /bin/pmap and the shell's demo from the disk, then give
# the shell's prompt on the console; `exit` there powers off, and the
# image must stay clean.
set -u
pristine=$1; kernel=$2; bootimg=$3
here=$(dirname "$0")
img=system.run.img; log=system.run.log; fifo=system.run.in
want_image="blk console fsd init pager "
have=$(cpio --quiet -it < "$bootimg" | LC_ALL=C sort | tr '\n' ' ')
if [ "$have" != "$want_image" ]; then
	echo "FAILED: system.run: the boot image holds \"$have\", not \"$want_image\""
	exit 1
fi
cp "$pristine" "$img" || exit 1
rm -f "$fifo" "$log" && mkfifo "$fifo" || exit 1
timeout -k 5 60 sh "$here/../tools/qemu.sh" \
	-x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0" \
	"$kernel" "$bootimg" < "$fifo" > "$log" 2>&1 &
qemu=$!
exec 3> "$fifo"		# QEMU's stdin stays open until we type exit
for i in $(seq 300); do
	grep -aq 'sh\$ ' "$log" && break
	kill -0 $qemu 2>/dev/null || break
	sleep 0.1
done
printf 'exit\r' >&3
exec 3>&-
wait $qemu
rc=$?
rm -f "$fifo"
fail() { echo "FAILED: system.run: $*"; tr -d '\r' < "$log"; exit 1; }
[ $rc -eq 124 ] && fail "timed out"
grep -aqE "KERNEL PANIC|kernel trap|the pager died|^FAIL" "$log" && fail "a failure on the console"
for want in 'init: done' '^pmap: pid ' '^hello, disk' '^hello from the disk: /bin/hello from-the-shell' \
	    'sh\$ ' 'init exited with status 0'; do
	grep -aq -- "$want" "$log" || fail "no \"$want\""
done
out=$(e2fsck -fn "$img" 2>&1) || fail "e2fsck: $out"
echo "system-run: boot image \"$have\", programs from the disk, the prompt, e2fsck clean"
