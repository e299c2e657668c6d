#!/usr/bin/env bash
# --config FILE (makedumpfile.conf(5) erase commands) on the real 6.1 vmcore with Debian's debug
# vmlinux of the same kernel:
# - one filter file with every kind of command: a char array member, size N, size K, size
#   SYMBOL, a member reached through a pointer whose type the unit only declares, what such a
#   pointer points to, nullify, a char * (its string), the three loops (via a next member,
#   within a list_head list, over an array), plus a symbol and a member this kernel lacks and
#   a module section;
# - the -l -d 31 dump is byte-identical to makedumpfile 1.7.2's with the same file (pages,
#   descriptors, eraseinfo text and its sub-header fields), at 1 and 2 threads;
# - the three commands that cannot apply give one warning each, the run exits 0;
# - crash shows the poisoned data (XXXX, a NULL pointer) and still opens the dump;
# - only the pages holding erased bytes differ from the vmcore (kdcompare); -E and -F/-R carry
#   the same erased pages, -E an ERASEINFO note (makedumpfile's header and note bytes); a
#   re-filtered dump keeps the erase info; a top-level char array is erased whole (makedumpfile 1.7.2 skips it);
# - bad filter files and option mixes: one clear error line, no output.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP

kd_fixture 6.1-1g || exit 0
V=$KD_FIXTURE/vmcore
VL=${vmlinux:-}
if [ -z "$VL" ] || [ ! -f "$VL" ]; then
	echo "skip - erase config: the 6.1 fixture's debug vmlinux is not there ('$VL')"
	exit 0
fi

cat >"$T/erase.conf" <<'EOF'
# every kind of erase command makedumpfile.conf(5) describes
[vmlinux]
erase init_uts_ns.name.nodename
erase init_uts_ns.name.machine size nr_cpu_ids
erase init_uts_ns.name.domainname size 8
erase init_uts_ns.user_ns.level
erase init_uts_ns.user_ns
erase   init_task.comm      # a comment after a command
erase init_task.real_parent nullify
erase saved_command_line size 1K
erase nosuchsym
erase init_uts_ns.name.nosuch

[virtio_net]
erase foo

[vmlinux]
# the three loop forms: a NULL-ended list via a member, a list_head list, an array (of char *)
for fs in file_systems via next
	erase fs.name
endfor
for m in modules within module:list
	erase m.name
endfor
for z in zone_names
	erase z
endfor
EOF

# ---- ours, 1 and 2 threads ----
"$VMCORE_SAVE" -x "$VL" --config "$T/erase.conf" -l -d 31 --num-threads 1 "$V" "$T/ours" \
	>"$T/out1" 2>"$T/err1"
rc=$?
warns=$(grep -c 'warning:' "$T/err1")
kd_result $((rc != 0 || warns != 3)) "erase config: exit $rc, $warns warnings (nosuchsym, .nosuch, [virtio_net])"
grep 'warning:' "$T/err1" | sed 's/^/    /'
grep -q "'erase nosuchsym' skipped: symbol 'nosuchsym' is not in the vmlinux" "$T/err1" &&
	grep -q "'erase init_uts_ns.name.nosuch' skipped: 'init_uts_ns.name.nosuch': no member 'nosuch'" "$T/err1" &&
	grep -q "line 15: section \[virtio_net\] skipped" "$T/err1"
kd_result $? "erase config: each warning names the file, the line and the reason"

"$VMCORE_SAVE" -x "$VL" --config "$T/erase.conf" -l -d 31 --num-threads 2 "$V" "$T/ours2" \
	>/dev/null 2>&1
cmp -s "$T/ours" "$T/ours2"
kd_result $? "erase config: 2 threads write the same bytes as 1"

cat >"$T/info.expect" <<'EOF'
erase init_uts_ns.name.nodename size 65
erase init_uts_ns.name.machine size 2
erase init_uts_ns.name.domainname size 8
erase init_uts_ns.user_ns.level size 4
erase init_uts_ns.user_ns size 624
erase init_task.comm size 16
erase init_task.real_parent nullify
erase saved_command_line size 1024
EOF
# eraseinfo: sub-header bytes 64..79 (offset, size) point at the text after the page data
read -r eoff esize < <(od -An -t u8 -j $((4096 + 64)) -N 16 "$T/ours")
tail -c +$((eoff + 1)) "$T/ours" | head -c "$esize" >"$T/info.got"
head -n "$(wc -l <"$T/info.expect")" "$T/info.got" | cmp -s "$T/info.expect" - &&
	[ $((eoff + esize)) -eq "$(stat -c %s "$T/ours")" ]
