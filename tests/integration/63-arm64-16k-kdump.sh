#!/usr/bin/env bash
# 63-arm64-16k-kdump: kdump end to end on arm64 with 16 KiB pages and 52-bit VA, under
# qemu-system-aarch64 (TCG): bookworm-backports' 6.12 arm64-16k kernel, crashkernel=256M. The
# arm64 kdump-load arms the capture kernel (kexec_load: Debian's arm64 kernels, this one too,
# are built without CONFIG_KEXEC_FILE, which kdump-load -s reports), sysrq crash; in the capture
# kernel the arm64 vmcore-save writes -l -d 31 from /proc/vmcore and /proc/vmcore is copied raw.
# The host checks: every page of that dump equals the raw vmcore's (libkdumpfile), the
# first kernel's pattern pages are absent, the free pages are the first kernel's MemFree, and
# the host's vmcore-save on the raw copy writes the same bytes.
# Env: BUILD, KDUMPKIT_NO_VM=1 (skip), KD_ARM64_BUILD (use this arm64 build, do not run make).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
N="arm64 16k kdump"
skip() { echo "skip - $N: $*"; exit 0; }
case $BUILD in *asan*) skip "VM tests run in the plain pass" ;; esac
[ "${KDUMPKIT_NO_VM:-0}" = 1 ] && skip "KDUMPKIT_NO_VM=1"
command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 not installed"
command -v aarch64-linux-gnu-gcc >/dev/null || skip "aarch64-linux-gnu-gcc not installed"
[ -x build/tools/kdcompare ] || skip "build/tools/kdcompare missing (make tools)"
# shellcheck source=../lib/testlib.sh
. tests/lib/testlib.sh
kd_tmpdir
T=$KD_TMP
a64=${KD_ARM64_BUILD:-}
if [ -z "$a64" ]; then
	[ -e /usr/lib/aarch64-linux-gnu/libz.so ] || skip "the arm64 -dev libraries are not installed"
	a64=build-arm64
	tests/vm/arm64-make build-arm64/vmcore-save build-arm64/kdump-load >"$T/make.log" 2>&1 ||
		{ tail -5 "$T/make.log"; echo "not ok - $N: arm64 cross build"; exit 1; }
fi
# shellcheck source=../vm/lib.sh
. tests/vm/lib.sh || exit 1
# shellcheck source=../vm/lib-arm64.sh
. tests/vm/lib-arm64.sh || exit 1
kd_lock arm64-apt
kd_arm64_kernel linux-image-6.12-arm64-16k || { echo "not ok - $N: cannot fetch the 16k kernel"; exit 1; }
sysroot=$(kd_arm64_sysroot) || { echo "not ok - $N: cannot fetch the arm64 libraries"; exit 1; }
kd_unlock arm64-apt
aarch64-linux-gnu-gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$T/fill" tests/vm/fill.c || exit 1

# initramfs DIR: busybox, virtio and ext4 modules, fill, kdump-load, vmcore-save
initramfs() {
	kd_arm64_initramfs_init "$1" && kd_initramfs_add_guestlib "$1" &&
		kd_initramfs_add_virtio "$1" "$KD_A64_MODDIR" &&
		kd_arm64_add_ext4_modules "$1" "$KD_A64_MODDIR" && cp "$T/fill" "$1/bin/fill" &&
		kd_arm64_initramfs_add_bin "$1" "$a64/vmcore-save" bin/vmcore-save "$sysroot" / /usr/aarch64-linux-gnu &&
		kd_arm64_initramfs_add_bin "$1" "$a64/kdump-load" sbin/kdump-load "$sysroot" / /usr/aarch64-linux-gnu
}
cap=$T/capture
initramfs "$cap" || { echo "not ok - $N: capture initramfs"; exit 1; }
cat >"$cap/init" <<'GUEST'
#!/bin/sh
. /lib/kd-guest.sh
kd_guest_setup
kd_msg "capture kernel up: $(uname -r)"
[ -e /proc/vmcore ] || kd_guest_fail "no /proc/vmcore"
kd_guest_mount out /out || kd_guest_fail "no out disk"
vmcore-save -l -d 31 --show-stats /proc/vmcore /out/ours31 >/out/ours31.log 2>&1
kd_msg "vmcore-save rc=$?"
fill copy /proc/vmcore /out/vmcore >/out/raw.log 2>&1
kd_msg "raw copy rc=$?"
umount /out
kd_guest_off
GUEST
chmod +x "$cap/init"
kd_build_initramfs "$cap" "$T/capture.gz" || exit 1
rm -rf "$cap"

first=$T/first
initramfs "$first" && mkdir -p "$first/boot" && cp "$KD_A64_VMLINUZ" "$first/boot/Image" &&
	cp "$T/capture.gz" "$first/boot/capture.gz" || { echo "not ok - $N: first initramfs"; exit 1; }
