/* vmcore-save's command line, with makedumpfile's meaning for the options they share. */
#include "collector/collector.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define KDUMPKIT_VERSION "0.1.0"

enum {
	OPT_MESSAGE_LEVEL = 256,
	OPT_CYCLIC_BUFFER,
	OPT_NUM_THREADS,
	OPT_SHOW_STATS,
	OPT_WORK_DIR,
	OPT_SPLIT,
	OPT_DUMP_DMESG,
	OPT_DRY_RUN,
	OPT_CHECK_PARAMS,
	OPT_REASSEMBLE,
	OPT_MEM_USAGE,
	OPT_ZLIB_COMPAT,
	OPT_NON_MMAP,
	OPT_CONFIG,
	OPT_PARTIAL_DMESG,
	OPT_NOT_YET,
	OPT_NOT_SUPPORTED,
};

static const struct option long_opts[] = {
	{ "message-level", required_argument, NULL, OPT_MESSAGE_LEVEL },
	{ "cyclic-buffer", required_argument, NULL, OPT_CYCLIC_BUFFER },
	{ "num-threads", required_argument, NULL, OPT_NUM_THREADS },
	{ "show-stats", no_argument, NULL, OPT_SHOW_STATS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	/* makedumpfile options that later kdumpkit versions implement */
	{ "split", no_argument, NULL, OPT_SPLIT },
	{ "reassemble", no_argument, NULL, OPT_REASSEMBLE },
	{ "dump-dmesg", no_argument, NULL, OPT_DUMP_DMESG },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "check-params", no_argument, NULL, OPT_CHECK_PARAMS },
	{ "work-dir", required_argument, NULL, OPT_WORK_DIR },
	{ "mem-usage", no_argument, NULL, OPT_MEM_USAGE },
	{ "zlib-compat", no_argument, NULL, OPT_ZLIB_COMPAT },
	{ "non-mmap", no_argument, NULL, OPT_NON_MMAP },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "partial-dmesg", no_argument, NULL, OPT_PARTIAL_DMESG },
	/* makedumpfile options kdumpkit does not implement */
	{ "xen-syms", required_argument, NULL, OPT_NOT_SUPPORTED },
	{ "xen-vmcoreinfo", required_argument, NULL, OPT_NOT_SUPPORTED },
	{ "xen_phys_start", required_argument, NULL, OPT_NOT_SUPPORTED },
	{ "vtop", required_argument, NULL, OPT_NOT_SUPPORTED },
	{ "eppic", required_argument, NULL, OPT_NOT_SUPPORTED },
	{ "diskset", required_argument, NULL, OPT_NOT_SUPPORTED },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
	"usage: vmcore-save [-c|-l|-z] [-d LEVEL] [-f] [options] VMCORE DUMPFILE\n"
	"       vmcore-save -F [options] VMCORE > STREAM\n"
	"       vmcore-save -R DUMPFILE < STREAM\n"
	"       vmcore-save -g VMCOREINFO -x VMLINUX\n"
	"       vmcore-save --mem-usage VMCORE\n"
	"Save a Linux crash dump (/proc/vmcore or an ELF vmcore file) as a\n"
	"kdump-compressed file that crash, drgn and libkdumpfile open.\n"
	"\n"
	"  -c              compress pages with zlib\n"
	"  -l              compress pages with lzo\n"
	"  -z              compress pages with zstd\n"
	"  -d LEVEL        dump level 0-31, a sum of: 1 zero pages, 2 non-private cache,\n"
	"                  4 private cache, 8 user data, 16 free pages\n"
	"  -f              overwrite an existing DUMPFILE\n"
	"  -E              write an ELF core file instead of the kdump format\n"
	"  -F              write a flattened stream to standard output (for pipes, ssh)\n"
	"  --split         VMCORE DUMPFILE1 DUMPFILE2...: a set of kdump files, each a pfn range\n"
	"  --dump-dmesg    VMCORE LOGFILE: write the dead kernel's log, as dmesg shows it\n"
	"  --partial-dmesg with --dump-dmesg: only the records since the log was last cleared\n"
	"  --reassemble    DUMPFILE1 DUMPFILE2... DUMPFILE: merge a split set into one file\n"
	"  -R DUMPFILE     rebuild DUMPFILE from a flattened stream on standard input\n"
	"  --work-dir DIR  where -F keeps its work file (default /tmp)\n"
	"  -x VMLINUX      take the keys VMCOREINFO lacks from this debug vmlinux\n"
	"  --config FILE   erase the kernel data FILE names (makedumpfile.conf(5); needs -x)\n"
	"  -i VMCOREINFO   take VMCOREINFO from this text file (the dump's note fills\n"
	"                  the keys it lacks)\n"
	"  -g VMCOREINFO   with -x: write VMCOREINFO generated from VMLINUX, and stop\n"
	"  --mem-usage VMCORE  print the pages of each class, write no dump\n"
	"  -L SIZE         stop before the output grows past SIZE (K, M, G): an incomplete dump\n"
	"  -d L1,L2,...    try the levels in turn while the output does not fit\n"
	"  --dry-run       do everything but write the output (its size is reported)\n"
	"  --check-params  only check the options\n"
	"  -D              debug messages\n"
	"  -b ORDER        accepted for makedumpfile compatibility (buffers are sized automatically)\n"
	"  --message-level N  1 progress, 2 messages, 4 errors, 16 report (default 7)\n"
	"  --show-stats    print the page statistics at the end\n"
	"  --cyclic-buffer KIB  bitmap bytes per window (memory bound), default 64\n"
	"  --num-threads N compression threads\n"
	"  --zlib-compat   -c: compress with the system zlib (makedumpfile's exact bytes,\n"
	"                  about half as fast as the default encoder)\n"
	"  --non-mmap      read /proc/vmcore with pread only, never through mmap (after exit 3)\n"
	"  -h, --help      this text\n"
	"  -v, --version   the version\n"
	"See vmcore-save(8).\n";

