#!/usr/bin/env bash
# Replay every input the fuzzers once crashed on (tests/fuzz/regressions/<target>/) through the
# programs of $BUILD: ELF vmcores and kdump files through vmcore-save -d 1, flattened streams
# through vmcore-save -R, /proc/iomem texts and kernel images through kdump-load plan. Each
# must end with exit < 128 and no sanitizer report (the ASan build runs this too). When the
# clang fuzz binaries exist (make fuzz-build), the inputs are also replayed through them.
# A file NAME.txt next to an input describes it and is not replayed.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP
REG=$KD_ROOT/tests/fuzz/regressions
FUZZ_BIN=${FUZZ_BUILD:-$KD_ROOT/build-fuzz}/fuzz
KDUMP_LOAD=$BUILD/kdump-load
IOMEM=$KD_ROOT/tests/data/iomem/x86-1g-256m.txt
export ASAN_OPTIONS=${ASAN_OPTIONS}:exitcode=99
export UBSAN_OPTIONS=${UBSAN_OPTIONS}:exitcode=99
export KD_ROOT

# An input for each kind of program: the real kernel if cached, else a file that is no kernel.
KERNEL=$(ls /var/cache/kdumpkit/kernel/*/boot/vmlinuz-* 2>/dev/null | head -1)
[ -n "$KERNEL" ] || { head -c 8192 /dev/zero >"$T/kernel"; KERNEL=$T/kernel; }

# run_clean WHAT CMD...: CMD must exit below 128 within 30 s, grow no file past 4 GiB (bitmaps of
# an address space at TiBs are sparse holes), and print no sanitizer report. Standard input is
# $T/stdin.
bad=0 n=0
run_clean() {
	local what=$1 rc why
	shift
	{ (ulimit -f 4194304; timeout -s KILL 30 "$@" >/dev/null 2>"$T/err" <"$T/stdin"; exit $?); } 2>/dev/null
	rc=$?
	case $rc in
	137) why="no result after 30 s" ;;
	153) why="grew a file past 4 GiB" ;;
	*) why="exit $rc" ;;
	esac
	if [ $rc -ge 128 ] || [ $rc -eq 99 ] || grep -Eq 'Sanitizer|runtime error|ERROR: libFuzzer' "$T/err"; then
		echo "not ok - $what ($why)"
		grep -E 'ERROR|runtime error|SUMMARY' "$T/err" | head -5 | sed 's/^/    /'
		bad=$((bad + 1))
	fi
	n=$((n + 1))
}

total=0
for dir in "$REG"/fuzz-*; do
	[ -d "$dir" ] || continue
	t=$(basename "$dir")
	inputs=()
	for f in "$dir"/*; do
		[ -f "$f" ] && [ "${f%.txt}" = "$f" ] && inputs+=("$f")
	done
	[ ${#inputs[@]} -gt 0 ] || continue
	bad=0 n=0
	for f in "${inputs[@]}"; do
		name="$t/$(basename "$f")"
		rm -f "$T/out"
		: >"$T/stdin"
		case $t in
		fuzz-elf-vmcore | fuzz-kdump-read)
			run_clean "$name: vmcore-save -d 1" "$VMCORE_SAVE" --message-level 4 -d 1 "$f" "$T/out" ;;
		fuzz-flat)
			cp "$f" "$T/stdin"
			run_clean "$name: vmcore-save -R" "$VMCORE_SAVE" --message-level 4 -R "$T/out"
			: >"$T/stdin"
			;;
		fuzz-iomem)
			[ -x "$KDUMP_LOAD" ] &&
				run_clean "$name: kdump-load plan --iomem" "$KDUMP_LOAD" plan "$KERNEL" --iomem="$f" ;;
		fuzz-bzimage)
			[ -x "$KDUMP_LOAD" ] &&
				run_clean "$name: kdump-load plan" "$KDUMP_LOAD" plan "$f" --iomem="$IOMEM" ;;
		esac
		if [ -x "$FUZZ_BIN/$t" ]; then
			run_clean "$name: $t" "$FUZZ_BIN/$t" -timeout=25 "$f"
		fi
	done
	total=$((total + ${#inputs[@]}))
	[ "$bad" -eq 0 ] && echo "ok - $t: ${#inputs[@]} regression inputs, $n runs, all clean"
done
[ "$total" -gt 0 ] || echo "skip - no fuzz regression inputs yet (tests/fuzz/regressions/)"
