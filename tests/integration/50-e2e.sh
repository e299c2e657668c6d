#!/usr/bin/env bash
# 50-e2e: the whole crash path. Host checks of scripts/kdumpctl and scripts/mkinitramfs-kdump
# (syntax, usage, an initramfs built from the example config), then tests/e2e/run: Debian's 6.1
# kernel under QEMU runs `kdumpctl start`, panics, and the capture initramfs saves the dump
# (cases 1g, 1g-c, 6g-split, nomount, full; see tests/e2e/run and tests/e2e/README.md).
# Env: BUILD, KDUMPKIT_NO_VM=1 (host checks only), KD_E2E_CASES (default: all five).
set -u
. "$(dirname "$0")/../lib/testlib.sh"
cd "$KD_ROOT" || exit 1
cases=${KD_E2E_CASES:-1g 1g-c 6g-split nomount full}

if kd_asan; then
	echo "skip - e2e: runs in the plain pass (the guests run the plain build)"
	exit 0
fi
kd_tmpdir
T=$KD_TMP

# ---- host checks (no VM) ------------------------------------------------------------------------
for s in scripts/kdumpctl scripts/mkinitramfs-kdump; do
	sh -n "$s"
	kd_result $? "e2e-host: $s parses as POSIX sh"
	if command -v busybox >/dev/null; then
		busybox sh -n "$s"
		kd_result $? "e2e-host: $s parses with busybox sh"
	fi
done
sh -n scripts/kdumpkit.conf
kd_result $? "e2e-host: scripts/kdumpkit.conf is valid shell"

scripts/kdumpctl >/dev/null 2>&1
[ $? -eq 2 ]
kd_result $? "e2e-host: kdumpctl without a command exits 2"
scripts/kdumpctl frobnicate >/dev/null 2>&1
[ $? -eq 2 ]
kd_result $? "e2e-host: kdumpctl with an unknown command exits 2"
KDUMPKIT_CONF=$T/none scripts/kdumpctl status >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q "cannot read '$T/none'" "$T/err"
kd_result $? "e2e-host: kdumpctl with a missing config says so, exits 1"
sed 's/^KDUMP_FAILURE_ACTION=.*/KDUMP_FAILURE_ACTION=explode/' scripts/kdumpkit.conf >"$T/bad.conf"
scripts/kdumpctl -c "$T/bad.conf" status >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q "KDUMP_FAILURE_ACTION must be" "$T/err"
kd_result $? "e2e-host: kdumpctl rejects a bad failure action"

# an initramfs from the example config, for a target given by label, with a module list
mod=$T/mods/lib/modules/9.9.9-test
mkdir -p "$mod/kernel/drivers/block" "$mod/kernel/drivers/virtio"
printf 'kernel/fs/ext4/ext4.ko\n' >"$mod/modules.builtin"
printf 'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio.ko:\n' \
	>"$mod/modules.dep"
printf 'depends=virtio\0' >"$mod/kernel/drivers/block/virtio_blk.ko"
printf 'depends=\0' >"$mod/kernel/drivers/virtio/virtio.ko"
sed -e 's/^KDUMP_DEVICE=.*/KDUMP_DEVICE=LABEL=kdumpkit-nonexistent/' \
	-e 's/^KDUMP_MODULES=.*/KDUMP_MODULES=virtio_blk/' scripts/kdumpkit.conf >"$T/k.conf"
scripts/mkinitramfs-kdump -q -c "$T/k.conf" -k 9.9.9-test -m "$mod" -o "$T/initrd.img" \
	--vmcore-save "$BUILD/vmcore-save" 2>"$T/err"
kd_result $? "e2e-host: mkinitramfs-kdump builds an initramfs ($(stat -c %s "$T/initrd.img" 2>/dev/null) bytes)"
mkdir -p "$T/x" && (cd "$T/x" && gzip -dc "$T/initrd.img" | cpio -id --quiet 2>/dev/null)
[ -x "$T/x/init" ] && [ -x "$T/x/sbin/vmcore-save" ] && [ -e "$T/x/bin/busybox" ] &&
	[ -e "$T/x/etc/kdumpkit.conf" ] && [ "$(tr '\n' ' ' <"$T/x/lib/modules/load-order")" = "virtio.ko virtio_blk.ko " ] &&
	grep -q "^KDUMP_TARGET_DEV='LABEL=kdumpkit-nonexistent'" "$T/x/etc/kdumpkit-initramfs.conf"
kd_result $? "e2e-host: it holds /init, vmcore-save, busybox, the config, modules in dependency order"
ok=0
for lib in $(ldd "$BUILD/vmcore-save" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
	[ -e "$T/x$lib" ] || { ok=1; echo "# missing $lib"; }
done
kd_result $ok "e2e-host: it holds vmcore-save's libraries"
sh -n "$T/x/init"
kd_result $? "e2e-host: its /init parses"
# without modules.dep (an unpacked kernel package): the modules' own depends= fields
rm "$mod/modules.dep"
scripts/mkinitramfs-kdump -q -c "$T/k.conf" -k 9.9.9-test -m "$mod" -o "$T/initrd2.img" \
	--vmcore-save "$BUILD/vmcore-save" 2>"$T/err" &&
	[ "$(gzip -dc "$T/initrd2.img" | cpio -i --quiet --to-stdout lib/modules/load-order 2>/dev/null | tr '\n' ' ')" = "virtio.ko virtio_blk.ko " ]
kd_result $? "e2e-host: without modules.dep, dependencies come from the modules' depends="

# ---- the guests ---------------------------------------------------------------------------------
if [ "${KDUMPKIT_NO_VM:-0}" = 1 ]; then
	for c in $cases; do echo "skip - e2e-$c: KDUMPKIT_NO_VM=1"; done
	exit 0
fi
# shellcheck disable=SC2086
tests/e2e/run $cases