kd_result $? "erase config: eraseinfo at the end of the file ($esize bytes at $eoff), one line per command applied"
diff "$T/info.expect" <(head -n "$(wc -l <"$T/info.expect")" "$T/info.got") | head -10 | sed 's/^/    /'
# loops: a line per element, grouped by command (file systems, the 6 modules, 5 zone names)
nfs=$(grep -c '^erase fs.name size [1-9][0-9]*$' "$T/info.got")
nmod=$(grep -c '^erase m.name size 56$' "$T/info.got")
zones=$(sed -n 's/^erase z size //p' "$T/info.got" | tr '\n' ' ')
[ "$nfs" -ge 10 ] && [ "$nmod" -ge 3 ] && [ "$zones" = "3 5 6 7 6 " ] &&
	[ "$(wc -l <"$T/info.got")" -eq $(($(wc -l <"$T/info.expect") + nfs + nmod + 5)) ]
kd_result $? "erase config: loops: $nfs file system names, $nmod module names, zone names of sizes $zones"


# ---- the referee: makedumpfile 1.7.2, same file, same level and codec ----
if kd_asan; then
	echo "skip - erase config: makedumpfile comparison (runs in the plain pass)"
elif ! command -v makedumpfile >/dev/null; then
	echo "skip - erase config: no makedumpfile"
else
	makedumpfile -x "$VL" --config "$T/erase.conf" -l -d 31 "$V" "$T/mdf" >"$T/mdf.out" 2>&1
	cmp "$T/ours" "$T/mdf" >"$T/cmp" 2>&1
	kd_result $? "erase config: byte-identical to makedumpfile -x --config -l -d 31 ($(stat -c %s "$T/ours") bytes)"
	sed 's/^/    /' "$T/cmp" | head -3
fi

# ---- what is erased, and nothing else ----
"$KD_TOOLS/kdcompare" "$V" "$T/ours" >"$T/kdc" 2>&1
different=$(sed -n 's/.*different=\([0-9]*\).*/\1/p' "$T/kdc" | tail -1)
# at least init_uts_ns, init_user_ns, init_task and the command line; at most two pages
# (an object across a page boundary) per line of the erase info
[ -n "$different" ] && [ "$different" -ge 4 ] && [ "$different" -le $((2 * $(wc -l <"$T/info.got"))) ] &&
	! grep -q 'missing=[1-9]\|dump-only=[1-9]' "$T/kdc"
kd_result $? "erase config: only the $different pages holding erased bytes differ from the vmcore"
grep 'DIFFERENT\|FAIL' "$T/kdc" | sed 's/^/    /' | head -3

# --no_modules: the loop above erases every module's name. With some boots (seen on one fixture
# of 2026-11-24; others passed), crash 8.0.2's gdb then dies in `bt` after frame #1 with a
# "segmentation violation" (bytes identical to makedumpfile's, see above); with the module
# names left alone, or with --no_modules, the same boot's backtrace is whole.
kd_crash_check "erase config: crash opens the dump and sees the erased data" \
	-e 'p init_task.comm' -e 'p init_task.real_parent' -e 'p init_uts_ns.name.nodename' "$VL" "$T/ours" \
	--no_modules
if ! kd_asan; then
	grep -q '= "XXXXXXXXXXXXXXXX"' "$KD_TMP/crash.txt" &&
		grep -q '= (struct task_struct \*) 0x0$' "$KD_TMP/crash.txt" &&
		grep -q "= \"$(printf 'X%.0s' $(seq 65))\"" "$KD_TMP/crash.txt"
	kd_result $? "erase config: crash prints init_task.comm and nodename as X's and real_parent as NULL"
fi

# ---- re-filtering keeps the erase info (and the erased bytes) ----
"$VMCORE_SAVE" -c -d 31 "$T/ours" "$T/refiltered" >/dev/null 2>&1
read -r roff rsize < <(od -An -t u8 -j $((4096 + 64)) -N 16 "$T/refiltered")
tail -c +$((roff + 1)) "$T/refiltered" | head -c "$rsize" | cmp -s - "$T/info.got" &&
	"$KD_TOOLS/kdcompare" "$T/ours" "$T/refiltered" >/dev/null 2>&1
kd_result $? "erase config: a re-filtered dump (-c) keeps the erase info and the erased pages"

