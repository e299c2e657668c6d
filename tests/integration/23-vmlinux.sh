#!/usr/bin/env bash
# -x VMLINUX, -i VMCOREINFO, -g VMCOREINFO and --mem-usage on the real 6.1 vmcore and Debian's
# debug vmlinux of the same kernel:
# - -g: every key generated from the vmlinux that the kernel's own VMCOREINFO note also has
#   carries the same value (SYMBOLs moved by the note's KERNELOFFSET); the keys only the note has
#   are the run-time ones (KASLR, phys_base, pointers' contents, CONFIG macros, CRASHTIME).
# - -x: in a copy of the vmcore whose note has keys renamed (same length), vmcore-save -d 31
#   without -x warns and keeps more; with -x it names each key taken from the vmlinux, warns
#   no more, and keeps exactly the pages of the normal -d 31 dump.
# - -i: the real note as a file gives the same bytes; on the stripped copy, the real note or
#   the -g file (link-time symbols, moved to the dump's KERNELOFFSET) give the normal page set.
# - --mem-usage: makedumpfile's table; KERN_DATA equals the pages the -d 31 dump holds.
# - the 6.12 and arm64 fixtures, when cached: -g against their notes, -x on renamed keys.
# - a synthetic vmlinux compiled here: -g against the layout the compiler prints.
set -u
. "$(dirname "$0")/../lib/testlib.sh"
kd_tmpdir
T=$KD_TMP
# ---- a synthetic "vmlinux": a program whose types have the kernel's shapes (anonymous unions
# in struct page, enum pageflags/pagetype, arrays); it prints, from offsetof/sizeof and its own
# addresses (-no-pie), what -g must write. Both page-type schemes: 6.12+ and 6.9-6.11. ----
cat >"$T/k.c" <<'KEOF'
#include <stddef.h>
#include <stdio.h>

struct list_head { struct list_head *next, *prev; };
struct page {
	unsigned long flags;
	union {
		struct {
			union {
				struct list_head lru;
				struct { void *filler; unsigned int mlock_count; };
			};
			void *mapping;
			unsigned long index;
			unsigned long private;
		};
		struct {
			unsigned long compound_head;
			unsigned char compound_dtor;
			unsigned char compound_order;
		};
	};
	union { int _mapcount; unsigned int page_type; };
	int _refcount;
	unsigned long memcg_data;
};
struct folio {
	union { struct { unsigned long flags; }; struct page page; };
	union { struct { unsigned long _flags_1; unsigned long _head_1; unsigned char _folio_dtor; unsigned char _folio_order; }; struct page __page_1; };
};
#ifdef INVERTED	/* 6.9-6.11: page types are bits cleared in page_type; slab and hugetlb among them */
enum pageflags { PG_locked, PG_referenced, PG_uptodate, PG_dirty, PG_lru, PG_active,
	PG_swapcache = 10, PG_private = 13, PG_head = 16, PG_swapbacked = 19, PG_hwpoison = 22 };
enum pagetype { PG_buddy = 0x40000000, PG_offline = 0x20000000, PG_table = 0x10000000,
	PG_guard = 0x08000000, PG_hugetlb = 0x04000000, PG_slab = 0x02000000 };
#define TYPE(x) (~(int)PG_##x)
#else		/* 6.12+: the type is the top byte */
enum pageflags { PG_locked, PG_referenced, PG_uptodate, PG_dirty, PG_lru, PG_active,
	PG_slab = 9, PG_swapcache = 10, PG_private = 13, PG_head = 16, PG_swapbacked = 19,
	PG_hwpoison = 22, PG_hugetlb = PG_active };
enum pagetype { PGTY_buddy = 0xf0, PGTY_offline = 0xf1, PGTY_table = 0xf2, PGTY_hugetlb = 0xf4,
	PGTY_slab = 0xf5 };
