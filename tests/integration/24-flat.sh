#!/usr/bin/env bash
# Flattened streams (-F) and rebuilding (-R) on a real 6.1 vmcore: the round trip gives the same
# bytes as writing the file directly, makedumpfile -R agrees, crash opens the stream itself,
# and a stream cut short is rebuilt as a dump marked incomplete.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
kd_fixture 6.1-1g || exit 0
vmcore=$KD_FIXTURE/vmcore
T=$KD_TMP
args=(-c -d 1)

"$VMCORE_SAVE" --message-level 4 "${args[@]}" "$vmcore" "$T/direct"
kd_result $? "vmcore-save ${args[*]} to a file"
"$VMCORE_SAVE" --message-level 4 -F "${args[@]}" "$vmcore" >"$T/flat"
kd_result $? "vmcore-save -F ${args[*]} to standard output"
[ "$(head -c 12 "$T/flat")" = makedumpfile ] && [ "$(tail -c 16 "$T/flat" | od -An -tx1 | tr -d ' \n')" = ffffffffffffffffffffffffffffffff ]
kd_result $? "flattened stream has the makedumpfile signature and the end record"
"$VMCORE_SAVE" -R "$T/rebuilt" <"$T/flat"
kd_result $? "vmcore-save -R rebuilds the stream"
cmp -s "$T/rebuilt" "$T/direct"
kd_result $? "-F | -R gives a file identical to the direct one"
"$VMCORE_SAVE" --message-level 4 -F "${args[@]}" "$vmcore" | "$VMCORE_SAVE" -R "$T/piped"
cmp -s "$T/piped" "$T/direct"
kd_result $? "vmcore-save -F ... | vmcore-save -R through a pipe: identical"
if command -v makedumpfile >/dev/null; then
	makedumpfile -R "$T/mdf-rebuilt" <"$T/flat" >/dev/null 2>&1 && cmp -s "$T/mdf-rebuilt" "$T/direct"
	kd_result $? "makedumpfile -R rebuilds our stream identically"
fi
if [ -n "${vmlinux:-}" ] && [ -r "$vmlinux" ]; then
	kd_crash_check "crash opens the flattened stream itself: sys, bt, log" "$vmlinux" "$T/flat"
fi

head -c $(( $(stat -c %s "$T/flat") / 2 )) "$T/flat" >"$T/half"
kd_expect_error "-R on a stream cut in half" "'$T/cut' is incomplete: .*truncated" \
	"$VMCORE_SAVE" -R "$T/cut" <"$T/half"
status=$(od -An -tu4 -j424 -N4 "$T/cut" | tr -d ' ')
[ $((status & 8)) -eq 8 ]
kd_result $? "the rebuilt half is marked incomplete (status $status)"
"$KD_TOOLS/kdcompare" --incomplete "$vmcore" "$T/cut" >"$T/cmp" 2>&1
kd_result $? "libkdumpfile reads the pages of the incomplete half identical to the vmcore ($(tail -1 "$T/cmp"))"
echo "not a stream" | "$VMCORE_SAVE" -R "$T/bad" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q "not a flattened dump" "$T/err" && [ ! -e "$T/bad" ]
kd_result $? "-R on something that is not a stream: clear error, no file ($(cat "$T/err"))"

# Memory at 4 TiB with nothing between: -R refuses records far past the bytes a stream has
# carried (formats/flat.c), so the stream must carry the zero bitmap windows a file leaves as
# holes; the rebuilt dump holds every page.
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 "$KD_ROOT/tests/gen/mkvmcore.py" "$KD_ROOT/tests/gen/specs/high-4tib.spec" "$T/high.vmcore" &&
		"$VMCORE_SAVE" --message-level 4 -F -d 1 "$T/high.vmcore" | "$VMCORE_SAVE" -R "$T/high.kdump" 2>"$T/err" &&
		"$KD_TOOLS/kdcompare" --all "$T/high.vmcore" "$T/high.kdump" >"$T/cmp" 2>&1
	kd_result $? "memory at 1 MiB and 4 TiB: -F | -R rebuilds every page ($(tail -1 "$T/cmp"; cat "$T/err"))"
	rm -f "$T/high.kdump"
else
	echo "skip - python3 is not installed (synthetic vmcore)"
fi
