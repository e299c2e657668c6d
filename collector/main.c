/* vmcore-save: save a crash dump as a kdump-compressed file. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector/collector.h"

/* The only global: a signal handler has nowhere else to write. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

/*
 * A bus error comes from touching a page of the mapped input that the capture kernel cannot
 * read (poisoned memory): the run cannot go on, but what is on disk stays a readable dump
 * marked incomplete. Say so on one line and exit 3, which asks for a --non-mmap run (its
 * reads fail with EIO on such pages instead, and the dump goes on without them).
 */
static void on_sigbus(int sig)
{
	static const char msg[] =
		"\nvmcore-save: bus error (SIGBUS) touching the mapped input: memory the capture "
		"kernel cannot read; the dump so far is kept, marked incomplete; run again with "
		"--non-mmap to skip such pages\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(COL_EXIT_SIGBUS);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
}

/* -d 31,11: when a level's dump does not fit (full disk, -L), try the next one. */
static enum kd_status save_with_fallback(struct col_options *opt, struct col_stats *stats,
					 struct kd_err *err)
{
	size_t n = opt->nr_levels ? opt->nr_levels : 1;
	enum kd_status st = KD_OK;

	for (size_t i = 0; i < n; i++) {
		if (opt->nr_levels)
			opt->dump_level = opt->levels[i];
		kd_err_clear(err);
		st = col_save(opt, stats, err);
		if (stats->pages_present || stats->bytes_written)
			col_print_stats(stderr, opt, stats);
		if (st != KD_ERR_NOSPC || i + 1 == n || opt->format == COL_FORMAT_FLAT ||
		    (opt->stop && *opt->stop))
			break;
		fprintf(stderr, "vmcore-save: %s\nvmcore-save: retrying with dump level %d\n", err->msg,
			opt->levels[i + 1]);
		opt->force = true;	/* replace the partial file of the level that did not fit */
	}
	return st;
}

int main(int argc, char **argv)
{
	struct col_options opt;
	struct col_stats stats;
	struct kd_err err;
	bool exit_now;
	enum kd_status st;

	kd_err_clear(&err);
	st = col_parse_options(argc, argv, &opt, &exit_now, stdout, &err);
	if (st != KD_OK) {
		fprintf(stderr, "vmcore-save: %s\n", err.msg);
		return COL_EXIT_FAILED;
	}
	if (exit_now)
		return COL_EXIT_OK;
	if (opt.check_params) {
		if (opt.message_level & 2)
			printf("vmcore-save: the parameters are valid\n");
		return COL_EXIT_OK;
	}
	install_signals();
	opt.stop = &stop_requested;
	opt.warn = stderr;
	if (opt.rearrange) {
		st = col_rearrange(&opt, 0, &stats, &err);
	} else if (opt.vmcoreinfo_out) {
		st = col_vmci_generate(opt.vmlinux, opt.vmcoreinfo_out, opt.force, &err);
		if (st == KD_OK && (opt.message_level & 2))
			printf("The vmcoreinfo is saved to %s.\n", opt.vmcoreinfo_out);
	} else if (opt.mem_usage) {
		st = col_mem_usage(&opt, stdout, &err);
	} else if (opt.dump_dmesg) {
		st = col_dump_dmesg(&opt, &err);
		if (st == KD_OK && (opt.message_level & 2))
			printf("The dmesg log is saved to %s.\n", opt.output);
	} else {
		st = save_with_fallback(&opt, &stats, &err);
	}
	if (st != KD_OK) {
		fprintf(stderr, "vmcore-save: %s\n", err.msg);
		return col_vmci_mismatch(&err) ? COL_EXIT_VERSION : COL_EXIT_FAILED;
	}
	return COL_EXIT_OK;
}