#define TYPE(x) ((int)((unsigned)PGTY_##x << 24))
#endif
enum compound_dtor_id { NULL_COMPOUND_DTOR, COMPOUND_PAGE_DTOR, HUGETLB_PAGE_DTOR };
enum zone_stat_item { NR_FREE_PAGES = 0, NR_ZONE_LRU_BASE };
struct mem_section { unsigned long section_mem_map; unsigned long *usage; };
struct free_area { struct list_head free_list[5]; unsigned long nr_free; };
struct zone { long pad[3]; struct free_area free_area[11]; unsigned long spanned_pages; };
typedef struct { unsigned long bits[2]; } nodemask_t;
enum node_states { N_POSSIBLE, N_ONLINE, NR_NODE_STATES };
struct uts_namespace { int pad; struct { char sysname[65], nodename[65], release[65]; } name; };

struct mem_section **mem_section;
struct zone zones[2];
nodemask_t node_states[NR_NODE_STATES];
struct uts_namespace init_uts_ns = { 0, { "Linux", "(none)", "9.9.9-synthetic" } };
struct page *node_data[4];

int main(void)
{
	struct folio f;
	printf("SIZE(page)=%zu\n", sizeof(struct page));
	printf("OFFSET(page.flags)=%zu\n", offsetof(struct page, flags));
	printf("OFFSET(page.lru)=%zu\n", offsetof(struct page, lru));
	printf("OFFSET(page.mapping)=%zu\n", offsetof(struct page, mapping));
	printf("OFFSET(page.private)=%zu\n", offsetof(struct page, private));
	printf("OFFSET(page.compound_head)=%zu\n", offsetof(struct page, compound_head));
	printf("OFFSET(page.compound_dtor)=%zu\n", offsetof(struct page, compound_dtor));
	printf("OFFSET(page.compound_order)=%zu\n", offsetof(struct page, compound_order));
	printf("OFFSET(page._mapcount)=%zu\n", offsetof(struct page, _mapcount));
	printf("OFFSET(page._refcount)=%zu\n", offsetof(struct page, _refcount));
	printf("OFFSET(folio._folio_order)=%zu\n", (size_t)((char *)&f._folio_order - (char *)&f));
	printf("OFFSET(folio._folio_dtor)=%zu\n", (size_t)((char *)&f._folio_dtor - (char *)&f));
	printf("SIZE(mem_section)=%zu\n", sizeof(struct mem_section));
	printf("OFFSET(mem_section.section_mem_map)=%zu\n", offsetof(struct mem_section, section_mem_map));
	printf("SIZE(zone)=%zu\n", sizeof(struct zone));
	printf("OFFSET(zone.free_area)=%zu\n", offsetof(struct zone, free_area));
	printf("OFFSET(zone.spanned_pages)=%zu\n", offsetof(struct zone, spanned_pages));
	printf("LENGTH(zone.free_area)=%zu\n", sizeof(zones[0].free_area) / sizeof(zones[0].free_area[0]));
	printf("SIZE(free_area)=%zu\n", sizeof(struct free_area));
	printf("OFFSET(free_area.free_list)=%zu\n", offsetof(struct free_area, free_list));
	printf("LENGTH(free_area.free_list)=%zu\n", sizeof(zones[0].free_area[0].free_list) / sizeof(struct list_head));
	printf("SIZE(list_head)=%zu\n", sizeof(struct list_head));
	printf("OFFSET(list_head.next)=%zu\n", offsetof(struct list_head, next));
	printf("OFFSET(list_head.prev)=%zu\n", offsetof(struct list_head, prev));
	printf("SIZE(nodemask_t)=%zu\n", sizeof(nodemask_t));
	printf("OFFSET(uts_namespace.name)=%zu\n", offsetof(struct uts_namespace, name));
	printf("SYMBOL(init_uts_ns)=%lx\n", (unsigned long)&init_uts_ns);
	printf("SYMBOL(node_online_map)=%lx\n", (unsigned long)&node_states[N_ONLINE]);
	printf("SYMBOL(node_data)=%lx\n", (unsigned long)&node_data);
	printf("LENGTH(node_data)=%zu\n", sizeof(node_data) / sizeof(node_data[0]));
	printf("OSRELEASE=%s\n", init_uts_ns.name.release);
	printf("NUMBER(PG_lru)=%d\n", PG_lru);
	printf("NUMBER(PG_private)=%d\n", PG_private);
	printf("NUMBER(PG_swapcache)=%d\n", PG_swapcache);
	printf("NUMBER(PG_swapbacked)=%d\n", PG_swapbacked);
#ifndef INVERTED
	printf("NUMBER(PG_slab)=%d\n", PG_slab);
	printf("NUMBER(PG_hugetlb)=%d\n", PG_hugetlb);
#endif
	printf("NUMBER(PG_hwpoison)=%d\n", PG_hwpoison);
	printf("NUMBER(PG_head_mask)=%lu\n", 1UL << PG_head);
	printf("NUMBER(HUGETLB_PAGE_DTOR)=%d\n", HUGETLB_PAGE_DTOR);
	printf("NUMBER(NR_FREE_PAGES)=%d\n", NR_FREE_PAGES);
	printf("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=%d\n", TYPE(buddy));
	printf("NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=%d\n", TYPE(offline));
	printf("NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=%d\n", TYPE(slab));
	printf("NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=%d\n", TYPE(hugetlb));
	return mem_section != 0;
}
KEOF
if ! command -v cc >/dev/null; then
	echo "skip - -g on a synthetic vmlinux: no C compiler"
