#!/usr/bin/env bash
# 44-mem-usage-kcore: vmcore-save --mem-usage /proc/kcore in a running Debian 6.1 guest (QEMU,
# TCG), next to makedumpfile --mem-usage /proc/kcore, with one crashkernel= range (1 GiB guest)
# and with split low/high ranges (6 GiB guest). /proc/kcore's vmalloc, module and vmemmap
# segments (p_paddr -1) are skipped, and the crashkernel ranges of /proc/iomem are not memory a
# dump holds. Checks: the table adds up; its total is System RAM minus every Crash kernel range
# (from the guest's /proc/iomem); makedumpfile 1.7.2 counts the kernel text segment's pages a
# second time (they are RAM pages too), so its total is ours plus those; FREE and NON_PRI_CACHE
# are within 2 % (or 256 pages) of makedumpfile's (a live system: the two runs see slightly
# different memory).
# Env: BUILD, KDUMPKIT_NO_VM=1 (skip).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
cases="1g 6g"
skip_all() { for c in $cases; do echo "skip - mem-usage-kcore-$c: $1"; done; exit 0; }
case $BUILD in *asan*) skip_all "VM tests run in the plain pass" ;; esac
[ "${KDUMPKIT_NO_VM:-0}" = 1 ] && skip_all "KDUMPKIT_NO_VM=1"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"
[ -x "$BUILD/vmcore-save" ] || { echo "not ok - mem-usage-kcore: $BUILD/vmcore-save not built"; exit 1; }
# shellcheck source=../vm/lib.sh
. tests/vm/lib.sh || { echo "not ok - mem-usage-kcore: cannot source tests/vm/lib.sh"; exit 1; }

