#!/usr/bin/env bash
# 61-arm64-kdump: the arm64 kdump path end to end (issue 10), tests/e2e/run-arm64 under
# qemu-system-aarch64 (TCG) with Debian 12's arm64 cloud kernel: the arm64 kdump-load arms the
# capture kernel (kexec_load), sysrq crash, the capture kernel runs the arm64 vmcore-save and
# Debian's arm64 makedumpfile 1.7.2 at -d 31; the host checks /proc/vmcore's PT_LOADs against
# the first kernel's /proc/iomem, the pattern pages, the raw vmcore and makedumpfile's page set.
# Cases: 2g (crashkernel=256M) and 6g-split (crashkernel=128M,low crashkernel=1G,high).
# First builds the arm64 programs: make CROSS=aarch64-linux-gnu- BUILD=build-arm64.
# Env: BUILD, KDUMPKIT_NO_VM=1 (skip), KD_ARM64_CASES ("2g 6g-split"), KD_ARM64_KEEP=DIR
# (keep logs and files), KD_ARM64_BUILD (use this arm64 build, do not run make).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
read -r -a cases <<<"${KD_ARM64_CASES:-2g 6g-split}"

skip_all() { for c in "${cases[@]}"; do echo "skip - arm64 kdump $c: $*"; done; exit 0; }
case $BUILD in *asan*) skip_all "VM tests run in the plain pass" ;; esac
[ "${KDUMPKIT_NO_VM:-0}" = 1 ] && skip_all "KDUMPKIT_NO_VM=1"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 not installed (scripts/setup-deps)"
command -v aarch64-linux-gnu-gcc >/dev/null || skip_all "aarch64-linux-gnu-gcc not installed (scripts/setup-deps)"
[ -x build/tools/kdcompare ] && [ -x build/tools/kdpageset ] ||
	skip_all "build/tools/kdcompare or kdpageset missing (make tools)"

a64=${KD_ARM64_BUILD:-}
if [ -z "$a64" ]; then
	[ -e /usr/lib/aarch64-linux-gnu/libz.so ] && [ -e /usr/lib/aarch64-linux-gnu/libelf.so ] ||
		skip_all "the arm64 -dev libraries (multiarch :arm64) are not installed (scripts/setup-deps)"
	a64=build-arm64
	t0=$SECONDS
	tests/vm/arm64-make build-arm64/vmcore-save build-arm64/kdump-load
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "not ok - arm64 cross build: make CROSS=aarch64-linux-gnu- (status $rc)"
		exit 1
	fi
	echo "ok - arm64 cross build: make CROSS=aarch64-linux-gnu- vmcore-save kdump-load ($((SECONDS - t0))s)"
fi
[ -x "$a64/kdump-load" ] || skip_all "$a64/kdump-load not built (no arm64 loader)"

keep=()
[ -n "${KD_ARM64_KEEP:-}" ] && keep=(--keep "$KD_ARM64_KEEP")
KD_ARM64_BUILD=$a64 KD_ARM64_LOADER=kdump-load tests/e2e/run-arm64 "${keep[@]}" "${cases[@]}"
