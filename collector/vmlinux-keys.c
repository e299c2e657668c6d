/* The VMCOREINFO keys a debug vmlinux can give, as the kernel would print them. */
#include "collector/vmlinux-priv.h"

#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"

enum how {
	H_SYM,		/* SYMBOL(key): the address of symbol key (or else of a) */
	H_SYM_ARRAY,	/* SYMBOL(key): the address of an array, the content of a pointer */
	H_SYM_CONTENT,	/* SYMBOL(key): the 8-byte content of variable a */
	H_NODE_STATE,	/* SYMBOL(key): &node_states[b] when key is not a symbol (a macro) */
	H_SIZE,		/* SIZE(key): sizeof(struct/union/typedef key) */
	H_OFFSET,	/* OFFSET(key): key is "type.member" */
	H_LEN_MEMBER,	/* LENGTH(key): array member b of type a */
	H_LEN_VAR,	/* LENGTH(key): array variable key */
	H_PGFLAG,	/* NUMBER(key): enumerator key of enum pageflags */
	H_HEAD_MASK,	/* NUMBER(PG_head_mask): 1 << PG_head */
	H_ENUM,		/* NUMBER(key): enumerator key of enum a */
	H_PTYPE,	/* NUMBER(key): page type a of enum pagetype (6.9+) */
};

struct key_spec {
	enum how how;
	const char *key;
	const char *a;
	const char *b;
	uint16_t machine;	/* 0: any */
	const char *needs;	/* a type ("&name": a symbol) that must exist: the key's era */
};

#define SYM(k) { H_SYM, k, NULL, NULL, 0, NULL }
#define SIZE(k) { H_SIZE, k, NULL, NULL, 0, NULL }
#define OFF(k) { H_OFFSET, k, NULL, NULL, 0, NULL }
#define PGF(k) { H_PGFLAG, k, NULL, NULL, 0, NULL }

/* The keys of kernel/vmcore_info.c (crash_core.c before 6.9) that do not need the running
 * kernel, in its order, plus the older ones filters/ and the dmesg reader understand. */
