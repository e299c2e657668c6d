#!/usr/bin/env bash
# vmcore-save --dump-dmesg: the dead kernel's log, line for line as makedumpfile 1.7.2 writes it.
#   - synthetic vmcores (tests/gen) with a printk ringbuffer (5.10+) and a structured log_buf
#     (3.5-5.9) holding wrapped rings, multi-line records, control and UTF-8 bytes
#   - the real 6.1 vmcore fixture, and a -d 31 kdump-compressed dump of it
#   - --partial-dmesg (clear_seq set in a copy of the real vmcore), against makedumpfile
#   - errors: no VMCOREINFO, a missing printk key, a corrupt descriptor, output file rules
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP
GEN="/usr/bin/python3 $KD_ROOT/tests/gen/mkvmcore.py"
SPECS=$KD_ROOT/tests/gen/specs
MDF=$(command -v makedumpfile || true)

"$VMCORE_SAVE" --dump-dmesg /dev/null "$T/probe.txt" >"$T/probe.out" 2>&1
if grep -q "not implemented yet" "$T/probe.out"; then
	echo "skip - vmcore-save --dump-dmesg is not wired into the command line yet"
	exit 0
fi

# mkring.py MODE: poke lines for small.spec's memory (kernel text at phys 0x1cc00000 for
# virtual 0xffffffff97000000, direct map 0xffff888000000000 -> 0).
#   prb      a lockless ringbuffer behind SYMBOL(prb) of the default 6.1 VMCOREINFO
#   corrupt  the same with one committed descriptor whose text block is impossible
#   logbuf   a structured log_buf (VMCOREINFO lines for it are added by the spec)
cat >"$T/mkring.py" <<'EOF'
import struct, sys

PO = 0xffff888000000000
KTEXT = 0xffffffff97000000 - 0x1cc00000        # virtual - physical for the kernel image
PRB_PTR, RB = 0x1e6622c0, 0x1e6622e0           # SYMBOL(prb), SYMBOL(printk_rb_static)
DESCS, INFOS, DATA = 0x1e700000, 0x1e701000, 0x1e702000
COUNT_BITS, SIZE_BITS = 4, 9
MASK = (1 << 62) - 1
mode = sys.argv[1]
out = []

def poke(addr, data):
    for i in range(0, len(data), 1024):
        out.append("poke @%#x hex:%s" % (addr + i, data[i:i + 1024].hex()))

special = [
    (b"Linux version 6.1.0-synthetic (kdumpkit test)", 0),
    (b"multi line\nsecond line\n  third, indented", 1234567),
    (b"tab\there, ctl \x01 esc \x1b[0m del \x7f, cr \r ff \x0c", 7314756123),
    (b"utf-8 \xc3\xa9\xe2\x82\xac and a lone \xff", 86400123456789),
    (b"", 86401000000000),                    # an empty line: no data block
    (b"committed but not finalized", 99999999999999),
]

def prb():
    count, size = 1 << COUNT_BITS, 1 << SIZE_BITS
    descs, infos, data = bytearray(count * 24), bytearray(count * 88), bytearray(size)
    first = MASK - 20                          # ids run through the 62-bit wrap
    recs = [(b"filler record %d %s" % (i, b"x" * (i % 17)), i * 1000) for i in range(40)]
    recs += special
    head_lpos, begins = 0, []
    for n, (text, ts) in enumerate(recs):
        rid = (first + n) & MASK
        blk = (8 + len(text) + 7) & ~7
        begin = head_lpos
        if begin >> SIZE_BITS == (begin + blk) >> SIZE_BITS:
            nxt, at = begin + blk, begin % size
        else:                                  # would cross the end: stored at the start
            nxt, at = ((begin + blk) & ~(size - 1)) + blk, 0
        data[at:at + 8] = struct.pack("<Q", rid)
        data[at + 8:at + 8 + len(text)] = text
        state = 1 if text.startswith(b"committed") else 2
        b, e = (begin, nxt) if text else (3, 3)
        slot = rid % count
        descs[slot * 24:slot * 24 + 24] = struct.pack("<QQQ", state << 62 | rid, b, e)
        infos[slot * 88:slot * 88 + 88] = struct.pack("<QQHH", n, ts, len(text), 0) + bytes(68)
        begins.append(begin)
        head_lpos = nxt
    n = len(recs)
    oldest = next(i for i in range(n) if n - i <= count and begins[i] + size >= head_lpos)
    if mode == "corrupt":                      # a committed record in the middle goes bad
        slot = (first + n - 4) % count
        descs[slot * 24 + 8:slot * 24 + 24] = struct.pack("<QQ", 16, 16 + 5 * size + 8)
    rb = bytearray(88)
    struct.pack_into("<IxxxxQQQQ", rb, 0, COUNT_BITS, PO + DESCS, PO + INFOS,
                     (first + n - 1) & MASK, (first + oldest) & MASK)
    struct.pack_into("<IxxxxQQQ", rb, 48, SIZE_BITS, PO + DATA, head_lpos, max(0, head_lpos - size))
    poke(PRB_PTR, struct.pack("<Q", RB + KTEXT))
    poke(RB, rb)
    poke(DESCS, descs)
    poke(INFOS, infos)
    poke(DATA, data)

