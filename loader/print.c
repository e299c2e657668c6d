/* Plan and state output for kdump-load: text for people, JSON for scripts. */
#include "loader/loader-priv.h"

#include <inttypes.h>
#include <linux/kexec.h>

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_int_or_null(FILE *out, int64_t v)
{
	if (v < 0)
		fputs("null", out);
	else
		fprintf(out, "%" PRId64, v);
}

static void json_range(FILE *out, uint64_t start, uint64_t end)
{
	uint64_t n = end - start;

	fprintf(out, "\"start\": \"%#" PRIx64 "\", \"end\": \"%#" PRIx64 "\", \"size\": %" PRIu64,
		start, end, n == UINT64_MAX ? n : n + 1);
}

static const char *syscall_name(const struct ldr_plan *p)
{
	return p->syscall == LDR_SYSCALL_KEXEC_LOAD ? "kexec_load" : "kexec_file_load";
}

/* The kexec_load layout (arm64 plans): segments and linux,usable-memory-range. */
static void print_layout_json(const struct ldr_plan_layout *l, FILE *out)
{
	if (!l->computed) {
		if (l->error[0]) {
			fputs(",\n  \"layout_error\": ", out);
			json_str(out, l->error);
		}
		return;
	}
	fputs(",\n  \"segments\": [", out);
	for (size_t i = 0; i < l->nr_seg; i++) {
		fputs(i ? ",\n    {\"what\": " : "\n    {\"what\": ", out);
		json_str(out, l->seg[i].what);
		fputs(", ", out);
		json_range(out, l->seg[i].mem, l->seg[i].mem + l->seg[i].memsz - 1);
		fprintf(out, ", \"bufsz\": %" PRIu64 "}", l->seg[i].bufsz);
	}
	fputs("\n  ],\n  \"usable_memory_range\": [", out);
	for (size_t i = 0; i < l->nr_usable; i++) {
		fputs(i ? ",\n    {" : "\n    {", out);
		json_range(out, l->usable[i].start, l->usable[i].end);
		fputc('}', out);
	}
	fprintf(out, "\n  ],\n  \"entry\": \"%#" PRIx64 "\", \"kernel_entry\": \"%#" PRIx64
		"\", \"dtb\": \"%#" PRIx64 "\", \"elfcorehdr\": \"%#" PRIx64 "\"", l->entry,
		l->kernel_entry, l->dtb, l->elfcorehdr);
}

static void print_layout_text(const struct ldr_plan_layout *l, FILE *out)
{
	char a[32];

	if (!l->computed) {
		if (l->error[0])
			fprintf(out, "segments:     not laid out (%s)\n", l->error);
		return;
	}
	for (size_t i = 0; i < l->nr_seg; i++)
		fprintf(out, "segment:      %-10s %#018" PRIx64 "-%#018" PRIx64 "  %s\n",
			l->seg[i].what, l->seg[i].mem, l->seg[i].mem + l->seg[i].memsz - 1,
			ldr_size_str(l->seg[i].memsz, a, sizeof(a)));
	fprintf(out, "entry:        %#" PRIx64 " (purgatory), kernel %#" PRIx64 ", dtb %#" PRIx64
		", elfcorehdr %#" PRIx64 "\n", l->entry, l->kernel_entry, l->dtb, l->elfcorehdr);
	for (size_t i = 0; i < l->nr_usable; i++)
		fprintf(out, "usable-memory-range: %#018" PRIx64 "-%#018" PRIx64 "  %s\n",
			l->usable[i].start, l->usable[i].end,
			ldr_size_str(l->usable[i].end - l->usable[i].start + 1, a, sizeof(a)));
}

