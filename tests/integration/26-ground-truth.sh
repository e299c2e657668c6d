#!/usr/bin/env bash
# Page classes against ground truth: before the crash the guest filled anonymous memory (mostly
# in 2 MiB transparent huge pages, Debian's THP default), tmpfs files and block-backed page
# cache with pattern pages and recorded their PFNs (tests/vm/fill.c). libkdumpfile must find
# every recorded page absent, or present, as each dump level says: at -d 8 all anonymous pages,
# heads and tails of every THP, are gone and the cache pages stay; -d 2 drops the tmpfs pages,
# -d 4 and -d 31 all cache pages.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP
for fixture in ${KD_GT_FIXTURES:-6.1-1g}; do
	kd_fixture "$fixture" || continue
	gt=$KD_FIXTURE/ground-truth.txt
	vmcore=$KD_FIXTURE/vmcore
	for kind in anon zero shmem block; do
		awk -v k="$kind" '$1 == k { sub(/^0x/, "", $3); print $3 }' "$gt" >"$T/$kind.pfns"
	done
	cat "$T/shmem.pfns" "$T/block.pfns" >"$T/cache.pfns"
	cat "$T/anon.pfns" "$T/zero.pfns" >"$T/user.pfns"
	cat "$T/user.pfns" "$T/cache.pfns" >"$T/all.pfns"
	thp=$(grep -c . "$T/anon.pfns")
	check() { # LEVEL ABSENT PRESENT DESCRIPTION
		local level=$1 absent=$2 present=$3 desc=$4 args=()
		"$VMCORE_SAVE" --message-level 4 -l -d "$level" "$vmcore" "$T/d$level" || {
			echo "not ok - $fixture -d $level: vmcore-save failed"
			return
		}
		[ -n "$absent" ] && args+=(--expect-absent "$T/$absent.pfns")
		[ -n "$present" ] && args+=(--expect-present "$T/$present.pfns")
		"$KD_TOOLS/kdcompare" "${args[@]}" "$vmcore" "$T/d$level" >"$T/cmp" 2>&1
		kd_result $? "$fixture -d $level: $desc ($(tail -1 "$T/cmp"))"
		rm -f "$T/d$level"
	}
	kd_asan || check 0 "" all "every pattern page present at -d 0"
	check 8 user cache "all $thp anonymous pattern pages absent (THP heads and tails), cache pages present"
	# block-device cache pages carry buffer heads (PG_private): only -d 4 drops them
	check 2 shmem "" "tmpfs (non-private cache) pattern pages absent"
	check 4 cache "" "all cache pattern pages absent"
	check 31 all "" "every user and cache pattern page absent"
done
