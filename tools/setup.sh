#!/bin/sh
# setup.sh: install the Debian 12 packages the build and tests need, if any
# is missing. Run as root on a fresh machine; does nothing when all are in.
set -eu
pkgs="qemu-system-misc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf opensbi
      cmake ninja-build device-tree-compiler e2fsprogs cpio gcc libc6-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q $missing
