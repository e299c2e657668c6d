/* --mem-usage /proc/kcore: the capture kernel's reservation is not memory a dump holds. */
#include "collector/collector-priv.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

bool col_is_live_kcore(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	struct statfs sfs;

	if (!path)
		return false;
	base = base ? base + 1 : path;
	return strcmp(base, "kcore") == 0 && statfs(path, &sfs) == 0 &&
	       sfs.f_type == PROC_SUPER_MAGIC;
}

enum kd_status col_cut_crash_kernel(struct fmt_physmap *pm, const char *iomem,
				    struct kd_err *err)
{
	FILE *f = fopen(iomem, "re");
	char line[256];
	enum kd_status st = KD_OK;

	if (!f)
		return kd_err_sys(err, errno, "cannot open '%s'", iomem);
	/* every "Crash kernel" line, at any depth: crashkernel=X,low and ,high give two */
	while (st == KD_OK && fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		int name = 0;

		if (sscanf(line, " %llx-%llx : %n", &start, &end, &name) != 2 || !name ||
		    strcmp(line + name, "Crash kernel\n") != 0)
			continue;
		if (end < start || (start == 0 && end == 0))
			continue;	/* not root: /proc/iomem shows zeros */
		st = fmt_physmap_cut(pm, start, end - start + 1, err);
	}
	fclose(f);
	return st;
}
