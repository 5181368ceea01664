#!/bin/sh
# console-run.sh MODE PRISTINE KERNEL BOOTIMG [NAME]
# The console driver (servers/console) through QEMU's stdin, which is the
# UART the driver reads, typed into as a user would:
#   shell   boot the default init with a fresh copy of the ext2 image
#           PRISTINE as the disk, wait for the shell's prompt, type a line,
#           wait for the next prompt, and compare what the command
#           printed; end with `exit` (QEMU must power off by itself) and
#           e2fsck -fn on the image
#   attack  boot init=test_console (no disk; PRISTINE is unused), which
#           attacks the driver from unprivileged clients, then, when it
#           says so, a flood of input that nobody reads at first; its
#           PASS line decides
set -u
mode=$1; pristine=$2; kernel=$3; bootimg=$4; name=${5:-console.$mode}
here=$(dirname "$0")
img=$name.img; log=$name.log; fifo=$name.in
prompt='sh\$ '
fails=0
rm -f "$fifo" "$log" && mkfifo "$fifo" || exit 1
case $mode in
shell)
	cp "$pristine" "$img" || exit 1
	set -- -x "-drive if=none,id=hd0,format=raw,file=$img -device virtio-blk-device,drive=hd0"
	;;
attack)
	set -- -a "init=test_console"
	;;
*)
	echo "console-run.sh: unknown mode $mode"
	exit 2
	;;
esac
timeout -k 5 60 sh "$here/../tools/qemu.sh" "$@" "$kernel" "$bootimg" < "$fifo" > "$log" 2>&1 &
qemu=$!
exec 3> "$fifo"		# QEMU's stdin stays open while we type

fail() {
	echo "FAILED: $name: $*"
	fails=$((fails + 1))
}

finish() {
	exec 3>&-
	wait $qemu 2>/dev/null
	rm -f "$fifo"
	if grep -aqE 'KERNEL PANIC|kernel trap|the pager died|^FAIL' "$log"; then
		fail "a panic, trap or FAIL line on the console"
	fi
	if [ $fails -ne 0 ]; then
		echo "---- $log"
		tr -d '\r' < "$log"
		exit 1
	fi
	echo "passed: $name"
	exit 0
}

prompts() { grep -ao "$prompt" "$log" | wc -l; }

# wait_prompt N: until the console shows N prompts (20 s at most).
wait_prompt() {
	i=0
	while [ "$(prompts)" -lt "$1" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 $qemu 2>/dev/null; then
			fail "no prompt number $1"
			finish
		fi
		sleep 0.1
	done
}

# type_line TEXT: type TEXT and Enter at the current prompt; $out is what
# the console showed until the next prompt, without the echoed line.
n=1
type_line() {
	start=$(wc -c < "$log")
	printf '%s\r' "$1" >&3
	n=$((n + 1))
	wait_prompt $n
	out=$(tail -c +$((start + 1)) "$log" | tr -d '\r' | sed '1d;$d')
}

# expect TEXT WANT: type TEXT; its output must be exactly WANT.
expect() {
	type_line "$1"
	[ "$out" = "$2" ] || fail "\"$1\" printed \"$out\", not \"$2\""
}

# expect_has TEXT REGEX: type TEXT; a line of its output must match REGEX.
expect_has() {
	type_line "$1"
	printf '%s\n' "$out" | grep -qE -- "$2" || fail "\"$1\" printed \"$out\": no line matching \"$2\""
}

# wait_end: until QEMU has ended (20 s at most).
wait_end() {
	i=0
	while kill -0 $qemu 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && { fail "QEMU still runs after 20 s"; kill $qemu; break; }
		sleep 0.1
	done
}

if [ $mode = attack ]; then
	i=0
	until grep -aq 'console-test: send input' "$log"; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 $qemu 2>/dev/null; then
			fail "test_console never asked for input"
			finish
		fi
		sleep 0.1
	done
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "%c", 97 + i % 26; printf "tail line\n" }' >&3
	wait_end
	grep -aq '^PASS: console attack' "$log" || fail "no PASS: console attack"
	finish
