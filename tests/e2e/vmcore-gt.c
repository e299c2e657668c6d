/*
 * vmcore-gt VMCORE GROUND_TRUTH: check the ground-truth pages of tests/vm/fill.c in an ELF64
 * little-endian vmcore (run in the capture kernel on /proc/vmcore, built static).
 *
 * GROUND_TRUTH has "KIND INDEX PFN" lines (KIND anon, shmem, block: pattern pages tagged
 * "KD" + KIND in upper case; zero: all-zero pages; PFN in hex with 0x; '#' lines ignored).
 * For each page: read it through the PT_LOAD that holds its physical address and compare
 * with what the first kernel wrote. Prints one line per kind:
 *     KIND: N match, N absent, N wrong
 * and exits 1 if any page is wrong or absent, 2 on a usage or read error.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { PAGE = 4096, MAX_LOADS = 256, MAX_KINDS = 8 };

struct load {
	uint64_t paddr, size, offset;
};

struct kind {
	char name[16];
	unsigned long match, absent, wrong;
};

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* the page fill.c writes: tag, index, ~index, then (k + 7 * index) mod 256 */
static void expected_page(unsigned char *p, const char *kind, uint64_t index)
{
	char tag[9] = "KD";

	memset(p, 0, PAGE);
	if (!strcmp(kind, "zero"))
		return;
	for (size_t i = 0; kind[i] && i < 6; i++)
		tag[2 + i] = (char)toupper((unsigned char)kind[i]);
	memcpy(p, tag, strnlen(tag, 8));
	put_le64(p + 8, index);
	put_le64(p + 16, ~index);
	for (unsigned k = 24; k < PAGE; k++)
		p[k] = (unsigned char)(k + 7 * index);
}

static int read_loads(int fd, struct load *loads, int *n)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_phentsize != sizeof(ph))
		return -1;
	*n = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
			return -1;
		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		if (*n == MAX_LOADS)
			return -1;
		loads[(*n)++] = (struct load){ ph.p_paddr, ph.p_filesz, ph.p_offset };
	}
	return 0;
}

static struct kind *kind_of(struct kind *kinds, int *nkinds, const char *name)
{
	for (int i = 0; i < *nkinds; i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	if (*nkinds == MAX_KINDS || strlen(name) >= sizeof(kinds[0].name))
		return NULL;
	memset(&kinds[*nkinds], 0, sizeof(kinds[0]));
	strcpy(kinds[*nkinds].name, name);
	return &kinds[(*nkinds)++];
}

int main(int argc, char **argv)
{
	static struct load loads[MAX_LOADS];
	struct kind kinds[MAX_KINDS];
	static unsigned char page[PAGE], want[PAGE];
	char line[256], name[32];
	int nloads, nkinds = 0, bad = 0;
	FILE *gt;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: vmcore-gt VMCORE GROUND_TRUTH\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || read_loads(fd, loads, &nloads)) {
		fprintf(stderr, "vmcore-gt: cannot read the program headers of %s\n", argv[1]);
		return 2;
	}
	gt = fopen(argv[2], "r");
	if (!gt) {
		fprintf(stderr, "vmcore-gt: cannot open %s\n", argv[2]);
		return 2;
	}
	while (fgets(line, sizeof(line), gt)) {
		uint64_t index, pfn, addr;
		struct kind *k;
		int i;

		if (line[0] == '#' || sscanf(line, "%31s %" SCNu64 " %" SCNx64, name, &index, &pfn) != 3)
			continue;
		k = kind_of(kinds, &nkinds, name);
		if (!k) {
			fprintf(stderr, "vmcore-gt: too many kinds\n");
			return 2;
		}
		addr = pfn * PAGE;
		for (i = 0; i < nloads; i++)
			if (loads[i].paddr <= addr && addr + PAGE <= loads[i].paddr + loads[i].size)
				break;
		if (i == nloads) {
			k->absent++;
			continue;
		}
		if (pread(fd, page, PAGE, (off_t)(loads[i].offset + addr - loads[i].paddr)) != PAGE) {
			fprintf(stderr, "vmcore-gt: read error at pfn 0x%" PRIx64 "\n", pfn);
			return 2;
		}
		expected_page(want, name, index);
		if (memcmp(page, want, PAGE))
			k->wrong++;
		else
			k->match++;
	}
	fclose(gt);
	close(fd);
	for (int i = 0; i < nkinds; i++) {
		printf("%s: %lu match, %lu absent, %lu wrong\n", kinds[i].name, kinds[i].match,
		       kinds[i].absent, kinds[i].wrong);
		if (kinds[i].absent || kinds[i].wrong || !kinds[i].match)
			bad = 1;
	}
	if (!nkinds)
		bad = 1;
	return bad;
}