# ---- -E and -F carry the same erased pages ----
"$VMCORE_SAVE" -x "$VL" --config "$T/erase.conf" -E -d 31 "$V" "$T/ours.elf" >/dev/null 2>&1 &&
	"$KD_TOOLS/kdcompare" "$T/ours" "$T/ours.elf" >"$T/kdc2" 2>&1
# (the ELF file also has the excluded pages inside its segments, as zeros: "dump-only"; how
# many of the kept zero pages lie outside its segments depends on the boot: 18,802 to 20,9xx
# pages compared)
grep -q ' compared=[1-9][0-9]\{4\} equal=[1-9][0-9]\{4\} different=0 ' "$T/kdc2"
kd_result $? "erase config: every page of the -E file that the kdump dump has is equal to it (erased alike)"
"$VMCORE_SAVE" -x "$VL" --config "$T/erase.conf" -F -l -d 31 "$V" 2>/dev/null |
	"$VMCORE_SAVE" -R "$T/ours.R" 2>/dev/null
cmp -s "$T/ours" "$T/ours.R"
kd_result $? "erase config: -F then -R gives the same file (the sub-header rewritten by a later record)"

# -E: an ELF note "ERASEINFO" after the input's notes, as makedumpfile writes it
if ! kd_asan && command -v makedumpfile >/dev/null; then
	makedumpfile -x "$VL" --config "$T/erase.conf" -E -d 31 "$V" "$T/mdf.elf" >/dev/null 2>&1
	first_load=$(readelf -lW "$T/ours.elf" | awk '$1 == "LOAD" { print $2; exit }')
	cmp -s -n $((first_load)) "$T/ours.elf" "$T/mdf.elf" &&
		readelf -nW "$T/ours.elf" | grep -q "ERASEINFO *$(printf '0x%08x' "$(stat -c %s "$T/info.got")")"
	kd_result $? "erase config: -E headers and notes (ERASEINFO note included) are makedumpfile's bytes ($((first_load)) bytes)"
fi

# ---- a top-level array: erased whole (makedumpfile 1.7.2 resolves it to 1 char and skips it) ----
printf 'erase modprobe_path\n' >"$T/array.conf"
"$VMCORE_SAVE" -x "$VL" --config "$T/array.conf" -d 31 "$V" "$T/array" >/dev/null 2>&1
read -r eoff esize < <(od -An -t u8 -j $((4096 + 64)) -N 16 "$T/array")
[ "$(tail -c +$((eoff + 1)) "$T/array" | head -c "$esize")" = "erase modprobe_path size 256" ]
kd_result $? "erase config: 'erase modprobe_path' (char [256]) erases 256 bytes"

# ---- errors: one line, non-zero exit, no dump ----
kd_expect_error "erase config: --config without -x" "needs -x VMLINUX" \
	"$VMCORE_SAVE" --config "$T/erase.conf" -d 31 "$V" "$T/e1"
kd_expect_error "erase config: missing file" "cannot open '$T/nonexistent'" \
	"$VMCORE_SAVE" -x "$VL" --config "$T/nonexistent" -d 31 "$V" "$T/e2"
printf 'erase init_task.comm\nerase init_task.comm size 12Q\n' >"$T/bad.conf"
kd_expect_error "erase config: bad size" "'$T/bad.conf' line 2: size '12Q'" \
	"$VMCORE_SAVE" -x "$VL" --config "$T/bad.conf" -d 31 "$V" "$T/e3"
printf 'for t in init_task via tasks\n  erase t.comm\n' >"$T/loop.conf"
kd_expect_error "erase config: a loop without endfor" "line 1: 'for' without 'endfor'" \
	"$VMCORE_SAVE" -x "$VL" --config "$T/loop.conf" -d 31 "$V" "$T/e4"
printf 'wipe init_task.comm\n' >"$T/cmd.conf"
kd_expect_error "erase config: unknown command" "line 1: unknown command 'wipe'" \
	"$VMCORE_SAVE" -x "$VL" --config "$T/cmd.conf" -d 31 "$V" "$T/e5"
kd_expect_error "erase config: not with --dump-dmesg" "not with -g, --mem-usage, -R or --dump-dmesg" \
	"$VMCORE_SAVE" -x "$VL" --config "$T/erase.conf" --dump-dmesg "$V" "$T/e6"
[ ! -e "$T/e1" ] && [ ! -e "$T/e2" ] && [ ! -e "$T/e3" ] && [ ! -e "$T/e4" ] && [ ! -e "$T/e5" ]
kd_result $? "erase config: no output file after a config error"
