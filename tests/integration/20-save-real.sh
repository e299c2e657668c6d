#!/usr/bin/env bash
# vmcore-save on a real vmcore of Debian's 6.1 kernel: dump levels 0 and 1 with every codec.
# Each dump is read back with libkdumpfile (every page identical to the vmcore, every page
# present), checked to be complete, and opened with the crash utility (sys, bt, log).
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
kd_fixture 6.1-1g || exit 0
vmcore=$KD_FIXTURE/vmcore

# the ASan pass runs a subset: the same code paths, fewer repeats
levels="0 1" codecs="none -c -l -z"
kd_asan && levels="1" codecs="none -c -z"
for level in $levels; do
	for codec in $codecs; do
		flag=$codec
		[ "$codec" = none ] && flag=
		name="-d $level ${codec}"
		out=$KD_TMP/dump-$level$codec
		"$VMCORE_SAVE" --message-level 6 $flag -d "$level" "$vmcore" "$out" 2>"$KD_TMP/log"
		rc=$?
		kd_result $rc "vmcore-save $name: exit status 0 ($(tail -1 "$KD_TMP/log"))" || continue
		[ $rc -eq 0 ] || continue
		status=$(od -An -tu4 -j424 -N4 "$out" | tr -d ' ')
		want=$(case $codec in -c) echo 1 ;; -l) echo 2 ;; -z) echo 32 ;; *) echo 0 ;; esac)
		[ "$status" = "$want" ]
		kd_result $? "vmcore-save $name: header status $status (complete, codec flag $want)"
		"$KD_TOOLS/kdcompare" --all "$vmcore" "$out" >"$KD_TMP/cmp" 2>&1
		rc=$?
		kd_result $rc "vmcore-save $name: libkdumpfile reads every page identical to the vmcore ($(tail -1 "$KD_TMP/cmp"))"
		[ $rc -eq 0 ] || head -20 "$KD_TMP/cmp"
		# crash on every dump would take minutes; the codecs differ only in page bytes,
		# which kdcompare checks, so crash opens one dump per level plus the zstd one.
		if [ "$codec" = -c ] || { [ "$level" = 1 ] && [ "$codec" = -z ]; } || [ -n "${KD_CRASH_ALL:-}" ]; then
			kd_crash_check "crash opens vmcore-save $name: sys, bt (sysrq_handle_crash), log" "$vmlinux" "$out"
		fi
		if [ "$codec" = -c ] && ! kd_asan && [ -x /usr/bin/python3 ]; then
			/usr/bin/python3 "$KD_ROOT/tests/tools/drgn-check.py" --vmlinux "$vmlinux" "$out" >"$KD_TMP/drgn" 2>&1
			rc=$?
			if [ $rc -eq 77 ]; then
				echo "skip - drgn is not installed"
			else
				kd_result $rc "drgn opens vmcore-save $name: crashed thread's stack, init_task, dmesg"
				[ $rc -eq 0 ] || grep -i fail "$KD_TMP/drgn" | head -5
			fi
		fi
		rm -f "$out"
	done
done