static bool parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return false;
	v = strtoull(s, &end, 10);
	if (*end || v > max)
		return false;
	*ret = v;
	return true;
}

/* -d LEVEL or -d L1,L2,...: tried in turn when the output does not fit */
static enum kd_status parse_levels(struct col_options *o, const char *arg, struct kd_err *err)
{
	const char *p = arg;
	uint64_t v;

	o->nr_levels = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char tok[16];

		if (len == 0 || len >= sizeof(tok))
			return kd_err_set(err, KD_ERR_INVALID, "dump level list '%s' is malformed", arg);
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (!parse_uint(tok, 31, &v))
			return kd_err_set(err, KD_ERR_INVALID,
					  "dump level '%s' is not a number from 0 to 31", tok);
		if (o->nr_levels == sizeof(o->levels) / sizeof(o->levels[0]))
			return kd_err_set(err, KD_ERR_INVALID, "too many dump levels in '%s'", arg);
		o->levels[o->nr_levels++] = (int)v;
		if (!comma)
			break;
		p = comma + 1;
	}
	o->dump_level = o->levels[0];
	return KD_OK;
}

/* SIZE with an optional K, M or G suffix (powers of 1024) */
static enum kd_status parse_size(const char *arg, uint64_t *ret, struct kd_err *err)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!arg || !*arg || *arg == '-')
		return kd_err_set(err, KD_ERR_INVALID, "size '%s' is not a number", arg ? arg : "");
	v = strtoull(arg, &end, 10);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || end == arg || v == 0 || v > (UINT64_MAX >> shift))
		return kd_err_set(err, KD_ERR_INVALID, "size '%s' is not a positive number (K, M, G allowed)",
				  arg);
	*ret = (uint64_t)v << shift;
	return KD_OK;
}

static enum kd_status set_codec(struct col_options *o, enum fmt_codec_id id, struct kd_err *err)
{
	if (o->codec != FMT_CODEC_NONE && o->codec != id)
		return kd_err_set(err, KD_ERR_INVALID, "options -c, -l and -z exclude each other");
	o->codec = id;
	return KD_OK;
}

static enum kd_status handle_opt(int c, const char *arg, const char *name, struct col_options *o,
				 struct kd_err *err)
{
	uint64_t v;

