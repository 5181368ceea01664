#!/bin/sh
# fs-run.sh MODE PRISTINE KERNEL BOOTIMG [NAME]
# The file-server tests: boot test_fs MODE as init with a fresh copy of the
# ext2 image PRISTINE (tools/mkfsimg.sh) as the virtio-blk disk, then check
# the image on the host: e2fsck -fn must find it clean (exit 0 and no
# question asked).
#   calls, enospc  run-test.sh, then e2fsck
#   notext2        a disk that is not ext2: fs_start fails, leaving no process
#   durable        kill QEMU (SIGKILL) the moment the guest prints that
#                  fsync returned; debugfs must show every byte of the file
#   map-MODE       test_filemap MODE (file mappings); map-durable (and
#                  map-durable_runs: a scattered write-back) kills QEMU
#                  when msync returned; remap, eof, exit and durable compare
#                  files on the image with what the guest wrote (debugfs)
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4; name=${5:-fs.$mode}
here=$(dirname "$0")
img=$name.img
drive="-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0"
cp "$pristine" "$img" || exit 1

fsck() {
	sh "$here/fsck-clean.sh" "$name" "$img" || exit 1
}

# The host's view of a file: it must be exactly $img.want.
same() {
	debugfs -R "cat $1" "$img" 2>/dev/null > "$img.got"
	if ! cmp "$img.got" "$img.want"; then
		echo "FAILED: $name: $1 on the image is not what was written"
		ls -l "$img.got" "$img.want"
		exit 1
	fi
	echo "fs-run: debugfs shows all $(wc -c < "$img.want") bytes of $1"
}
# test_filemap's contents: N bytes of pat(i, SEED); N lines "WORD line %06d".
# pattern N SEED [OFFSET=CHAR]...: with those bytes replaced.
pattern() {
	n=$1; s=$2; shift 2
	awk -v n=$n -v s=$s -v set="$*" 'BEGIN {
		k = split(set, kv, " ")
		for (j = 1; j <= k; j++) { split(kv[j], a, "="); at[a[1]] = a[2] }
		for (i = 0; i < n; i++)
			if (i in at) printf "%s", at[i]; else printf "%c", 97 + (i * 7 + s) % 26
	}'
}
want_lines() {
	awk -v w=$1 -v n=$2 'BEGIN { for (i = 0; i < n; i++) printf "%s line %06d\n", w, i }'
}

case $mode in
calls|enospc|shell|nfile|read)
	sh "$here/run-test.sh" $name 120 "PASS: fs $mode" -a "init=test_fs $mode" \
		-x "$drive" "$kernel" "$bootimg" || exit 1
	if [ $mode = shell ]; then	# what the demo printed
		for want in '^hello, disk' '^second line' '^hello from the disk: /bin/hello from-the-shell' \
			'^ *24 greeting' '^copy' '^ *24 moved'; do
			grep -aq -- "$want" $name.log || { echo "FAILED: $name: no \"$want\""; cat $name.log; exit 1; }
		done
	fi
	fsck
	;;
durable)
	sh "$here/kill-on-marker.sh" fs.durable fs.durable.log "fs: fsync returned" 900 \
		-a "init=test_fs durable" -x "$drive" \
		"$kernel" "$bootimg" || exit 1
	awk 'BEGIN { for (i = 0; i < 3000; i++) printf "durable line %06d\n", i }' > "$img.want"
	debugfs -R 'cat /durable.txt' "$img" 2>/dev/null > "$img.got"
	if ! cmp "$img.got" "$img.want"; then
		echo "FAILED: fs.durable: /durable.txt on the image is not what was written"
		ls -l "$img.got" "$img.want"
		exit 1
	fi
	echo "fs-run: debugfs shows all $(wc -c < "$img.want") bytes"
	fsck
	;;
notext2)	# PRISTINE is not an ext2 image: the start fails and leaves nothing
	sh "$here/run-test.sh" $name 60 "PASS: fs notext2" -a "init=test_fs notext2" \
		-x "$drive" "$kernel" "$bootimg"
	;;
map-durable|map-durable_fsync)
	sub=${mode#map-}
	marker="filemap: msync returned"
	[ "$sub" = durable_fsync ] && marker="filemap: fsync returned"
	sh "$here/kill-on-marker.sh" $name $name.log "$marker" 900 \
		-a "init=test_filemap $sub" -x "$drive" "$kernel" "$bootimg" || exit 1
	want_lines mapped 2000 > "$img.want"
	same /mapped.txt
	fsck
	;;
map-durable_runs)	# test_filemap_runs.c: the same pages, offsets and bytes
	sh "$here/kill-on-marker.sh" $name $name.log "filemap: runs msync returned" 900 \
		-a "init=test_filemap durable_runs" -x "$drive" "$kernel" "$bootimg" || exit 1
	awk -v n=$((300 * 4096 - 1000)) 'BEGIN {
		for (pg = 0; pg < 300; pg++)
			if (pg % 2 == 0 || pg == 299 || (pg >= 100 && pg < 160))
				at[pg * 4096 + pg % 97] = sprintf("%c", 65 + pg % 26)
		for (pg = 0; pg < 100; pg += 8)	# the second stores (test_filemap_runs.c)
			at[pg * 4096 + pg % 97 + 1] = sprintf("%c", 122 - pg % 26)
		for (i = 0; i < n; i++)
			if (i in at) printf "%s", at[i]; else printf "%c", 97 + (i * 7 + 1) % 26
	}' > "$img.want"
	same /runs.bin
	fsck
	;;
map-*)
	sub=${mode#map-}
	sh "$here/run-test.sh" $name 100 "PASS: filemap $sub" -a "init=test_filemap $sub" \
		-x "$drive" "$kernel" "$bootimg" || exit 1
	case $sub in
	remap)	# the pattern, with the two bytes stored after MS_ASYNC
		pattern 17384 3 5=! 6=? > "$img.want"
		same /m3 ;;
	eof)	# the size unchanged, the store before the end, none past it
		pattern 5000 4 4000=U > "$img.want"
		same /tail ;;
	exit)
		want_lines exitun 2000 > "$img.want"
		same /exited.txt
		want_lines exited 2000 > "$img.want"
		same /exited2.txt ;;
	esac
	fsck
	;;
*)
	echo "fs-run.sh: unknown mode $mode"
	exit 2
	;;
esac