def logbuf():
    # the 3.5-5.9 kernel's log_store(): drop the oldest records until the new one and a
    # header fit; a record that does not fit before the end leaves a zero header and goes to 0
    size, buf = 1024, bytearray(1024)
    recs = [(b"old filler %d %s" % (i, b"y" * (i % 13)), i * 1000000) for i in range(60)]
    recs += special[:4]
    first = nxt = 0
    live = 0

    def length(i):
        return struct.unpack_from("<H", buf, i + 8)[0]

    def after(i):
        return length(0) if length(i) == 0 else i + length(i)

    def has_space(rec, empty):
        free = max(size - nxt, first) if nxt > first or empty else first - nxt
        return free >= rec + 16

    for text, ts in recs:
        rec = (16 + len(text) + 7) & ~7
        while live and not has_space(rec, False):
            first = after(first)
            live -= 1
        assert has_space(rec, live == 0)
        if nxt + rec + 16 > size:
            buf[nxt:nxt + 16] = bytes(16)
            nxt = 0
        buf[nxt:nxt + rec] = struct.pack("<QHHHBB", ts, rec, len(text), 0, 0, 0) + text + \
            bytes(rec - 16 - len(text))
        nxt += rec
        live += 1
    poke(0x1e6624a0, struct.pack("<Q", PO + 0x1e704000))      # log_buf
    poke(0x1e6624a8, struct.pack("<III", size, first, nxt))  # log_buf_len, first, next
    poke(0x1e704000, buf)

prb() if mode in ("prb", "corrupt") else logbuf()
print("\n".join(out))
EOF

mkspec() { # NAME MODE [extra spec lines...]
	local name=$1 mode=$2
	shift 2
	{
		cat "$SPECS/small.spec"
		printf '%s\n' "$@"
		python3 "$T/mkring.py" "$mode"
	} >"$T/$name.spec" && $GEN "$T/$name.spec" "$T/$name.vmcore"
}

# compare NAME VMCORE: our log against makedumpfile's
compare() {
	local name=$1 vmcore=$2 rc
	rm -f "$T/$name.ours" "$T/$name.mdf"
	"$VMCORE_SAVE" --dump-dmesg "$vmcore" "$T/$name.ours" >"$T/$name.out" 2>&1
	rc=$?
	kd_result $rc "$name: --dump-dmesg succeeds$([ $rc -ne 0 ] && echo ": $(cat "$T/$name.out")")"
	[ $rc -eq 0 ] || return
	if [ -z "$MDF" ]; then
		echo "skip - $name: makedumpfile is not installed"
		return
	fi
	"$MDF" --dump-dmesg "$vmcore" "$T/$name.mdf" >"$T/$name.mdf.out" 2>&1
	if [ ! -s "$T/$name.mdf" ]; then
		echo "not ok - $name: makedumpfile wrote no log"
		sed 's/^/    /' "$T/$name.mdf.out" | head -5
		return
	fi
	diff "$T/$name.mdf" "$T/$name.ours" >"$T/$name.diff"
	kd_result $? "$name: identical to makedumpfile's log ($(wc -l <"$T/$name.ours") lines)"
	head -20 "$T/$name.diff" | sed 's/^/    /'
}

