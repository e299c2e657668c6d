#!/usr/bin/env bash
# 31-kexec-load-vm: the kexec_load path under QEMU (Debian 6.1, TCG). The driver
# $BUILD/tests/test-kexec-load --load (our bzImage parser, boot_params, e820, ELF core
# header and purgatory) loads the capture kernel with kexec_load, the guest panics, and
# the capture kernel's /init must see /proc/vmcore. Cases: 1g (crashkernel=256M on 1 GiB),
# 6g (crashkernel=256M,high crashkernel=128M,low on 6 GiB), corrupt (1 GiB, a wrong
# digest: purgatory must print its mismatch message and never start the kernel).
# In the 1g and 6g cases the capture kernel also saves the dump at -d 31 onto a virtio disk,
# with $BUILD/vmcore-save when it is built, else Debian's makedumpfile, and the host opens it
# with crash (tests/vm/crash-check: sys, bt with sysrq_handle_crash, log).
# Env: BUILD, KDUMPKIT_NO_VM=1 (skip), KD_KEXEC_VM_CASES ("1g corrupt 6g" by default),
# KD_KEXEC_VM_SAVE=DIR (keep the serial logs), KD_KEXEC_VM_NO_DUMP=1 (skip the save + crash).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
drv=$BUILD/tests/test-kexec-load
cases=${KD_KEXEC_VM_CASES:-1g corrupt 6g}

case $BUILD in *asan*)
	# the guests run the plain build's programs; the ASan pass covers the same code in unit tests
	for c in $cases; do echo "skip - kexec-load-vm-$c: VM tests run in the plain pass"; done
	exit 0 ;;
esac
if [ "${KDUMPKIT_NO_VM:-0}" = 1 ]; then
	for c in $cases; do echo "skip - kexec-load-vm-$c: KDUMPKIT_NO_VM=1"; done
	exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	for c in $cases; do echo "skip - kexec-load-vm-$c: qemu-system-x86_64 not installed"; done
	exit 0
fi
if [ ! -x "$drv" ]; then
	echo "not ok - kexec-load-vm: $drv not built (make unit)"
	exit 1
fi
# shellcheck source=../vm/lib.sh
. tests/vm/lib.sh || { echo "not ok - kexec-load-vm: cannot source tests/vm/lib.sh"; exit 1; }

