#!/usr/bin/env bash
# The mutated-header table: about 1,100 broken copies of real-shaped inputs, each run through
# vmcore-save with a timeout. Every case must end with a correct dump (exit 0, a complete
# kdump file; a sample is checked page by page with libkdumpfile's kdcompare) or one clear
# error line (exit 1) — never a signal, a sanitizer report, a hang or a message-less failure.
#   ELF: the real 6.1 vmcore's ELF header, program headers and notes with each PT_LOAD cut to
#        64 KiB (tests/fuzz/mutate.py cut), or tests/fuzz/tiny.spec when it is not cached:
#        truncations (every offset of the headers, then sampled through the first 64 KiB),
#        single-bit flips (weighted to the headers) and header fields set to edge values.
#   kdump: vmcore-save -z output of tiny.spec read back (the re-filter path): truncations, flips.
#   flat: vmcore-save -F output rebuilt with -R: truncations, flips (exit 0 only with a kdump
#         file that opens: -R checks what it rebuilt).
# One ok/not ok line per group, with counts. KD_MUT_SCALE=N runs N times as many sampled cases.
set -u
shopt -s lastpipe	# "... | run_group" counts in this shell
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP
MUT="python3 $KD_ROOT/tests/fuzz/mutate.py"
REAL=${KD_REAL_VMCORE:-/var/cache/kdumpkit/vmcore-6.1-1g/vmcore}
SCALE=${KD_MUT_SCALE:-1}
TIMEOUT=${KD_MUT_TIMEOUT:-30}   # a hang, not a slow case under load: 10 s failed once at load 10
MAX_OUT_KIB=${KD_MUT_MAX_OUT_KIB:-16384}	# no case may use more disk (inputs are < 1 MiB)
# A corrupt p_paddr may honestly describe memory at TiBs: the bitmaps then span that address
# space as sparse holes (the writer skips all-zero bitmap windows). The apparent size is capped
# far higher; what a case may really put on disk is MAX_OUT_KIB.
MAX_SPARSE_KIB=${KD_MUT_MAX_SPARSE_KIB:-4194304}
KDCOMPARE=$KD_TOOLS/kdcompare
VERIFY_EVERY=${KD_MUT_VERIFY_EVERY:-4}	# kdcompare every Nth successful dump (0: never)
export ASAN_OPTIONS=${ASAN_OPTIONS}:detect_leaks=1:exitcode=99
export UBSAN_OPTIONS=${UBSAN_OPTIONS}:exitcode=99

# A private copy: the table runs for a while and a rebuild of $BUILD must not cut it short.
cp "$VMCORE_SAVE" "$T/vmcore-save" || { echo "not ok - no $VMCORE_SAVE"; exit 0; }
VMCORE_SAVE=$T/vmcore-save

# ---- bases --------------------------------------------------------------------------------
python3 "$KD_ROOT/tests/gen/mkvmcore.py" "$KD_ROOT/tests/fuzz/tiny.spec" "$T/tiny.vmcore" ||
	{ echo "not ok - generate tests/fuzz/tiny.spec"; exit 0; }
if [ -r "$REAL" ] && $MUT cut "$REAL" "$T/elf" 65536; then
	elf_name="real 6.1 vmcore headers"
else
	cp "$T/tiny.vmcore" "$T/elf"
	elf_name="tiny.spec vmcore (real vmcore not cached)"
fi
"$VMCORE_SAVE" --message-level 4 -z -d 1 "$T/tiny.vmcore" "$T/kdump" &&
	"$VMCORE_SAVE" --message-level 4 -F -d 1 "$T/tiny.vmcore" >"$T/flat" ||
	{ echo "not ok - vmcore-save cannot write the kdump and flat bases"; exit 0; }

# ---- one case -----------------------------------------------------------------------------
# Counters of the current group.
group_start() {
	g_name=$1 g_cases=0 g_dumps=0 g_errors=0 g_verified=0 g_bad=0 g_bad_list=()
	g_extra=0 g_refcrash=0
}
group_end() {
	local detail="$g_cases cases: $g_dumps dumps ($g_verified checked with kdcompare"
	[ "$g_extra" -gt 0 ] && detail+=", $g_extra holding pages libkdumpfile does not read from the source"
	[ "$g_refcrash" -gt 0 ] && detail+=", kdcompare itself crashed on $g_refcrash"
	detail+="), $g_errors clear errors"
	if [ "$g_bad" -eq 0 ]; then
		echo "ok - $g_name: $detail"
	else
		echo "not ok - $g_name: $g_bad bad of $detail"
		printf '    %s\n' "${g_bad_list[@]:0:15}"
	fi
}
bad() { # WHAT: record a failed case (its input is kept in $KD_MUT_KEEP if set)
	g_bad=$((g_bad + 1))
	g_bad_list+=("$1")
	if [ -n "${KD_MUT_KEEP:-}" ]; then
		mkdir -p "$KD_MUT_KEEP"
		cp "$case" "$KD_MUT_KEEP/$(echo "$g_name-$g_cases" | tr ' /()' '____')"
	fi
}

