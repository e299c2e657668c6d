#!/usr/bin/env bash
# Tests of the referees themselves: mkvmcore.py specs, kdcompare, kdpageset and drgn-check.py
# must accept what makedumpfile 1.7.2 writes and reject broken inputs.
# Usage: tests/tools/selftest.sh [BUILD]   (BUILD defaults to $BUILD or build; needs `make tools`)
# Prints "ok - NAME" / "not ok - NAME" / "skip - NAME". Set KDUMPKIT_VMCORE to a real vmcore
# (default /var/cache/kdumpkit/vmcore-6.1-1g/vmcore, used only if it exists) for the real checks.
set -u
cd "$(dirname "$0")/../.."
build=${1:-${BUILD:-build}}
PY=/usr/bin/python3
GEN="$PY tests/gen/mkvmcore.py"
KDC=$build/tools/kdcompare
KDP=$build/tools/kdpageset
DRGN="$PY tests/tools/drgn-check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }
skip() { echo "skip - $1"; }
check() { # NAME COMMAND...: pass when the command exits 0
	local name=$1
	shift
	if "$@" >"$tmp/log" 2>&1; then ok "$name"; else nok "$name"; sed 's/^/# /' "$tmp/log" | tail -5; fi
}
check_fails() { # NAME COMMAND...: pass when the command exits 1 (a check failed, not a crash)
	local name=$1 rc
	shift
	"$@" >"$tmp/log" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ]; then ok "$name"; else nok "$name (exit $rc)"; sed 's/^/# /' "$tmp/log" | tail -5; fi
}

if [ ! -x "$KDC" ] || [ ! -x "$KDP" ]; then
	nok "referee tools built in $build/tools (run make tools)"
	exit 1
fi

