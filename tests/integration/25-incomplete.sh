#!/usr/bin/env bash
# Never lose a dump: a full disk, SIGINT/SIGTERM and SIGKILL mid-dump each leave a file that
# libkdumpfile opens, marked incomplete (header status 0x8), with every written page intact;
# short writes (an LD_PRELOAD shim lets 1000 bytes through a call) change no byte of the output.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
kd_fixture 6.1-1g || exit 0
vmcore=$KD_FIXTURE/vmcore
T=$KD_TMP

status_of() { od -An -tu4 -j424 -N4 "$1" | tr -d ' '; }
check_partial() { # NAME FILE
	local st
	st=$(status_of "$2")
	[ -n "$st" ] && [ $((st & 8)) -eq 8 ]
	kd_result $? "$1: header marked incomplete (status $st)"
	"$KD_TOOLS/kdcompare" --incomplete "$vmcore" "$2" >"$T/cmp" 2>&1
	kd_result $? "$1: libkdumpfile reads every written page identical ($(tail -1 "$T/cmp"))"
}

# A full disk: a 48 MiB tmpfs for an 800 MiB uncompressed dump.
mnt=$T/small
mkdir -p "$mnt"
if mount -t tmpfs -o size=48m kdumpkit-test "$mnt" 2>/dev/null; then
	kd_expect_error "disk full" "'$mnt/dump' is incomplete \([0-9]+ of [0-9]+ pages written\).*No space left" \
		"$VMCORE_SAVE" --message-level 4 -d 0 "$vmcore" "$mnt/dump"
	# (read it from a disk with room: mmap of a hole in a full tmpfs raises SIGBUS)
	cp --sparse=always "$mnt/dump" "$T/full-dump"
	umount "$mnt"
	check_partial "disk full" "$T/full-dump"
else
	echo "skip - disk full: cannot mount a tmpfs here"
fi

# Signals: stop cleanly on SIGINT and SIGTERM; SIGKILL leaves the header as it was.
for sig in INT TERM KILL; do
	rm -f "$T/sig"
	"$VMCORE_SAVE" --message-level 4 --num-threads 1 -c -d 0 "$vmcore" "$T/sig" 2>"$T/err" &
	pid=$!
	for _ in $(seq 50); do
		# until some page data is on disk (the descriptor table is a sparse hole)
		[ $(( $(stat -c %b "$T/sig" 2>/dev/null || echo 0) * 512 )) -gt 12000000 ] && break
		sleep 0.1
	done
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	if [ "$sig" = KILL ]; then
		[ $rc -eq 137 ]
	else
		[ $rc -eq 1 ] && grep -q "interrupted by a signal" "$T/err"
	fi
	kd_result $? "SIG$sig mid-dump: exit $rc ($(tail -1 "$T/err"))"
	check_partial "SIG$sig" "$T/sig"
done

# Short writes: every write(2)/pwrite(2) to a regular file takes at most 1000 bytes (an LD_PRELOAD
# shim, tests/fault/eio-shim.c); the file and the flattened stream must come out byte-identical.
export ASAN_OPTIONS=${ASAN_OPTIONS}:verify_asan_link_order=0
if cc -shared -fPIC -O2 -o "$T/shim.so" "$KD_ROOT/tests/fault/eio-shim.c" -ldl 2>/dev/null; then
	"$VMCORE_SAVE" --message-level 0 -z -d 31 "$vmcore" "$T/ref" &&
		"$VMCORE_SAVE" --message-level 0 -F -z -d 31 "$vmcore" >"$T/ref.flat"
	env LD_PRELOAD="$T/shim.so" KD_SHIM_SHORT_WRITE=1000 \
		"$VMCORE_SAVE" --message-level 4 -z -d 31 "$vmcore" "$T/short" 2>"$T/err"
	rc=$?
	env LD_PRELOAD="$T/shim.so" KD_SHIM_SHORT_WRITE=1000 \
		"$VMCORE_SAVE" --message-level 4 -F -z -d 31 "$vmcore" >"$T/short.flat" 2>>"$T/err"
	rc2=$?
	[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ ! -s "$T/err" ] && cmp -s "$T/ref" "$T/short" &&
		cmp -s "$T/ref.flat" "$T/short.flat"
	kd_result $? "short writes (1000 bytes a call): file and -F stream byte-identical to a normal run (exit $rc, $rc2)"
	"$KD_TOOLS/kdcompare" "$vmcore" "$T/short" >"$T/cmp" 2>&1
	kd_result $? "short writes: libkdumpfile reads every page identical ($(tail -1 "$T/cmp" | cut -c1-100))"
	rm -f "$T/ref" "$T/short" "$T/ref.flat" "$T/short.flat"
else
	echo "skip - short writes: cannot build the shim (no cc)"
fi