# ---- synthetic kernels ----
if mkspec prb prb; then
	compare "synthetic 6.1 ringbuffer" "$T/prb.vmcore"
	grep -q "^               second line$" "$T/synthetic 6.1 ringbuffer.ours" 2>/dev/null &&
		grep -q 'lone \\xffffffff$' "$T/synthetic 6.1 ringbuffer.ours" &&
		! grep -q "filler record 0 " "$T/synthetic 6.1 ringbuffer.ours"
	kd_result $? "synthetic 6.1 ringbuffer: continuation lines, escapes, only the kept records"
else
	echo "not ok - generate the synthetic ringbuffer vmcore"
fi

# a 5.4 kernel: no ringbuffer keys, the log_buf ones instead (symbols in the kernel image)
old_kernel=("vmcoreinfo.set = OSRELEASE=5.4.0-synthetic"
	"poke @0x1e7f9b60 utsname:Linux,synthetic,5.4.0-synthetic,#1 SMP,x86_64,(none)")
while read -r key; do
	old_kernel+=("vmcoreinfo.del = $key")
done < <(grep -E '^[A-Z]+\((prb|printk|dev_printk|clear_seq|atomic_long_t|latched_seq)' \
	"$KD_ROOT/tests/gen/vmcoreinfo-6.1.txt" | cut -d= -f1)
old_kernel+=("vmcoreinfo.set = SYMBOL(log_buf)=ffffffff98a624a0"
	"vmcoreinfo.set = SYMBOL(log_buf_len)=ffffffff98a624a8"
	"vmcoreinfo.set = SYMBOL(log_first_idx)=ffffffff98a624ac"
	"vmcoreinfo.set = SYMBOL(log_next_idx)=ffffffff98a624b0"
	"vmcoreinfo.set = SIZE(printk_log)=16"
	"vmcoreinfo.set = OFFSET(printk_log.ts_nsec)=0"
	"vmcoreinfo.set = OFFSET(printk_log.len)=8"
	"vmcoreinfo.set = OFFSET(printk_log.text_len)=10"
	"vmcoreinfo.set = OFFSET(printk_log.dict_len)=12")
if mkspec logbuf logbuf "${old_kernel[@]}"; then
	compare "synthetic 5.4 log_buf" "$T/logbuf.vmcore"
else
	echo "not ok - generate the synthetic log_buf vmcore"
fi

if mkspec corrupt corrupt; then
	kd_expect_error "corrupt descriptor: one clear error" \
		"kernel log in .* is incomplete.*1 damaged record skipped.*descriptor .*text block .* is not valid" \
		"$VMCORE_SAVE" --dump-dmesg "$T/corrupt.vmcore" "$T/corrupt.txt"
	grep -q "Linux version" "$T/corrupt.txt" && grep -q "committed but not" "$T/corrupt.txt" &&
		! grep -q "tab.*here" "$T/corrupt.txt"
	kd_result $? "corrupt descriptor: that record skipped, the others kept"
fi

if mkspec nokey prb "vmcoreinfo.del = OFFSET(prb_desc.state_var)"; then
	kd_expect_error "VMCOREINFO without a printk key" "no OFFSET\(prb_desc.state_var\)" \
		"$VMCORE_SAVE" --dump-dmesg "$T/nokey.vmcore" "$T/nokey.txt"
	[ ! -e "$T/nokey.txt" ]
	kd_result $? "no log file when the log cannot be found"
fi
$GEN "$SPECS/novmcoreinfo.spec" "$T/novi.vmcore"
kd_expect_error "vmcore without VMCOREINFO" "'$T/novi.vmcore' has no VMCOREINFO" \
	"$VMCORE_SAVE" --dump-dmesg "$T/novi.vmcore" "$T/novi.txt"

