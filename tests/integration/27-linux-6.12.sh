#!/usr/bin/env bash
# Debian 13's 6.12 kernel (tests/vm/make-vmcore 6.12-1g): page types in the top byte of
# page_type, no PG_slab, folio order in page[1].flags. vmcore-save -d 31 must exclude free pages
# (trixie's makedumpfile 1.7.6 excludes none there), every ground-truth user page at -d 8 and -d
# 31 (THP heads and tails), the cache pages at -d 31, and keep the kernel's text and data; trixie's
# crash (tests/vm/trixie-root: Debian 12's crash 8.0.2 cannot read gcc 14's DWARF) then runs
# bt -a, log, ps, kmem -i, kmem -s and files on the -d 31 dump without one unreadable page, and
# trixie's drgn walks the tasks and the panic thread's stack.
# Also reported (ok lines with the counts): the same vmcore through makedumpfile 1.7.2 (Debian 12)
# and 1.7.6 (trixie), class by class.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP
# the trixie root (network and disk) is made while the fixture's guest (CPU) runs
root_pid=
if ! kd_asan; then
	"$KD_ROOT/tests/vm/trixie-root" >"$T/troot.out" 2>"$T/troot.err" &
	root_pid=$!
fi
kd_fixture 6.12-1g || { [ -z "$root_pid" ] || wait "$root_pid"; exit 0; }
vmcore=$KD_FIXTURE/vmcore
gt=$KD_FIXTURE/ground-truth.txt
for kind in anon zero shmem block; do
	awk -v k="$kind" '$1 == k { sub(/^0x/, "", $3); print $3 }' "$gt" >"$T/$kind.pfns"
done
cat "$T/anon.pfns" "$T/zero.pfns" >"$T/user.pfns"
cat "$T/shmem.pfns" "$T/block.pfns" >"$T/cache.pfns"
cat "$T/user.pfns" "$T/cache.pfns" >"$T/all.pfns"

# kernel text and data (never freed), physical: link-time addresses from the debug vmlinux (Debian
# 13's System.map is a stub) plus KERNELOFFSET (KASLR), through the kernel-text PT_LOAD
read -r tvaddr tpaddr < <(readelf -lW "$vmcore" |
	awk '$1 == "LOAD" && $3 ~ /^0xffffffff/ { print $3, $4; exit }')
koff=$(head -c 65536 "$vmcore" | grep -a -o -m1 'KERNELOFFSET=[0-9a-f]*' | cut -d= -f2)
nm "$vmlinux" 2>/dev/null | awk '$3 ~ /^_(stext|etext|sdata|edata)$/ { print $3, $1 }' >"$T/ksyms"
python3 - "$tvaddr" "$tpaddr" "${koff:-x}" "$T/ksyms" >"$T/kernel.pfns" <<'PY' ||
import sys
tv, tp, off = (int(x, 16) for x in sys.argv[1:4])
sym = dict(line.split() for line in open(sys.argv[4]))
for a, b in (("_stext", "_etext"), ("_sdata", "_edata")):
    a, b = int(sym[a], 16) + off, int(sym[b], 16) + off
    for pfn in range((a - tv + tp) >> 12, ((b - 1 - tv + tp) >> 12) + 1):
        print("%x" % pfn)
PY
	echo "not ok - 6.12: cannot find the kernel's text and data (vmlinux symbols, KERNELOFFSET, PT_LOAD)"

# --- ground truth, page by page, at -d 8 and -d 31 ---
save() { # LEVEL: our dump of the vmcore at that level, with statistics
	"$VMCORE_SAVE" --message-level 20 --show-stats -l -d "$1" "$vmcore" "$T/d$1" >"$T/d$1.stats" 2>&1
}
for level in 8 31; do
	if ! save $level; then
		echo "not ok - 6.12 -d $level: vmcore-save failed"
		sed 's/^/    /' "$T/d$level.stats" | tail -5
		continue
	fi
	if [ $level = 8 ]; then
		args=(--expect-absent "$T/user.pfns" --expect-present "$T/cache.pfns")
		desc="all $(grep -c . "$T/anon.pfns") anonymous pattern pages (THP heads and tails) and the zero-filled ones absent, cache pages present"
	else
		args=(--expect-absent "$T/all.pfns")
		desc="every user and cache pattern page absent"
	fi
	"$KD_TOOLS/kdcompare" "${args[@]}" --expect-present "$T/kernel.pfns" "$vmcore" "$T/d$level" >"$T/cmp" 2>&1
	kd_result $? "6.12 -d $level: $desc, the $(grep -c . "$T/kernel.pfns") kernel text/data pages present, kept pages equal the source ($(tail -1 "$T/cmp" | cut -c1-100))"
done
[ -s "$T/d31" ] || { [ -z "$root_pid" ] || wait "$root_pid"; exit 0; }
rm -f "$T/d8"

# --- free pages, and the classes against makedumpfile ---
stat_pages() { # FILE CLASS-LABEL: the hex count of that line of a makedumpfile-style report
	local v
	v=$(awk -v l="$2" 'index($0, l) { print $NF; exit }' "$1")
	[ -n "$v" ] && echo $((v)) || echo "?"
}
classes() { # FILE: the report's counts in one line
	printf 'zero %s, cache %s, private cache %s, user %s, free %s, remaining %s' \
		"$(stat_pages "$1" 'Pages filled with zero')" "$(stat_pages "$1" 'Non-private cache pages')" \
		"$(stat_pages "$1" 'Private cache pages')" "$(stat_pages "$1" 'User process data pages')" \
		"$(stat_pages "$1" 'Free pages')" "$(stat_pages "$1" 'Remaining pages')"
}
free=$(stat_pages "$T/d31.stats" 'Free pages')
[ "$free" != "?" ] && [ "$free" -gt 0 ]
kd_result $? "6.12 -d 31: free pages excluded: $free (ours: $(classes "$T/d31.stats"))"

