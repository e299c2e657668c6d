#!/usr/bin/env bash
# 30-loader-cli: kdump-load's commands on /proc and /sys fixtures (KDUMP_LOAD_SYSROOT, --iomem),
# exit codes, JSON output, kexec spellings, and clean failures on this machine and as non-root.
# Never arms anything: every load here is refused before the system call.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$(pwd)/$BUILD/kdump-load
data=$(pwd)/tests/data/iomem
py=/usr/bin/python3

if [ ! -x "$bin" ]; then
	echo "not ok - loader-cli: $bin not built"
	exit 1
fi
work=$(mktemp -d /tmp/kd-loader-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

# a fake x86_64 bzImage: setup header 2.15, init_size 50 MiB, 4 MiB file; a 1 MiB initrd
"$py" - "$work/vmlinuz" <<'PY'
import struct, sys
h = bytearray(4 * 1024 * 1024)
h[0x1f1] = 27
struct.pack_into("<H", h, 0x1fe, 0xaa55)
h[0x202:0x206] = b"HdrS"
struct.pack_into("<H", h, 0x206, 0x020f)
struct.pack_into("<I", h, 0x230, 0x200000)
struct.pack_into("<H", h, 0x236, 0x7f)
struct.pack_into("<I", h, 0x238, 2047)
struct.pack_into("<I", h, 0x260, 50 << 20)
open(sys.argv[1], "wb").write(h)
PY
truncate -s 1M "$work/initrd"

mkroot() { # DIR IOMEM-FIXTURE LOADED SIZE (LOADED "-" = no sysfs files)
	mkdir -p "$1/proc" "$1/sys/kernel"
	cp "$data/$2" "$1/proc/iomem"
	echo "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda crashkernel=256M quiet" >"$1/proc/cmdline"
	if [ "$3" != - ]; then
		echo "$3" >"$1/sys/kernel/kexec_crash_loaded"
		echo "$4" >"$1/sys/kernel/kexec_crash_size"
	fi
	chmod -R a+rX "$1"
}
mkroot "$work/r1g" x86-1g-256m.txt 0 268435456
mkroot "$work/r1g-loaded" x86-1g-256m.txt 1 268435456
mkroot "$work/r6g" x86-6g-low-high.txt 0 268435456
mkroot "$work/rnone" x86-none.txt 0 0
mkroot "$work/rnokexec" x86-none.txt - -
mkroot "$work/rnonroot" nonroot.txt 1 268435456

failed=0
out=$work/out
# expect NAME RC-WANTED PATTERN-OR-EMPTY -- command...   (PATTERN is a grep -E on stdout+stderr)
expect() {
	local name=$1 want=$2 pat=$3 rc
	shift 4
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "not ok - loader-cli: $name (exit $rc, wanted $want)"
		sed 's/^/#   /' "$out" | head -20
		failed=1
	elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$out"; then
		echo "not ok - loader-cli: $name (no /$pat/ in the output)"
		sed 's/^/#   /' "$out" | head -20
		failed=1
	else
		echo "ok - loader-cli: $name"
	fi
}
# jcheck NAME PYTHON-EXPRESSION-ON-j: the last output must be JSON satisfying it
jcheck() {
	if "$py" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$out" "$2" 2>/dev/null; then
		echo "ok - loader-cli: $1"
	else
		echo "not ok - loader-cli: $1 ($2)"
		sed 's/^/#   /' "$out" | head -30
		failed=1
	fi
}
K=$work/vmlinuz
I=$work/initrd
export KDUMP_LOAD_SYSROOT=$work/r1g

expect "plan on 1 GiB crashkernel=256M is ready" 0 "verdict: +ready to load" -- \
	"$bin" plan "$K" --initrd="$I" --append="console=ttyS0"
expect "plan --json" 0 "" -- "$bin" plan "$K" --initrd="$I" --append="console=ttyS0" --json
jcheck "plan JSON: one target range that fits, kexec_file_load" \
	'j["ok"] and len(j["crash_ranges"]) == 1 and j["crash_ranges"][0]["target"] and j["crash_ranges"][0]["fits"] and j["syscall"] == "kexec_file_load" and j["kernel"]["format"] == "bzImage" and j["cmdline"] == "console=ttyS0 irqpoll nr_cpus=1 reset_devices"'
expect "plan --reuse-cmdline" 0 "" -- "$bin" plan "$K" --reuse-cmdline --json
jcheck "reused command line drops BOOT_IMAGE= and crashkernel=" \
	'j["cmdline"] == "root=/dev/vda quiet irqpoll nr_cpus=1 reset_devices" and j["initrd"] is None and "KEXEC_FILE_NO_INITRAMFS" in j["flags"]'
expect "plan on the arm64 field case (--iomem)" 0 "" -- \
	"$bin" plan "$K" --initrd="$I" --iomem="$data/arm64-field-low-high.txt" --json
jcheck "field case: two ranges, the high one is the target" \
	'[r["start"] for r in j["crash_ranges"]] == ["0x78000000", "0x205fc0000000"] and j["crash_ranges"][1]["target"] and not j["crash_ranges"][0]["target"]'
expect "plan on 6 GiB low+high" 0 "" -- env KDUMP_LOAD_SYSROOT="$work/r6g" "$bin" plan "$K" --json
jcheck "6 GiB: low range below 4 GiB, high target above" \
	'len(j["crash_ranges"]) == 2 and int(j["crash_ranges"][0]["end"], 16) < 1 << 32 and int(j["crash_ranges"][1]["start"], 16) >= 1 << 32 and j["crash_ranges"][1]["target"]'
expect "plan on 17 ranges of 16 MiB: too small, exit 4" 4 "too small" -- \
	"$bin" plan "$K" --iomem="$data/many-17.txt"
expect "plan on 17 ranges lists all 17" 4 "" -- "$bin" plan "$K" --iomem="$data/many-17.txt" --json
jcheck "17 ranges in JSON" 'len(j["crash_ranges"]) == 17 and not j["ok"] and j["problems"][0]["kind"] == "crash-memory-too-small"'
expect "plan without crash memory: exit 4" 4 "crashkernel=" -- \
	env KDUMP_LOAD_SYSROOT="$work/rnone" "$bin" plan "$K"
expect "plan on a malformed iomem: line number" 1 "bad-overlap.txt' line 3" -- \
	"$bin" plan "$K" --iomem="$data/bad-overlap.txt"
expect "plan with a non-kernel: exit 5" 5 "not a bzImage" -- "$bin" plan /bin/sh
expect "plan with a missing kernel: exit 1" 1 "cannot open kernel '/nonexistent'" -- \
	"$bin" plan /nonexistent
expect "plan with a missing initrd: exit 1" 1 "cannot open initrd" -- \
	"$bin" plan "$K" --initrd=/nonexistent
expect "plan with -c names kexec_load" 0 "syscall: +kexec_load \(KEXEC_ON_CRASH" -- "$bin" plan -c "$K"
expect "plan -c --json" 0 "" -- "$bin" plan -c "$K" --initrd="$I" --json
jcheck "plan -c JSON: kexec_load, KEXEC_ON_CRASH" 'j["syscall"] == "kexec_load" and j["flags"] == ["KEXEC_ON_CRASH"] and j["ok"]'

expect "load without crash memory is refused: exit 4" 4 "no memory is reserved" -- \
	env KDUMP_LOAD_SYSROOT="$work/rnone" "$bin" load "$K" --initrd="$I"
expect "kexec spelling -p KERNEL --initrd= --append= goes the same way" 4 "no memory is reserved" -- \
	env KDUMP_LOAD_SYSROOT="$work/rnone" "$bin" -p "$K" --initrd="$I" --append="x=1"
expect "load -c without crash memory is refused: exit 4" 4 "no memory is reserved" -- \
	env KDUMP_LOAD_SYSROOT="$work/rnone" "$bin" -p -c "$K"
expect "load of a non-kernel is refused: exit 5" 5 "not a bzImage" -- \
	"$bin" load /bin/sh
expect "load on 17 too-small ranges is refused: exit 4" 4 "too small" -- \
	"$bin" load "$K" --iomem="$data/many-17.txt"

expect "status: not loaded, exit 3" 3 "crash kernel: +not loaded" -- "$bin" status
expect "status: loaded, exit 0" 0 "crash kernel: +loaded" -- \
	env KDUMP_LOAD_SYSROOT="$work/r1g-loaded" "$bin" status
expect "status -S --json (kexec spelling)" 0 "" -- \
	env KDUMP_LOAD_SYSROOT="$work/r1g-loaded" "$bin" -S --json
jcheck "status JSON" 'j["loaded"] is True and j["kexec_crash_size"] == 268435456 and j["crash_ranges"][0]["start"] == "0x2f000000"'
expect "status without kexec sysfs: exit 7" 7 "no kexec support" -- \
	env KDUMP_LOAD_SYSROOT="$work/rnokexec" "$bin" status
expect "status on a non-root iomem view: ranges unknown" 0 "run as root" -- \
	env KDUMP_LOAD_SYSROOT="$work/rnonroot" "$bin" status
expect "--sysroot option" 0 "crash kernel: +loaded" -- \
	env -u KDUMP_LOAD_SYSROOT "$bin" status --sysroot="$work/r1g-loaded"

expect "no arguments: usage, exit 2" 2 "usage:" -- "$bin"
expect "unknown option: exit 2" 2 "usage:" -- "$bin" load --frobnicate
expect "load without a kernel: exit 2" 2 "no kernel image given" -- "$bin" load
expect "two kernels: exit 2" 2 "unexpected argument" -- "$bin" load "$K" "$K"
expect "conflicting actions: exit 2" 2 "conflicting" -- "$bin" status -u
expect "--help" 0 "usage:" -- "$bin" --help

# non-root: refused before anything is read
if command -v setpriv >/dev/null; then
	nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	expect "non-root load: exit 6" 6 "needs root" -- "${nobody[@]}" "$bin" load "$K"
	expect "non-root unload: exit 6" 6 "needs root" -- "${nobody[@]}" "$bin" unload
	expect "non-root unload -c: exit 6" 6 "needs root" -- "${nobody[@]}" "$bin" -u -c
	expect "non-root plan on a zeroed iomem: exit 6" 6 "run as root" -- \
		env KDUMP_LOAD_SYSROOT="$work/rnonroot" "${nobody[@]}" "$bin" plan "$K"
	if [ "$(id -u)" = 0 ] && grep -q . /proc/iomem; then
		# the real /proc/iomem as nobody shows zeros
		expect "non-root status on this machine: never a crash" "$(env -u KDUMP_LOAD_SYSROOT "${nobody[@]}" "$bin" status >/dev/null 2>&1; echo $?)" "" -- \
			env -u KDUMP_LOAD_SYSROOT "${nobody[@]}" "$bin" status
		grep -q "run as root" "$out" && echo "ok - loader-cli: non-root status on this machine says run as root" ||
			{ echo "not ok - loader-cli: non-root status on this machine says run as root"; sed 's/^/#   /' "$out"; failed=1; }
	fi
else
	echo "skip - loader-cli: non-root checks (no setpriv)"
fi

# this machine, for real: only where nothing could be armed or disarmed by mistake
unset KDUMP_LOAD_SYSROOT
if ! grep -q "Crash kernel" /proc/iomem 2>/dev/null; then
	"$bin" load "$K" --initrd="$I" >"$out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$(wc -l <"$out")" -ge 1 ]; then
		echo "ok - loader-cli: load on this machine (no crash memory) fails cleanly: exit $rc: $(head -1 "$out")"
	else
		echo "not ok - loader-cli: load on this machine: exit $rc"
		failed=1
	fi
else
	echo "skip - loader-cli: this machine has crash memory; not loading on it"
fi
if [ "$(cat /sys/kernel/kexec_crash_loaded 2>/dev/null || echo none)" != 1 ]; then
	"$bin" unload >"$out" 2>&1
	rc=$?
	if [ $rc -lt 128 ]; then
		echo "ok - loader-cli: unload on this machine: exit $rc: $(head -1 "$out")"
	else
		echo "not ok - loader-cli: unload on this machine crashed: exit $rc"
		failed=1
	fi
	"$bin" status >"$out" 2>&1
	rc=$?
	if [ $rc -lt 128 ]; then
		echo "ok - loader-cli: status on this machine: exit $rc"
	else
		echo "not ok - loader-cli: status on this machine crashed: exit $rc"
		failed=1
	fi
else
	echo "skip - loader-cli: a crash kernel is loaded here; not unloading it"
fi
exit "$failed"
