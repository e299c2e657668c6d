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
#   flat: vmcore-save -F output rebuilt with -R: truncations, flips.
# One ok/not ok line per group, with counts. KD_MUT_SCALE=N runs N times as many sampled cases.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP
MUT="python3 $KD_ROOT/tests/fuzz/mutate.py"
REAL=${KD_REAL_VMCORE:-/var/cache/kdumpkit/vmcore-6.1-1g/vmcore}
SCALE=${KD_MUT_SCALE:-1}
TIMEOUT=${KD_MUT_TIMEOUT:-10}
MAX_OUT_KIB=${KD_MUT_MAX_OUT_KIB:-65536}	# no case may write more (inputs are < 1 MiB)
KDCOMPARE=$KD_TOOLS/kdcompare
VERIFY_EVERY=${KD_MUT_VERIFY_EVERY:-4}	# kdcompare every Nth successful dump (0: never)
export ASAN_OPTIONS=${ASAN_OPTIONS}:detect_leaks=1:exitcode=99
export UBSAN_OPTIONS=${UBSAN_OPTIONS}:exitcode=99

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
	g_extra=0 g_nodump=0 g_refcrash=0
}
group_end() {
	local detail="$g_cases cases: $g_dumps dumps ($g_verified checked with kdcompare"
	[ "$g_extra" -gt 0 ] && detail+=", $g_extra holding pages libkdumpfile does not read from the source"
	[ "$g_refcrash" -gt 0 ] && detail+=", kdcompare itself crashed on $g_refcrash"
	detail+="), $g_errors clear errors"
	[ "$g_nodump" -gt 0 ] && detail+=", $g_nodump rebuilt files that are no dump (-R copies records as they are)"
	if [ "$g_bad" -eq 0 ]; then
		echo "ok - $g_name: $detail"
	else
		echo "not ok - $g_name: $g_bad bad of $detail"
		printf '    %s\n' "${g_bad_list[@]:0:15}"
	fi
}
bad() { # WHAT: record a failed case (kept in $T/bad-N for a look with KD_MUT_KEEP)
	g_bad=$((g_bad + 1))
	g_bad_list+=("$1")
	if [ -n "${KD_MUT_KEEP:-}" ]; then
		mkdir -p "$KD_MUT_KEEP"
		cp "$T/case" "$KD_MUT_KEEP/$(echo "$g_name-$g_cases" | tr ' /' '__')"
	fi
}

# check_case MODE WHAT: run vmcore-save on $T/case (MODE elf|kdump: -d 1 CASE OUT; flat: -R OUT < CASE)
check_case() {
	local mode=$1 what=$2 rc lines
	g_cases=$((g_cases + 1))
	rm -f "$T/out"
	# ulimit -f: a corrupt size must not fill the disk (SIGXFSZ, exit 153, is a failure)
	if [ "$mode" = flat ]; then
		(ulimit -f "$MAX_OUT_KIB"; exec timeout -s KILL "$TIMEOUT" "$VMCORE_SAVE" \
			--message-level 4 -R "$T/out" <"$T/case" >/dev/null 2>"$T/err") 2>/dev/null
	else
		(ulimit -f "$MAX_OUT_KIB"; exec timeout -s KILL "$TIMEOUT" "$VMCORE_SAVE" \
			--message-level 4 -d 1 "$T/case" "$T/out" >/dev/null 2>"$T/err") 2>/dev/null
	fi
	rc=$?
	if grep -Eq 'Sanitizer|runtime error|^==[0-9]+==|^    #[0-9]' "$T/err"; then
		bad "$what: sanitizer report: $(grep -Em1 'ERROR|runtime error' "$T/err")"
		return
	fi
	case $rc in
	0)
		if [ "$(head -c 8 "$T/out" 2>/dev/null | tr -d '\0')" != "KDUMP   " ]; then
			if [ "$mode" = flat ] && [ -f "$T/out" ]; then
				g_nodump=$((g_nodump + 1))	# see the report: -R does not look inside
				return
			fi
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
			verify_dump "$what"
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
	153) bad "$what: wrote more than $((MAX_OUT_KIB / 1024)) MiB (killed by SIGXFSZ)" ;;
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
	{ "$KDCOMPARE" --no-vmcoreinfo "$T/case" "$T/out" >"$T/cmp" 2>&1; } 2>/dev/null
	rc=$?
	[ $rc -ge 128 ] && g_refcrash=$((g_refcrash + 1))
	sum=$(grep '^kdcompare: ' "$T/cmp" | tail -1)
	case $sum in
	*" different=0 "*" dump-only=0 "*" missing=0 "*)
		g_verified=$((g_verified + 1)) ;;
	*" different=0 "*" dump-only="*" missing=0 "*)
		g_verified=$((g_verified + 1)) g_extra=$((g_extra + 1)) ;;
	*"kdcompare: "*)
		# libkdumpfile may refuse a source the collector accepts (e.g. a bad e_machine it
		# needs and we do not); only a dump that disagrees with a source both read is bad.
		if grep -q ' compared=[1-9]' <<<"$sum"; then
			bad "$1: dump differs from the source: $sum"
		fi
		;;
	esac
}