static const struct key_spec key_table[] = {
	SYM("init_uts_ns"), OFF("uts_namespace.name"),
	{ H_NODE_STATE, "node_online_map", NULL, "N_ONLINE", 0, NULL },
	{ H_SYM, "swapper_pg_dir", "init_top_pgt", NULL, 0, NULL },	/* x86_64: a macro */
	SYM("_stext"), SYM("vmap_area_list"), SYM("mem_map"), SYM("contig_page_data"),
	{ H_SYM_CONTENT, "vmemmap", "vmemmap_base", NULL, EM_X86_64, NULL },
	{ H_SYM_ARRAY, "mem_section", NULL, NULL, 0, NULL },
	{ H_LEN_VAR, "mem_section", NULL, NULL, 0, NULL },
	SIZE("mem_section"), OFF("mem_section.section_mem_map"),
	SIZE("page"), SIZE("pglist_data"), SIZE("zone"), SIZE("free_area"), SIZE("list_head"),
	SIZE("nodemask_t"),
	OFF("page.flags"), OFF("page._refcount"), OFF("page.mapping"), OFF("page.lru"),
	OFF("page._mapcount"), OFF("page.private"), OFF("page.compound_dtor"),
	OFF("page.compound_order"), OFF("page.compound_head"), OFF("page.compound_info"),
	OFF("folio._folio_dtor"), OFF("folio._folio_order"),
	OFF("pglist_data.node_zones"), OFF("pglist_data.nr_zones"),
	OFF("pglist_data.node_mem_map"), OFF("pglist_data.node_start_pfn"),
	OFF("pglist_data.node_spanned_pages"), OFF("pglist_data.node_id"),
	OFF("zone.free_area"), OFF("zone.vm_stat"), OFF("zone.spanned_pages"),
	OFF("free_area.free_list"), OFF("list_head.next"), OFF("list_head.prev"),
	{ H_OFFSET, "vmap_area.va_start", NULL, NULL, 0, "&vmap_area_list" },
	{ H_OFFSET, "vmap_area.list", NULL, NULL, 0, "&vmap_area_list" },
	{ H_LEN_MEMBER, "zone.free_area", "zone", "free_area", 0, NULL },
	/* printk ringbuffer (5.10+) */
	SYM("prb"), SYM("printk_rb_static"), SYM("clear_seq"),
	SIZE("printk_ringbuffer"), OFF("printk_ringbuffer.desc_ring"),
	OFF("printk_ringbuffer.text_data_ring"), OFF("printk_ringbuffer.fail"),
	SIZE("prb_desc_ring"), OFF("prb_desc_ring.count_bits"), OFF("prb_desc_ring.descs"),
	OFF("prb_desc_ring.infos"), OFF("prb_desc_ring.head_id"), OFF("prb_desc_ring.tail_id"),
	SIZE("prb_desc"), OFF("prb_desc.state_var"), OFF("prb_desc.text_blk_lpos"),
	SIZE("prb_data_blk_lpos"), OFF("prb_data_blk_lpos.begin"), OFF("prb_data_blk_lpos.next"),
	SIZE("printk_info"), OFF("printk_info.seq"), OFF("printk_info.ts_nsec"),
	OFF("printk_info.text_len"), OFF("printk_info.caller_id"), OFF("printk_info.dev_info"),
	SIZE("dev_printk_info"), OFF("dev_printk_info.subsystem"),
	{ H_LEN_MEMBER, "printk_info_subsystem", "dev_printk_info", "subsystem", 0, NULL },
	OFF("dev_printk_info.device"),
	{ H_LEN_MEMBER, "printk_info_device", "dev_printk_info", "device", 0, NULL },
	SIZE("prb_data_ring"), OFF("prb_data_ring.size_bits"), OFF("prb_data_ring.data"),
	OFF("prb_data_ring.head_lpos"), OFF("prb_data_ring.tail_lpos"),
	SIZE("atomic_long_t"), OFF("atomic_long_t.counter"),
	SIZE("latched_seq"), OFF("latched_seq.val"),
	/* structured log_buf (3.11 to 5.9) */
	{ H_SYM, "log_buf", NULL, NULL, 0, "printk_log" },
	{ H_SYM, "log_buf_len", NULL, NULL, 0, "printk_log" },
	{ H_SYM, "log_first_idx", NULL, NULL, 0, "printk_log" },
	{ H_SYM, "log_next_idx", NULL, NULL, 0, "printk_log" },
	SIZE("printk_log"), OFF("printk_log.ts_nsec"), OFF("printk_log.len"),
	OFF("printk_log.text_len"),
	{ H_LEN_MEMBER, "free_area.free_list", "free_area", "free_list", 0, NULL },
	{ H_ENUM, "NR_FREE_PAGES", "zone_stat_item", NULL, 0, NULL },
	PGF("PG_lru"), PGF("PG_private"), PGF("PG_swapcache"), PGF("PG_swapbacked"),
	PGF("PG_slab"), PGF("PG_hwpoison"), PGF("PG_hugetlb"), PGF("PG_buddy"),
	{ H_HEAD_MASK, "PG_head_mask", NULL, NULL, 0, NULL },
	{ H_PTYPE, "PAGE_BUDDY_MAPCOUNT_VALUE", "buddy", NULL, 0, NULL },
	{ H_ENUM, "HUGETLB_PAGE_DTOR", "compound_dtor_id", NULL, 0, NULL },
	{ H_PTYPE, "PAGE_HUGETLB_MAPCOUNT_VALUE", "hugetlb", NULL, 0, NULL },
	{ H_PTYPE, "PAGE_OFFLINE_MAPCOUNT_VALUE", "offline", NULL, 0, NULL },
	{ H_PTYPE, "PAGE_SLAB_MAPCOUNT_VALUE", "slab", NULL, 0, NULL },
	{ H_PTYPE, "PAGE_UNACCEPTED_MAPCOUNT_VALUE", "unaccepted", NULL, 0, NULL },
	SYM("kallsyms_names"), SYM("kallsyms_num_syms"), SYM("kallsyms_token_table"),
	SYM("kallsyms_token_index"), SYM("kallsyms_offsets"), SYM("kallsyms_relative_base"),
	{ H_SYM, "init_top_pgt", NULL, NULL, EM_X86_64, NULL },
	{ H_SYM, "node_data", NULL, NULL, EM_X86_64, NULL },
	{ H_LEN_VAR, "node_data", NULL, NULL, EM_X86_64, NULL },
};