	switch (c) {
	case 'c':
		return set_codec(o, FMT_CODEC_ZLIB, err);
	case 'l':
		return set_codec(o, FMT_CODEC_LZO, err);
	case 'z':
		return set_codec(o, FMT_CODEC_ZSTD, err);
	case 'p':
		return kd_err_set(err, KD_ERR_INVALID, "option -p (snappy) is not supported; use -l or -z");
	case 'd':
		return parse_levels(o, arg, err);
	case 'L':
		return parse_size(arg, &o->size_limit, err);
	case 'b':
		/* makedumpfile's cache order: vmcore-save sizes its buffers itself */
		if (!parse_uint(arg, 20, &v))
			return kd_err_set(err, KD_ERR_INVALID, "-b order '%s' is not 0-20", arg);
		return KD_OK;
	case 'D':
		o->debug = true;
		o->message_level |= 8;
		return KD_OK;
	case OPT_DRY_RUN:
		o->dry_run = true;
		return KD_OK;
	case OPT_CHECK_PARAMS:
		o->check_params = true;
		return KD_OK;
	case 'f':
		o->force = true;
		return KD_OK;
	case OPT_MESSAGE_LEVEL:
		if (!parse_uint(arg, 31, &v))
			return kd_err_set(err, KD_ERR_INVALID, "message level '%s' is not 0-31", arg);
		o->message_level = (int)v;
		return KD_OK;
	case OPT_CYCLIC_BUFFER:
		if (!parse_uint(arg, 1u << 20, &v) || v == 0)
			return kd_err_set(err, KD_ERR_INVALID, "cyclic buffer '%s' is not 1-1048576 KiB", arg);
		o->cyclic_buffer_kib = v;
		return KD_OK;
	case OPT_NUM_THREADS:
		if (!parse_uint(arg, 256, &v))
			return kd_err_set(err, KD_ERR_INVALID, "thread count '%s' is not 0-256", arg);
		o->num_threads = (unsigned)v;
		return KD_OK;
	case OPT_ZLIB_COMPAT:
		o->zlib_compat = true;
		return KD_OK;
	case OPT_CONFIG:
		o->erase_config = arg;
		return KD_OK;
	case OPT_PARTIAL_DMESG:
		o->partial_dmesg = true;
		return KD_OK;
	case OPT_NON_MMAP:
		o->non_mmap = true;
		return KD_OK;
	case OPT_DUMP_DMESG:
		o->dump_dmesg = true;
		return KD_OK;
	case OPT_SPLIT:
		o->nr_split = 1;	/* the files come from the operands */
		return KD_OK;
	case OPT_REASSEMBLE:
		o->nr_reassemble = 1;
		return KD_OK;
	case OPT_WORK_DIR:
		o->work_dir = arg;
		return KD_OK;
	case 'F':
		if (o->format == COL_FORMAT_ELF)
			return kd_err_set(err, KD_ERR_NOTIMPL, "-E with -F is not supported yet");
		o->format = COL_FORMAT_FLAT;
		return KD_OK;
	case 'R':
		o->rearrange = true;
		o->output = arg;
		return KD_OK;
	case OPT_SHOW_STATS:
		o->show_stats = true;
		return KD_OK;
	case OPT_NOT_YET:
		return kd_err_set(err, KD_ERR_NOTIMPL, "option '--%s' is not implemented yet", name);
	case OPT_NOT_SUPPORTED:
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "option '--%s' (Xen, eppic, sadump) is not supported by vmcore-save",
				  name);
	case 'E':
		if (o->format == COL_FORMAT_FLAT)
			return kd_err_set(err, KD_ERR_NOTIMPL, "-E with -F is not supported yet");
		o->format = COL_FORMAT_ELF;
		return KD_OK;
	case 'x':
		o->vmlinux = arg;
		return KD_OK;
	case 'i':
		o->vmcoreinfo_in = arg;
		return KD_OK;
	case 'g':
		o->vmcoreinfo_out = arg;
		return KD_OK;
	case OPT_MEM_USAGE:
		o->mem_usage = true;
		return KD_OK;
	default:
		return kd_err_set(err, KD_ERR_INVALID, "unknown option (see vmcore-save --help)");
	}
}

/* -g and --mem-usage: no dump is written */
static enum kd_status finish_special(int nargs, char **args, struct col_options *o,
				     struct kd_err *err)
{
	if (o->vmcoreinfo_out && o->mem_usage)
		return kd_err_set(err, KD_ERR_INVALID, "options -g and --mem-usage exclude each other");
	if (o->nr_split || o->nr_reassemble || o->rearrange || o->dump_dmesg ||
	    o->format != COL_FORMAT_KDUMP)
		return kd_err_set(err, KD_ERR_INVALID, "%s writes no dump: --split, --reassemble, "
				  "--dump-dmesg, -R, -E and -F do not apply",
				  o->mem_usage ? "--mem-usage" : "-g");
	if (o->vmcoreinfo_out) {
		if (!o->vmlinux)
			return kd_err_set(err, KD_ERR_INVALID, "-g needs -x VMLINUX");
		if (o->vmcoreinfo_in)
			return kd_err_set(err, KD_ERR_INVALID, "-g generates VMCOREINFO: -i does not apply");
		if (nargs != 0)
			return kd_err_set(err, KD_ERR_INVALID, "-g VMCOREINFO -x VMLINUX takes no other file");
		o->output = o->vmcoreinfo_out;
		return KD_OK;
	}
	if (nargs != 1)
		return kd_err_set(err, KD_ERR_INVALID, "--mem-usage expects only VMCORE (e.g. /proc/kcore)");
	o->input = args[0];
	return KD_OK;
}

