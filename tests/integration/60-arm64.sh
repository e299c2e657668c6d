#!/usr/bin/env bash
# arm64 (issue 10): vmcore-save (an x86_64 build, offline) on real arm64 vmcores
# (tests/vm/make-vmcore-arm64: QEMU dump-guest-memory of a panicked guest, with VMCOREINFO):
#   2g   Debian 12's arm64 cloud kernel 6.1: 4 KiB pages, 48-bit VA, KASLR, pointer authentication
#   16k  bookworm-backports' 6.12 arm64-16k kernel: 16 KiB pages, 52-bit VA
# Checks: -d 31 keeps only pages equal to the source, drops every ground-truth pattern page,
# counts as free exactly the guest's MemFree, keeps the same page set and counts as Debian's
# arm64 makedumpfile 1.7.2 (run with qemu-user; 2g only: 1.7.2 refuses 16 KiB pages with 52-bit
# VA), --dump-dmesg holds the panic (and matches makedumpfile's); drgn reads the dump with the
# debug vmlinux (2g only: the 16k kernel's -dbg package is 1 GB).
# KD_ARM64_FIXTURES: the fixtures to check (default "2g 16k").
# The kdump captures (kdump-load, sysrq, vmcore-save in the capture kernel) are in 61-arm64-kdump.sh.
# KDUMPKIT_NO_VM=1: use the fixture only if it is cached, else skip.
# KD_ARM64_CRASH=1: also open the dump with Debian's arm64 crash 8.0.2 under qemu-user (minutes).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
vm=tests/vm
tools=build/tools
save=$BUILD/vmcore-save

# shellcheck source=../lib/testlib.sh
. tests/lib/testlib.sh
kd_tmpdir
top=$KD_TMP