# ---- the output file ----
if [ -e "$T/prb.vmcore" ]; then
	echo keep >"$T/exists"
	kd_expect_error "existing log file without -f" "'$T/exists' already exists \(use -f" \
		"$VMCORE_SAVE" --dump-dmesg "$T/prb.vmcore" "$T/exists"
	[ "$(cat "$T/exists")" = keep ]
	kd_result $? "existing log file left untouched"
	"$VMCORE_SAVE" --dump-dmesg -f "$T/prb.vmcore" "$T/exists" 2>"$T/err"
	[ $? -eq 0 ] && cmp -s "$T/exists" "$T/synthetic 6.1 ringbuffer.ours"
	kd_result $? "existing log file overwritten with -f"
	[ "$(stat -c %a "$T/exists")" = 600 ] &&
		[ "$(stat -c %a "$T/synthetic 6.1 ringbuffer.ours")" = 600 ]
	kd_result $? "log file mode is 0600, also for a file replaced with -f"
	if [ -w /dev/full ]; then
		kd_expect_error "log file on a full disk" "cannot write '/dev/full': No space left" \
			"$VMCORE_SAVE" --dump-dmesg -f "$T/prb.vmcore" /dev/full
	fi
	ln -s "$T/victim" "$T/link"
	kd_expect_error "symlink planted at the log path" "symbolic link" \
		"$VMCORE_SAVE" --dump-dmesg -f "$T/prb.vmcore" "$T/link"
	[ ! -e "$T/victim" ]
	kd_result $? "nothing written through the symlink"
fi

# ---- the real 6.1 kernel ----
kd_fixture 6.1-1g || exit 0
compare "real 6.1 vmcore" "$KD_FIXTURE/vmcore"
head -1 "$T/real 6.1 vmcore.ours" | grep -q "^\[ *[0-9]*\.[0-9]\{6\}\] Linux version $kernel_release "
kd_result $? "real 6.1 vmcore: the log starts with the kernel banner"
grep -q "sysrq: Trigger a crash\|Kernel panic" "$T/real 6.1 vmcore.ours"
kd_result $? "real 6.1 vmcore: the log holds the panic"

# offline: the same log from a -d 31 kdump-compressed dump of it
"$VMCORE_SAVE" -c -d 31 --message-level 4 "$KD_FIXTURE/vmcore" "$T/d31.kdump" 2>"$T/d31.err"
if [ $? -eq 0 ]; then
	"$VMCORE_SAVE" --dump-dmesg "$T/d31.kdump" "$T/d31.txt" 2>"$T/d31.err" &&
		cmp -s "$T/d31.txt" "$T/real 6.1 vmcore.ours"
	kd_result $? "kdump-compressed -d 31 dump: the same log$([ -s "$T/d31.err" ] &&
		echo " ($(head -c 200 "$T/d31.err"))")"
else
	echo "not ok - could not make a -d 31 dump: $(head -c 200 "$T/d31.err")"
fi

# --partial-dmesg: only the records since the log was last cleared (clear_seq). This log was
# never cleared: the whole log. In a copy with clear_seq set to 300 (both latch slots, in every
# PT_LOAD holding it), the records from sequence 300 on, as makedumpfile --partial-dmesg writes.
"$VMCORE_SAVE" --dump-dmesg --partial-dmesg "$KD_FIXTURE/vmcore" "$T/p0.txt" >/dev/null 2>&1 &&
	cmp -s "$T/p0.txt" "$T/real 6.1 vmcore.ours"