static void print_plan_json(const struct ldr_plan *p, FILE *out)
{
	bool first = true;
	size_t i;
	int k;

	fputs("{\n  \"syscall\": ", out);
	json_str(out, syscall_name(p));
	if (p->syscall == LDR_SYSCALL_KEXEC_LOAD)
		fputs(",\n  \"flags\": [\"KEXEC_ON_CRASH\"],\n", out);
	else
		fprintf(out, ",\n  \"flags\": [\"KEXEC_FILE_ON_CRASH\"%s],\n",
			p->flags & KEXEC_FILE_NO_INITRAMFS ? ", \"KEXEC_FILE_NO_INITRAMFS\"" : "");
	fputs("  \"kernel\": {\"path\": ", out);
	json_str(out, p->kernel);
	fputs(", \"format\": ", out);
	json_str(out, ldr_image_kind_name(p->image.kind));
	fprintf(out, ", \"size\": %" PRIu64 ", \"memory\": %" PRIu64 ", \"alignment\": %" PRIu64,
		p->image.file_size, p->image.mem_size, p->image.align);
	if (p->image.kind == LDR_IMAGE_BZIMAGE)
		fprintf(out, ", \"protocol\": \"%u.%02u\", \"cmdline_max\": %" PRIu32,
			p->image.protocol >> 8, p->image.protocol & 0xff, p->image.cmdline_max);
	fputs("},\n  \"initrd\": ", out);
	if (p->initrd) {
		fputs("{\"path\": ", out);
		json_str(out, p->initrd);
		fprintf(out, ", \"size\": %" PRIu64 "}", p->initrd_size);
	} else {
		fputs("null", out);
	}
	fputs(",\n  \"cmdline\": ", out);
	json_str(out, p->cmdline);
	fputs(",\n  \"crash_ranges\": ", out);
	if (p->addresses_hidden) {
		fputs("null", out);
	} else {
		fputc('[', out);
		for (i = 0; i < p->n_ranges; i++) {
			fputs(i ? ",\n    {" : "\n    {", out);
			json_range(out, p->ranges[i].start, p->ranges[i].end);
			fprintf(out, ", \"target\": %s, \"fits\": %s}",
				p->ranges[i].target ? "true" : "false",
				p->ranges[i].fits ? "true" : "false");
		}
		fputs(p->n_ranges ? "\n  ]" : "]", out);
	}
	fprintf(out, ",\n  \"crash_total\": %" PRIu64 ",\n  \"need\": %" PRIu64, p->crash_total,
		p->need);
	fputs(",\n  \"kexec_crash_size\": ", out);
	json_int_or_null(out, p->sys_crash_size);
	fputs(",\n  \"kexec_crash_loaded\": ", out);
	json_int_or_null(out, p->sys_crash_loaded);
	print_layout_json(&p->layout, out);
	fputs(",\n  \"problems\": [", out);
	for (k = 0; k < LDR_PROBLEM_KINDS; k++) {
		if (!p->problem[k])
			continue;
		fputs(first ? "\n    {\"kind\": " : ",\n    {\"kind\": ", out);
		json_str(out, ldr_problem_name((enum ldr_problem)k));
		fputs(", \"message\": ", out);
		json_str(out, p->problem_msg[k]);
		fputc('}', out);
		first = false;
	}
	fprintf(out, "%s],\n  \"ok\": %s\n}\n", first ? "" : "\n  ", first ? "true" : "false");
}

static void print_plan_text(const struct ldr_plan *p, FILE *out)
{
	char a[32], b[32];
	bool ok = true;
	size_t i;
	int k;

	if (p->syscall == LDR_SYSCALL_KEXEC_LOAD)
		fputs("syscall:      kexec_load (KEXEC_ON_CRASH; segments built by kdump-load)\n",
		      out);
	else
		fprintf(out, "syscall:      kexec_file_load (KEXEC_FILE_ON_CRASH%s)\n",
			p->flags & KEXEC_FILE_NO_INITRAMFS ? " | KEXEC_FILE_NO_INITRAMFS" : "");
	fprintf(out, "kernel:       %s\n", p->kernel);
	fprintf(out, "              %s", ldr_image_kind_name(p->image.kind));
	if (p->image.kind == LDR_IMAGE_BZIMAGE)
		fprintf(out, ", boot protocol %u.%02u", p->image.protocol >> 8,
			p->image.protocol & 0xff);
	fprintf(out, ", %s file, %s in memory\n", ldr_size_str(p->image.file_size, a, sizeof(a)),
		ldr_size_str(p->image.mem_size, b, sizeof(b)));
	if (p->initrd)
		fprintf(out, "initrd:       %s (%s)\n", p->initrd,
			ldr_size_str(p->initrd_size, a, sizeof(a)));
	else
		fputs("initrd:       none\n", out);
	fprintf(out, "command line: %s\n", p->cmdline);
	if (p->addresses_hidden) {
		fputs("crash memory: unknown (addresses hidden: run as root)\n", out);
	} else {
		fprintf(out, "crash memory: %zu range%s, %s\n", p->n_ranges,
			p->n_ranges == 1 ? "" : "s", ldr_size_str(p->crash_total, a, sizeof(a)));
		for (i = 0; i < p->n_ranges; i++) {
			const struct ldr_plan_range *r = &p->ranges[i];

			fprintf(out, "  %#018" PRIx64 "-%#018" PRIx64 "  %10s  %s%s\n", r->start,
				r->end, ldr_size_str(r->end - r->start + 1, a, sizeof(a)),
				r->target ? "target, " : "", r->fits ? "fits" : "too small");
		}
	}
	fprintf(out, "needs:        %s (kernel + initrd + about %s setup data)\n",
		ldr_size_str(p->need, a, sizeof(a)), ldr_size_str(LDR_SETUP_RESERVE, b, sizeof(b)));
	if (p->sys_crash_size >= 0)
		fprintf(out, "kexec_crash_size:   %s\n",
			ldr_size_str((uint64_t)p->sys_crash_size, a, sizeof(a)));
	if (p->sys_crash_loaded >= 0)
		fprintf(out, "kexec_crash_loaded: %d\n", p->sys_crash_loaded);
	print_layout_text(&p->layout, out);
	for (k = 0; k < LDR_PROBLEM_KINDS; k++) {
		if (!p->problem[k])
			continue;
		fprintf(out, "problem:      %s\n", p->problem_msg[k]);
		ok = false;
	}
	fprintf(out, "verdict:      %s\n", ok ? "ready to load" : "cannot load");
}