# run_fixture NAME: every check on make-vmcore-arm64 NAME; test names start with "arm64 NAME:"
# (info.txt, sourced, sets name= and the other fixture variables: they are local here)
run_fixture() {
	local fx=$1 name P="arm64 $1" dir rc vmcore vmlinux='' kernel_release sysroot kind n mdf
	local tmp=$top/$1
	mkdir -p "$tmp"
	kd_fixture "$fx" make-vmcore-arm64 || return 0
	dir=$KD_FIXTURE
	echo "ok - $P fixture: $dir"
	vmcore=$dir/vmcore

	readelf -hW "$vmcore" | grep -q 'Machine:.*AArch64' && readelf -nW "$vmcore" | grep -q VMCOREINFO
	kd_result $? "$P: arm64 fixture: an AArch64 core with VMCOREINFO"

	# --- vmcore-save -d 31 ---
	"$save" -d 31 -l --show-stats "$vmcore" "$tmp/ours31" >"$tmp/ours31.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || cat "$tmp/ours31.log"
	kd_result $rc "$P: vmcore-save -d 31 -l on the arm64 vmcore"
	[ $rc -eq 0 ] || return 0
	! grep -q 'warning' "$tmp/ours31.log"
	kd_result $? "$P: vmcore-save -d 31: no warnings (arm64 translation and struct pages found)"

	if [ ! -x "$tools/kdcompare" ]; then
		echo "skip - $P dump checks: build/tools/kdcompare missing (make tools)"
		return 0
	fi
	"$tools/kdcompare" "$vmcore" "$tmp/ours31" >"$tmp/cmp" 2>&1
	rc=$?
	tail -1 "$tmp/cmp"
	kd_result $rc "$P: kdcompare: every page of the -d 31 dump equals the arm64 vmcore's"
	for kind in anon zero shmem block; do
		awk -v k=$kind '$1 == k { print $3 }' "$dir/ground-truth.txt" >"$tmp/$kind.pfns"
		n=$(wc -l <"$tmp/$kind.pfns")
		"$tools/kdcompare" --expect-absent "$tmp/$kind.pfns" "$vmcore" "$tmp/ours31" >"$tmp/cmp" 2>&1
		rc=$?
		[ $rc -eq 0 ] || tail -3 "$tmp/cmp"
		kd_result $rc "$P: -d 31 drops all $n ground-truth $kind pages"
	done

	# free pages: the guest's MemFree just before the panic, in pages of the kernel's size
	local memfree free psz
	memfree=$(sed -n 's/^KDF: meminfo-late: MemFree: *\([0-9]*\) kB$/\1/p' "$dir/serial.log")
	free=$(sed -n 's/^ *Free pages *: 0x\([0-9a-f]*\)$/\1/p' "$tmp/ours31.log")
	psz=$(head -c 1048576 "$vmcore" | grep -ao 'PAGESIZE=[0-9]*' | head -1 | cut -d= -f2)
	[ -n "$memfree" ] && [ -n "$free" ] && [ -n "$psz" ] &&
		awk -v a=$((16#$free * psz / 1024)) -v b="$memfree" \
			'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 100 <= b) }'
	kd_result $? "$P: -d 31 free pages $((16#${free:-0})) x $psz bytes = the guest's MemFree $memfree kB (within 1 %)"

	"$save" -E -d 0 "$vmcore" "$tmp/full.elf" >/dev/null 2>&1 &&
		"$tools/kdcompare" --all "$vmcore" "$tmp/full.elf" >"$tmp/cmp" 2>&1
	kd_result $? "$P: vmcore-save -E -d 0: an ELF copy of every page of the arm64 vmcore"
	"$save" --dump-dmesg "$vmcore" "$tmp/ours.dmesg" >/dev/null 2>&1 &&
		grep -q "Linux version $kernel_release " "$tmp/ours.dmesg" &&
		grep -q 'sysrq: Trigger a crash' "$tmp/ours.dmesg"
	kd_result $? "$P: --dump-dmesg: the log has the $kernel_release banner and the sysrq ($(wc -l <"$tmp/ours.dmesg" 2>/dev/null) lines)"

	# --- Debian's arm64 makedumpfile 1.7.2 on the same memory ---
	# It refuses QEMU's dump file ("get_elf_info: Can't get the number of PT_LOAD"): give it the
	# same memory rewritten by vmcore-save -E -d 0 (every page, byte for byte; checked below).
	if ! command -v qemu-aarch64 >/dev/null; then
		echo "skip - $P makedumpfile comparison: qemu-aarch64 missing (package qemu-user)"
	elif [ "$fx" = 16k ]; then
		echo "skip - $P makedumpfile comparison: makedumpfile 1.7.2 refuses this kernel (\"PAGE SIZE 0x4000 and VA Bits 52 not supported\")"
	else
		# shellcheck source=tests/vm/lib.sh
		. "$vm/lib.sh"
		# shellcheck source=tests/vm/lib-arm64.sh
		. "$vm/lib-arm64.sh"
		sysroot=$(kd_arm64_sysroot 2>"$tmp/sysroot.err")
		if [ -z "$sysroot" ]; then
			cat "$tmp/sysroot.err"
			echo "skip - $P makedumpfile comparison: cannot fetch Debian's arm64 makedumpfile"
		else
			mdf=(qemu-aarch64 -L "$sysroot" "$sysroot/usr/bin/makedumpfile")
			"${mdf[@]}" -l -d 31 --message-level 31 "$tmp/full.elf" "$tmp/mdf31" >"$tmp/mdf31.log" 2>&1
			rc=$?
			[ $rc -eq 0 ] || tail -5 "$tmp/mdf31.log"
			kd_result $rc "$P: arm64 makedumpfile 1.7.2 -l -d 31 (qemu-user) on the same memory"
			if [ $rc -eq 0 ]; then
				"$tools/kdpageset" --source "$vmcore" "$tmp/ours31" "$tmp/mdf31" >"$tmp/set" 2>&1
				rc=$?
				tail -1 "$tmp/set"
				kd_result $rc "$P: -d 31: the same page set as arm64 makedumpfile"
				# the per-class counts, except the rounded percentage line
				stats() { sed -n '/^Original pages/,/^Total pages/p' "$1" | grep -v 'reduced to'; }
				diff <(stats "$tmp/ours31.log") <(stats "$tmp/mdf31.log")
				kd_result $? "$P: -d 31: the same per-class page counts as arm64 makedumpfile"
				# same input, same options: the kdump files are the same bytes (header phys_base
				# = NUMBER(PHYS_OFFSET), which crash's arm64 support reads, included)
				cmp "$tmp/ours31" "$tmp/mdf31"
				kd_result $? "$P: -d 31 -l: byte-identical to arm64 makedumpfile's output"
			fi
			"${mdf[@]}" --dump-dmesg "$tmp/full.elf" "$tmp/mdf.dmesg" >/dev/null 2>&1 &&
				cmp "$tmp/ours.dmesg" "$tmp/mdf.dmesg" && [ -s "$tmp/ours.dmesg" ]
			kd_result $? "$P: --dump-dmesg: the same log as arm64 makedumpfile ($(wc -l <"$tmp/ours.dmesg" 2>/dev/null) lines)"
			rm -f "$tmp/full.elf"
		fi
	fi

	# --- drgn (any host architecture) ---
	if [ ! -x /usr/bin/python3 ] || [ -z "$vmlinux" ] || [ ! -r "$vmlinux" ]; then
		echo "skip - $P drgn: no /usr/bin/python3 or no debug vmlinux"
	else
		/usr/bin/python3 tests/tools/drgn-check.py --vmlinux "$vmlinux" --min-tasks 20 "$tmp/ours31" \
			>"$tmp/drgn.log" 2>&1
		# QEMU saves the CPUs' registers at dump time (panic loop, stop IPI), not the kernel's
		# crash-time registers: a trace through panic is not expected in this fixture
		grep '^FAIL:' "$tmp/drgn.log" | grep -v 'passes through panic' | grep -q .
		rc=$?
		[ $rc -ne 0 ] || grep '^FAIL:' "$tmp/drgn.log"
		[ $rc -ne 0 ] && grep -q '^pass: at least 20 task' "$tmp/drgn.log"
		kd_result $? "$P: drgn with the arm64 vmlinux reads the -d 31 dump (tasks, init_task, jiffies, banner)"
	fi

	if [ "${KD_ARM64_CRASH:-0}" != 1 ]; then
		echo "skip - $P crash (arm64 build under qemu-user): set KD_ARM64_CRASH=1"
	elif [ -z "${sysroot:-}" ] || [ -z "$vmlinux" ] || [ ! -r "$vmlinux" ]; then
		echo "skip - $P crash: no arm64 crash (qemu-user) or no debug vmlinux"
	else
		# about 4 minutes: crash and its gdb run under qemu-user
		printf 'sys\nlog\nquit\n' >"$tmp/crash.cmds"
		timeout 1200 qemu-aarch64 -L "$sysroot" "$sysroot/usr/bin/crash" -s -i "$tmp/crash.cmds" \
			"$vmlinux" "$tmp/ours31" >"$tmp/crash.out" 2>&1
		# (crash 8.0.2 on 6.1: 3 tasks, no bt (maple tree); the same on makedumpfile's file)
		grep -q 'MACHINE: aarch64' "$tmp/crash.out" &&
			grep -q '"Kernel panic - not syncing: sysrq triggered crash"' "$tmp/crash.out" &&
			grep -q 'sysrq: Trigger a crash' "$tmp/crash.out"
		rc=$?
		[ $rc -eq 0 ] || tail -20 "$tmp/crash.out"
		kd_result $rc "$P: arm64 crash 8.0.2 (qemu-user) opens the -d 31 dump: sys shows the panic, log the sysrq"
	fi
}

for fx in ${KD_ARM64_FIXTURES:-2g 16k}; do
	run_fixture "$fx"
done
