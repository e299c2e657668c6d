#!/usr/bin/env bash
# A sparse vmcore (zero pages left as file holes, as make-vmcore and `cp --sparse` store them):
# vmcore-save asks the file system for its holes (SEEK_DATA/SEEK_HOLE) and reads none of them,
# and writes the same bytes as from a dense copy of the same vmcore. The bytes read are counted
# by the kernel (/proc/PID/io rchar, read just before the process is reaped).
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
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
	rm -f "$KD_TMP/from-sparse" "$KD_TMP/from-dense"
done