const char *const col_vmlinux_key_types[] = {
	"uts_namespace", "mem_section", "page", "folio", "pglist_data", "zone", "free_area",
	"list_head", "nodemask_t", "vmap_area", "printk_ringbuffer", "prb_desc_ring", "prb_desc",
	"prb_data_blk_lpos", "printk_info", "dev_printk_info", "prb_data_ring", "atomic_long_t",
	"latched_seq", "printk_log", "zone_stat_item", "pageflags", "pagetype",
	"compound_dtor_id", "node_data", "node_states", NULL,
};

struct out {
	char *buf;
	size_t len;
	size_t cap;
	bool nomem;
};

__attribute__((format(printf, 2, 3)))
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->nomem)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->nomem = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t ncap = o->cap * 2 + (size_t)n + 256;
		char *nb = realloc(o->buf, ncap);

		if (!nb) {
			o->nomem = true;
			return;
		}
		o->buf = nb;
		o->cap = ncap;
	}
}

/* "type.member" split into @type (NUL-terminated copy) and the member. */
static const char *split_member(const char *key, char *type, size_t len)
{
	const char *dot = strchr(key, '.');

	if (!dot || (size_t)(dot - key) >= len)
		return NULL;
	memcpy(type, key, (size_t)(dot - key));
	type[dot - key] = '\0';
	return dot + 1;
}

/* VMCOREINFO's page type value from enum pagetype: PGTY_x << 24 (6.12+), ~PG_x (6.9-6.11). */
static bool page_type_value(const struct col_vmlinux *vl, const char *base, int64_t *ret)
{
	char name[40];
	int64_t v;

	snprintf(name, sizeof(name), "PGTY_%s", base);
	if (col_vmlinux_enumerator(vl, "pagetype", name, &v)) {
		*ret = (int32_t)((uint32_t)v << 24);
		return true;
	}
	snprintf(name, sizeof(name), "PG_%s", base);
	if (col_vmlinux_enumerator(vl, "pagetype", name, &v)) {
		*ret = (int32_t)~(uint32_t)v;
		return true;
	}
	return false;
}

struct gen_ctx {
	const struct col_vmlinux *vl;
	uint64_t kaslr;
	col_kread_fn kread;
	void *kctx;
	struct out *o;
};

static void gen_symbol(const struct gen_ctx *g, const struct key_spec *k)
{
	const char *name = k->how == H_SYM_CONTENT ? k->a : k->key;
	uint64_t v;
	uint8_t word[8];

	if (!col_vmlinux_symbol(g->vl, name, &v) &&
	    !(k->how == H_SYM && k->a && col_vmlinux_symbol(g->vl, k->a, &v)))
		return;
	v += g->kaslr;
	if (k->how == H_SYM_CONTENT ||
	    (k->how == H_SYM_ARRAY && col_vmlinux_var_is_pointer(g->vl, name))) {
		/* the kernel prints the pointer's value: only the dump has it */
		if (!g->kread || !g->kread(g->kctx, v, word, sizeof(word)))
			return;
		v = get_le64(word);
	}
	emit(g->o, "SYMBOL(%s)=%" PRIx64 "\n", k->key, v);
}

/* 6.1's node_online_map is node_states[N_ONLINE], an array of nodemask_t */
static void gen_node_state(const struct gen_ctx *g, const struct key_spec *k)
{
	uint64_t v, size;
	int64_t idx;

	if (col_vmlinux_symbol(g->vl, k->key, &v)) {
		emit(g->o, "SYMBOL(%s)=%" PRIx64 "\n", k->key, v + g->kaslr);
		return;
	}
	if (col_vmlinux_symbol(g->vl, "node_states", &v) &&
	    col_vmlinux_enumerator(g->vl, "node_states", k->b, &idx) && idx >= 0 && idx < 64 &&
	    col_vmlinux_size(g->vl, "nodemask_t", &size))
		emit(g->o, "SYMBOL(%s)=%" PRIx64 "\n", k->key,
		     v + (uint64_t)idx * size + g->kaslr);
}

static bool era_ok(const struct col_vmlinux *vl, const char *needs)
{
	uint64_t ignored;

	if (!needs)
		return true;
	if (needs[0] == '&')
		return col_vmlinux_symbol(vl, needs + 1, &ignored);
	return col_vmlinux_size(vl, needs, &ignored);
}

