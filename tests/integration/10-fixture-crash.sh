#!/usr/bin/env bash
# The real-vmcore fixture (tests/vm/make-vmcore 6.1-1g) and the reference tools on it:
# the vmcore has the notes, its ground-truth pages are in place, the crash utility sees the
# sysrq panic in it, and in makedumpfile's -c -d 31 output of it.
# KDUMPKIT_NO_VM=1: use the fixture only if it is cached, else skip.
set -u
cd "$(dirname "$0")/../.." || exit 1
vm=tests/vm
name=6.1-1g

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dir=$("$vm/make-vmcore" "$name" 2>"$tmp/make.err")
rc=$?
cat "$tmp/make.err"
if [ $rc -eq 3 ]; then
	echo "skip - fixture $name: not cached and KDUMPKIT_NO_VM=1"
	exit 0
fi
if [ $rc -ne 0 ]; then
	echo "not ok - fixture $name: make-vmcore failed (status $rc)"
	exit 0
fi
echo "ok - fixture $name: $dir"

vmlinux=
# shellcheck source=/dev/null
. "$dir/info.txt"

result() { # STATUS NAME
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi
}

notes=$(readelf -nW "$dir/vmcore" 2>&1)
grep -q VMCOREINFO <<<"$notes" && grep -q NT_PRSTATUS <<<"$notes"
result $? "fixture $name: readelf -n shows VMCOREINFO and NT_PRSTATUS"

if [ -x /usr/bin/python3 ]; then
	"$vm/gt-check" "$dir/vmcore" "$dir/ground-truth.txt" --present anon,zero,shmem,block
	result $? "fixture $name: every ground-truth page is in the raw vmcore"
else
	echo "skip - fixture $name: ground truth (no /usr/bin/python3)"
fi

if [ -z "$vmlinux" ] || [ ! -r "$vmlinux" ]; then
	echo "not ok - fixture $name: no debug vmlinux ('$vmlinux')"
	exit 0
fi

"$vm/crash-check" -o "$tmp/raw.crash.txt" "$vmlinux" "$dir/vmcore"
result $? "crash on the raw vmcore: sys, bt, log show the sysrq panic"

if command -v makedumpfile >/dev/null; then
	makedumpfile -c -d 31 "$dir/vmcore" "$tmp/d31.kdump" >"$tmp/mdf.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || cat "$tmp/mdf.log"
	result $rc "makedumpfile -c -d 31 on the raw vmcore"
	if [ $rc -eq 0 ]; then
		"$vm/crash-check" -o "$tmp/d31.crash.txt" "$vmlinux" "$tmp/d31.kdump"
		result $? "crash on makedumpfile -c -d 31 output: sys, bt, log show the sysrq panic"
	fi
else
	echo "skip - makedumpfile checks (makedumpfile not installed)"
fi