else
	for variant in "" -DINVERTED; do
		tag="-g on a synthetic vmlinux${variant:+ ($variant)}"
		if ! cc -g -O0 -no-pie $variant -o "$T/k" "$T/k.c" 2>"$T/err"; then
			echo "not ok - $tag: cannot compile it"
			continue
		fi
		"$T/k" >"$T/k.expect"
		"$VMCORE_SAVE" -g "$T/k.gen" -f -x "$T/k" >/dev/null 2>"$T/err"
		rc=$?
		missing=$(grep -vxFf "$T/k.gen" "$T/k.expect" | tr '\n' ' ')
		extra=$(grep -vxFf "$T/k.expect" "$T/k.gen" | grep -v '^\(BUILD-ID\|PAGESIZE\|KERNELOFFSET\)=' | tr '\n' ' ')
		[ $rc -eq 0 ] && [ -z "$missing" ] && [ -z "$extra" ]
		kd_result $? "$tag: all $(grep -c . "$T/k.expect") keys as the compiler lays them out (missing or different: ${missing:-none}; extra: ${extra:-none})"
	done
fi

kd_fixture 6.1-1g || exit 0
orig=$KD_FIXTURE/vmcore
vmlinux61=${vmlinux:-}
if [ -z "$vmlinux61" ] || [ ! -f "$vmlinux61" ]; then
	echo "skip - vmlinux: the 6.1 fixture's debug vmlinux is not there ('$vmlinux61')"
	exit 0
fi

# note_text VMCORE OUT: the VMCOREINFO note's text (from OSRELEASE= to the first line that is
# not KEY=VALUE: a NUL, or the bytes after the text in a QEMU dump's note)
note_text() {
	local off
	off=$(head -c 1048576 "$1" | grep -obaF "OSRELEASE=" | cut -d: -f1)
	[ -n "$off" ] && [ "$(wc -w <<<"$off")" -eq 1 ] || return 1
	tail -c +$((off + 1)) "$1" | head -c 65536 | tr '\0' '\n' |
		LC_ALL=C awk '/^[A-Z][A-Za-z0-9_().-]*=[[:print:]]*$/ { print; next } { exit }' >"$2"
}