cat >"$first/init" <<'GUEST'
#!/bin/sh
. /lib/kd-guest.sh
kd_guest_setup
kd_msg "first kernel up: $(uname -r)"
kd_guest_mount out /out || kd_guest_fail "no out disk"
cd /tmp || kd_guest_fail "cd /tmp"
fill anon 64 anon /tmp/anon.ready >/out/gt-anon.txt &
while [ ! -e /tmp/anon.ready ]; do sleep 0.2; done
app="console=ttyAMA0 nr_cpus=1 reset_devices panic=1"
kdump-load load -s /boot/Image --initrd=/boot/capture.gz --append="$app" >/out/load-s.txt 2>&1
echo $? >/out/load-s.rc
kdump-load load /boot/Image --initrd=/boot/capture.gz --append="$app" >/out/load.txt 2>&1
echo $? >/out/load.rc
cat /sys/kernel/kexec_crash_loaded >/out/loaded.txt
grep MemFree /proc/meminfo >/out/meminfo.txt
kd_msg "load rc=$(cat /out/load.rc) loaded=$(cat /out/loaded.txt)"
umount /out
sync
echo c >/proc/sysrq-trigger
kd_guest_fail "still alive after sysrq-trigger"
GUEST
chmod +x "$first/init"
kd_build_initramfs "$first" "$T/first.gz" || exit 1
rm -rf "$first"
kd_disk_create "$T/out.img" 4G out || exit 1

start=$SECONDS
timeout -k 10 1200 qemu-system-aarch64 -machine virt -accel tcg -cpu max,pauth-impdef=on \
	-m 2G -smp 2 -nographic -no-reboot -net none -kernel "$KD_A64_VMLINUZ" -initrd "$T/first.gz" \
	-append "console=ttyAMA0 panic=1 crashkernel=256M" \
	-drive "file=$T/out.img,format=raw,if=none,id=out,cache=unsafe" \
	-device virtio-blk-pci,drive=out </dev/null >"$T/serial.log" 2>&1
echo "# $N: qemu status $? after $((SECONDS - start))s; $(grep -a 'KD: ' "$T/serial.log" | tr -d '\r' | tr '\n' ';')"

get() { kd_disk_get "$T/out.img" "/$1" "$T/$1" 2>/dev/null; }
for f in load-s.txt load-s.rc load.rc loaded.txt meminfo.txt gt-anon.txt ours31 ours31.log vmcore; do get "$f"; done
[ "$(cat "$T/load-s.rc" 2>/dev/null)" != 0 ] && grep -q 'no kexec_file_load' "$T/load-s.txt"
kd_result $? "$N: kdump-load -s: the kernel has no kexec_file_load, said so ($(head -c 120 "$T/load-s.txt" 2>/dev/null))"
[ "$(cat "$T/load.rc" 2>/dev/null)" = 0 ] && [ "$(cat "$T/loaded.txt" 2>/dev/null)" = 1 ]
kd_result $? "$N: kdump-load load (kexec_load) arms the capture kernel"
grep -aq 'KD: vmcore-save rc=0' "$T/serial.log" && [ -s "$T/ours31" ] && [ -s "$T/vmcore" ]
kd_result $? "$N: the capture kernel boots; vmcore-save -d 31 on /proc/vmcore exits 0"
build/tools/kdcompare "$T/vmcore" "$T/ours31" >"$T/cmp" 2>&1
kd_result $? "$N: every page of the dump equals /proc/vmcore's ($(tail -1 "$T/cmp" | cut -c1-110))"
awk '$1 == "anon" { print $3 }' "$T/gt-anon.txt" >"$T/anon.pfns"
build/tools/kdcompare --expect-absent "$T/anon.pfns" "$T/vmcore" "$T/ours31" >"$T/cmp" 2>&1 &&
	[ -s "$T/anon.pfns" ]
kd_result $? "$N: -d 31 drops all $(wc -l <"$T/anon.pfns") anonymous pattern pages (16 KiB pfns)"
memfree=$(awk '{ print $2 }' "$T/meminfo.txt" 2>/dev/null)
free=$(sed -n 's/^ *Free pages *: 0x\([0-9a-f]*\)$/\1/p' "$T/ours31.log")
[ -n "$memfree" ] && [ -n "$free" ] &&
	awk -v a=$((16#$free * 16)) -v b="$memfree" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 100 <= b) }'
kd_result $? "$N: free pages $((16#${free:-0})) x 16 KiB, the first kernel's MemFree ${memfree:-?} kB (within 1 %)"
"$VMCORE_SAVE" -l -d 31 "$T/vmcore" "$T/host31" >/dev/null 2>&1 && cmp -s "$T/host31" "$T/ours31"
kd_result $? "$N: the host's vmcore-save on the raw copy writes the same bytes as the capture kernel's"