# 1. every example spec builds, readelf reads it, libkdumpfile opens it
for spec in tests/gen/specs/*.spec; do
	name=$(basename "$spec" .spec)
	check "mkvmcore $name" $GEN --pfns nonzero="$tmp/$name.nz" "$spec" "$tmp/$name.core"
	check "readelf $name" readelf -h -l -n "$tmp/$name.core"
done
for name in small elf32 phoff192; do
	check "kdcompare $name with itself" "$KDC" --all "$tmp/$name.core" "$tmp/$name.core"
	check "kdcompare $name kept list = mkvmcore nonzero list" \
		bash -c "'$KDC' --list-kept '$tmp/$name.kept' '$tmp/$name.core' '$tmp/$name.core' && cmp '$tmp/$name.kept' '$tmp/$name.nz'"
done
for name in novmcoreinfo badvmcoreinfo; do
	check_fails "kdcompare requires VMCOREINFO/OSRELEASE ($name)" "$KDC" "$tmp/$name.core" "$tmp/$name.core"
	check "kdcompare --no-vmcoreinfo $name" "$KDC" --no-vmcoreinfo "$tmp/$name.core" "$tmp/$name.core"
done

# 2. kdcompare catches changed, missing and truncated data
{ cat tests/gen/specs/small.spec; echo "poke @0x1cc05000 u32:0xdeadbeef"; } >"$tmp/changed.spec"
$GEN "$tmp/changed.spec" "$tmp/changed.core"
check_fails "kdcompare finds a changed page" "$KDC" "$tmp/small.core" "$tmp/changed.core"
check_fails "kdcompare finds a changed VMCOREINFO" bash -c \
	"$GEN --set vmcoreinfo.set=CRASHTIME=1 tests/gen/specs/small.spec '$tmp/v.core' && '$KDC' '$tmp/small.core' '$tmp/v.core'"
check_fails "kdcompare finds a truncated ELF dump" bash -c \
	"$GEN --set truncate=-100000 tests/gen/specs/small.spec '$tmp/t.core' && '$KDC' '$tmp/small.core' '$tmp/t.core'"
check_fails "kdcompare --all finds pages missing from a smaller dump" \
	"$KDC" --all "$tmp/small.core" "$tmp/phoff192.core"

# 3. makedumpfile's output on the synthetic vmcore passes, and its page set is the expected one
if command -v makedumpfile >/dev/null; then
	src=$tmp/small.core
	$GEN --pfns class:anon="$tmp/anon" --pfns class:thp-anon="$tmp/thp" --pfns class:free="$tmp/free" \
		--pfns class:cache="$tmp/cache" --pfns class:cache-private="$tmp/cachep" \
		tests/gen/specs/small.spec "$src"
	for lvl in 0 1 31; do
		makedumpfile -c -d $lvl "$src" "$tmp/mdf$lvl" >"$tmp/mdf$lvl.log" 2>&1 ||
			nok "makedumpfile -c -d $lvl on small.spec"
	done
	check "kdcompare --all small vs makedumpfile -d 0" "$KDC" --all "$src" "$tmp/mdf0"
	check "kdcompare --zero-ok small vs makedumpfile -d 1" "$KDC" --zero-ok "$src" "$tmp/mdf1"
	check "kdcompare small vs makedumpfile -c -d 31" "$KDC" --list-kept "$tmp/k31" "$src" "$tmp/mdf31"
	cat "$tmp/anon" "$tmp/thp" "$tmp/free" "$tmp/cache" "$tmp/cachep" >"$tmp/excluded"
	check "makedumpfile -d 31 excludes every anon/cache/free page" \
		"$KDC" --expect-absent "$tmp/excluded" "$src" "$tmp/mdf31"
	$PY -c 'import sys
nz = {int(l, 16) for l in open(sys.argv[1])}
ex = {int(l, 16) for l in open(sys.argv[2])}
sys.stdout.writelines("%x\n" % p for p in sorted(nz - ex))' "$tmp/small.nz" "$tmp/excluded" >"$tmp/expect31"
	check "makedumpfile -d 31 keeps exactly the expected pages" "$KDP" "$tmp/expect31" "$tmp/k31"
	"$KDP" --source "$src" "$tmp/k31" "$tmp/small.nz" >"$tmp/classes" 2>&1
	if grep -q 'by class: free(buddy)=1024 cache=71 cache-private=16 user(anon)=560$' "$tmp/classes"; then
		ok "kdpageset classifies the excluded pages from struct page"
	else
		nok "kdpageset classifies the excluded pages from struct page"
		sed 's/^/# /' "$tmp/classes" | tail -3
	fi
	# every dump-level bit: makedumpfile keeps exactly the pages mkvmcore expects
	lv_bad="" lv_args=()
	levels=${KD_SELFTEST_LEVELS:-2 3 4 6 8 16 24}
	for lvl in $levels; do lv_args+=(--pfns "expect:$lvl=$tmp/exp$lvl"); done
	$GEN "${lv_args[@]}" tests/gen/specs/small.spec "$tmp/lv.core"
	for lvl in $levels; do
		rm -f "$tmp/lv$lvl"
		makedumpfile -d $lvl "$tmp/lv.core" "$tmp/lv$lvl" >/dev/null 2>&1 &&
			"$KDC" --list-kept "$tmp/lvk$lvl" "$tmp/lv.core" "$tmp/lv$lvl" >/dev/null 2>&1 &&
			"$KDP" "$tmp/exp$lvl" "$tmp/lvk$lvl" >/dev/null 2>&1 || lv_bad="$lv_bad $lvl"
		rm -f "$tmp/lv$lvl"
	done
	[ -z "$lv_bad" ]
	if [ $? -eq 0 ]; then ok "makedumpfile keeps the expect:LEVEL pages at each level"; else nok "makedumpfile keeps the expect:LEVEL pages at each level (wrong at:$lv_bad)"; fi
	check "kdcompare --diff-sets: makedumpfile -d 1 and -d 0 hold the same pages" \
		"$KDC" --diff-sets "$tmp/mdf0" "$tmp/mdf1"
	"$KDC" --diff-sets "$tmp/mdf31" "$tmp/mdf0" >"$tmp/sets" 2>&1
	if [ $? -eq 1 ] && grep -q 'only-A=0 only-B=1688 both=10503 different=0' "$tmp/sets"; then
		ok "kdcompare --diff-sets: -d 31 vs -d 0 page sets"
	else
		nok "kdcompare --diff-sets: -d 31 vs -d 0 page sets"
		sed 's/^/# /' "$tmp/sets" | tail -3
	fi
	# an incomplete dump: descriptors of the last pages zeroed (offset 0), as a writer
	# stopped by a full disk leaves them
	$PY - "$tmp/mdf0" "$tmp/cut0" <<'PYEOF'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
bs = struct.unpack_from("<i", d, 428)[0]
sub_blocks, bitmap_blocks = struct.unpack_from("<iI", d, 432)
desc = (1 + sub_blocks + bitmap_blocks) * bs
struct.pack_into("<I", d, 424, struct.unpack_from("<I", d, 424)[0] | 8)
for i in range(100, 200):          # 100 descriptors never written
    d[desc + 24 * i:desc + 24 * (i + 1)] = bytes(24)
open(sys.argv[2], "wb").write(d)
PYEOF
	check_fails "kdcompare finds unwritten pages of an incomplete dump" "$KDC" "$src" "$tmp/cut0"
	check "kdcompare --incomplete accepts them" "$KDC" --incomplete "$src" "$tmp/cut0"
else
	skip "makedumpfile checks (makedumpfile not installed)"
fi

# 4. drgn opens the synthetic vmcore and makedumpfile's dump of it
if $PY -c 'import drgn' 2>/dev/null; then
	check "drgn-check small.core" $DRGN --osrelease 6.1.0-56-cloud-amd64 "$tmp/small.core"
	[ -f "$tmp/mdf31" ] && check "drgn-check makedumpfile -d 31 of small.core" $DRGN "$tmp/mdf31"
	check_fails "drgn-check fails without VMCOREINFO" $DRGN "$tmp/novmcoreinfo.core"
else
	skip "drgn checks (python3-drgn not installed)"
fi

# 5. a real vmcore, when the VM tier has made one
vmcore=${KDUMPKIT_VMCORE:-/var/cache/kdumpkit/vmcore-6.1-1g/vmcore}
if [ -f "$vmcore" ] && command -v makedumpfile >/dev/null; then
	makedumpfile -c -d 31 "$vmcore" "$tmp/real31" >/dev/null 2>&1
	check "kdcompare real vmcore vs makedumpfile -c -d 31" "$KDC" "$vmcore" "$tmp/real31"
	rm -f "$tmp/real31"
	makedumpfile -d 0 "$vmcore" "$tmp/real0" >/dev/null 2>&1
	check "kdcompare --all real vmcore vs makedumpfile -d 0" "$KDC" --all "$vmcore" "$tmp/real0"
	rm -f "$tmp/real0"
else
	skip "real vmcore checks ($vmcore not found)"
fi
exit $failed
