/* ELF core header: build from plain data, parse back with libelf; sysfs/kcore reader on a fixture. */
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/bytes.h"
#include "loader/elfcorehdr.h"
#include "tests/unit/tap.h"

static const uint64_t page_offset = 0xffff888000000000ull;

static void round_trip(struct tap *t)
{
	static const struct ldr_note_buf cpus[] = { { 0x3fc1a000, 0x1000 }, { 0x3fc3a000, 0x1000 } };
	/* iomem of a 6 GiB guest with crashkernel=256M,high crashkernel=128M,low */
	static const struct ldr_range ram[] = {
		{ 0x1000, 0x9fbff, LDR_RANGE_SYSTEM_RAM, 0, 0 },
		{ 0x100000, 0xbffdffff, LDR_RANGE_SYSTEM_RAM, 0, 0 },
		{ 0x100000000, 0x1bfffffff, LDR_RANGE_SYSTEM_RAM, 0, 0 },
		{ 0x100000000, 0x10fffffff, LDR_RANGE_SYSTEM_RAM, 1, 0 },	/* nested duplicate */
	};
	static const struct ldr_range crash[] = {
		{ 0x2a000000, 0x31ffffff, LDR_RANGE_CRASH, 1, 0 },
		{ 0x1b0000000, 0x1bfffffff, LDR_RANGE_CRASH, 1, 0 },
	};
	static const uint64_t want[][2] = {	/* the PT_LOADs for RAM: [start, end) */
		{ 0x100000, 0x2a000000 },
		{ 0x32000000, 0xbffe0000 },
		{ 0x100000000, 0x1b0000000 },
	};
	struct ldr_elfcore_input in = {
		.cpu_notes = cpus, .nr_cpu_notes = 2, .vmcoreinfo = { 0x2d3a000, 0x1024 },
		.text_vaddr = 0xffffffff81000000ull, .text_paddr = 0x1000000, .text_size = 0x2a00000,
		.ram = ram, .nr_ram = 4, .crash = crash, .nr_crash = 2,
		.page_offset = page_offset, .low_exclude = LDR_ELFCORE_LOW_EXCLUDE,
	};
	struct kd_err err;
	uint8_t *buf;
	size_t size, nload = 0, nnote = 0, phnum = 0;
	enum kd_status st = ldr_elfcorehdr_build(&in, &buf, &size, &err);
	GElf_Ehdr eh;
	Elf *elf;
	int loads_ok = 1;

	TAP_CHECK(t, st == KD_OK, "build (%s)", st ? err.msg : "");
	if (st)
		return;
	TAP_CHECK(t, size % 1024 == 0, "size %zu is a multiple of 1 KiB", size);
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)buf, size);
	TAP_CHECK(t, elf && gelf_getehdr(elf, &eh), "libelf reads it");
	if (!elf) {
		free(buf);
		return;
	}
	TAP_CHECK(t, eh.e_type == ET_CORE && eh.e_machine == EM_X86_64 &&
		     gelf_getclass(elf) == ELFCLASS64 && eh.e_ident[EI_DATA] == ELFDATA2LSB,
		  "ELF64 LSB ET_CORE x86_64");
	elf_getphdrnum(elf, &phnum);
	TAP_CHECK(t, phnum == 2 + 1 + 1 + 3, "7 program headers (%zu)", phnum);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_NOTE) {
			const struct ldr_note_buf *n = nnote < 2 ? &cpus[nnote] : &in.vmcoreinfo;

			TAP_CHECK(t, ph.p_offset == n->addr && ph.p_paddr == n->addr &&
				     ph.p_filesz == n->size && ph.p_memsz == n->size,
				  "PT_NOTE %zu at 0x%llx", nnote, (unsigned long long)n->addr);
			nnote++;
		} else if (ph.p_type == PT_LOAD && nload == 0) {
			TAP_CHECK(t, ph.p_vaddr == in.text_vaddr && ph.p_paddr == in.text_paddr &&
				     ph.p_offset == in.text_paddr && ph.p_memsz == in.text_size,
				  "first PT_LOAD is the kernel text");
			nload++;
		} else if (ph.p_type == PT_LOAD) {
			const uint64_t *w = want[nload - 1];

			loads_ok &= nload <= 3 && ph.p_paddr == w[0] && ph.p_offset == w[0] &&
				    ph.p_filesz == w[1] - w[0] && ph.p_memsz == w[1] - w[0] &&
				    ph.p_vaddr == page_offset + w[0];
			nload++;
		}
	}
	TAP_CHECK(t, nnote == 3, "3 PT_NOTEs (2 CPUs + VMCOREINFO)");
	TAP_CHECK(t, loads_ok && nload == 4,
		  "RAM PT_LOADs: System RAM minus both crash ranges and the low 1 MiB");
	elf_end(elf);
	free(buf);

	/* no text, no notes, one RAM range entirely inside a crash range */
	static const struct ldr_range ram2[] = { { 0x2000000, 0x2ffffff, LDR_RANGE_SYSTEM_RAM, 0, 0 } };
	static const struct ldr_range crash2[] = { { 0x1000000, 0x3ffffff, LDR_RANGE_CRASH, 0, 0 } };
	struct ldr_elfcore_input in2 = { .ram = ram2, .nr_ram = 1, .crash = crash2, .nr_crash = 1 };
	st = ldr_elfcorehdr_build(&in2, &buf, &size, &err);
	TAP_CHECK(t, st == KD_OK && get_le16(buf + 56) == 0, "RAM inside a crash range: no PT_LOAD");
	if (!st)
		free(buf);
}