truncate_at() { head -c "$1" "$2" >"$T/case"; }
# patch BASE OFFSET HEXBYTES: a copy of BASE with bytes at OFFSET replaced
patch() {
	cp "$1" "$T/case"
	printf "$(sed 's/../\\x&/g' <<<"$3")" | dd of="$T/case" bs=1 seek="$2" conv=notrunc status=none
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
for off in $(cut_offsets "$hdr_end" "$lim" $((120 * SCALE))); do
	truncate_at "$off" "$T/elf"
	check_case elf "cut at $off"
done
group_end

group_start "ELF single-bit flips ($elf_name)"
while read -r off byte; do
	patch "$T/elf" "$off" "$byte"
	check_case elf "byte $off -> 0x$byte"
done < <($MUT flips "$T/elf" $((300 * SCALE)) 40 0:"$hdr_end":4 "$nt_off":$((nt_off + nt_size)):4 \
	"$data_off":"$lim":1)
group_end

group_start "ELF header fields at edge values ($elf_name)"
while read -r off bytes; do
	patch "$T/elf" "$off" "$bytes"
	check_case elf "bytes $off = $bytes"
done < <($MUT fields "$T/elf")
group_end

# ---- kdump-compressed input (re-filter) ---------------------------------------------------
kd_size=$(stat -c %s "$T/kdump")
read -r bm_off bm_size < <(layout "$T/kdump" bitmaps)
read -r desc_off _ < <(layout "$T/kdump" descriptors)
group_start "kdump input truncations (tiny.spec, zstd)"
for off in $( (seq 0 16 464; seq 464 256 "$bm_off"; seq "$bm_off" 1024 "$desc_off";
	seq "$desc_off" 997 "$kd_size") | head -n $((150 * SCALE))); do
	truncate_at "$off" "$T/kdump"
	check_case kdump "cut at $off"
done
group_end

group_start "kdump input single-bit flips (tiny.spec, zstd)"
while read -r off byte; do
	patch "$T/kdump" "$off" "$byte"
	check_case kdump "byte $off -> 0x$byte"
done < <($MUT flips "$T/kdump" $((150 * SCALE)) 41 0:464:4 4096:"$bm_off":2 \
	"$bm_off":$((bm_off + bm_size)):1 "$desc_off":$((desc_off + 4096)):3 "$desc_off":"$kd_size":1)
group_end

# ---- flattened stream (-R) ----------------------------------------------------------------
fl_size=$(stat -c %s "$T/flat")
group_start "flattened stream truncations and flips (-R)"
for off in $( (seq 0 512 4096; seq 4090 4 4130; seq 4130 $((fl_size / 25)) "$fl_size") |
	head -n $((60 * SCALE))); do
	truncate_at "$off" "$T/flat"
	check_case flat "cut at $off"
done
while read -r off byte; do
	patch "$T/flat" "$off" "$byte"
	check_case flat "byte $off -> 0x$byte"
done < <($MUT flips "$T/flat" $((60 * SCALE)) 42 0:32:2 4096:4200:4 4200:"$fl_size":1)
group_end
