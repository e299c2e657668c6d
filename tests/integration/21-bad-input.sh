#!/usr/bin/env bash
# Bad input and bad output paths: one clear line naming the file and the problem, a non-zero
# exit, never a crash (the ASan build runs this too); never an overwrite without -f.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
GEN="/usr/bin/python3 $KD_ROOT/tests/gen/mkvmcore.py"
SPECS=$KD_ROOT/tests/gen/specs
T=$KD_TMP

$GEN "$SPECS/small.spec" "$T/small.vmcore" || { echo "not ok - generate small.spec"; exit 0; }
$GEN "$SPECS/novmcoreinfo.spec" "$T/novi.vmcore"
$GEN "$SPECS/badvmcoreinfo.spec" "$T/badvi.vmcore"
size=$(stat -c %s "$T/small.vmcore")
phend=$((64 + 5 * 56))

echo "just some text, not a crash dump" >"$T/text"
kd_expect_error "not ELF" "'$T/text' is not an ELF file" "$VMCORE_SAVE" -d 1 "$T/text" "$T/o1"
kd_expect_error "ELF but not a core file" "not a core dump" "$VMCORE_SAVE" -d 1 /bin/true "$T/o2"
kd_expect_error "missing input" "cannot open '$T/nonexistent'.*No such file" \
	"$VMCORE_SAVE" -d 1 "$T/nonexistent" "$T/o3"
kd_expect_error "input is a directory" "'$T' is a directory" "$VMCORE_SAVE" -d 1 "$T" "$T/o4"
head -c 40 "$T/small.vmcore" >"$T/tiny"
kd_expect_error "truncated inside the ELF header" "'$T/tiny' is truncated" \
	"$VMCORE_SAVE" -d 1 "$T/tiny" "$T/o5"
head -c $((phend - 20)) "$T/small.vmcore" >"$T/cut-ph"
kd_expect_error "truncated inside the program headers" "'$T/cut-ph' is truncated" \
	"$VMCORE_SAVE" -d 1 "$T/cut-ph" "$T/o6"
head -c $((size - 4096 * 10)) "$T/small.vmcore" >"$T/cut-data"
kd_expect_error "truncated inside the page data" "'$T/cut-data' is truncated" \
	"$VMCORE_SAVE" -d 1 "$T/cut-data" "$T/o7"
[ ! -e "$T/o7" ]
kd_result $? "truncated input leaves no output file"
kd_expect_error "no VMCOREINFO at a level that needs it" "'$T/novi.vmcore' has no VMCOREINFO" \
	"$VMCORE_SAVE" -d 31 "$T/novi.vmcore" "$T/o8"
kd_expect_error "malformed VMCOREINFO at a level that needs it" \
	"'$T/badvi.vmcore': VMCOREINFO line [0-9]+" "$VMCORE_SAVE" -d 31 "$T/badvi.vmcore" "$T/o9"

# At levels 0 and 1 no kernel knowledge is needed: the dump is saved anyway.
"$VMCORE_SAVE" --message-level 4 -d 1 "$T/novi.vmcore" "$T/o10" 2>"$T/err"
kd_result $? "no VMCOREINFO at -d 1: dump saved"
"$VMCORE_SAVE" --message-level 4 -d 1 "$T/badvi.vmcore" "$T/o11" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && grep -q "warning: .*VMCOREINFO line.*ignoring VMCOREINFO" "$T/err"
kd_result $? "malformed VMCOREINFO at -d 1: dump saved with a warning ($(cat "$T/err"))"

kd_expect_error "unwritable output folder" "cannot create '$T/no/such/dir/out'" \
	"$VMCORE_SAVE" -d 1 "$T/small.vmcore" "$T/no/such/dir/out"
echo keep >"$T/exists"
kd_expect_error "existing output without -f" "'$T/exists' already exists \(use -f" \
	"$VMCORE_SAVE" -d 1 "$T/small.vmcore" "$T/exists"
[ "$(cat "$T/exists")" = keep ]
kd_result $? "existing output left untouched"
"$VMCORE_SAVE" --message-level 4 -f -d 1 "$T/small.vmcore" "$T/exists"
kd_result $? "existing output overwritten with -f"
ln -s "$T/victim" "$T/link"
kd_expect_error "symlink planted at the output path" "symbolic link" \
	"$VMCORE_SAVE" -f -d 1 "$T/small.vmcore" "$T/link"
[ ! -e "$T/victim" ]
kd_result $? "nothing written through the symlink"
"$VMCORE_SAVE" --message-level 4 -d 1 "$T/small.vmcore" "$T/mode"
[ "$(stat -c %a "$T/mode")" = 600 ]
kd_result $? "dump created with mode 0600"
if [ -w /dev/full ]; then
	kd_expect_error "disk full (/dev/full)" "No space left on device" \
		"$VMCORE_SAVE" -f -d 1 "$T/small.vmcore" /dev/full
fi
kd_expect_error "bad dump level" "dump level '32' is not a number from 0 to 31" \
	"$VMCORE_SAVE" -d 32 "$T/small.vmcore" "$T/o12"
kd_expect_error "two codecs" "exclude each other" "$VMCORE_SAVE" -c -l "$T/small.vmcore" "$T/o13"
kd_expect_error "unsupported makedumpfile option" "not supported" \
	"$VMCORE_SAVE" --xen-syms x "$T/small.vmcore" "$T/o14"
kd_expect_error "missing operands" "expected VMCORE and DUMPFILE" "$VMCORE_SAVE" -d 1