work=$(mktemp -d /tmp/kd-kexec-load-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT

kernel=$(kd_fetch_kernel) || { echo "not ok - kexec-load-vm: cannot fetch the kernel"; exit 1; }
vmlinuz=$(sed -n 1p <<<"$kernel")

moddir=$(sed -n 2p <<<"$kernel")
savers=()
if [ "${KD_KEXEC_VM_NO_DUMP:-0}" != 1 ] && vmlinux=$(kd_fetch_dbg); then
	[ -x "$BUILD/vmcore-save" ] && savers+=("$BUILD/vmcore-save")
	command -v makedumpfile >/dev/null && savers+=("$(command -v makedumpfile)")
fi

# capture kernel: report /proc/vmcore, save it at -d 31 on the disk labelled "out", power off
cap=$work/capture
kd_initramfs_init "$cap" && kd_initramfs_add_guestlib "$cap" || exit 1
if [ ${#savers[@]} -gt 0 ]; then
	kd_initramfs_add_virtio "$cap" "$moddir" || exit 1
	for s in "${savers[@]}"; do
		kd_initramfs_add_bin "$cap" "$s" "bin/$(basename "$s")" || exit 1
	done
fi
cat >"$cap/init" <<'GUEST'
#!/bin/sh
. /lib/kd-guest.sh
kd_guest_setup
export ASAN_OPTIONS=detect_leaks=0
kd_msg "capture kernel up: $(cat /proc/cmdline)"
if [ -e /proc/vmcore ]; then
	kd_msg "VMCORE present size=$(stat -c %s /proc/vmcore) magic=$(head -c 4 /proc/vmcore | od -An -c | tr -d ' ')"
else
	kd_msg "VMCORE missing"
fi
if [ -e /proc/vmcore ] && kd_guest_mount out /out; then
	rc=1
	if [ -x /bin/vmcore-save ]; then
		vmcore-save -d 31 /proc/vmcore /out/dump
		rc=$?
		kd_msg "SAVE vmcore-save rc=$rc"
	fi
	# the reference tool when vmcore-save cannot (yet): the dump still proves the vmcore
	if [ $rc -ne 0 ] && [ -x /bin/makedumpfile ]; then
		rm -f /out/dump
		makedumpfile -l -d 31 /proc/vmcore /out/dump
		kd_msg "SAVE makedumpfile rc=$?"
	fi
	umount /out
fi
kd_guest_off
GUEST
chmod +x "$cap/init"
kd_build_initramfs "$cap" "$work/capture.gz" || exit 1

# first kernel: the driver, the capture kernel and its initramfs
first=$work/first
kd_initramfs_init "$first" && kd_initramfs_add_guestlib "$first" &&
	kd_initramfs_add_bin "$first" "$drv" bin/test-kexec-load || exit 1
mkdir -p "$first/boot"
cp "$vmlinuz" "$first/boot/vmlinuz" && cp "$work/capture.gz" "$first/boot/capture.gz" || exit 1
cat >"$first/init" <<'GUEST'
#!/bin/sh
. /lib/kd-guest.sh
kd_guest_setup
export ASAN_OPTIONS=detect_leaks=0
extra=
grep -q kdtest=corrupt /proc/cmdline && extra=--corrupt-digest
grep 'Crash kernel' /proc/iomem | sed 's/^/KD: iomem /'
test-kexec-load --load /boot/vmlinuz /boot/capture.gz \
	"console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1" --serial 0x3f8 $extra
kd_msg "load-rc=$?"
kd_msg "loaded=$(cat /sys/kernel/kexec_crash_loaded)"
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

# Run QEMU until PATTERN shows in the log (then stop it) or it exits or TIMEOUT passes.
run_until() { # LOG TIMEOUT PATTERN QEMU-ARGS...
	local log=$1 t=$2 pat=$3 pid i
	shift 3
	kd_qemu_run "$log" "$t" "$@" &
	pid=$!
	for ((i = 0; i < t; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		if grep -aq -- "$pat" "$log" 2>/dev/null; then
			sleep 2
			kill "$pid" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait "$pid" 2>/dev/null
}

failed=0
for c in $cases; do
	app="console=ttyS0 loglevel=1 panic=1"
	case $c in
	1g) mem=1G ck="crashkernel=256M" ;;
	6g) mem=6G ck="crashkernel=256M,high crashkernel=128M,low" ;;
	corrupt) mem=1G ck="crashkernel=256M kdtest=corrupt" ;;
	*) echo "not ok - kexec-load-vm-$c: unknown case"; failed=1; continue ;;
	esac
	log=$work/serial-$c.log
	start=$SECONDS
	if [ "$c" = corrupt ]; then
		# purgatory halts forever: stop QEMU once it has said why
		run_until "$log.raw" 300 "purgatory: actual" -m "$mem" -smp 2 -kernel "$vmlinuz" \
			-initrd "$work/first.gz" -append "$app $ck"
	else
		disk=()
		if [ ${#savers[@]} -gt 0 ]; then
			kd_disk_create "$work/out.img" 4G out || exit 1
			mapfile -t disk < <(kd_qemu_disk_args "$work/out.img")
		fi
		kd_qemu_run "$log.raw" 900 -m "$mem" -smp 2 -kernel "$vmlinuz" \
			-initrd "$work/first.gz" -append "$app $ck" "${disk[@]}"
	fi
	tr -d '\r' <"$log.raw" >"$log"
	echo "# kexec-load-vm-$c: $((SECONDS - start))s"
	grep -aE '^(KD: |# |purgatory: )' "$log" | sed 's/^/# /'
	if [ -n "${KD_KEXEC_VM_SAVE:-}" ]; then
		mkdir -p "$KD_KEXEC_VM_SAVE" && cp "$log" "$KD_KEXEC_VM_SAVE/$c-serial.log"
	fi
	check "kexec-load-vm-$c: kexec_load succeeds" "^KD: load-rc=0" "$log"
	check "kexec-load-vm-$c: kexec_crash_loaded is 1" "^KD: loaded=1" "$log"
	if [ "$c" = corrupt ]; then
		check "kexec-load-vm-$c: purgatory reports the digest mismatch" \
			"purgatory: sha256 digest mismatch" "$log"
		if grep -aq "capture kernel up" "$log"; then
			echo "not ok - kexec-load-vm-$c: the capture kernel booted despite a wrong digest"
			failed=1
		else
			echo "ok - kexec-load-vm-$c: the capture kernel did not start"
		fi
		continue
	fi
	check "kexec-load-vm-$c: capture kernel boots through purgatory" "^KD: capture kernel up" "$log"
	check "kexec-load-vm-$c: elfcorehdr= on its command line" "^KD: capture kernel up:.* elfcorehdr=[0-9]*K" "$log"
	check "kexec-load-vm-$c: capture kernel sees /proc/vmcore" "^KD: VMCORE present size=[1-9][0-9]* magic=177ELF" "$log"
	if [ ${#savers[@]} -eq 0 ]; then
		echo "skip - kexec-load-vm-$c: dump -d 31 opened by crash (no saver or no vmlinux)"
		continue
	fi
	if grep -aq '^KD: SAVE vmcore-save rc=0' "$log"; then
		echo "ok - kexec-load-vm-$c: vmcore-save -d 31 on /proc/vmcore exits 0"
	elif grep -aq 'not built yet' "$log"; then
		echo "skip - kexec-load-vm-$c: vmcore-save -d 31 not implemented yet ($(grep -a '^vmcore-save:' "$log" | head -1))"
	elif [ -x "$BUILD/vmcore-save" ]; then
		echo "not ok - kexec-load-vm-$c: vmcore-save -d 31 on /proc/vmcore exits 0"
		grep -a -B3 '^KD: SAVE vmcore-save' "$log" | sed 's/^/# /'
		failed=1
	fi
	name=$(sed -n 's/^KD: SAVE \([^ ]*\) rc=0$/\1/p' "$log" | tail -1)
	if [ -z "$name" ]; then
		echo "not ok - kexec-load-vm-$c: no dump saved from /proc/vmcore"
		failed=1
		continue
	fi
	if kd_disk_get "$work/out.img" /dump "$work/dump" &&
		tests/vm/crash-check -o "$work/crash-$c.txt" "$vmlinux" "$work/dump" >"$work/cc" 2>&1; then
		echo "ok - kexec-load-vm-$c: crash opens the $name dump: sys, bt (sysrq_handle_crash), log"
	else
		echo "not ok - kexec-load-vm-$c: crash opens the $name dump: sys, bt (sysrq_handle_crash), log"
		sed 's/^/# /' "$work/cc" | tail -20
		failed=1
	fi
	[ -n "${KD_KEXEC_VM_SAVE:-}" ] && cp "$work/crash-$c.txt" "$KD_KEXEC_VM_SAVE/" 2>/dev/null
	rm -f "$work/dump" "$work/out.img"
done
exit "$failed"
