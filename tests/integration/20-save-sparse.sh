#!/usr/bin/env bash
# A sparse vmcore (zero pages left as file holes, as make-vmcore and `cp --sparse` store them):
# vmcore-save asks the file system for its holes (SEEK_DATA/SEEK_HOLE) and reads none of them,
# and writes the same bytes as from a dense copy of the same vmcore. The bytes read are counted
# by the kernel (/proc/PID/io rchar, read just before the process is reaped).
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir

# A generated sparse vmcore whose page data is not page aligned in the file (align 8), so
# that holes and pages do not line up: runs of zero pages in holes, data pages between them.
# Batches of pages that all lie in holes are finished without a read or a compression thread,
# as zero pages left out (-d 1) or as the compressed zero page (-d 0): at 1 and 3 threads the
# dump must hold every page's content and equal a dense copy's dump.
cat >"$KD_TMP/holes.spec" <<'SPEC'
align = 8
load @0x100000 pages=2048 fill=zero
@0x100000 pages=300 fill=pattern
@0x300000 pages=5 fill=pattern
@0x400000 pages=3 fill=random:3
load @0x1000000 pages=1024 fill=zero
@0x1010000 pages=1 fill=byte:0x55
SPEC
/usr/bin/python3 "$KD_ROOT/tests/gen/mkvmcore.py" "$KD_TMP/holes.spec" "$KD_TMP/holes.vmcore"
kd_result $? "generate a sparse vmcore with unaligned page data"
cp --sparse=never "$KD_TMP/holes.vmcore" "$KD_TMP/holes-dense.vmcore"
for level in 1 0; do
	ref=$KD_TMP/holes-ref-$level
	"$VMCORE_SAVE" -l -d "$level" --num-threads 1 "$KD_TMP/holes-dense.vmcore" "$ref" 2>/dev/null
	kd_result $? "vmcore-save -l -d $level on its dense copy" || continue
	for n in 1 3; do
		out=$KD_TMP/holes-$level-$n
		"$VMCORE_SAVE" -l -d "$level" --num-threads "$n" "$KD_TMP/holes.vmcore" "$out" 2>/dev/null &&
			"$KD_TOOLS/kdcompare" --all "$KD_TMP/holes.vmcore" "$out" >"$KD_TMP/cmp" 2>&1
		kd_result $? "generated sparse vmcore, -l -d $level --num-threads $n: every page's content ($(tail -1 "$KD_TMP/cmp"))"
		cmp -s "$out" "$ref"
		kd_result $? "generated sparse vmcore, -l -d $level --num-threads $n: the dense copy's bytes"
	done
done

kd_fixture 6.1-1g || exit 0
sparse=$KD_FIXTURE/vmcore
dense=$KD_TMP/vmcore-dense
size=$(stat -c %s "$sparse")
ondisk=$(($(stat -c %b "$sparse") * $(stat -c %B "$sparse")))
if [ "$ondisk" -ge $((size * 3 / 4)) ]; then
	echo "ok - # SKIP the fixture's vmcore is not sparse here ($ondisk of $size bytes on disk)"
	exit 0
fi
cp --sparse=never "$sparse" "$dense"
dense_disk=$(($(stat -c %b "$dense") * $(stat -c %B "$dense")))
[ "$dense_disk" -ge "$size" ]
kd_result $? "dense copy: $dense_disk bytes on disk for $size (sparse original: $ondisk)"

# run CMD...: prints the bytes the process read (rchar) after it exits; exit status is its own
rchar() {
	/usr/bin/python3 - "$@" <<'EOF'
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
io = dict(l.split(': ') for l in open(f'/proc/{p.pid}/io').read().splitlines())
print(int(io['rchar']))
sys.exit(p.wait())
EOF
}

for r in "-l:1" "none:0" "-l:31"; do
	codec=${r%%:*} level=${r##*:}
	c=()
	[ "$codec" = none ] || c=("$codec")
	name="vmcore-save -d $level"
	[ "$codec" = none ] || name="vmcore-save $codec -d $level"
	rs=$(rchar "$VMCORE_SAVE" "${c[@]}" -d "$level" "$sparse" "$KD_TMP/from-sparse")
	kd_result $? "$name on the sparse vmcore: exit 0" || continue
	rd=$(rchar "$VMCORE_SAVE" "${c[@]}" -d "$level" "$dense" "$KD_TMP/from-dense")
	kd_result $? "$name on the dense copy: exit 0" || continue
	cmp -s "$KD_TMP/from-sparse" "$KD_TMP/from-dense"
	kd_result $? "$name: the same bytes from the sparse vmcore and its dense copy ($(stat -c %s "$KD_TMP/from-sparse") bytes)"
	if [ "$level" != 31 ]; then
		# levels 0 and 1 read every page of a dense file; the holes must not be read
		[ "$rs" -le $((rd - (size - ondisk) / 2)) ]
		kd_result $? "$name: holes not read ($rs bytes read from the sparse vmcore, $rd from the dense copy; $((size - ondisk)) bytes of holes)"
	fi
	[ "$level" = 1 ] && cp "$KD_TMP/from-dense" "$KD_TMP/ref-d1"
	if [ "$level" = 1 ]; then
		"$VMCORE_SAVE" -l -d 0 "$dense" "$KD_TMP/ref-d0" 2>/dev/null
		kd_result $? "vmcore-save -l -d 0 on the dense copy: exit 0"
	fi
	rm -f "$KD_TMP/from-sparse" "$KD_TMP/from-dense"
done

# Batches of pages that all lie in holes are finished by the thread that hands out the work,
# between batches the compression threads do (-d 1: zero pages left out; -d 0 -l: the
# compressed zero page): every thread count must still give the dense copy's bytes.
for level in 1 0; do
	for n in 1 2 3 5; do
		"$VMCORE_SAVE" -l -d "$level" --num-threads "$n" "$sparse" "$KD_TMP/threads" 2>/dev/null &&
			cmp -s "$KD_TMP/threads" "$KD_TMP/ref-d$level"
		kd_result $? "vmcore-save -l -d $level --num-threads $n on the sparse vmcore: the dense copy's bytes"
		rm -f "$KD_TMP/threads"
	done
done
