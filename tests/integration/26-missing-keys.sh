#!/usr/bin/env bash
# A kernel whose VMCOREINFO lacks a key that a dump level needs: in a copy of the real 6.1
# vmcore one key of the VMCOREINFO note is renamed to junk of the same length (so the note and
# the file keep their layout), one case per page class. vmcore-save -d 31 must then warn once
# per class it cannot exclude, naming the key and the class, exit 0, and write a correct, larger
# dump: every page of the normal -d 31 dump kept, every kept page equal to the source, and the
# ground-truth pages of the unfiltered classes present (those of the other classes still absent).
# (Zero-filled user pages kept because user data is unfiltered are stored as the shared zero page,
# as makedumpfile does: readable, so not "absent".)
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP
kd_fixture 6.1-1g || exit 0
orig=$KD_FIXTURE/vmcore
gt=$KD_FIXTURE/ground-truth.txt
for kind in anon zero shmem block; do
	awk -v k="$kind" '$1 == k { sub(/^0x/, "", $3); print $3 }' "$gt" >"$T/$kind.pfns"
done
cat "$T/shmem.pfns" "$T/block.pfns" >"$T/cache.pfns"

# the reference: -d 31 with every key
"$VMCORE_SAVE" --message-level 4 -l -d 31 "$orig" "$T/ref" 2>"$T/ref.err" ||
	{ echo "not ok - missing keys: vmcore-save -d 31 on the unchanged vmcore failed"; exit 0; }
"$KD_TOOLS/kdcompare" --list-kept "$T/ref.kept" "$orig" "$T/ref" >/dev/null 2>&1 ||
	{ echo "not ok - missing keys: kdcompare on the reference dump failed"; exit 0; }

# one sparse copy; each case renames one key in it and puts it back afterwards
cp --sparse=always "$orig" "$T/vmcore" || { echo "not ok - missing keys: cannot copy the vmcore"; exit 0; }
patch_key() { # FROM TO: overwrite the note text FROM (found once in the first MiB) with TO
	local off
	off=$(head -c 1048576 "$T/vmcore" | grep -obaF -- "$1" | cut -d: -f1)
	[ -n "$off" ] && [ "$(wc -w <<<"$off")" -eq 1 ] && [ ${#1} -eq ${#2} ] || return 1
	printf '%s' "$2" | dd of="$T/vmcore" bs=1 seek="$off" conv=notrunc status=none
}

# KEY  CLASSES (dump-level bits left unfiltered)  GT_PRESENT  GT_ABSENT  EXTRA_CLASS
# EXTRA_CLASS: a kdpageset class the pages kept only by the new dump must include
cases=(
	"NUMBER(PG_lru)|2 4|shmem block|anon zero|cache"
	"OFFSET(page.mapping)|2 4 8|anon shmem block||user"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)|16||anon zero shmem block|free"
	"OFFSET(page._mapcount)|16||anon zero shmem block|free"
)
for c in "${cases[@]}"; do
	IFS='|' read -r key classes present absent extra <<<"$c"
	name=${key#*(}
	name=${name%)}
	junk=kdjunk$(printf '%*s' $((${#name} - 6)) '' | tr ' ' x)
	junkkey="${key%%(*}($junk)"
	tag="missing $key"
	if ! patch_key "$key=" "$junkkey="; then
		echo "not ok - $tag: the key is not in the vmcore's VMCOREINFO note once"
		continue
	fi
	rm -f "$T/out"
	"$VMCORE_SAVE" --message-level 4 -l -d 31 "$T/vmcore" "$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "not ok - $tag: vmcore-save exited $rc"
		sed 's/^/    /' "$T/err" | head -5
		continue
	fi
	kd_result 0 "$tag: vmcore-save -d 31 exits 0"

	# one warning line per unfiltered class, naming the key; nothing else
	grep '^vmcore-save: warning:' "$T/err" >"$T/warn"
	ok=0
	[ "$(grep -c . "$T/warn")" -eq "$(wc -w <<<"$classes")" ] || ok=1
	for cl in $classes; do
		grep -F "dump level $cl (" "$T/warn" | grep -qF "$key" || ok=1
	done
	[ "$(grep -vc '^vmcore-save: warning:\|pages in memory' "$T/err")" -eq 0 ] || ok=1
	kd_result $ok "$tag: one warning per class ($classes) naming the key: $(head -1 "$T/warn" | cut -c1-150)"
	[ $ok -eq 0 ] || sed 's/^/    /' "$T/err" | head -8

	# every kept page equals the source; present/absent ground truth
	args=()
	for k in $present; do args+=(--expect-present "$T/$k.pfns"); done
	for k in $absent; do args+=(--expect-absent "$T/$k.pfns"); done
	"$KD_TOOLS/kdcompare" --list-kept "$T/out.kept" "${args[@]}" "$T/vmcore" "$T/out" >"$T/cmp" 2>&1
	kd_result $? "$tag: kept pages equal the source; ground truth present: ${present:-none}, absent: $absent ($(tail -1 "$T/cmp" | cut -c1-120))"
	patch_key "$junkkey=" "$key=" || { echo "not ok - $tag: cannot restore the key"; break; }

	# a superset of the normal dump's pages, and larger by pages of the unfiltered class
	"$KD_TOOLS/kdpageset" --source "$orig" "$T/ref" "$T/out" >"$T/set" 2>&1
	only_ref=$(sed -n 's/.* only-A=\([0-9]*\) .*/\1/p' "$T/set")
	only_new=$(sed -n 's/.* only-B=\([0-9]*\) .*/\1/p' "$T/set")
	diff=$(sed -n 's/.* different=\([0-9]*\).*/\1/p' "$T/set")
	byclass=$(grep -m1 'by class:' "$T/set" | sed 's/^ *by class: *//')
	missing_kept=$(comm -23 <(sort "$T/ref.kept") <(sort "$T/out.kept") | wc -l)
	[ "${only_ref:-x}" = 0 ] && [ "${diff:-x}" = 0 ] && [ "$missing_kept" -eq 0 ] &&
		[ "${only_new:-0}" -gt 0 ] && grep -Eq "(^| )${extra}[-(=]" <<<"$byclass"
	kd_result $? "$tag: a superset of the normal -d 31 dump (+${only_new:-?} pages: $byclass)"
done
rm -f "$T/vmcore" "$T/out" "$T/ref"