static void gen_one(const struct gen_ctx *g, const struct key_spec *k)
{
	const struct col_vmlinux *vl = g->vl;
	char type[64];
	const char *member;
	uint64_t u;
	int64_t s;

	switch (k->how) {
	case H_SYM:
	case H_SYM_ARRAY:
	case H_SYM_CONTENT:
		gen_symbol(g, k);
		break;
	case H_NODE_STATE:
		gen_node_state(g, k);
		break;
	case H_SIZE:
		if (col_vmlinux_size(vl, k->key, &u))
			emit(g->o, "SIZE(%s)=%" PRIu64 "\n", k->key, u);
		break;
	case H_OFFSET:
		member = split_member(k->key, type, sizeof(type));
		if (member && col_vmlinux_offset(vl, type, member, &u))
			emit(g->o, "OFFSET(%s)=%" PRIu64 "\n", k->key, u);
		break;
	case H_LEN_MEMBER:
		if (col_vmlinux_member_length(vl, k->a, k->b, &u))
			emit(g->o, "LENGTH(%s)=%" PRIu64 "\n", k->key, u);
		break;
	case H_LEN_VAR:
		if (col_vmlinux_var_length(vl, k->key, &u))
			emit(g->o, "LENGTH(%s)=%" PRIu64 "\n", k->key, u);
		break;
	case H_PGFLAG:
		if (col_vmlinux_enumerator(vl, "pageflags", k->key, &s))
			emit(g->o, "NUMBER(%s)=%" PRId64 "\n", k->key, s);
		break;
	case H_HEAD_MASK:
		if (col_vmlinux_enumerator(vl, "pageflags", "PG_head", &s) && s >= 0 && s < 63)
			emit(g->o, "NUMBER(%s)=%" PRId64 "\n", k->key, (int64_t)1 << s);
		break;
	case H_ENUM:
		if (col_vmlinux_enumerator(vl, k->a, k->key, &s))
			emit(g->o, "NUMBER(%s)=%" PRId64 "\n", k->key, s);
		break;
	case H_PTYPE:
		if (page_type_value(vl, k->a, &s))
			emit(g->o, "NUMBER(%s)=%" PRId64 "\n", k->key, s);
		break;
	}
}

/* OSRELEASE from init_uts_ns's initial data, BUILD-ID from the ELF note, PAGESIZE (x86_64). */
static void gen_release(const struct col_vmlinux *vl, struct out *o)
{
	uint64_t sym, off;
	char rel[66], id[2 * 64 + 1];

	/* struct new_utsname: sysname, nodename, release, ... of 65 bytes each */
	if (!col_vmlinux_offset(vl, "uts_namespace", "name", &off))
		off = 0;
	if (col_vmlinux_symbol(vl, "init_uts_ns", &sym) &&
	    col_vmlinux_read(vl, sym + off + 2 * 65, rel, 65)) {
		rel[65] = '\0';
		if (rel[0])
			emit(o, "OSRELEASE=%s\n", rel);
	}
	if (col_vmlinux_build_id(vl, id, sizeof(id)))
		emit(o, "BUILD-ID=%s\n", id);
	if (col_vmlinux_machine(vl) == EM_X86_64)
		emit(o, "PAGESIZE=4096\n");
}

enum kd_status col_vmlinux_keys(const struct col_vmlinux *vl, uint64_t kaslr_offset,
				col_kread_fn kread, void *kctx, bool with_release, char **ret,
				size_t *ret_len, struct kd_err *err)
{
	struct out o = { .cap = 4096 };
	struct gen_ctx g = { vl, kaslr_offset, kread, kctx, &o };

	o.buf = malloc(o.cap);
	if (!o.buf)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	o.buf[0] = '\0';
	if (with_release)
		gen_release(vl, &o);
	for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++) {
		const struct key_spec *k = &key_table[i];

		if (k->machine && k->machine != col_vmlinux_machine(vl))
			continue;
		if (!era_ok(vl, k->needs))
			continue;
		gen_one(&g, k);
	}
	if (o.nomem) {
		free(o.buf);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for VMCOREINFO text");
	}
	*ret = o.buf;
	*ret_len = o.len;
	return KD_OK;
}
