#!/usr/bin/env bash
# makedumpfile's options and the distributions' command lines, on a real 6.1 vmcore:
# -L (size limit: an incomplete-marked dump at the limit), -d lists (fall back when a level
# does not fit), --dry-run, --check-params, --num-threads, and the kdump-tools (Debian) and
# kdump-utils (Fedora/RHEL) invocations unchanged.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
kd_fixture 6.1-1g || exit 0
vmcore=$KD_FIXTURE/vmcore
T=$KD_TMP
status_of() { od -An -tu4 -j424 -N4 "$1" | tr -d ' '; }
level_of() { od -An -tu4 -j$((4096 + 8)) -N4 "$1" | tr -d ' '; }

"$VMCORE_SAVE" --message-level 4 -c -d 31 "$vmcore" "$T/ref"
size31=$(stat -c %s "$T/ref")

# -L: stop at the limit, keep what fits, mark it incomplete
kd_expect_error "-L 10M" "incomplete \([0-9]+ of [0-9]+ pages written\).*size limit of 10485760 bytes" \
	"$VMCORE_SAVE" --message-level 4 -L 10M -c -d 31 "$vmcore" "$T/lim"
[ "$(stat -c %s "$T/lim")" -le 10485760 ] && [ $(( $(status_of "$T/lim") & 8 )) -eq 8 ]
kd_result $? "-L: the file stays within the limit and is marked incomplete"
"$KD_TOOLS/kdcompare" --incomplete "$vmcore" "$T/lim" >"$T/cmp" 2>&1
kd_result $? "-L: libkdumpfile reads every written page identical ($(tail -1 "$T/cmp"))"

# -d 1,31: level 1 does not fit in the limit, level 31 does
"$VMCORE_SAVE" --message-level 4 -L $((size31 + 4096)) -c -d 1,31 "$vmcore" "$T/fallback" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && [ "$(level_of "$T/fallback")" = 31 ] && [ "$(status_of "$T/fallback")" = 1 ] &&
	grep -q "retrying with dump level 31" "$T/err" && cmp -s "$T/fallback" "$T/ref"
kd_result $? "-d 1,31 with a limit: level 1 does not fit, level 31 is written complete (exit $rc)"

# --dry-run writes nothing, --check-params only checks
"$VMCORE_SAVE" --message-level 6 --dry-run -c -d 31 "$vmcore" "$T/none" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && [ ! -e "$T/none" ] && grep -q "$size31 bytes" "$T/err"
kd_result $? "--dry-run: no file, the size it would have ($size31 bytes) reported"
"$VMCORE_SAVE" --check-params -c -d 31 "$vmcore" "$T/none2"
[ $? -eq 0 ] && [ ! -e "$T/none2" ]
kd_result $? "--check-params: valid options, exit 0, nothing written"
kd_expect_error "--check-params with a bad level" "not a number from 0 to 31" \
	"$VMCORE_SAVE" --check-params -d 40 "$vmcore" "$T/none3"

# threads: the same bytes
for n in 1 2 3; do
	"$VMCORE_SAVE" --message-level 4 --num-threads $n -c -d 1 "$vmcore" "$T/t$n"
done
cmp -s "$T/t1" "$T/t2" && cmp -s "$T/t1" "$T/t3"
kd_result $? "--num-threads 1, 2 and 3 write byte-identical dumps"
# N threads in all: the writing thread is one of them, N-1 are started (3 threads on 2 CPUs
# put each other to sleep once a batch). Plain pass only: LeakSanitizer stops under ptrace.
if kd_asan; then
	echo "skip - --num-threads 3 starts 2 threads (strace runs in the plain pass)"
else
	"$VMCORE_SAVE" --message-level 4 --num-threads 1 -l -d 1 "$vmcore" "$T/t1l"
	strace -f -qq -e trace=clone,clone3 -o "$T/strace" \
		"$VMCORE_SAVE" --message-level 4 --num-threads 3 -l -d 1 "$vmcore" "$T/t3l"
	rc=$?
	[ $rc -eq 0 ] && [ "$(grep -c clone "$T/strace")" = 2 ] && cmp -s "$T/t3l" "$T/t1l"
	kd_result $? "--num-threads 3 starts 2 threads, the writer compresses too (exit $rc, $(grep -c clone "$T/strace") clones)"
fi

# Debian kdump-tools: makedumpfile -F -c -d 31 /proc/vmcore | ... (then -R)
"$VMCORE_SAVE" -F -c -d 31 "$vmcore" 2>"$T/err" | "$VMCORE_SAVE" -R "$T/debian"
cmp -s "$T/debian" "$T/ref"
kd_result $? "Debian kdump-tools line: -F -c -d 31 VMCORE | -R gives the -c -d 31 file"
# Fedora/RHEL kdump-utils: makedumpfile -l --message-level 7 -d 31 --num-threads=$(nproc) VMCORE OUT
"$VMCORE_SAVE" -l --message-level 7 -d 31 --num-threads="$(nproc)" "$vmcore" "$T/fedora" 2>"$T/err"
kd_result $? "Fedora kdump-utils line: -l --message-level 7 -d 31 --num-threads=\$(nproc)"
"$KD_TOOLS/kdcompare" "$vmcore" "$T/fedora" >"$T/cmp" 2>&1
kd_result $? "Fedora line's dump reads back identical ($(tail -1 "$T/cmp"))"
"$VMCORE_SAVE" -F -l --message-level 7 -d 31 "$vmcore" 2>/dev/null | cat >"$T/ssh-flat"
"$VMCORE_SAVE" -R "$T/ssh" <"$T/ssh-flat"
kd_result $? "Fedora ssh target line: -F ... | dd-like pipe, then -R"
kd_crash_check "crash opens the Fedora line's dump" "$vmlinux" "$T/fedora"
