#!/usr/bin/env bash
# 30-loader-vm: kdump-load arms a real capture kernel under QEMU (Debian 6.1, TCG): one
# crashkernel=256M range on 1 GiB, low+high ranges on 6 GiB, none reserved. In the guest: status, plan,
# load (subcommand and kexec spellings), kexec_crash_loaded = 1, unload -> 0, the same with
# -c (kexec_load), non-root refusals, load again,
# then echo c > /proc/sysrq-trigger; the capture kernel's /init reports /proc/vmcore.
# Env: BUILD (build folder), KDUMPKIT_NO_VM=1 (skip), KD_LOADER_VM_CASES ("1g 6g none 1g-c lockdown small"
# by default; 1g-c crashes through a kexec_load (-c) load instead of kexec_file_load; lockdown
# boots with lockdown=integrity and small with crashkernel=48M: loads must fail with the right
# exit code and message, also with --skip-checks, which lets the kernel answer),
# KD_LOADER_VM_SAVE=DIR (keep each guest's serial log and /proc/iomem in DIR/CASE-*).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/kdump-load
cases=${KD_LOADER_VM_CASES:-1g 6g none 1g-c lockdown small}

case $BUILD in *asan*)
	# the ASan pass covers this code in unit tests and 30-loader-cli; guests run the plain build
	for c in $cases; do echo "skip - loader-vm-$c: VM tests run in the plain pass"; done
	exit 0 ;;
esac
if [ "${KDUMPKIT_NO_VM:-0}" = 1 ]; then
	for c in $cases; do echo "skip - loader-vm-$c: KDUMPKIT_NO_VM=1"; done
	exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	for c in $cases; do echo "skip - loader-vm-$c: qemu-system-x86_64 not installed"; done
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "not ok - loader-vm: $bin not built"
	exit 1
fi
# shellcheck source=../vm/lib.sh
. tests/vm/lib.sh || { echo "not ok - loader-vm: cannot source tests/vm/lib.sh"; exit 1; }

