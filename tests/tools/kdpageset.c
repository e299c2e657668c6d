/* kdpageset: compare two PFN sets (e.g. ours vs makedumpfile's) and say what the differing pages are. */
#include <getopt.h>

#include "kdclass.h"

static const char tool[] = "kdpageset";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kdpageset [--source VMCORE] [--show N] A B\n"
		"A and B are PFN lists (hex, one per line, '#' comments, e.g. from kdcompare\n"
		"--list-kept or mkvmcore.py --pfns) or dumps (ELF or kdump: the pages they hold).\n"
		"Prints the pages in only one of them, each classified from its struct page (zero\n"
		"content, free, cache, user, slab, offline, other) read via libkdumpfile from\n"
		"--source, or else from A or B if it is a dump; for two dumps, also the common\n"
		"pages whose contents differ.\n"
		"Exit: 0 the sets are equal, 1 they differ, 2 usage or input error.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "show", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *source = NULL;
	unsigned show = 20;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': source = optarg; break;
		case 'n': show = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	return kt_diff_sets(tool, argv[optind], argv[optind + 1], source, show);
}
