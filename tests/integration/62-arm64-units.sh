#!/usr/bin/env bash
# The unit tests built for arm64 (make CROSS=aarch64-linux-gnu- BUILD=build-arm64 unit) and run
# under qemu-user: the formats, filters, codecs (test-deflate: Debian's GCC 12 for arm64 once
# dropped the fixed Huffman tables, formats/deflate.c huff_codes) and the arm64 loader pieces
# on the architecture that runs them in a capture kernel. test-kexec-load, test-plan and
# test-purgatory test the x86_64 loader and purgatory of the build they are in: skipped here.
# Env: KD_ARM64_BUILD (use this arm64 build, do not run make).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
case $BUILD in *asan*) echo "skip - arm64 unit tests: run in the plain pass"; exit 0 ;; esac
command -v aarch64-linux-gnu-gcc >/dev/null || { echo "skip - arm64 unit tests: no aarch64-linux-gnu-gcc (scripts/setup-deps installs it)"; exit 0; }
command -v qemu-aarch64 >/dev/null || { echo "skip - arm64 unit tests: no qemu-aarch64 (package qemu-user)"; exit 0; }
[ -n "${KD_ARM64_BUILD:-}" ] || [ -e /usr/lib/aarch64-linux-gnu/libz.so ] ||
	{ echo "skip - arm64 unit tests: the arm64 -dev libraries (multiarch :arm64) are not installed (scripts/setup-deps)"; exit 0; }
A64=${KD_ARM64_BUILD:-build-arm64}
if [ -z "${KD_ARM64_BUILD:-}" ]; then
	t0=$SECONDS
	if ! tests/vm/arm64-make unit; then
		echo "not ok - arm64 unit tests: make CROSS=aarch64-linux-gnu- unit failed"
		exit 1
	fi
	echo "ok - arm64 unit tests built ($((SECONDS - t0))s)"
fi
for t in "$A64"/tests/test-*; do
	name=$(basename "$t")
	case $name in test-kexec-load | test-plan | test-purgatory) continue ;; esac
	out=$(timeout 600 qemu-aarch64 "$t" 2>&1)
	rc=$?
	nok=$(printf '%s\n' "$out" | grep -c '^ok')
	nbad=$(printf '%s\n' "$out" | grep -c '^not ok')
	if [ $rc -eq 0 ] && [ "$nbad" -eq 0 ] && [ "$nok" -gt 0 ]; then
		echo "ok - arm64 $name under qemu-aarch64: $nok passed"
	else
		echo "not ok - arm64 $name under qemu-aarch64: exit $rc, $nok passed, $nbad failed"
		printf '%s\n' "$out" | grep '^not ok' | head -5 | sed 's/^/    /'
	fi
done
