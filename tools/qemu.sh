#!/bin/sh
# qemu.sh [-m MEM] [-i] [-a BOOTARGS] [-x QEMU-ARG]... KERNEL BOOTIMG
# Boot the system on QEMU virt with Debian's OpenSBI. -i counts
# instructions deterministically (-icount shift=0, for benchmarks); -x passes
# an extra argument to QEMU (e.g. -x -s -x -S to wait for gdb).
set -eu
mem=128M; args=""; extra=""
while getopts "m:ia:x:" o; do
	case $o in
	m) mem=$OPTARG ;;
	i) extra="$extra -icount shift=0" ;;
	a) args=$OPTARG ;;
	x) extra="$extra $OPTARG" ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
exec qemu-system-riscv64 -machine virt -cpu rv64 -smp 1 -m "$mem" -nographic \
	-bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin \
	-kernel "$1" -initrd "$2" -append "$args" $extra