void ldr_plan_print(const struct ldr_plan *plan, bool json, FILE *out)
{
	if (json)
		print_plan_json(plan, out);
	else
		print_plan_text(plan, out);
}

static void print_state_json(const struct ldr_state *st, FILE *out)
{
	size_t i;

	fputs("{\n  \"loaded\": ", out);
	if (st->loaded < 0)
		fputs("null", out);
	else
		fputs(st->loaded ? "true" : "false", out);
	fputs(",\n  \"kexec_crash_size\": ", out);
	json_int_or_null(out, st->crash_size);
	fputs(",\n  \"crash_ranges\": ", out);
	if (!st->ranges && st->iomem_error[0]) {
		fputs("null", out);
	} else {
		fputc('[', out);
		for (i = 0; i < st->n_ranges; i++) {
			fputs(i ? ",\n    {" : "\n    {", out);
			json_range(out, st->ranges[i].start, st->ranges[i].end);
			fputc('}', out);
		}
		fputs(st->n_ranges ? "\n  ]" : "]", out);
	}
	fputs(",\n  \"iomem_error\": ", out);
	if (st->iomem_error[0])
		json_str(out, st->iomem_error);
	else
		fputs("null", out);
	fputs("\n}\n", out);
}

static void print_state_text(const struct ldr_state *st, FILE *out)
{
	uint64_t total = 0;
	char a[32];
	size_t i;

	if (st->loaded < 0)
		fputs("crash kernel:       unknown (no /sys/kernel/kexec_crash_loaded: kernel "
		      "without kexec support?)\n",
		      out);
	else
		fprintf(out, "crash kernel:       %s\n", st->loaded ? "loaded" : "not loaded");
	if (st->crash_size >= 0)
		fprintf(out, "kexec_crash_size:   %s (%" PRId64 " bytes)\n",
			ldr_size_str((uint64_t)st->crash_size, a, sizeof(a)), st->crash_size);
	if (st->iomem_error[0]) {
		fprintf(out, "crash memory:       unknown (%s)\n", st->iomem_error);
		return;
	}
	for (i = 0; i < st->n_ranges; i++)
		total += ldr_range_size(&st->ranges[i]);
	fprintf(out, "crash memory:       %zu range%s, %s\n", st->n_ranges,
		st->n_ranges == 1 ? "" : "s", ldr_size_str(total, a, sizeof(a)));
	for (i = 0; i < st->n_ranges; i++)
		fprintf(out, "  %#018" PRIx64 "-%#018" PRIx64 "  %s\n", st->ranges[i].start,
			st->ranges[i].end, ldr_size_str(ldr_range_size(&st->ranges[i]), a, sizeof(a)));
}

void ldr_state_print(const struct ldr_state *st, bool json, FILE *out)
{
	if (json)
		print_state_json(st, out);
	else
		print_state_text(st, out);
}
