/* kdump-load: arm, disarm and inspect the crash (capture) kernel. */
#include "loader/loader.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit codes, documented in doc/kdump-load.8. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_LOADED = 3,
	EXIT_NO_MEMORY = 4,
	EXIT_REJECTED = 5,
	EXIT_PERM = 6,
	EXIT_UNSUPPORTED = 7,
};

enum action { ACT_NONE, ACT_LOAD, ACT_UNLOAD, ACT_STATUS, ACT_PLAN };

struct cli {
	enum action action;
	struct ldr_options opts;
	char *append;		/* every --append/--command-line, space separated */
	bool json;
	bool debug;
	bool want_kexec_load;	/* -c */
	bool syscall_given;	/* -s or -c */
	bool skip_checks;	/* let the kernel judge what the plan would refuse */
};

enum {
	OPT_INITRD = 256,
	OPT_APPEND,
	OPT_REUSE_CMDLINE,
	OPT_NO_DEFAULTS,
	OPT_JSON,
	OPT_IOMEM,
	OPT_SYSROOT,
	OPT_SKIP_CHECKS,
	OPT_ARCH,
	OPT_PURGATORY,
};

static const struct option long_opts[] = {
	{ "load-panic", no_argument, NULL, 'p' },
	{ "unload", no_argument, NULL, 'u' },
	{ "status", no_argument, NULL, 'S' },
	{ "kexec-file-syscall", no_argument, NULL, 's' },
	{ "kexec-syscall", no_argument, NULL, 'c' },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "ramdisk", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "command-line", required_argument, NULL, OPT_APPEND },
	{ "reuse-cmdline", no_argument, NULL, OPT_REUSE_CMDLINE },
	{ "no-defaults", no_argument, NULL, OPT_NO_DEFAULTS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "iomem", required_argument, NULL, OPT_IOMEM },
	{ "sysroot", required_argument, NULL, OPT_SYSROOT },
	{ "skip-checks", no_argument, NULL, OPT_SKIP_CHECKS },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "purgatory", required_argument, NULL, OPT_PURGATORY },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fputs("usage: kdump-load load [-s|-c] [-p] KERNEL [--initrd=FILE] [--append=STR]\n"
	      "                       [--reuse-cmdline] [--no-defaults] [--skip-checks] [-d]\n"
	      "       kdump-load plan KERNEL [same options] [--json]\n"
	      "       kdump-load unload [-c]       (also: -u, -p -u)\n"
	      "       kdump-load status [--json]   (also: -S)\n"
	      "kexec spellings: kdump-load -p KERNEL --initrd=FILE --append=STR\n"
	      "common: --iomem=FILE  --sysroot=DIR (or KDUMP_LOAD_SYSROOT)  --arch=x86_64|arm64\n"
	      "        --purgatory=OBJ (arm64)  -h  -v\n"
	      "exit: 0 ok, 1 failure, 2 usage, 3 not loaded, 4 crash memory missing or too small,\n"
	      "      5 image rejected, 6 not permitted, 7 not supported\n",
	      out);
}

static int fail(int code, const char *msg)
{
	fprintf(stderr, "kdump-load: %s\n", msg);
	return code;
}

static bool add_append(struct cli *cli, const char *text)
{
	size_t old = cli->append ? strlen(cli->append) : 0;
	char *p = realloc(cli->append, old + strlen(text) + 2);

	if (!p)
		return false;
	if (old)
		p[old++] = ' ';
	memcpy(p + old, text, strlen(text) + 1);
	cli->append = p;
	return true;
}

static enum action subcommand(const char *word)
{
	static const struct {
		const char *name;
		enum action action;
	} subs[] = {
		{ "load", ACT_LOAD },
		{ "unload", ACT_UNLOAD },
		{ "status", ACT_STATUS },
		{ "plan", ACT_PLAN },
	};
	size_t i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(word, subs[i].name) == 0)
			return subs[i].action;
	return ACT_NONE;
}

static void set_action(struct cli *cli, enum action a, bool *conflict)
{
	if (cli->action == ACT_NONE || cli->action == a)
		cli->action = a;
	else if (a == ACT_UNLOAD && cli->action == ACT_LOAD)
		cli->action = ACT_UNLOAD; /* kexec -p -u */
	else if (!(a == ACT_LOAD && cli->action == ACT_UNLOAD) &&
		 !(a == ACT_LOAD && cli->action == ACT_PLAN))
		*conflict = true;
}

/*
 * Without -s or -c: kexec_file_load, except for arm64 kernels when the running
 * kernel lacks it (Debian 12's arm64 kernels: CONFIG_KEXEC_FILE unset) or when
 * planning for arm64 on another machine, where kexec_load is the way.
 */
static void default_syscall(struct cli *cli)
{
	enum ldr_image_kind native = ldr_image_native_kind();
	enum ldr_image_kind target = cli->opts.arch ? cli->opts.arch : native;

	if (cli->syscall_given || target != LDR_IMAGE_ARM64)
		return;
	if (target == native && ldr_kexec_file_available())
		return;
	cli->opts.syscall = LDR_SYSCALL_KEXEC_LOAD;
	cli->want_kexec_load = true;
}

/* Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv, struct cli *cli)
{
	bool conflict = false;
	int c;

	if (argc > 1 && argv[1][0] != '-') {
		cli->action = subcommand(argv[1]);
		if (cli->action != ACT_NONE) {
			argv[1] = argv[0];
			argv++;
			argc--;
		}
	}
	while ((c = getopt_long(argc, argv, "puSscdhv", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			set_action(cli, ACT_LOAD, &conflict);
			break;
		case 'u':
			set_action(cli, ACT_UNLOAD, &conflict);
			break;
		case 'S':
			set_action(cli, ACT_STATUS, &conflict);
			break;
		case 's':
			cli->opts.syscall = LDR_SYSCALL_KEXEC_FILE_LOAD;
			cli->want_kexec_load = false;
			cli->syscall_given = true;
			break;
		case 'c':
			cli->opts.syscall = LDR_SYSCALL_KEXEC_LOAD;
			cli->want_kexec_load = true;
			cli->syscall_given = true;
			break;
		case OPT_PURGATORY:
			cli->opts.purgatory_path = optarg;
			break;
		case OPT_ARCH:
			if (!strcmp(optarg, "arm64") || !strcmp(optarg, "aarch64"))
				cli->opts.arch = LDR_IMAGE_ARM64;
			else if (!strcmp(optarg, "x86_64") || !strcmp(optarg, "amd64"))
				cli->opts.arch = LDR_IMAGE_BZIMAGE;
			else
				return fail(EXIT_USAGE, "--arch: x86_64 or arm64");
			break;
		case OPT_INITRD:
			cli->opts.initrd = optarg;
			break;
		case OPT_APPEND:
			if (!add_append(cli, optarg))
				return fail(EXIT_FAIL, "out of memory");
			break;
		case OPT_REUSE_CMDLINE:
			cli->opts.reuse_cmdline = true;
			break;
		case OPT_NO_DEFAULTS:
			cli->opts.no_defaults = true;
			break;
		case OPT_JSON:
			cli->json = true;
			break;
		case OPT_IOMEM:
			cli->opts.iomem_path = optarg;
			break;
		case OPT_SYSROOT:
			cli->opts.sysroot = optarg;
			break;
		case OPT_SKIP_CHECKS:
			cli->skip_checks = true;
			break;
		case 'd':
			cli->debug = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'v':
			puts("kdump-load (kdumpkit) 0.1");
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (conflict)
		return fail(EXIT_USAGE, "conflicting actions (load, unload, status, plan)");
	if (optind < argc)
		cli->opts.kernel = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "kdump-load: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (cli->action == ACT_NONE && cli->opts.kernel)
		return fail(EXIT_USAGE, "a kernel was given without an action: use 'load' or -p");
	if (cli->action == ACT_NONE) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cli->opts.append = cli->append;
	default_syscall(cli);
	return -1;
}

static int exit_for_errno(int e)
{
	switch (e) {
	case EADDRNOTAVAIL:
	case ENOMEM:
		return EXIT_NO_MEMORY;
	case EKEYREJECTED:
	case ENOKEY:
	case EBADMSG:
	case ENODATA:
	case ENOPKG:
	case EMSGSIZE:
	case ENOEXEC:
		return EXIT_REJECTED;
	case EPERM:
	case EACCES:
		return EXIT_PERM;
	case ENOSYS:
		return EXIT_UNSUPPORTED;
	default:
		return EXIT_FAIL;
	}
}

static int exit_for_status(const struct kd_err *err)
{
	if (err->sys_errno)
		return exit_for_errno(err->sys_errno);
	switch (err->status) {
	case KD_ERR_SYSTEM:
		return exit_for_errno(err->sys_errno);
	case KD_ERR_NOTIMPL:
		return EXIT_UNSUPPORTED;
	case KD_ERR_NODATA:
	case KD_ERR_NOSPC:
		return EXIT_NO_MEMORY;
	default:
		return EXIT_FAIL;
	}
}

static int exit_for_problem(enum ldr_problem p)
{
	switch (p) {
	case LDR_PROBLEM_NO_CRASH_MEMORY:
	case LDR_PROBLEM_TOO_SMALL:
		return EXIT_NO_MEMORY;
	case LDR_PROBLEM_NOT_KERNEL:
		return EXIT_REJECTED;
	case LDR_PROBLEM_ADDRESSES_HIDDEN:
		return EXIT_PERM;
	default:
		return EXIT_FAIL;
	}
}

static int need_root(const char *what)
{
	char msg[128];

	if (geteuid() == 0)
		return -1;
	snprintf(msg, sizeof(msg), "%s needs root (CAP_SYS_BOOT): run as root", what);
	return fail(EXIT_PERM, msg);
}

static int run_plan(const struct cli *cli)
{
	struct ldr_plan *plan;
	enum ldr_problem which;
	struct kd_err err;

	kd_err_clear(&err);
	if (ldr_plan_create(&cli->opts, &plan, &err))
		return fail(exit_for_status(&err), err.msg);
	ldr_plan_layout(plan, &cli->opts);	/* arm64 kexec_load: the segments */
	ldr_plan_print(plan, cli->json, stdout);
	if (ldr_plan_check(plan, &which, NULL) != KD_OK) {
		ldr_plan_destroy(plan);
		return exit_for_problem(which);
	}
	/* -c -d: also lay out the kexec_load segments (reads /sys: needs root) */
	if (cli->want_kexec_load && cli->debug && !plan->layout.computed &&
	    ldr_kexec_load_plan(plan, &cli->opts, true, stdout, &err)) {
		ldr_plan_destroy(plan);
		return fail(exit_for_status(&err), err.msg);
	}
	ldr_plan_destroy(plan);
	return EXIT_OK;
}