work=$(mktemp -d /tmp/kd-loader-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT

kernel=$(kd_fetch_kernel) || { echo "not ok - loader-vm: cannot fetch the kernel"; exit 1; }
vmlinuz=$(sed -n 1p <<<"$kernel")

# capture kernel initramfs: report /proc/vmcore, power off
cap=$work/capture
kd_initramfs_init "$cap" && kd_initramfs_add_guestlib "$cap" || exit 1
cat >"$cap/init" <<'GUEST'
#!/bin/sh
. /lib/kd-guest.sh
kd_guest_setup
if [ -e /proc/vmcore ]; then
	kd_msg "VMCORE present size=$(stat -c %s /proc/vmcore) magic=$(head -c 4 /proc/vmcore | od -An -c | tr -d ' ')"
else
	kd_msg "VMCORE missing"
fi
kd_guest_off
GUEST
chmod +x "$cap/init"
kd_build_initramfs "$cap" "$work/capture.gz" || exit 1

# first kernel initramfs: kdump-load and the capture kernel in /boot
first=$work/first
kd_initramfs_init "$first" && kd_initramfs_add_guestlib "$first" &&
	kd_initramfs_add_bin "$first" "$bin" bin/kdump-load || exit 1
mkdir -p "$first/boot"
cp "$vmlinuz" "$first/boot/vmlinuz" && cp "$work/capture.gz" "$first/boot/capture.gz" || exit 1
cat >"$first/init" <<'GUEST'
#!/bin/sh
. /lib/kd-guest.sh
kd_guest_setup
export ASAN_OPTIONS=detect_leaks=1
app="console=ttyS0 panic=1"
echo "KD: IOMEM-BEGIN"; cat /proc/iomem; echo "KD: IOMEM-END"
kd_msg "crash_size=$(cat /sys/kernel/kexec_crash_size)"
kdump-load status; kd_msg "status-rc=$?"
kdump-load status --json >/dev/null; kd_msg "status-json-rc=$?"
kdump-load plan /boot/vmlinuz --initrd=/boot/capture.gz --append="$app"; kd_msg "plan-rc=$?"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >/etc/passwd
echo 'nobody:x:65534:' >/etc/group
su -s /bin/sh nobody -c 'kdump-load status; echo "KD: nonroot-status-rc=$?"'
su -s /bin/sh nobody -c 'kdump-load load /boot/vmlinuz; echo "KD: nonroot-load-rc=$?"'
if grep -q "kd.mode=errors" /proc/cmdline; then
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	kd_msg "lockdown: $(cat /sys/kernel/security/lockdown 2>/dev/null)"
	kdump-load load /boot/vmlinuz --initrd=/boot/capture.gz --append="$app"; kd_msg "err-load-rc=$?"
	kdump-load load --skip-checks /boot/vmlinuz --initrd=/boot/capture.gz --append="$app"
	kd_msg "err-skip-rc=$?"
	kdump-load load -c --skip-checks /boot/vmlinuz --initrd=/boot/capture.gz --append="$app"
	kd_msg "err-load-c-rc=$?"
	kd_msg "err-loaded=$(cat /sys/kernel/kexec_crash_loaded)"
	kd_guest_off
fi
kdump-load load /boot/vmlinuz --initrd=/boot/capture.gz --append="$app"; kd_msg "load-rc=$?"
kd_msg "loaded-after-load=$(cat /sys/kernel/kexec_crash_loaded)"
kdump-load status >/dev/null; kd_msg "status-loaded-rc=$?"
kdump-load unload; kd_msg "unload-rc=$?"
kd_msg "loaded-after-unload=$(cat /sys/kernel/kexec_crash_loaded)"
kdump-load load -c /boot/vmlinuz --initrd=/boot/capture.gz --append="$app"; kd_msg "load-c-rc=$?"
kd_msg "loaded-after-load-c=$(cat /sys/kernel/kexec_crash_loaded)"
kdump-load -u -c; kd_msg "unload-c-rc=$?"
kd_msg "loaded-after-unload-c=$(cat /sys/kernel/kexec_crash_loaded)"
syscall=-s
grep -q "kd.reload=c" /proc/cmdline && syscall=-c
kdump-load -p $syscall /boot/vmlinuz --initrd=/boot/capture.gz --append="$app"; kd_msg "reload-rc=$?"
kd_msg "loaded-after-reload=$(cat /sys/kernel/kexec_crash_loaded)"
kd_msg "crashing"
sleep 0.5
echo c >/proc/sysrq-trigger
kd_guest_fail "still alive after sysrq-trigger"
GUEST
chmod +x "$first/init"
kd_build_initramfs "$first" "$work/first.gz" || exit 1

check() { # NAME PATTERN LOG
	if grep -aq -- "$2" "$3"; then
		echo "ok - $1"
	else
		echo "not ok - $1 (no '$2' in the serial log)"
		failed=1
	fi
}

failed=0
for c in $cases; do
	case $c in
	1g) mem=1G ck="crashkernel=256M" ranges=1 ;;
	6g) mem=6G ck="crashkernel=256M,high crashkernel=128M,low" ranges=2 ;;
	none) mem=1G ck="" ranges=0 ;;
	1g-c) mem=1G ck="crashkernel=256M kd.reload=c" ranges=1 ;;
	lockdown) mem=1G ck="crashkernel=256M lockdown=integrity kd.mode=errors" ranges=1 ;;
	small) mem=1G ck="crashkernel=48M kd.mode=errors" ranges=1 ;;
	*) echo "not ok - loader-vm-$c: unknown case"; failed=1; continue ;;
	esac
	log=$work/serial-$c.log
	kd_qemu_boot "loader-vm-$c" "$log" "$mem" "$vmlinuz" "$work/first.gz" "$ck"
	grep -a '^KD: ' "$log" | sed 's/^/# /'
	if [ -n "${KD_LOADER_VM_SAVE:-}" ]; then
		mkdir -p "$KD_LOADER_VM_SAVE"
		cp "$log" "$KD_LOADER_VM_SAVE/$c-serial.log"
		sed -n '/KD: IOMEM-BEGIN/,/^KD: IOMEM-END/p' "$log" | sed '1d;$d' >"$KD_LOADER_VM_SAVE/$c-iomem.txt"
	fi
	if grep -aqE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log"; then
		echo "not ok - loader-vm-$c: sanitizer report in the guest"
		failed=1
	else
		echo "ok - loader-vm-$c: no sanitizer report in the guest"
	fi
	check "loader-vm-$c: $ranges Crash kernel range(s) in iomem" "^crash memory: *$ranges range" "$log"
	check "loader-vm-$c: non-root status shows addresses hidden" "run as root" "$log"
	check "loader-vm-$c: non-root load exits 6" "^KD: nonroot-load-rc=6" "$log"
	if [ "$c" = lockdown ]; then
		check "loader-vm-$c: guest is locked down" "^KD: lockdown: .*\[integrity\]" "$log"
		check "loader-vm-$c: load refused, exit 6" "^KD: err-load-rc=6" "$log"
		check "loader-vm-$c: says the signature was rejected under lockdown" \
			"signature rejected: the kernel is locked down (integrity)" "$log"
		check "loader-vm-$c: load -c refused, exit 6" "^KD: err-load-c-rc=6" "$log"
		check "loader-vm-$c: says lockdown refuses kexec_load" "locked down (integrity), which refuses kexec_load" "$log"
		check "loader-vm-$c: nothing loaded" "^KD: err-loaded=0" "$log"
		continue
	fi
	if [ "$c" = small ]; then
		check "loader-vm-$c: plan says too small, exit 4" "^KD: plan-rc=4" "$log"
		check "loader-vm-$c: load refused before the call, exit 4" "^KD: err-load-rc=4" "$log"
		check "loader-vm-$c: --skip-checks: the kernel says no room, exit 4" "^KD: err-skip-rc=4" "$log"
		check "loader-vm-$c: the kernel's answer is explained" "kexec_file_load: no room in crash kernel memory" "$log"
		check "loader-vm-$c: load -c --skip-checks: no room, exit 4" "^KD: err-load-c-rc=4" "$log"
		check "loader-vm-$c: nothing loaded" "^KD: err-loaded=0" "$log"
		continue
	fi
	if [ "$c" = none ]; then
		check "loader-vm-$c: plan exits 4 (no crash memory)" "^KD: plan-rc=4" "$log"
		check "loader-vm-$c: load exits 4 (no crash memory)" "^KD: load-rc=4" "$log"
		check "loader-vm-$c: load explains crashkernel=" "no memory is reserved for a crash kernel" "$log"
		check "loader-vm-$c: kexec_crash_loaded stays 0" "^KD: loaded-after-load=0" "$log"
		check "loader-vm-$c: status exits 3 (not loaded)" "^KD: status-rc=3" "$log"
		continue
	fi
	check "loader-vm-$c: plan says ready" "^KD: plan-rc=0" "$log"
	check "loader-vm-$c: load exits 0" "^KD: load-rc=0" "$log"
	check "loader-vm-$c: kexec_crash_loaded is 1 after load" "^KD: loaded-after-load=1" "$log"
	check "loader-vm-$c: status exits 0 when loaded" "^KD: status-loaded-rc=0" "$log"
	check "loader-vm-$c: unload exits 0" "^KD: unload-rc=0" "$log"
	check "loader-vm-$c: kexec_crash_loaded is 0 after unload" "^KD: loaded-after-unload=0" "$log"
	check "loader-vm-$c: load -c (kexec_load) exits 0" "^KD: load-c-rc=0" "$log"
	check "loader-vm-$c: kexec_crash_loaded is 1 after load -c" "^KD: loaded-after-load-c=1" "$log"
	check "loader-vm-$c: unload -c exits 0, kexec_crash_loaded 0" "^KD: loaded-after-unload-c=0" "$log"
	reload=-s
	[ "$c" = 1g-c ] && reload=-c
	check "loader-vm-$c: kexec spelling -p $reload loads" "^KD: loaded-after-reload=1" "$log"
	check "loader-vm-$c: capture kernel ($reload load) sees /proc/vmcore" "^KD: VMCORE present size=[1-9][0-9]* magic=177ELF" "$log"
done
exit "$failed"