# Keys the kernel prints from its running state or from macros: not in the vmlinux's DWARF.
# (arm64: the memory layout numbers, and PAGESIZE, a CONFIG choice there)
runtime_keys='^(SYMBOL\((mem_section|vmemmap)\)|LENGTH\(mem_section\)|NUMBER\((SECTION_SIZE_BITS|MAX_PHYSMEM_BITS|phys_base|pgtable_l5_enabled|KERNEL_IMAGE_SIZE|sme_mask|VMALLOC_START|PAGE_(BUDDY|OFFLINE)_MAPCOUNT_VALUE|VA_BITS|MODULES_VADDR|MODULES_END|VMALLOC_END|VMEMMAP_START|VMEMMAP_END|kimage_voffset|PHYS_OFFSET|TCR_EL1_T1SZ|KERNELPACMASK)\)|KERNELOFFSET|CRASHTIME|PAGESIZE)$'

# compare_gen NAME NOTE GEN: values of the shared keys equal, note-only keys all run-time ones
compare_gen() {
	local name=$1 k v kaslr=0 same=0 bad=0 onlynote=0 diff='' missing='' onlygen=''
	local -A note gen
	while IFS='=' read -r k v; do [ -n "$k" ] && note[$k]=$v; done <"$2"
	while IFS='=' read -r k v; do [ -n "$k" ] && gen[$k]=$v; done <"$3"
	[ -n "${note[KERNELOFFSET]:-}" ] && kaslr=$((16#${note[KERNELOFFSET]}))
	for k in "${!gen[@]}"; do
		[ "$k" = KERNELOFFSET ] && continue
		if [ -z "${note[$k]+x}" ]; then
			onlygen+=" $k"
			continue
		fi
		v=${gen[$k]}
		[[ $k == SYMBOL\(* ]] && v=$(printf '%x' $((16#$v + kaslr)))
		if [ "$v" = "${note[$k]}" ]; then
			same=$((same + 1))
		else
			bad=$((bad + 1))
			diff+=" $k=${note[$k]}/$v"
		fi
	done
	for k in "${!note[@]}"; do
		[ -n "${gen[$k]+x}" ] && [ "$k" != KERNELOFFSET ] && continue
		if [[ $k =~ $runtime_keys ]]; then
			onlynote=$((onlynote + 1))
		else
			bad=$((bad + 1))
			missing+=" $k"
		fi
	done
	[ $bad -eq 0 ] && [ $same -gt 80 ]
	kd_result $? "$name: $same keys equal, $onlynote run-time keys only in the note;" \
		"differing:${diff:- none}; not generated:${missing:- none}; generated only:${onlygen:- none}"
}

# gen_vs_note TAG VMCORE VMLINUX: -g from VMLINUX succeeds, and its keys equal VMCORE's note
gen_vs_note() {
	note_text "$2" "$T/note-$1.txt" && "$VMCORE_SAVE" -g "$T/gen-$1.txt" -x "$3" >/dev/null 2>&1
	kd_result $? "-g: VMCOREINFO generated from the $1 vmlinux ($(grep -c . "$T/gen-$1.txt") keys)"
	compare_gen "-g vs the $1 note" "$T/note-$1.txt" "$T/gen-$1.txt"
}

# ---- -g: generated keys equal the kernel's own ----
note_text "$orig" "$T/note.txt" || { echo "not ok - vmlinux: no VMCOREINFO text in the vmcore"; exit 0; }
"$VMCORE_SAVE" -g "$T/gen.txt" -x "$vmlinux61" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && grep -q '^OSRELEASE=6\.1\.' "$T/gen.txt" && grep -q '^KERNELOFFSET=0$' "$T/gen.txt"
kd_result $? "-g: VMCOREINFO generated from the 6.1 vmlinux ($(grep -c . "$T/gen.txt") keys, exit $rc)"
[ $rc -eq 0 ] || sed 's/^/    /' "$T/err" | head -5
compare_gen "-g vs the 6.1 note" "$T/note.txt" "$T/gen.txt"
kd_expect_error "-g over an existing file without -f" "exists|File exists|-f" \
	"$VMCORE_SAVE" -g "$T/gen.txt" -x "$vmlinux61"
kd_expect_error "-g without -x" "needs -x VMLINUX" "$VMCORE_SAVE" -g "$T/gen2.txt"
kd_expect_error "-R with -x" "not to -R" "$VMCORE_SAVE" -R "$T/rebuilt" -x "$vmlinux61"
printf 'PAGESIZE=4096\nSIZE(page)=sixty-four\n' >"$T/bad.txt"
kd_expect_error "-i with a malformed line" "line 2 .*not a decimal number" \
	"$VMCORE_SAVE" --message-level 4 -d 31 -i "$T/bad.txt" "$orig" "$T/bad"
kd_expect_error "-i with a missing file" "cannot open .*no-such-file" \
	"$VMCORE_SAVE" --message-level 4 -d 31 -i "$T/no-such-file" "$orig" "$T/bad"
kd_expect_error "-x FILE without DWARF" "no DWARF|not an ELF" \
	"$VMCORE_SAVE" --message-level 4 -d 31 -x "$T/note.txt" "$orig" "$T/bad"

# ---- the reference dump, and -i with the real note ----
"$VMCORE_SAVE" --message-level 4 -l -d 31 "$orig" "$T/ref" 2>"$T/ref.err" ||
	{ echo "not ok - vmlinux: vmcore-save -d 31 on the unchanged vmcore failed"; exit 0; }
"$VMCORE_SAVE" --message-level 4 -l -d 31 -i "$T/note.txt" "$orig" "$T/i-same" 2>"$T/err"
[ $? -eq 0 ] && cmp -s "$T/ref" "$T/i-same" && [ ! -s "$T/err" ]
kd_result $? "-i with the vmcore's own note text: the same bytes as without"
"$VMCORE_SAVE" --message-level 4 -l -d 31 -x "$vmlinux61" "$orig" "$T/x-same" 2>"$T/err"
[ $? -eq 0 ] && cmp -s "$T/ref" "$T/x-same" && ! grep -q warning "$T/err"
kd_result $? "-x on the complete note: the same bytes ($(grep -c 'taken from VMLINUX' "$T/err") keys the note lacks were added, none used by -d 31)"
rm -f "$T/i-same" "$T/x-same"

# ---- a note with keys renamed ----
patch_key() { # FILE FROM TO: overwrite the note text FROM (found once in the first MiB) with TO
	local off
	off=$(head -c 1048576 "$1" | grep -obaF -- "$2" | cut -d: -f1)
	[ -n "$off" ] && [ "$(wc -w <<<"$off")" -eq 1 ] && [ ${#2} -eq ${#3} ] || return 1
	printf '%s' "$3" | dd of="$1" bs=1 seek="$off" conv=notrunc status=none
}
junk_of() { # KIND(name): KIND(kd...) of the same length
	local name=${1#*(}
	name=${name%)}
	echo "${1%%(*}(kd$(printf '%*s' $((${#name} - 2)) '' | tr ' ' y))"
}

# strip_check TAG VMCORE VMLINUX REF KEY...: rename the keys in a copy ($T/vmcore), then
# -d 31 without -x warns and keeps more, with -x it names each key and keeps REF's pages.
strip_check() {
	local tag=$1 vmcore=$2 vmlinux=$3 ref=$4 k ok=0 rc
	shift 4
	cp --sparse=always "$vmcore" "$T/vmcore" || { echo "not ok - $tag: cannot copy the vmcore"; return 1; }
	for k in "$@"; do
		patch_key "$T/vmcore" "$k=" "$(junk_of "$k")=" || { ok=1; echo "    cannot rename $k"; }
	done
	kd_result $ok "$tag: renamed $# keys in a copy of the vmcore's note"

	"$VMCORE_SAVE" --message-level 4 -l -d 31 "$T/vmcore" "$T/nox" 2>"$T/nox.err"
	rc=$?
	[ $rc -eq 0 ] && grep -q '^vmcore-save: warning: VMCOREINFO lacks ' "$T/nox.err" &&
		[ "$(stat -c %s "$T/nox")" -gt "$(stat -c %s "$ref")" ]
	kd_result $? "$tag: without -x: exit $rc, a warning naming the key ($(head -1 "$T/nox.err" | cut -c1-100)), a larger dump"
	rm -f "$T/nox"

	"$VMCORE_SAVE" --message-level 4 -l -d 31 -x "$vmlinux" "$T/vmcore" "$T/x" 2>"$T/x.err"
	rc=$?
	ok=0
	[ $rc -eq 0 ] || ok=1
	for k in "$@"; do
		grep -qxF "vmcore-save: $k taken from VMLINUX" "$T/x.err" || { ok=1; echo "    no line for $k"; }
	done
	! grep -q 'warning' "$T/x.err" || ok=1
	kd_result $ok "$tag: -x: exit $rc, one 'taken from VMLINUX' line per renamed key ($(grep -c 'taken from' "$T/x.err") lines), no warning"
	[ $ok -eq 0 ] || sed 's/^/    /' "$T/x.err" | head -30
	"$KD_TOOLS/kdpageset" --source "$vmcore" "$ref" "$T/x" >"$T/set" 2>&1
	kd_result $? "$tag: -x: the kept pages equal the normal -d 31 dump's ($(tail -1 "$T/set"))"
	rm -f "$T/x"
}

strip_check "6.1" "$orig" "$vmlinux61" "$T/ref" SIZE\(page\) OFFSET\(page.flags\) \
	OFFSET\(page.mapping\) OFFSET\(page.private\) OFFSET\(page._mapcount\) \
	OFFSET\(page.compound_head\) OFFSET\(page.compound_order\) OFFSET\(page.compound_dtor\) \
	NUMBER\(PG_lru\) NUMBER\(PG_private\) NUMBER\(PG_swapcache\) NUMBER\(PG_swapbacked\) \
	NUMBER\(PG_slab\) NUMBER\(PG_head_mask\) NUMBER\(HUGETLB_PAGE_DTOR\) \
	LENGTH\(zone.free_area\) SYMBOL\(mem_section\)

"$VMCORE_SAVE" --message-level 4 -l -d 31 -i "$T/note.txt" "$T/vmcore" "$T/i" 2>"$T/err" &&
	"$KD_TOOLS/kdpageset" --source "$orig" "$T/ref" "$T/i" >"$T/set" 2>&1 && [ ! -s "$T/err" ]
kd_result $? "-i with the real note on the renamed copy: the normal -d 31 pages ($(tail -1 "$T/set"))"
rm -f "$T/i"

# the -g file has no pointer contents: give SYMBOL(mem_section) back, the rest comes from it
patch_key "$T/vmcore" "$(junk_of 'SYMBOL(mem_section)')=" "SYMBOL(mem_section)=" || echo "    cannot restore SYMBOL(mem_section)"
"$VMCORE_SAVE" --message-level 4 -l -d 31 -i "$T/gen.txt" "$T/vmcore" "$T/g" 2>"$T/err" &&
	"$KD_TOOLS/kdpageset" --source "$orig" "$T/ref" "$T/g" >"$T/set" 2>&1 && [ ! -s "$T/err" ]
kd_result $? "-i with the -g file on the renamed copy (symbols moved by KERNELOFFSET): the normal -d 31 pages ($(tail -1 "$T/set"))"
[ -s "$T/err" ] && sed 's/^/    /' "$T/err" | head -5
rm -f "$T/g" "$T/vmcore"

# ---- --mem-usage ----
"$VMCORE_SAVE" --mem-usage "$orig" >"$T/mu" 2>"$T/err"
rc=$?
kept=$("$KD_TOOLS/kdcompare" --list-kept "$T/ref.kept" "$orig" "$T/ref" >/dev/null 2>&1 && grep -c . "$T/ref.kept")
kern=$(awk '$1 == "KERN_DATA" { print $2 }' "$T/mu")
total=$(awk '/^Total pages on system:/ { print $NF }' "$T/mu")
sum=$(awk '$3 == "yes" || $3 == "no" { s += $2 } END { print s }' "$T/mu")
[ $rc -eq 0 ] && [ -n "$kern" ] && [ "$kern" = "$kept" ] && [ "$sum" = "$total" ] &&
	grep -q '^TYPE  *PAGES  *EXCLUDABLE  *DESCRIPTION' "$T/mu"
kd_result $? "--mem-usage: the table adds up ($sum = $total pages), KERN_DATA $kern = pages of the -d 31 dump ($kept)"
[ -n "$kern" ] || sed 's/^/    /' "$T/err" | head -5
sed 's/^/    # /' "$T/mu"

# ---- 6.12 (trixie), when its fixture is cached ----
dir612=$(KDUMPKIT_NO_VM=1 KDUMPKIT_CACHE="${KD_CACHE_612:-${KDUMPKIT_CACHE:-/var/cache/kdumpkit}}" \
	"$KD_ROOT/tests/vm/make-vmcore" 6.12-1g 2>/dev/null)
v612=$([ -n "$dir612" ] && sed -n 's/^vmlinux=//p' "$dir612/info.txt")
if [ -n "$dir612" ] && [ -f "$v612" ]; then
	gen_vs_note 6.12 "$dir612/vmcore" "$v612"
	"$VMCORE_SAVE" --message-level 4 -l -d 31 -x "$v612" "$orig" "$T/wrong" >/dev/null 2>"$T/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q 'is not the dumped kernel' "$T/err" && [ ! -e "$T/wrong" ]
	kd_result $? "-x with the 6.12 vmlinux on the 6.1 vmcore: exit $rc (2: not the dumped kernel), no dump"
	"$VMCORE_SAVE" --message-level 4 -l -d 31 "$dir612/vmcore" "$T/ref612" 2>/dev/null
	strip_check "6.12" "$dir612/vmcore" "$v612" "$T/ref612" SIZE\(page\) \
		OFFSET\(page.mapping\) OFFSET\(page.private\) OFFSET\(page._mapcount\) \
		OFFSET\(page.compound_head\) NUMBER\(PG_lru\) NUMBER\(PG_head_mask\) \
		NUMBER\(PG_hwpoison\) NUMBER\(PAGE_BUDDY_MAPCOUNT_VALUE\) \
		NUMBER\(PAGE_SLAB_MAPCOUNT_VALUE\) NUMBER\(PAGE_HUGETLB_MAPCOUNT_VALUE\) \
		NUMBER\(PAGE_OFFLINE_MAPCOUNT_VALUE\) LENGTH\(zone.free_area\) SYMBOL\(mem_section\) \
		SYMBOL\(vmemmap\)
	rm -f "$T/vmcore" "$T/ref612"
else
	echo "skip - -g on 6.12: the 6.12-1g fixture or its vmlinux is not cached"
fi

# ---- arm64 (6.1, QEMU dump-guest-memory), when its fixture is cached ----
dirarm=$(KDUMPKIT_NO_VM=1 "$KD_ROOT/tests/vm/make-vmcore-arm64" 2g 2>/dev/null)
varm=$([ -n "$dirarm" ] && sed -n 's/^vmlinux=//p' "$dirarm/info.txt")
if [ -n "$dirarm" ] && [ -f "$varm" ]; then
	gen_vs_note "arm64 6.1" "$dirarm/vmcore" "$varm"
	"$VMCORE_SAVE" --message-level 4 -l -d 31 "$dirarm/vmcore" "$T/refarm" 2>/dev/null
	strip_check "arm64" "$dirarm/vmcore" "$varm" "$T/refarm" SIZE\(page\) \
		OFFSET\(page.mapping\) OFFSET\(page.private\) OFFSET\(page.compound_head\) \
		OFFSET\(page.compound_order\) NUMBER\(PG_lru\) NUMBER\(PG_slab\) SYMBOL\(mem_section\)
	rm -f "$T/vmcore" "$T/refarm"
else
	echo "skip - -g and -x on arm64: the arm64-2g fixture or its vmlinux is not cached"
fi
