# Shared helpers for tests/integration/*.sh (sourced). Each test prints
# "ok - NAME", "not ok - NAME" or "skip - NAME" lines, read by tests/run.
# BUILD (from tests/run) names the build folder whose programs are tested;
# the referee tools (libkdumpfile checkers) always come from build/tools.

KD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$KD_ROOT/$BUILD ;; esac
VMCORE_SAVE=$BUILD/vmcore-save
KD_TOOLS=$KD_ROOT/build/tools
# ASan: fail on the first error, report leaks
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

kd_result() { # STATUS NAME...
	local rc=$1
	shift
	if [ "$rc" -eq 0 ]; then echo "ok - $*"; else echo "not ok - $*"; fi
}

kd_tmpdir() {
	KD_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kdumpkit-test.XXXXXX")
	trap 'rm -rf "$KD_TMP"' EXIT
}

# kd_fixture NAME [MAKER]: set KD_FIXTURE to the fixture folder made by tests/vm/MAKER NAME
# (default make-vmcore; built on first use) and source its info.txt; returns 3 (after printing a
# skip line) when VMs are disabled and it is not cached.
kd_fixture() {
	local name=$1 maker=${2:-make-vmcore} rc
	KD_FIXTURE=$("$KD_ROOT/tests/vm/$maker" "$name" 2>"${KD_TMP:-/tmp}/make-vmcore.err")
	rc=$?
	if [ $rc -eq 3 ]; then
		echo "skip - fixture $name not cached and KDUMPKIT_NO_VM=1"
		return 3
	fi
	if [ $rc -ne 0 ]; then
		cat "${KD_TMP:-/tmp}/make-vmcore.err"
		echo "not ok - fixture $name could not be built (status $rc)"
		return 1
	fi
	# shellcheck source=/dev/null
	. "$KD_FIXTURE/info.txt"
	return 0
}

# kd_expect_error NAME REGEX CMD...: CMD must exit non-zero, print exactly one line on
# stderr matching REGEX, and not crash (no sanitizer report, no signal).
kd_expect_error() {
	local name=$1 regex=$2 rc lines
	shift 2
	"$@" >"$KD_TMP/out" 2>"$KD_TMP/err"
	rc=$?
	lines=$(grep -vc '^vmcore-save: .* pages in memory' "$KD_TMP/err")
	if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$lines" -eq 1 ] && grep -Eq "$regex" "$KD_TMP/err"; then
		echo "ok - $name: $(grep -v 'pages in memory' "$KD_TMP/err")"
	else
		echo "not ok - $name (exit $rc, expected /$regex/)"
		sed 's/^/    /' "$KD_TMP/err" | head -20
	fi
}

# The ASan+UBSan pass checks our programs on the same inputs; what external tools (crash,
# QEMU guests) see of the output is the same bytes as in the plain pass, so it runs there only.
kd_asan() { case $BUILD in *asan*) return 0 ;; esac; return 1; }

# kd_crash_check NAME VMLINUX DUMP...: the crash utility opens the dump(s): sys, bt, log.
kd_crash_check() {
	local name=$1 rc
	shift
	if kd_asan; then
		echo "skip - $name (crash runs in the plain pass)"
		return 0
	fi
	"$KD_ROOT/tests/vm/crash-check" -o "$KD_TMP/crash.txt" "$@" >"$KD_TMP/cc" 2>&1
	rc=$?
	kd_result $rc "$name"
	[ $rc -eq 0 ] || tail -20 "$KD_TMP/cc" | sed 's/^/    /'
	return $rc
}
