#!/usr/bin/env bash
# Read errors on /proc/vmcore (issue 9): an LD_PRELOAD shim (tests/fault/eio-shim.c) makes the
# real 6.1 vmcore look like /proc/vmcore (fstatfs: PROC_SUPER_MAGIC, so it is read through mmap
# windows) and fails reads of chosen pages with EIO (and mmap of the windows holding them, so
# the reader falls back to pread there). Bad pages: 3 kept at -d 31, 2 excluded, and the page
# holding the struct pages of one of the kept ones. Expected: the dump goes on, exit 1 with one
# error line, a warning naming the unreadable pages, "N unreadable" in the summary, the header
# marked incomplete (0x8), the unreadable pages listed but not readable (never zeros), and every
# other page libkdumpfile reads equal to the source.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
kd_fixture 6.1-1g || exit 0
vmcore=$KD_FIXTURE/vmcore
T=$KD_TMP
PY=/usr/bin/python3
KMEM="$PY $KD_ROOT/tests/fault/kmem.py"
export ASAN_OPTIONS=${ASAN_OPTIONS}:verify_asan_link_order=0

if ! cc -shared -fPIC -O2 -o "$T/eio-shim.so" "$KD_ROOT/tests/fault/eio-shim.c" -ldl 2>"$T/cc.err"; then
	echo "skip - read errors: cannot build the EIO shim ($(head -1 "$T/cc.err"))"
	exit 0
fi
[ -x "$KD_TOOLS/kdcompare" ] || { echo "not ok - read errors: no $KD_TOOLS/kdcompare (make tools)"; exit 0; }

# Which pages -d 31 keeps, from a clean run.
"$VMCORE_SAVE" --message-level 0 -z -d 31 "$vmcore" "$T/clean" &&
	"$KD_TOOLS/kdcompare" --list-kept "$T/kept" "$vmcore" "$T/clean" >/dev/null ||
	{ echo "not ok - read errors: the clean -d 31 dump fails"; exit 0; }
rm -f "$T/clean"
n=$(wc -l <"$T/kept")
k1=0x$(sed -n $((n / 200 + 1))p "$T/kept") k2=0x$(sed -n $((n / 2))p "$T/kept")
k3=0x$(sed -n $((n * 97 / 100))p "$T/kept")
excl=()	# present in the vmcore, left out at -d 31
for p in 0x20000 0x20001 0x25000 0x28000 0x2a000 0x10000 0x10001 0x8000 0x8001; do
	grep -qx "${p#0x}" "$T/kept" || [ "$($KMEM offset "$vmcore" "$p")" = - ] || excl+=("$p")
