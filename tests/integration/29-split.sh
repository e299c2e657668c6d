#!/usr/bin/env bash
# --split and --reassemble on a real 6.1 vmcore: each file of the set holds a pfn range with
# about the same number of pages, crash opens the set given together, libkdumpfile reads each
# file's pages identical to the vmcore, and --reassemble gives back the unsplit file byte for byte.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
kd_fixture 6.1-1g || exit 0
vmcore=$KD_FIXTURE/vmcore
T=$KD_TMP
vs() { "$VMCORE_SAVE" --message-level 4 "$@" 2>"$T/err"; }

vs -c -d 31 "$vmcore" "$T/whole"
vs --split -c -d 31 "$vmcore" "$T/p1" "$T/p2" "$T/p3"
kd_result $? "vmcore-save --split -c -d 31 into three files"
for p in p1 p2 p3; do
	split=$(od -An -tu4 -j$((4096 + 12)) -N4 "$T/$p" | tr -d ' ')
	[ "$split" = 1 ]
	kd_result $? "$p: split flag set"
	"$KD_TOOLS/kdcompare" "$vmcore" "$T/$p" >"$T/cmp" 2>&1
	kd_result $? "$p: libkdumpfile reads its pages identical to the vmcore ($(tail -1 "$T/cmp"))"
done
start2=$(od -An -tu8 -j$((4096 + 80)) -N8 "$T/p2" | tr -d ' ')
end1=$(od -An -tu8 -j$((4096 + 88)) -N8 "$T/p1" | tr -d ' ')
[ "$start2" = "$end1" ] && [ $((start2 % 64)) -eq 0 ]
kd_result $? "ranges are adjacent and start on a multiple of 64 pfns ($end1)"
vs --reassemble "$T/p1" "$T/p2" "$T/p3" "$T/joined"
kd_result $? "vmcore-save --reassemble"
cmp -s "$T/joined" "$T/whole"
kd_result $? "the reassembled file is byte-identical to the unsplit one"
if [ -n "${vmlinux:-}" ] && [ -r "$vmlinux" ] && ! kd_asan; then
	printf 'sys\nbt\nlog\nq\n' | timeout 600 crash -s "$vmlinux" "$T/p1" "$T/p2" "$T/p3" >"$T/crash.txt" 2>&1
	grep -q sysrq_handle_crash "$T/crash.txt" && grep -q "Kernel panic - not syncing: sysrq triggered crash" "$T/crash.txt"
	kd_result $? "crash opens the split set given together: bt shows sysrq_handle_crash, log the panic"
fi
kd_expect_error "--reassemble of a file that is not split" "is not a file of a --split set" \
	"$VMCORE_SAVE" --reassemble "$T/whole" "$T/p2" "$T/x"
kd_expect_error "--split with -E" "kdump files only" "$VMCORE_SAVE" --split -E "$vmcore" "$T/a" "$T/b"
kd_expect_error "--split with one file" "at least two" "$VMCORE_SAVE" --split -c "$vmcore" "$T/a"