# run_group MODE BASE: cases from "cut N" / "OFFSET HEXBYTES" lines on stdin
run_group() {
	local mode=$1 base=$2 path what
	rm -rf "$T/cases"
	while read -r path what; do
		check_case "$mode" "$path" "$what"
	done < <($MUT write "$base" "$T/cases")
	rm -rf "$T/cases"
}

# check_case MODE CASE WHAT: run vmcore-save on CASE (MODE elf|kdump: -d 1 CASE OUT;
# flat: -R OUT < CASE)
check_case() {
	local mode=$1 case=$2 what=$3 rc lines
	g_cases=$((g_cases + 1))
	rm -f "$T/out"
	# ulimit -f: a corrupt size must not fill the disk (SIGXFSZ, exit 153, is a failure: a
	# dump of these inputs is below 1 MiB, and one of GiBs of zeros or sparse TiBs is no dump)
	if [ "$mode" = flat ]; then
		# -R writes at most what the stream holds (sparse where records skip): no limit
		timeout -s KILL "$TIMEOUT" "$VMCORE_SAVE" --message-level 4 -R "$T/out" <"$case" \
			>/dev/null 2>"$T/err"
	else
		# (no exec: the subshell reports the signal as a status, and its own notice is muted)
		{ (ulimit -f "$MAX_SPARSE_KIB"; timeout -s KILL "$TIMEOUT" "$VMCORE_SAVE" \
			--message-level 4 -d 1 "$case" "$T/out" </dev/null >/dev/null 2>"$T/err"
		exit $?); } 2>/dev/null
	fi
	rc=$?
	if [ -f "$T/out" ] && [ $(( $(stat -c %b "$T/out") / 2 )) -gt "$MAX_OUT_KIB" ]; then
		bad "$what: put more than $((MAX_OUT_KIB / 1024)) MiB on disk"
		return
	fi
	if [ -s "$T/err" ] && grep -Eq 'Sanitizer|runtime error|^==[0-9]+==|^    #[0-9]' "$T/err"; then
		bad "$what: sanitizer report: $(grep -Em1 'ERROR|runtime error' "$T/err")"
		return
	fi
	case $rc in
	0)
		local sig=
		[ -f "$T/out" ] && read -r -N 8 sig <"$T/out" 2>/dev/null
		if [ "$sig" != "KDUMP   " ]; then
			# (-R checks the file it rebuilt: a stream of broken records is an error)
			bad "$what: exit 0 but no kdump file"
			return
		fi
		if [ $(( $(od -An -tu4 -j424 -N4 "$T/out" | tr -d ' ') & 8 )) -ne 0 ]; then
			bad "$what: exit 0 but the dump is marked incomplete"
			return
		fi
		g_dumps=$((g_dumps + 1))
		if [ "$mode" != flat ] && [ "$VERIFY_EVERY" -gt 0 ] && [ -x "$KDCOMPARE" ] &&
			[ $((g_dumps % VERIFY_EVERY)) -eq 1 ]; then
			verify_dump "$case" "$what"
		fi
		;;
	1)
		lines=$(grep -vc '^vmcore-save: warning: ' "$T/err")
		if [ "$lines" -ne 1 ] || ! grep -q '^vmcore-save: ' "$T/err"; then
			bad "$what: exit 1 with $lines error lines: $(head -c 200 "$T/err" | tr '\n' '|')"
			return
		fi
		g_errors=$((g_errors + 1))
		;;
	137) bad "$what: no result after ${TIMEOUT}s (killed)" ;;
	153) bad "$what: grew past $((MAX_SPARSE_KIB / 1024)) MiB (killed by SIGXFSZ)" ;;
	*) bad "$what: exit $rc: $(head -c 200 "$T/err" | tr '\n' '|')" ;;
	esac
}