static int put_file(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "wb");
	if (!f)
		return -1;
	fwrite(data, 1, len, f);
	return fclose(f);
}

static void sysfs_fixture(struct tap *t)
{
	char dir[] = "/tmp/kd-elfcore-XXXXXX";
	uint8_t kcore[64 + 3 * 56] = { 0 };
	struct ldr_elfcore_sys sys;
	struct kd_err err;
	enum kd_status st;

	if (!mkdtemp(dir)) {
		TAP_CHECK(t, 0, "mkdtemp");
		return;
	}
	put_file(dir, "sys/devices/system/cpu/possible", "0-1,3\n", 6);
	put_file(dir, "sys/devices/system/cpu/cpu0/crash_notes", "3fc1a000\n", 9);
	put_file(dir, "sys/devices/system/cpu/cpu0/crash_notes_size", "424\n", 4);
	put_file(dir, "sys/devices/system/cpu/cpu1/crash_notes", "3fc3a000\n", 9);
	put_file(dir, "sys/devices/system/cpu/cpu1/crash_notes_size", "424\n", 4);
	/* cpu2 not possible; cpu3 possible but absent */
	put_file(dir, "sys/kernel/vmcoreinfo", "2d3a000 1024\n", 13);
	/* a kcore: a vmalloc PT_LOAD (paddr -1), the text, a direct-map RAM PT_LOAD */
	memcpy(kcore, "\177ELF\2\1\1", 7);
	put_le16(kcore + 16, 4);
	put_le64(kcore + 32, 64);
	put_le16(kcore + 54, 56);
	put_le16(kcore + 56, 3);
	uint8_t *ph = kcore + 64;
	put_le32(ph, 1);
	put_le64(ph + 16, 0xffffc90000000000ull);
	put_le64(ph + 24, UINT64_MAX);
	put_le64(ph + 40, 0x100000);
	ph += 56;
	put_le32(ph, 1);
	put_le64(ph + 16, 0xffffffff9a000000ull);
	put_le64(ph + 24, 0x1000000);
	put_le64(ph + 40, 0x2a00000);
	ph += 56;
	put_le32(ph, 1);
	put_le64(ph + 16, 0xffff9b0000100000ull);
	put_le64(ph + 24, 0x100000);
	put_le64(ph + 40, 0x3ff00000);
	put_file(dir, "proc/kcore", kcore, sizeof(kcore));

	st = ldr_elfcore_read_system(dir, &sys, &err);
	TAP_CHECK(t, st == KD_OK, "read fixture (%s)", st ? err.msg : "");
	if (!st) {
		TAP_CHECK(t, sys.nr_cpu_notes == 2 && sys.cpu_notes[1].addr == 0x3fc3a000 &&
			      sys.cpu_notes[1].size == 424, "crash_notes of cpu0 and cpu1");
		TAP_CHECK(t, sys.vmcoreinfo.addr == 0x2d3a000 && sys.vmcoreinfo.size == 0x1024,
			  "vmcoreinfo addr and size (hex)");
		TAP_CHECK(t, sys.page_offset == 0xffff9b0000000000ull,
			  "page_offset from the direct map (KASLR'd)");
		TAP_CHECK(t, sys.text_vaddr == 0xffffffff9a000000ull &&
			      sys.text_paddr == 0x1000000 && sys.text_size == 0x2a00000,
			  "kernel text from kcore");
		ldr_elfcore_sys_deinit(&sys);
	}
	put_file(dir, "sys/kernel/vmcoreinfo", "zz\n", 3);
	st = ldr_elfcore_read_system(dir, &sys, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "bad vmcoreinfo: %s", err.msg);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
}

int main(void)
{
	struct tap t = { 0 };

	round_trip(&t);
	sysfs_fixture(&t);
	return tap_finish(&t);
}