fi

wait_prompt 1
grep -aq '^\$ hello from-the-shell' "$log" || fail "the demo did not run before the prompt"

expect 'echo hi > /f' ''
expect 'cat /f' 'hi'
expect 'echo two >> /f' ''
expect '/bin/cat /f' "$(printf 'hi\ntwo')"
expect 'mkdir /d' ''
expect '/bin/mkdir /d/e' ''
expect_has 'ls /' '^d/$'
expect_has 'ls /' '^f$'
expect_has '/bin/ls /d' '^ +[0-9]+ e/$'
expect 'cp /f /d/g' ''
expect '/bin/cp /d/g /d/h' ''
expect_has 'stat /d/g' '^/d/g: inode [0-9]+, mode 100644, 1 links, 7 bytes'
expect_has '/bin/stat /d/h' 'Size: 7  Type: regular file  Mode: 0644  Links: 1'
expect_has '/bin/stat /d/e' 'Type: directory'
expect '/bin/cat /d/h' "$(printf 'hi\ntwo')"
expect 'rm /d/g' ''
expect '/bin/rm /d/h' ''
expect '/bin/ls /d' "$(printf '    1024 ./\n    1024 ../\n    1024 e/')"
expect 'cat /d/g' 'sh: cat /d/g: No such file or directory'
expect 'hello one two' 'hello from the disk: /bin/hello one two'
expect '/bin/hello x' 'hello from the disk: /bin/hello x'
expect '/bin/echo a  b c' 'a b c'
# An unknown command is an error; the shell goes on.
expect 'nosuch arg' 'sh: /bin/nosuch: No such file or directory'
expect '/no/such/path' 'sh: /no/such/path: No such file or directory'
expect 'echo still here' 'still here'
# Line editing: Backspace (DEL and ^H) erases, Ctrl-U kills the line, an
# arrow key's escape sequence is ignored, Ctrl-C drops the line.
expect "$(printf 'echo abX\177c')" 'abc'
expect "$(printf 'echo xy\010\010ok')" 'ok'
expect "$(printf 'rm /f\025echo clean')" 'clean'
expect "$(printf 'echo \033[Aup')" 'up'
printf 'rm /f\003' >&3		# Ctrl-C drops the line (no Enter): /f stays
n=$((n + 1))
wait_prompt $n
expect 'cat /f' "$(printf 'hi\ntwo')"
expect 'echo a > /d/e' 'sh: echo > /d/e: Is a directory'
expect 'hello > /f' 'sh: hello: redirection works with echo only'
# A flood: a command, then 64 KiB typed while it runs (the driver's ring
# fills and its receive interrupt pauses), one line far over the limit:
# refused whole; the next line works.
start=$(wc -c < "$log")
awk 'BEGIN { printf "hello flood\r"; for (i = 0; i < 65536; i++) printf "y"; printf "\recho after flood\r" }' >&3
n=$((n + 3))
wait_prompt $n
out=$(tail -c +$((start + 1)) "$log" | tr -d '\r')
for want in 'hello from the disk: /bin/hello flood' 'sh: line too long' '^after flood$'; do
	printf '%s\n' "$out" | grep -qE -- "$want" || fail "after the flood: no \"$want\""
done
expect 'cat /f' "$(printf 'hi\ntwo')"
expect "$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "z"; printf "\025echo recovered" }')" 'recovered'

# exit ends the shell; init ends and the machine powers off.
printf 'exit\r' >&3
wait_end
grep -aq 'init exited with status 0' "$log" || fail "init did not end cleanly after exit"
out=$(e2fsck -fn "$img" 2>&1)
rc=$?
if [ $rc -ne 0 ] || echo "$out" | grep -q '? no'; then
	fail "e2fsck -fn $img is not clean (exit $rc): $out"
else
	echo "console-run: e2fsck -fn $img clean"
fi
finish