work=$(mktemp -d /tmp/kd-kcore.XXXXXX)
[ -n "${KD_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
kernel=$(kd_fetch_kernel) || { echo "not ok - mem-usage-kcore: cannot fetch the kernel"; exit 1; }
vmlinuz=$(sed -n 1p <<<"$kernel")

root=$work/root
kd_initramfs_init "$root" && kd_initramfs_add_guestlib "$root" &&
	kd_initramfs_add_bin "$root" "$BUILD/vmcore-save" bin/vmcore-save &&
	kd_initramfs_add_bin "$root" "$(command -v makedumpfile)" bin/makedumpfile || exit 1
cat >"$root/init" <<'GUEST'
#!/bin/sh
. /lib/kd-guest.sh
kd_guest_setup
echo "KD: IOMEM-BEGIN"; cat /proc/iomem; echo "KD: IOMEM-END"
echo "KD: OURS-BEGIN"; vmcore-save --mem-usage /proc/kcore 2>&1; echo "KD: ours-rc=$?"; echo "KD: OURS-END"
echo "KD: MDF-BEGIN"; makedumpfile --mem-usage /proc/kcore 2>&1; echo "KD: mdf-rc=$?"; echo "KD: MDF-END"
echo "KD: HDR-BEGIN"; head -c 16384 /proc/kcore | base64; echo "KD: HDR-END"
kd_guest_off
GUEST
chmod +x "$root/init"
kd_build_initramfs "$root" "$work/init.gz" || exit 1

# block NAME LOG: the lines between "KD: NAME-BEGIN" and "KD: NAME-END"
block() { sed -n "/KD: $1-BEGIN\$/,/^KD: $1-END\$/p" "$2" | sed '1d;$d'; }
# row TYPE TABLE: the PAGES column of that row ("Total" for the total)
row() {
	if [ "$1" = Total ]; then
		sed -n 's/^Total pages on system:[[:space:]]*\([0-9]*\).*/\1/p' "$2"
	else
		awk -v t="$1" '$1 == t { print $2 }' "$2"
	fi
}
# pages of the iomem lines named NAME (at any depth)
iomem_pages() {
	local s=0 a b
	while IFS=- read -r a b; do
		s=$((s + 0x$b - 0x$a + 1))
	done < <(sed -n "s/^ *\([0-9a-f]*-[0-9a-f]*\) : $1\$/\1/p" "$2")
	echo $((s / 4096))
}
near() { # A B PERCENT: |A - B| <= PERCENT % of B
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" -v p="$3" \
		'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 100 <= p * b) }'
}

failed=0
for c in $cases; do
	case $c in
	1g) mem=1G ck="crashkernel=256M" nck=1 ;;
	6g) mem=6G ck="crashkernel=256M,high crashkernel=128M,low" nck=2 ;;
	esac
	log=$work/serial-$c.log
	kd_qemu_boot "mem-usage-kcore-$c" "$log" "$mem" "$vmlinuz" "$work/init.gz" "$ck"
	block IOMEM "$log" >"$work/iomem"
	block OURS "$log" >"$work/ours"
	block MDF "$log" >"$work/mdf"
	block HDR "$log" | base64 -d >"$work/hdr" 2>/dev/null
	sed 's/^/#   ours: /' "$work/ours"
	sed 's/^/#   makedumpfile: /' "$work/mdf"

	total=$(row Total "$work/ours")
	sum=0
	for t in ZERO NON_PRI_CACHE PRI_CACHE USER FREE KERN_DATA; do
		sum=$((sum + $(row $t "$work/ours" | grep . || echo 0)))
	done
	grep -q '^KD: ours-rc=0$' "$log" && [ -n "$total" ] && [ "$sum" -eq "$total" ]
	kd_result=$?
	[ $kd_result -eq 0 ] && echo "ok - mem-usage-kcore-$c: exit 0, the table adds up ($sum = $total pages)" ||
		{ echo "not ok - mem-usage-kcore-$c: exit status or table ($sum vs '$total')"; failed=1; }

	ram=$(iomem_pages "System RAM" "$work/iomem")
	crash=$(iomem_pages "Crash kernel" "$work/iomem")
	ranges=$(grep -c ' : Crash kernel$' "$work/iomem")
	if [ "$ranges" -eq "$nck" ] && [ -n "$total" ] && [ "$total" -eq $((ram - crash)) ]; then
		echo "ok - mem-usage-kcore-$c: total $total = System RAM $ram - $ranges Crash kernel range(s) ($crash pages)"
	else
		echo "not ok - mem-usage-kcore-$c: total '$total', System RAM $ram, $ranges Crash kernel range(s) of $crash pages (want $nck)"
		failed=1
	fi

	# the kernel text PT_LOAD: the one whose p_vaddr is in the kernel image map (0xffffffff8...)
	text=$(python3 - "$work/hdr" <<'PY'
import struct, sys
h = open(sys.argv[1], "rb").read()
phoff, = struct.unpack_from("<Q", h, 32)
phnum, = struct.unpack_from("<H", h, 56)
for i in range(phnum):
    t, _, off, va, pa, fs, ms, _ = struct.unpack_from("<IIQQQQQQ", h, phoff + 56 * i)
    if t == 1 and va >> 31 == 0x1ffffffff and pa != 2**64 - 1:
        print(ms // 4096)
PY
)
	mdf_total=$(row Total "$work/mdf")
	if grep -q '^KD: mdf-rc=0$' "$log" && [ -n "$text" ] && [ -n "$mdf_total" ] &&
		[ "$mdf_total" -eq $((total + text)) ]; then
		echo "ok - mem-usage-kcore-$c: makedumpfile's total $mdf_total = ours + the $text kernel text pages it counts twice"
	else
		echo "not ok - mem-usage-kcore-$c: makedumpfile's total '$mdf_total', ours '$total', kernel text '$text' pages"
		failed=1
	fi
	for t in FREE NON_PRI_CACHE; do
		a=$(row $t "$work/ours") b=$(row $t "$work/mdf")
		if near "$a" "$b" 2 || { [ -n "$a" ] && [ -n "$b" ] && [ $((a - b)) -le 256 ] && [ $((b - a)) -le 256 ]; }; then
			echo "ok - mem-usage-kcore-$c: $t $a, makedumpfile $b (within 2 % or 256 pages)"
		else
			echo "not ok - mem-usage-kcore-$c: $t $a, makedumpfile $b (more than 2 % and 256 pages apart)"
			failed=1
		fi
	done
done
exit "$failed"