done
[ ${#excl[@]} -ge 2 ] || { echo "not ok - read errors: no excluded page to inject at"; exit 0; }
read -r _ sp_pfn sp_off < <($KMEM where "$vmcore" "$k2")
offs=$($KMEM offset "$vmcore" "$k1" "$k2" "$k3" "${excl[0]}" "${excl[1]}" | paste -sd,)
case $offs in *-*) echo "not ok - read errors: a chosen page is not in the vmcore ($offs)"; exit 0 ;; esac
offs+=,$sp_off
printf '%s\n' "${k1#0x}" "${k2#0x}" "${k3#0x}" "${sp_pfn#0x}" | LC_ALL=C sort -u >"$T/bad"
nbad=$(wc -l <"$T/bad")	# the 3 kept pages and the struct page page (kernel memory: kept at -d 31)
echo "# EIO at pfns $k1 $k2 $k3 (kept), ${excl[0]} ${excl[1]} (excluded), $sp_pfn (struct pages of $k2)"

shim() {
	env LD_PRELOAD="$T/eio-shim.so" KD_SHIM_FILE="$vmcore" KD_SHIM_EIO="$offs" KD_SHIM_PROC=1 \
		KD_SHIM_LOG="$T/shim.log" "$@"
}

# check NAME DUMP STATUS [REASON]: the dump, vmcore-save's messages in $T/err, its exit status
check() {
	local name=$1 dump=$2 st rc
	local regex="^vmcore-save: '.*' is incomplete: $nbad kept pages could not be read and are listed as not written; the other [0-9]+ pages are saved$"
	[ "$3" -eq 1 ] && [ "$(grep -vc '^vmcore-save: warning: \|pages in memory\|^Copying data' "$T/err")" -eq 1 ] &&
		grep -Eq "$regex" "$T/err"
	kd_result $? "$name: exit $3, one error line ($(grep 'is incomplete' "$T/err"))"
	grep -q "^vmcore-save: warning: $nbad kept pages could not be read (pfn .*${4:-Input/output error}" "$T/err" &&
		grep -q "stored raw, $nbad unreadable).*(INCOMPLETE)" "$T/err" &&
		grep -q "^vmcore-save: warning: [0-9]* pages kept: struct page unreadable" "$T/err"
	kd_result $? "$name: warnings and summary count the unreadable pages ($(grep -o '[0-9]* pages kept: struct page unreadable' "$T/err"))"
	! grep -Eq 'Sanitizer|runtime error' "$T/err"
	kd_result $? "$name: no sanitizer report"
	st=$(od -An -tu4 -j424 -N4 "$dump" | tr -d ' ')
	[ -n "$st" ] && [ $((st & 8)) -eq 8 ]
	kd_result $? "$name: header marked incomplete (status $st)"
	# --list-kept: the pages that read (non-zero); none of the bad ones may be among them
	"$KD_TOOLS/kdcompare" --incomplete --list-kept "$T/readable" "$vmcore" "$dump" >"$T/cmp" 2>&1
	rc=$?
	grep -q " different=0 .* unwritten=$nbad " "$T/cmp" && [ $rc -eq 0 ] &&
		[ -z "$(LC_ALL=C sort "$T/readable" | comm -12 - "$T/bad")" ]
	kd_result $? "$name: libkdumpfile: the $nbad unreadable pages unreadable, every other page equal ($(tail -1 "$T/cmp" | cut -c1-150))"
	[ $rc -eq 0 ] || sed 's/^/    /' "$T/cmp" | tail -8
}

rm -f "$T/shim.log"
shim "$VMCORE_SAVE" --message-level 7 -z -d 31 --num-threads 2 "$vmcore" "$T/z" 2>"$T/err"
check "EIO, zstd, 2 threads" "$T/z" $?
excl_read=0
for o in $($KMEM offset "$vmcore" "${excl[0]}" "${excl[1]}"); do
	grep -q "^eio $(printf '%#x' "$o")\$" "$T/shim.log" && excl_read=1
done
grep -q '^mmap-fail' "$T/shim.log" && grep -q "^eio $(printf '%#x' "$sp_off")" "$T/shim.log" &&
	[ $excl_read -eq 0 ]
kd_result $? "EIO: the shim failed mmap windows and reads ($(sort -u "$T/shim.log" | wc -l) distinct injections), never a read of the excluded pages"
# crash opens it ("[PARTIAL DUMP] [INCOMPLETE]": sys, bt, log) and reads an unreadable page as
# "page incomplete", never as zeros (plain pass only, like every crash check)
if kd_crash_check "EIO: crash opens the dump (sys, bt, log)" -e "rd -p $(printf '%#x' $((k1 * 4096))) 4" \
	"$vmlinux" "$T/z" && ! kd_asan; then
	grep -q 'rd: page incomplete' "$KD_TMP/crash.txt"
	kd_result $? "EIO: crash reads unreadable pfn $k1 as \"$(grep -o 'page incomplete' "$KD_TMP/crash.txt")\""
fi
# Re-filtering the incomplete dump (another codec) carries the unwritten pages over: the
# input's "not written" pages are unreadable pages of the new dump.
"$VMCORE_SAVE" --message-level 7 -c -d 31 "$T/z" "$T/re" 2>"$T/err"
check "re-filtered (-c) from the incomplete dump" "$T/re" $? "was not written (incomplete dump)"
rm -f "$T/z" "$T/re"

shim "$VMCORE_SAVE" --message-level 7 -l -d 31 --num-threads 1 "$vmcore" "$T/l" 2>"$T/err"
check "EIO, lzo, 1 thread" "$T/l" $?
rm -f "$T/l"

# A flattened stream: the header record is repeated at the end with the flag; -R applies it.
shim "$VMCORE_SAVE" --message-level 7 -F -c -d 31 "$vmcore" 2>"$T/err" >"$T/flat"
rc=$?
"$VMCORE_SAVE" --message-level 0 -R "$T/rebuilt" <"$T/flat"
check "EIO, -F | -R" "$T/rebuilt" $rc

# ELF output (-E) has no mark for a missing page: the unreadable pages are zero-filled, the
# e_flags incomplete bit (crash: [INCOMPLETE]) stays set, and the run ends like the others.
shim "$VMCORE_SAVE" --message-level 7 -E -d 31 "$vmcore" "$T/e" 2>"$T/err"
rc=$?
regex="^vmcore-save: '.*' is incomplete: $nbad kept pages could not be read and are zero-filled; the other [0-9]+ pages are saved$"
[ $rc -eq 1 ] && [ "$(grep -vc '^vmcore-save: warning: \|pages in memory\|^Copying data' "$T/err")" -eq 1 ] &&
	grep -Eq "$regex" "$T/err"
kd_result $? "EIO, -E: exit $rc, one error line ($(grep 'is incomplete' "$T/err"))"
grep -q "^vmcore-save: warning: $nbad kept pages could not be read (pfn .*Input/output error.*zero-filled in the dump" "$T/err" &&
	grep -q "$nbad unreadable.*(INCOMPLETE)" "$T/err"
kd_result $? "EIO, -E: the warning and the summary count the unreadable pages"
flags=$(od -An -tu4 -j48 -N4 "$T/e" | tr -d ' ')
[ -n "$flags" ] && [ $((flags & 1)) -eq 1 ]
kd_result $? "EIO, -E: e_flags keeps the incomplete bit (e_flags $flags)"
zeroed=0
for p in $(sed 's/^/0x/' "$T/bad"); do
	o=$($KMEM offset "$T/e" "$p")
	[ "$o" != - ] && cmp -s -n 4096 -i "$o:0" "$T/e" /dev/zero && zeroed=$((zeroed + 1))
done
"$KD_TOOLS/kdcompare" --zeroed-ok "$vmcore" "$T/e" >"$T/cmp" 2>&1
grep -q " different=0 " "$T/cmp" && [ $zeroed -eq "$nbad" ]
kd_result $? "EIO, -E: the $nbad unreadable pages are zeros in the file ($zeroed), every other page equal ($(tail -1 "$T/cmp" | cut -c1-120))"
if kd_crash_check "EIO, -E: crash opens the dump (sys, bt, log)" "$vmlinux" "$T/e" && ! kd_asan; then
	grep -q 'INCOMPLETE' "$KD_TMP/crash.txt"
	kd_result $? "EIO, -E: crash says the dump is incomplete ($(grep -o '\[[A-Z ]*INCOMPLETE\]' "$KD_TMP/crash.txt" | head -1))"
fi
rm -f "$T/e"

# A page that faults when touched through the mapping (poisoned memory: SIGBUS). The run
# stops with exit 3 and one message, the file written so far opens (incomplete, every written
# page equal); --non-mmap reads with pread, where the page fails with EIO, and the dump goes on.
sb_off=$($KMEM offset "$vmcore" "$k2")
sbus() {
	env LD_PRELOAD="$T/eio-shim.so" KD_SHIM_FILE="$vmcore" KD_SHIM_SIGBUS="$sb_off" KD_SHIM_PROC=1 \
		KD_SHIM_LOG="$T/shim.log" "$@"
}
for thr in 1 2; do
	rm -f "$T/shim.log" "$T/b"
	sbus "$VMCORE_SAVE" --message-level 7 -l -d 31 --num-threads $thr "$vmcore" "$T/b" 2>"$T/err"
	rc=$?
	[ $rc -eq 3 ] && grep -q '^sigbus-page' "$T/shim.log" &&
		[ "$(grep -c '^vmcore-save: bus error (SIGBUS) touching the mapped input: .*run again with --non-mmap' "$T/err")" -eq 1 ]
	kd_result $? "SIGBUS, $thr thread(s): exit $rc, one message ($(grep -o 'bus error.*mapped input' "$T/err"))"
	st=$(od -An -tu4 -j424 -N4 "$T/b" | tr -d ' ')
	"$KD_TOOLS/kdcompare" --incomplete "$vmcore" "$T/b" >"$T/cmp" 2>&1 &&
		grep -q " different=0 " "$T/cmp" && ! grep -q " compared=0 " "$T/cmp" && [ $((st & 8)) -eq 8 ]
	kd_result $? "SIGBUS, $thr thread(s): the partial dump opens, marked incomplete (status $st), written pages equal ($(tail -1 "$T/cmp" | cut -c1-90))"
done
rm -f "$T/shim.log"
sbus "$VMCORE_SAVE" --message-level 7 -f --non-mmap -l -d 31 "$vmcore" "$T/b" 2>"$T/err"
rc=$?
"$KD_TOOLS/kdcompare" --incomplete "$vmcore" "$T/b" >"$T/cmp" 2>&1
[ $rc -eq 1 ] && ! grep -q '^map \|mmap\|sigbus' "$T/shim.log" &&
	grep -q "is incomplete: 1 kept page could not be read and is listed as not written" "$T/err" &&
	grep -q " different=0 .* unwritten=1 " "$T/cmp"
kd_result $? "SIGBUS, --non-mmap: exit $rc, pread only, the page listed as not written, every other page equal ($(tail -1 "$T/cmp" | cut -c1-110))"
# --dump-dmesg maps the input too; --non-mmap keeps it to pread
rm -f "$T/shim.log"
sbus "$VMCORE_SAVE" --dump-dmesg "$vmcore" "$T/log1" >/dev/null 2>&1
maps=$(grep -c '^map ' "$T/shim.log" 2>/dev/null)
rm -f "$T/shim.log"
sbus "$VMCORE_SAVE" --dump-dmesg --non-mmap "$vmcore" "$T/log2" >/dev/null 2>&1 &&
	[ "${maps:-0}" -gt 0 ] && ! grep -q '^map ' "$T/shim.log" 2>/dev/null && cmp -s "$T/log1" "$T/log2"
kd_result $? "--dump-dmesg --non-mmap: no mapping of the input (${maps:-0} windows without it), the same log"
rm -f "$T/b"