# The dump must hold what libkdumpfile reads from the (mutated) source: no page differs, none
# is missing. kdcompare's own verdict also weighs CPU notes libkdumpfile cannot use on a cut
# vmcore, so the page counters of its summary line are what is checked. Pages only the dump
# has are allowed (counted): formats/ reads [p_filesz, p_memsz) as zero and takes
# p_memsz = p_filesz when p_filesz is larger, where libkdumpfile reads nothing.
verify_dump() {
	local sum rc
	{ ("$KDCOMPARE" --no-vmcoreinfo "$1" "$T/out" </dev/null >"$T/cmp" 2>&1; exit $?); } 2>/dev/null
	rc=$?
	if [ $rc -ge 128 ]; then
		g_refcrash=$((g_refcrash + 1))
		[ -n "${KD_MUT_KEEP:-}" ] && mkdir -p "$KD_MUT_KEEP" &&
			cp "$1" "$KD_MUT_KEEP/kdcompare-crash-$(echo "$g_name-$g_cases" | tr ' /()' '____')"
	fi
	sum=$(grep '^kdcompare: ' "$T/cmp" | tail -1)
	case $sum in
	*" different=0 "*" dump-only=0 "*" missing=0 "*)
		g_verified=$((g_verified + 1)) ;;
	*" different=0 "*" dump-only="*" missing=0 "*)
		g_verified=$((g_verified + 1)) g_extra=$((g_extra + 1)) ;;
	*" different=1 "*)
		# ELF reads bytes past p_filesz as zero, libkdumpfile reads the file: a p_filesz set
		# inside a page (the Elf64_Phdr p_filesz fields sit at 96 + 56k) differs in that page
		local at=${2#bytes }
		at=${at%% *}
		if [ -n "$at" ] && [ "$at" -ge 96 ] 2>/dev/null && [ $(((at - 96) % 56)) -eq 0 ]; then
			g_verified=$((g_verified + 1))
		else
			bad "$2: dump differs from the source: $sum"
		fi
		;;
	*"kdcompare: "*)
		# libkdumpfile may refuse a source the collector accepts (e.g. a bad e_machine it
		# needs and we do not); only a dump that disagrees with a source both read is bad.
		if grep -q ' compared=[1-9]' <<<"$sum"; then
			bad "$2: dump differs from the source: $sum"
		fi
		;;
	esac
}

# Offsets to cut at: every byte of [0, every_end), then N evenly spread over [every_end, end).
cut_offsets() { # EVERY_END END N
	local e=$1 end=$2 n=$3 i
	seq 0 $((e - 1))
	[ "$n" -gt 0 ] && for ((i = 0; i < n; i++)); do echo $((e + (end - e) * i / n)); done
}

layout() { # FILE NAME: "offset size" of a header part
	$MUT layout "$1" | awk -v n="$2" '$1 == n { print $2, $3 }'
}

# ---- ELF vmcore ---------------------------------------------------------------------------
read -r ph_off ph_size < <(layout "$T/elf" program-headers)
read -r nt_off nt_size < <(layout "$T/elf" notes)
read -r data_off _ < <(layout "$T/elf" data)
hdr_end=$((ph_off + ph_size))
elf_size=$(stat -c %s "$T/elf")
lim=$((elf_size < 65536 ? elf_size : 65536))

group_start "ELF truncations ($elf_name)"
cut_offsets "$hdr_end" "$lim" $((120 * SCALE)) | sed 's/^/cut /' | run_group elf "$T/elf"
group_end

group_start "ELF single-bit flips ($elf_name)"
$MUT flips "$T/elf" $((300 * SCALE)) 40 0:"$hdr_end":4 "$nt_off":$((nt_off + nt_size)):4 \
	"$data_off":"$lim":1 | run_group elf "$T/elf"
group_end

group_start "ELF header fields at edge values ($elf_name)"
$MUT fields "$T/elf" | run_group elf "$T/elf"
group_end

# ---- kdump-compressed input (re-filter) ---------------------------------------------------
kd_size=$(stat -c %s "$T/kdump")
read -r bm_off bm_size < <(layout "$T/kdump" bitmaps)
read -r desc_off _ < <(layout "$T/kdump" descriptors)
group_start "kdump input truncations (tiny.spec, zstd)"
(seq 0 16 464; seq 464 256 "$bm_off"; seq "$bm_off" 1024 "$desc_off"; seq "$desc_off" 997 "$kd_size") |
	head -n $((150 * SCALE)) | sed 's/^/cut /' | run_group kdump "$T/kdump"
group_end

group_start "kdump input single-bit flips (tiny.spec, zstd)"
$MUT flips "$T/kdump" $((150 * SCALE)) 41 0:464:4 4096:"$bm_off":2 "$bm_off":$((bm_off + bm_size)):1 \
	"$desc_off":$((desc_off + 4096)):3 "$desc_off":"$kd_size":1 | run_group kdump "$T/kdump"
group_end

# ---- flattened stream (-R) ----------------------------------------------------------------
fl_size=$(stat -c %s "$T/flat")
group_start "flattened stream truncations and flips (-R)"
{
	(seq 0 512 4096; seq 4090 4 4130; seq 4130 $((fl_size / 25)) "$fl_size") | head -n $((60 * SCALE)) |
		sed 's/^/cut /'
	$MUT flips "$T/flat" $((60 * SCALE)) 42 0:32:2 4096:4200:4 4200:"$fl_size":1
} | run_group flat "$T/flat"
group_end