/* The kernel said yes; say so if sysfs disagrees (a warning, not a failure). */
static void warn_if_not_loaded(const char *sysroot)
{
	int64_t size;
	int loaded;

	if (ldr_sysfs_crash_state(sysroot, &loaded, &size, NULL) == KD_OK && loaded == 0)
		fputs("kdump-load: warning: /sys/kernel/kexec_crash_loaded still reads 0\n",
		      stderr);
}

static int run_load(const struct cli *cli)
{
	struct ldr_plan *plan;
	enum ldr_problem which;
	enum kd_status st;
	struct kd_err err;
	int rc;

	if (!cli->opts.kernel)
		return fail(EXIT_USAGE, "no kernel image given (kdump-load load KERNEL ...)");
	rc = need_root("loading a crash kernel");
	if (rc >= 0)
		return rc;
	kd_err_clear(&err);
	if (ldr_plan_create(&cli->opts, &plan, &err))
		return fail(exit_for_status(&err), err.msg);
	if (cli->debug)
		ldr_plan_print(plan, false, stderr);
	if (ldr_plan_check(plan, &which, &err)) {
		if (!cli->skip_checks) {
			ldr_plan_destroy(plan);
			return fail(exit_for_problem(which), err.msg);
		}
		fprintf(stderr, "kdump-load: %s; --skip-checks: trying anyway\n", err.msg);
		kd_err_clear(&err);
	}
	if (cli->want_kexec_load)
		st = ldr_kexec_load_plan(plan, &cli->opts, false, cli->debug ? stderr : NULL, &err);
	else
		st = ldr_kexec_file_load(plan, cli->opts.sysroot, &err);
	if (st) {
		ldr_plan_destroy(plan);
		return fail(exit_for_status(&err), err.msg);
	}
	printf("kdump-load: crash kernel '%s' loaded with %s\n", plan->kernel,
	       cli->want_kexec_load ? "kexec_load" : "kexec_file_load");
	ldr_plan_destroy(plan);
	warn_if_not_loaded(cli->opts.sysroot);
	return EXIT_OK;
}

static int run_unload(const struct cli *cli)
{
	struct kd_err err;
	int rc;

	rc = need_root("unloading the crash kernel");
	if (rc >= 0)
		return rc;
	kd_err_clear(&err);
	if (cli->want_kexec_load ? ldr_kexec_load_unload(cli->opts.sysroot, &err)
				 : ldr_kexec_file_unload(cli->opts.sysroot, &err))
		return fail(exit_for_errno(err.sys_errno), err.msg);
	puts("kdump-load: crash kernel unloaded");
	return EXIT_OK;
}

static int run_status(const struct cli *cli)
{
	struct ldr_state st;
	struct kd_err err;
	int rc;

	kd_err_clear(&err);
	if (ldr_state_read(cli->opts.sysroot, cli->opts.iomem_path, &st, &err))
		return fail(exit_for_status(&err), err.msg);
	ldr_state_print(&st, cli->json, stdout);
	if (st.loaded < 0)
		rc = fail(EXIT_UNSUPPORTED, "this kernel has no kexec support "
					    "(no /sys/kernel/kexec_crash_loaded)");
	else
		rc = st.loaded ? EXIT_OK : EXIT_NOT_LOADED;
	ldr_state_deinit(&st);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = { .action = ACT_NONE };
	int rc;

	cli.opts.sysroot = getenv("KDUMP_LOAD_SYSROOT");
	rc = parse_args(argc, argv, &cli);
	if (rc < 0) {
		switch (cli.action) {
		case ACT_LOAD:
			rc = run_load(&cli);
			break;
		case ACT_UNLOAD:
			rc = run_unload(&cli);
			break;
		case ACT_STATUS:
			rc = run_status(&cli);
			break;
		case ACT_PLAN:
			rc = run_plan(&cli);
			break;
		case ACT_NONE:
			rc = EXIT_USAGE;
			break;
		}
	}
	free(cli.append);
	return rc;
}
