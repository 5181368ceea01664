#!/bin/sh
# trace-run.sh MODE KERNEL BOOTIMG TRACESVG [DISK]: the tracing pager and
# its picture (docs/tracing.md).
#   count  boot `trace test_taskpager touch 64` as init (-icount): the
#          child writes 64 fresh pages; the trace must show exactly 64
#          faults there, all zero-fills, and as many fault lines as the
#          tracer counted; then tracesvg draws it, and the SVG must be
#          well-formed and carry the same counts
#   disk   tools/trace.sh on the product (boot image BOOTIMG, a copy of
#          the ext2 image DISK) with /bin/hello: the documented command
#          works for a program from the disk
#   fill   boot `test_taskpager fill` with a copy of DISK: a per-task
#          child's faults on a file's pages not cached wait for their read
#          (PFWD_FILL) and are answered when it is done
set -u
mode=$1; kernel=$2; bootimg=$3; tracesvg=$4; disk=${5:-}
here=$(dirname "$0")
name=trace.$mode; log=$name.log; svg=$name.svg
fail() { echo "FAILED: $name: $*"; [ -f "$log" ] && tr -d '\r' < "$log" | tail -40; exit 1; }

# hex -> decimal in awk (user addresses fit a double exactly)
HEX='function hex(s,  v, i, c) { v = 0; sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
	return v }'

case $mode in
count)
	timeout -k 5 60 sh "$here/../tools/qemu.sh" -i -a "init=trace test_taskpager touch 64" \
		"$kernel" "$bootimg" < /dev/null > "$log" 2>&1 || fail "QEMU failed or timed out"
	;;
disk)
	[ -n "$disk" ] || fail "no disk image"
	sh "$here/../tools/trace.sh" -k "$kernel" -b "$bootimg" -d "$disk" -t "$tracesvg" \
		-o "$svg" -l "$log" /bin/hello traced > "$name.out" 2>&1 || { cat "$name.out"; fail "trace.sh failed"; }
	grep -aq '^hello from the disk: /bin/hello traced' "$log" || fail "hello did not run"
	grep -aq '^trace: end [0-9]* status 1792 ' "$log" || fail "no end line with hello's status 7"
	;;
fill)
	cp "$disk" "$name.img" || fail "no disk image"
	exec sh "$here/run-test.sh" pager.taskpager_fill 60 "PASS: taskpager_fill" -a "init=test_taskpager fill" \
		-x "-drive if=none,id=hd0,format=raw,file=$name.img -device virtio-blk-device,drive=hd0" \
		"$kernel" "$bootimg" ;;
*)
	echo "trace-run.sh: unknown mode $mode"; exit 2 ;;
esac
grep -aqE "KERNEL PANIC|kernel trap|the pager died|^FAIL" "$log" && fail "a failure on the console"
faults=$(tr -d '\r' < "$log" | awk '/^trace: end / { print $7 }')
lines=$(tr -d '\r' < "$log" | grep -c '^T ')
[ -n "$faults" ] || fail "no \"trace: end\" line"
[ "$faults" -gt 0 ] && [ "$faults" -eq "$lines" ] || fail "the tracer counted $faults faults, logged $lines"
if [ "$mode" = count ]; then
	tr -d '\r' < "$log" | grep -aq '^trace: end [0-9]* status 0 ' || fail "the child did not exit 0"
	got=$(tr -d '\r' < "$log" | awk "$HEX"'
		/^touch: 64 pages at / { split($5, r, "-"); lo = hex(r[1]); hi = hex(r[2]) }
		/^T / { a[++n] = hex($3); how[n] = $6 }
		END { for (i = 1; i <= n; i++) if (a[i] >= lo && a[i] < hi) { c++; if (how[i] == "zero") z++ }
		      print c + 0, z + 0, (lo < hi) }')
	[ "$got" = "64 64 1" ] || fail "faults in the touched range / zero-fills / range seen: $got, not 64 64 1"
	"$tracesvg" -o "$svg" "$log" 2> "$name.tool" || { cat "$name.tool"; fail "tracesvg failed"; }
fi
awk -f "$here/svg-check.awk" "$svg" || fail "$svg is not well-formed"
grep -q "data-total=\"$faults\"" "$svg" || fail "$svg does not say $faults faults in all"
if [ "$mode" = count ]; then
	grep -q 'data-kind="anon" data-start="0x[0-9a-f]*" data-end="0x[0-9a-f]*" data-faults="64"' "$svg" ||
		fail "$svg has no anon region with its 64 faults"
fi
echo "passed: $name: $faults faults, $svg well-formed with the same counts"