kd_result $? "--partial-dmesg, log never cleared: the whole log"
cp --sparse=always "$KD_FIXTURE/vmcore" "$T/cleared"
cat >"$T/clear.py" <<'EOF'
import re, struct, sys
path, value = sys.argv[1], int(sys.argv[2])
with open(path, 'r+b') as f:
    head = f.read(1 << 20)
    sym = int(re.search(rb'SYMBOL\(clear_seq\)=([0-9a-f]+)', head).group(1), 16)
    val = int(re.search(rb'OFFSET\(latched_seq.val\)=([0-9]+)', head).group(1))
    phoff = struct.unpack_from('<Q', head, 0x20)[0]
    phentsize, phnum = struct.unpack_from('<HH', head, 0x36)
    loads = []
    for i in range(phnum):
        t, _, off, va, pa, fsz = struct.unpack_from('<IIQQQQ', head, phoff + i * phentsize)
        if t == 1:
            loads.append((off, va, pa, fsz))
    pa = next(p + sym - v for o, v, p, s in loads if v <= sym < v + s)
    hits = 0
    for o, v, p, s in loads:
        if p <= pa and pa + val + 16 <= p + s:
            f.seek(o + pa - p + val)
            f.write(struct.pack('<QQ', value, value))
            hits += 1
    sys.exit(0 if hits else 1)
EOF
if python3 "$T/clear.py" "$T/cleared" 300; then
	"$VMCORE_SAVE" --dump-dmesg --partial-dmesg "$T/cleared" "$T/p300.txt" >/dev/null 2>&1
	n=$(wc -l <"$T/p300.txt")
	[ "$n" -gt 0 ] && [ "$n" -lt "$(wc -l <"$T/real 6.1 vmcore.ours")" ] &&
		tail -n "$n" "$T/real 6.1 vmcore.ours" | cmp -s - "$T/p300.txt"
	kd_result $? "--partial-dmesg, cleared at 300: the last $n lines of the log"
	if [ -n "$MDF" ]; then
		"$MDF" --dump-dmesg --partial-dmesg "$T/cleared" "$T/p300.mdf" >/dev/null 2>&1 &&
			cmp -s "$T/p300.txt" "$T/p300.mdf"
		kd_result $? "--partial-dmesg, cleared at 300: identical to makedumpfile's"
	fi
else
	echo "not ok - --partial-dmesg: could not set clear_seq in the copy"
fi
rm -f "$T/cleared"
kd_expect_error "--partial-dmesg without --dump-dmesg" "applies to --dump-dmesg only" \
	"$VMCORE_SAVE" --partial-dmesg -d 31 "$KD_FIXTURE/vmcore" "$T/pd.kdump"

# -x VMLINUX fills in what the note lacks (as for saving a dump): a copy of the vmcore with the
# printk ring buffer's keys renamed to junk has no log; with -x the same log as the original.
if [ -n "${vmlinux:-}" ] && [ -f "$vmlinux" ]; then
	cp --sparse=always "$KD_FIXTURE/vmcore" "$T/nokeys"
	ok=1
	for key in 'SYMBOL(prb)=' 'OFFSET(printk_ringbuffer.desc_ring)=' 'SIZE(prb_desc)='; do
		off=$(head -c 1048576 "$T/nokeys" | grep -obaF -- "$key" | cut -d: -f1)
		[ -n "$off" ] && [ "$(wc -w <<<"$off")" -eq 1 ] || ok=0
		[ $ok -eq 1 ] && printf 'kdjunk' | dd of="$T/nokeys" bs=1 seek="$off" conv=notrunc status=none
	done
	! "$VMCORE_SAVE" --dump-dmesg "$T/nokeys" "$T/nokeys.txt" 2>"$T/nokeys.err" && [ ! -e "$T/nokeys.txt" ] &&
		[ $ok -eq 1 ]
	kd_result $? "printk keys renamed in the note: no log ($(head -c 150 "$T/nokeys.err"))"
	"$VMCORE_SAVE" --dump-dmesg -x "$vmlinux" "$T/nokeys" "$T/nokeys.txt" >/dev/null 2>"$T/nokeys.err" &&
		cmp -s "$T/nokeys.txt" "$T/real 6.1 vmcore.ours" &&
		grep -q "SYMBOL(prb) taken from VMLINUX" "$T/nokeys.err"
	kd_result $? "--dump-dmesg -x VMLINUX: the keys come from the vmlinux, the same log ($(grep -c 'taken from VMLINUX' "$T/nokeys.err") keys taken)"
	rm -f "$T/nokeys" "$T/nokeys.txt"
else
	echo "skip - --dump-dmesg -x: the 6.1 fixture's debug vmlinux is not there"
fi
