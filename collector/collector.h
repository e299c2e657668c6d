/* collector/: vmcore-save's orchestration — options, source access, pipeline, output. */
#ifndef KD_COLLECTOR_H
#define KD_COLLECTOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "formats/formats.h"

/** Exit codes, as makedumpfile documents them (see doc/vmcore-save.8). */
enum col_exit {
	COL_EXIT_OK = 0,
	COL_EXIT_FAILED = 1,
	COL_EXIT_VERSION = 2,	/* VMLINUX and VMCORE do not match */
	COL_EXIT_SIGBUS = 3,	/* touching the mapped input faulted: run again with --non-mmap */
};

enum col_format {
	COL_FORMAT_KDUMP = 0,
	COL_FORMAT_ELF,
	COL_FORMAT_FLAT,
};

/** Everything main() learns from the command line. */
struct col_options {
	const char *input;
	const char *output;		/* -R: the file to rebuild */
	const char *work_dir;		/* --work-dir: temporary files (-F) */
	bool rearrange;			/* -R: flattened stream on stdin -> file */
	bool dump_dmesg;		/* --dump-dmesg VMCORE LOGFILE */
	bool partial_dmesg;		/* --partial-dmesg: only the records since the last clear */
	int levels[8];			/* -d 31,11: levels to try in turn when space runs out */
	size_t nr_levels;
	uint64_t size_limit;		/* -L: the output may not grow past this (0: none) */
	bool dry_run;			/* --dry-run: everything but writing the output */
	bool check_params;		/* --check-params: validate the options and stop */
	bool debug;			/* -D */
	const char *vmlinux;		/* -x: debug vmlinux, fills keys VMCOREINFO lacks */
	const char *vmcoreinfo_in;	/* -i: VMCOREINFO text used before the dump's note */
	const char *vmcoreinfo_out;	/* -g: write VMCOREINFO generated from -x, then stop */
	const char *erase_config;	/* --config: makedumpfile.conf(5) erase commands (needs -x) */
	bool mem_usage;			/* --mem-usage: print page counts per class, no dump */
	char **split_files;		/* --split: the output files */
	size_t nr_split;
	char **reassemble_files;	/* --reassemble: the split files to merge into output */
	size_t nr_reassemble;
	int dump_level;
	enum fmt_codec_id codec;
	enum col_format format;
	bool force;
	int message_level;
	uint64_t cyclic_buffer_kib;	/* bitmap bytes per window; 0 = default */
	unsigned num_threads;
	bool zlib_compat;		/* --zlib-compat: -c pages by the system zlib, as makedumpfile */
	bool non_mmap;			/* --non-mmap: never map the input (pread only) */
	bool show_progress;		/* progress lines on stderr */
	bool show_stats;
	FILE *warn;			/* where warnings go ("vmcore-save: warning: ..."), or NULL */
	const volatile sig_atomic_t *stop;	/* set by a signal handler: stop and mark incomplete */
};

/** What a run did, for the summary. */
struct col_stats {
	uint64_t max_mapnr;
	uint64_t pages_present;		/* pfns inside the source's memory ranges */
	uint64_t pages_zero;		/* excluded or shared as zero pages */
	uint64_t pages_cache;		/* non-private cache */
	uint64_t pages_cache_private;
	uint64_t pages_user;
	uint64_t pages_free;
	uint64_t pages_hwpoison;
	uint64_t pages_offline;
	uint64_t pages_unreadable;	/* kept as unreadable or unclassifiable */
	uint64_t pages_read_failed;	/* kept pages the source could not read (EIO): not written */
	uint64_t read_failed_pfn[4];	/* the first of them */
	char read_error[200];		/* why the first one failed */
	uint64_t pages_dumpable;	/* in the 2nd bitmap */
	uint64_t pages_written;		/* descriptors written */
	uint64_t pages_raw;		/* stored uncompressed */
	uint64_t bytes_written;		/* size of the output */
	double seconds;
	bool complete;
};

/** Parse argv; returns KD_OK, or KD_ERR_INVALID with the message in @err. *ret_exit_now is set
 *  for -h/-v (already printed to @out). */
enum kd_status col_parse_options(int argc, char **argv, struct col_options *ret, bool *ret_exit_now,
				 FILE *out, struct kd_err *err);

/** Run vmcore-save with @opt. Statistics are filled even on failure. */
enum kd_status col_save(const struct col_options *opt, struct col_stats *stats, struct kd_err *err);

/** -R: rebuild a file from a flattened stream read from @in_fd. */
enum kd_status col_rearrange(const struct col_options *opt, int in_fd, struct col_stats *stats,
			     struct kd_err *err);

/**
 * -g FILE -x VMLINUX: write the VMCOREINFO keys a debug vmlinux gives (symbols at their
 * link-time addresses, sizes, offsets, lengths, numbers) to FILE, created like a dump file.
 */
enum kd_status col_vmci_generate(const char *vmlinux, const char *out, bool force,
				 struct kd_err *err);

/** True if @err says that the -x vmlinux is not the dumped kernel (exit status 2). */
bool col_vmci_mismatch(const struct kd_err *err);

/** --mem-usage: count the pages of each class of opt->input and print makedumpfile's table. */
enum kd_status col_mem_usage(const struct col_options *opt, FILE *out, struct kd_err *err);

/** Print the statistics summary in makedumpfile's classes. */
void col_print_stats(FILE *f, const struct col_options *opt, const struct col_stats *stats);

/**
 * --dump-dmesg: write the kernel log of the dead kernel in @vmcore (an ELF
 * vmcore or a kdump-compressed dump) to @logfile, formatted as makedumpfile
 * --dump-dmesg writes it. @logfile is created with mode 0600, never through
 * a symlink, and an existing file is replaced only with @force; it is not
 * created when the log cannot be found. Warnings that do not stop the run go
 * to @warn (may be NULL). When some records are damaged, the readable ones
 * stay in @logfile and the error says that the log is incomplete.
 */
enum kd_status col_dump_dmesg(const struct col_options *opt, struct kd_err *err);

#endif