if ! kd_asan && command -v makedumpfile >/dev/null; then
	makedumpfile --message-level 31 -l -d 31 "$vmcore" "$T/m172" >"$T/m172.stats" 2>&1
	if [ -s "$T/m172" ]; then
		"$KD_TOOLS/kdpageset" --show 0 --source "$vmcore" "$T/d31" "$T/m172" >"$T/set172" 2>&1
		# 1.7.2 takes 6.12's slab pages for user pages and drops them; we keep them
		echo "ok - 6.12: makedumpfile 1.7.2 (Debian 12) -d 31: $(classes "$T/m172.stats");" \
			"pages only in ours: $(grep -A2 '^only in .*d31:' "$T/set172" | sed -n 's/.*by class: //p' | head -1)," \
			"only in its: $(grep -A2 '^only in .*m172:' "$T/set172" | sed -n 's/.*by class: //p' | head -1)"
	fi
	rm -f "$T/m172"
fi

root=
if [ -n "$root_pid" ]; then
	wait "$root_pid"
	case $? in
	0) root=$(cat "$T/troot.out") ;;
	3) echo "skip - 6.12: trixie root (crash 8.0.6+, drgn, makedumpfile 1.7.6) not cached and KDUMPKIT_NO_VM=1"; root= ;;
	*) cat "$T/troot.err"; echo "not ok - 6.12: cannot make the trixie root (tests/vm/trixie-root)"; root= ;;
	esac
fi
if [ -n "$root" ]; then
	. "$KD_ROOT/tests/vm/lib.sh"
	# trixie's makedumpfile 1.7.6 reads 6.12's page types as pre-6.12 inverted bits: no free page
	mkdir -p "$root/kd"
	kd_chroot_run "$root" makedumpfile --message-level 31 -l -d 31 "$vmcore" "/kd/m176.$$" \
		>"$T/m176.stats" 2>&1
	if [ -s "$root/kd/m176.$$" ]; then
		mv "$root/kd/m176.$$" "$T/m176"
		"$KD_TOOLS/kdpageset" --show 0 --source "$vmcore" "$T/d31" "$T/m176" >"$T/set176" 2>&1
		only_ours=$(sed -n 's/.* only-A=\([0-9]*\) .*/\1/p' "$T/set176")
		only_its=$(grep -A2 '^only in .*m176:' "$T/set176" | sed -n 's/.*by class: //p' | head -1)
		# every page it keeps and we drop is a free page (zero-filled or not)
		[ "$only_ours" = 0 ] && [ -n "$only_its" ] &&
			[ -z "$(tr ' ' '\n' <<<"$only_its" | grep -v '^zero-content=\|^free(buddy)=')" ]
		kd_result $? "6.12: makedumpfile 1.7.6 (trixie) -d 31: $(classes "$T/m176.stats"); its dump holds ours plus free pages only ($only_its)"
		rm -f "$T/m176"
	else
		rm -f "$root/kd/m176.$$"
		echo "not ok - 6.12: makedumpfile 1.7.6 in the trixie root failed"
		sed 's/^/    /' "$T/m176.stats" | tail -5
	fi

	# crash: every command on the panic task, not one unreadable page
	"$KD_ROOT/tests/vm/crash-check" -o "$T/crash.txt" -r "$root" -s \
		-e "bt -a" -e ps -e "kmem -i" -e "kmem -s" -e files "$vmlinux" "$T/d31" >"$T/cc" 2>&1
	rc=$?
	tasks=$(awk '/^KD-SECTION x1/ { on = 1; next } /^KD-SECTION/ { on = 0 } on && /^[> ] +[0-9]+ /' "$T/crash.txt" | wc -l)
	kd_result $rc "6.12 -d 31: crash $(sed -n 's/^crash_version=//p' "$root/kd-info.txt") runs sys, bt, log, bt -a, ps ($tasks tasks), kmem -i, kmem -s, files: no excluded or unreadable page"
	[ $rc -eq 0 ] || tail -20 "$T/cc" | sed 's/^/    /'

	# drgn: the tasks and the panic thread's stack
	cat >"$T/drgn.py" <<-'EOF'
		from drgn.helpers.linux.pid import for_each_task
		n = sum(1 for _ in for_each_task(prog))
		trace = prog.crashed_thread().stack_trace()
		names = [f.name for f in trace if f.name]
		print("%d tasks, panic thread: %d frames, sysrq_handle_crash %s"
		      % (n, len(names), "found" if "sysrq_handle_crash" in names else "MISSING"))
	EOF
	kd_chroot_run "$root" timeout 300 drgn -q -s "$vmlinux" -c "$T/d31" "$T/drgn.py" >"$T/drgn.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && grep -q '^[1-9][0-9]* tasks, panic thread: [1-9][0-9]* frames, sysrq_handle_crash found$' "$T/drgn.out"
	kd_result $? "6.12 -d 31: drgn $(sed -n 's/^drgn_version=//p' "$root/kd-info.txt"): $(tail -1 "$T/drgn.out" | cut -c1-100)"
fi
rm -f "$T/d31"
