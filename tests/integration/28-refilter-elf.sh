#!/usr/bin/env bash
# Offline re-filtering of saved dumps (a higher level, another codec) and ELF output (-E),
# on a real 6.1 vmcore: checked against makedumpfile 1.7.2, libkdumpfile and crash.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
kd_fixture 6.1-1g || exit 0
vmcore=$KD_FIXTURE/vmcore
T=$KD_TMP
vs() { "$VMCORE_SAVE" --message-level 4 "$@" 2>"$T/err"; }

vs -l -d 1 "$vmcore" "$T/d1"
kd_result $? "vmcore-save -l -d 1"
vs --zlib-compat -c -d 31 "$T/d1" "$T/d1-to-31"
kd_result $? "re-filter the -d 1 dump to -c -d 31 ($(tail -1 "$T/err"))"
if command -v makedumpfile >/dev/null; then
	makedumpfile -c -d 31 "$vmcore" "$T/mdf31" >/dev/null 2>&1
	cmp -s "$T/d1-to-31" "$T/mdf31"
	kd_result $? "re-filtered dump is byte-identical to makedumpfile -c -d 31 on the vmcore"
	makedumpfile -c -d 31 "$T/d1" "$T/mdf-refilter" >/dev/null 2>&1
	cmp -s "$T/d1-to-31" "$T/mdf-refilter"
	kd_result $? "... and to makedumpfile's own re-filtering of our -d 1 dump"
fi
vs --zlib-compat -c -d 31 "$T/d1-to-31" "$T/again"
cmp -s "$T/again" "$T/d1-to-31"
kd_result $? "re-filtering a dump at its own level and codec reproduces it byte for byte"
vs -z -d 31 "$T/d1-to-31" "$T/zstd"
kd_result $? "change codec: -c dump to -z"
"$KD_TOOLS/kdcompare" "$vmcore" "$T/zstd" >"$T/cmp" 2>&1
kd_result $? "libkdumpfile reads the -z re-filtered dump identical to the vmcore ($(tail -1 "$T/cmp"))"
st=$(od -An -tu4 -j424 -N4 "$T/zstd" | tr -d ' ')
lvl=$(od -An -tu4 -j$((4096 + 8)) -N4 "$T/zstd" | tr -d ' ')
[ "$st" = 32 ] && [ "$lvl" = 31 ]
kd_result $? "re-filtered header: zstd status ($st), dump level 31 ($lvl)"
vs -d 8 "$T/zstd" "$T/lower"
lvl=$(od -An -tu4 -j$((4096 + 8)) -N4 "$T/lower" | tr -d ' ')
[ "$lvl" = 31 ]
kd_result $? "a lower level cannot bring excluded pages back: the header keeps level 31 ($lvl)"

vs -E -d 31 "$vmcore" "$T/elf31"
kd_result $? "vmcore-save -E -d 31 ($(tail -1 "$T/err"))"
"$KD_TOOLS/kdcompare" --zeroed-ok "$vmcore" "$T/elf31" >"$T/cmp" 2>&1
kd_result $? "libkdumpfile reads the -E dump: kept pages identical, excluded ones inside a segment zero ($(tail -1 "$T/cmp"))"
e_flags=$(od -An -tu4 -j48 -N4 "$T/elf31" | tr -d ' ')
[ "$e_flags" = 0 ]
kd_result $? "-E dump is complete (e_flags $e_flags)"
if command -v makedumpfile >/dev/null; then
	makedumpfile -E -d 31 "$vmcore" "$T/mdf-elf31" >/dev/null 2>&1
	diff <(readelf -lW "$T/elf31") <(readelf -lW "$T/mdf-elf31") >"$T/diff"
	kd_result $? "-E program headers are the same as makedumpfile -E -d 31's"
fi
vs -E -d 0 "$vmcore" "$T/elf0"
"$KD_TOOLS/kdcompare" --all "$vmcore" "$T/elf0" >"$T/cmp" 2>&1
kd_result $? "-E -d 0 holds every page of the vmcore ($(tail -1 "$T/cmp"))"
if [ -n "${vmlinux:-}" ] && [ -r "$vmlinux" ]; then
	kd_crash_check "crash opens the -E -d 31 dump: sys, bt, log" "$vmlinux" "$T/elf31"
	kd_crash_check "crash opens the re-filtered -z dump: sys, bt, log" "$vmlinux" "$T/zstd"
fi
kd_expect_error "-E with a codec" "do not apply" "$VMCORE_SAVE" -E -c "$vmcore" "$T/x"