enum kd_status col_parse_options(int argc, char **argv, struct col_options *o, bool *ret_exit_now,
				 FILE *out, struct kd_err *err)
{
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->message_level = 7;
	*ret_exit_now = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "cd:flpzhvEFR:Dx:i:g:L:b:", long_opts, &idx)) != -1) {
		enum kd_status st;

		if (c == 'h') {
			fputs(usage_text, out);
			*ret_exit_now = true;
			return KD_OK;
		}
		if (c == 'v') {
			fprintf(out, "vmcore-save (kdumpkit) %s\n", KDUMPKIT_VERSION);
			*ret_exit_now = true;
			return KD_OK;
		}
		if (c == '?') {
			if (optopt)
				return kd_err_set(err, KD_ERR_INVALID,
						  "option '-%c' is unknown or needs an argument (see vmcore-save --help)",
						  optopt);
			return kd_err_set(err, KD_ERR_INVALID, "unknown option '%s' (see vmcore-save --help)",
					  argv[optind - 1]);
		}
		st = handle_opt(c, optarg, c >= 256 ? long_opts[idx].name : "", o, err);
		if (st != KD_OK)
			return st;
	}
	if (o->format == COL_FORMAT_ELF && o->codec != FMT_CODEC_NONE)
		return kd_err_set(err, KD_ERR_INVALID, "-E writes uncompressed ELF: -c, -l and -z do not apply");
	if ((o->vmlinux || o->vmcoreinfo_in) && !o->vmcoreinfo_out && o->rearrange)
		return kd_err_set(err, KD_ERR_NOTIMPL, "-x and -i apply to saving a dump, to "
				  "--mem-usage and to --dump-dmesg, not to -R");
	if (o->erase_config && (o->vmcoreinfo_out || o->mem_usage || o->rearrange || o->dump_dmesg))
		return kd_err_set(err, KD_ERR_INVALID, "--config erases data in a dump being written: "
				  "not with -g, --mem-usage, -R or --dump-dmesg");
	if (o->partial_dmesg && !o->dump_dmesg)
		return kd_err_set(err, KD_ERR_INVALID, "--partial-dmesg applies to --dump-dmesg only");
	if (o->erase_config && !o->vmlinux)
		return kd_err_set(err, KD_ERR_INVALID, "--config needs -x VMLINUX (its DWARF types)");
	if (o->vmcoreinfo_out || o->mem_usage) {
		enum kd_status st = finish_special(argc - optind, argv + optind, o, err);

		if (st != KD_OK)
			return st;
	} else if (o->nr_split) {
		if (argc - optind < 3)
			return kd_err_set(err, KD_ERR_INVALID,
					  "--split needs VMCORE and at least two DUMPFILEs");
		if (o->format != COL_FORMAT_KDUMP)
			return kd_err_set(err, KD_ERR_NOTIMPL, "--split writes kdump files only (no -E or -F)");
		o->input = argv[optind];
		o->split_files = argv + optind + 1;
		o->nr_split = (size_t)(argc - optind - 1);
		o->output = o->split_files[0];
	} else if (o->nr_reassemble) {
		if (argc - optind < 3)
			return kd_err_set(err, KD_ERR_INVALID,
					  "--reassemble needs at least two split files and the output DUMPFILE");
		o->reassemble_files = argv + optind;
		o->nr_reassemble = (size_t)(argc - optind - 1);
		o->input = argv[optind];
		o->output = argv[argc - 1];
	} else if (o->rearrange) {
		if (argc - optind != 0)
			return kd_err_set(err, KD_ERR_INVALID,
					  "-R reads the flattened dump from standard input and takes no other file");
	} else if (o->format == COL_FORMAT_FLAT) {
		if (argc - optind != 1)
			return kd_err_set(err, KD_ERR_INVALID,
					  "-F writes to standard output: expected only VMCORE");
		o->input = argv[optind];
	} else {
		if (argc - optind != 2)
			return kd_err_set(err, KD_ERR_INVALID,
					  "expected VMCORE and DUMPFILE (see vmcore-save --help)");
		o->input = argv[optind];
		o->output = argv[optind + 1];
	}
	o->show_progress = o->message_level & 1;
	if (o->message_level & 16)
		o->show_stats = true;
	return KD_OK;
}
