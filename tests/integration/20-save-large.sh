#!/usr/bin/env bash
# vmcore-save on large, mostly-undescribed vmcores (issue 8): bench/make-large turns the real
# 6.1 1 GiB vmcore into a sparse 16 GiB one whose added memory has no mem_section (memory the
# dead kernel never described). makedumpfile 1.7.2 cuts max_mapnr to the end of the last
# section with a mem_map; vmcore-save must do the same and write the same bytes, read none of
# the added memory at -d 31, and keep its peak memory at the 1 GiB figure.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
kd_fixture 6.1-1g || exit 0
big=$KD_TMP/vmcore-16g
if ! /usr/bin/python3 "$KD_ROOT/bench/make-large" --from "$KD_FIXTURE/vmcore" 16 "$big" >"$KD_TMP/mk" 2>&1; then
	kd_result 1 "bench/make-large 16 from the 6.1-1g vmcore ($(tail -1 "$KD_TMP/mk"))"
	exit 0
fi
kd_result 0 "bench/make-large 16: $(stat -c %s "$big") bytes, $(du -k "$big" | cut -f1) KiB on disk"

runs="-l:31 -c:1 -l:0"
kd_asan && runs="-l:31"
for r in $runs; do
	codec=${r%%:*} level=${r##*:}
	ours=$KD_TMP/ours-$level$codec mdf=$KD_TMP/mdf-$level$codec
	# peak RSS: GNU time is not always installed; read VmHWM from /proc while it runs
	# -c: the system zlib (--zlib-compat), so that the bytes can equal makedumpfile's
	zc=""
	[ "$codec" = -c ] && zc=--zlib-compat
	"$VMCORE_SAVE" $codec $zc -d "$level" "$big" "$ours" >"$KD_TMP/log" 2>&1 &
	pid=$!
	hwm=0
	while kill -0 $pid 2>/dev/null; do
		v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$pid/status 2>/dev/null)
		[ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
		sleep 0.05
	done
	wait $pid
	rc=$?
	kd_result $rc "vmcore-save $codec -d $level on 16 GiB: exit 0 ($(tail -1 "$KD_TMP/log"))" || continue
	if ! kd_asan; then
		[ "$hwm" -lt 32768 ]
		kd_result $? "vmcore-save $codec -d $level on 16 GiB: peak RSS ${hwm} KiB < 32 MiB (sampled)"
	fi
	if command -v makedumpfile >/dev/null; then
		makedumpfile $codec -d "$level" "$big" "$mdf" >"$KD_TMP/mlog" 2>&1
		if [ $? -ne 0 ]; then
			kd_result 1 "makedumpfile $codec -d $level on 16 GiB ($(tail -1 "$KD_TMP/mlog"))"
		else
			cmp -s "$ours" "$mdf"
			kd_result $? "vmcore-save $codec -d $level on 16 GiB: byte-identical to makedumpfile 1.7.2 ($(stat -c %s "$ours") bytes)"
		fi
	fi
	"$KD_TOOLS/kdcompare" "$big" "$ours" >"$KD_TMP/cmp" 2>&1
	kd_result $? "vmcore-save $codec -d $level on 16 GiB: libkdumpfile reads every kept page equal ($(tail -1 "$KD_TMP/cmp"))"
	rm -f "$ours" "$mdf"
done
