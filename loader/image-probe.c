/* Kernel image probe: bzImage setup header or arm64 Image header, sizes only. */
#include "loader/loader-priv.h"

#include "formats/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* x86 boot protocol setup header (Documentation/arch/x86/boot.rst), file offsets. */
enum {
	BZ_SETUP_SECTS = 0x1f1,
	BZ_BOOT_FLAG = 0x1fe,
	BZ_HEADER = 0x202,
	BZ_VERSION = 0x206,
	BZ_KERNEL_ALIGNMENT = 0x230,
	BZ_XLOADFLAGS = 0x236,
	BZ_CMDLINE_SIZE = 0x238,
	BZ_INIT_SIZE = 0x260,
	BZ_HEAD_LEN = 0x264,
	BZ_XLF_KERNEL_64 = 1 << 0,
};
static const uint32_t bz_magic = 0x53726448; /* "HdrS" */

/* arm64 Image header (Documentation/arch/arm64/booting.rst). */
enum {
	ARM64_IMAGE_SIZE = 16,
	ARM64_MAGIC = 56,
	ARM64_HEAD_LEN = 64,
};
static const uint32_t arm64_magic = 0x644d5241; /* "ARM\x64" */

enum { PROBE_HEAD_LEN = 4096 };

const char *ldr_image_kind_name(enum ldr_image_kind kind)
{
	switch (kind) {
	case LDR_IMAGE_BZIMAGE:
		return "bzImage";
	case LDR_IMAGE_ARM64:
		return "arm64 Image";
	case LDR_IMAGE_UNKNOWN:
		break;
	}
	return "unknown";
}

enum ldr_image_kind ldr_image_native_kind(void)
{
#if defined(__x86_64__)
	return LDR_IMAGE_BZIMAGE;
#elif defined(__aarch64__)
	return LDR_IMAGE_ARM64;
#else
	return LDR_IMAGE_UNKNOWN;
#endif
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static enum kd_status probe_bzimage(const uint8_t *h, uint64_t file_size,
				    struct ldr_image_info *info, struct kd_err *err)
{
	unsigned int setup_sects = h[BZ_SETUP_SECTS] ? h[BZ_SETUP_SECTS] : 4;
	uint64_t setup_len = (uint64_t)(setup_sects + 1) * 512;

	info->kind = LDR_IMAGE_BZIMAGE;
	info->protocol = get_le16(h + BZ_VERSION);
	if (get_le16(h + BZ_BOOT_FLAG) != 0xaa55)
		return kd_err_set(err, KD_ERR_CORRUPT, "bzImage boot flag is %#x, not 0xaa55",
				  get_le16(h + BZ_BOOT_FLAG));
	if (setup_len >= file_size)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "bzImage setup (%u sectors) is not shorter than the file",
				  setup_sects);
	info->mem_size = file_size - setup_len;
	info->align = 2 << 20;
	if (info->protocol >= 0x0205) {
		uint32_t align = get_le32(h + BZ_KERNEL_ALIGNMENT);

		if (!is_pow2(align))
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "bzImage kernel_alignment %#x is not a power of two",
					  align);
		info->align = align;
	}
	if (info->protocol >= 0x0206)
		info->cmdline_max = get_le32(h + BZ_CMDLINE_SIZE);
	if (info->protocol >= 0x020a) {
		uint32_t init_size = get_le32(h + BZ_INIT_SIZE);

		if (init_size == 0)
			return kd_err_set(err, KD_ERR_CORRUPT, "bzImage init_size is zero");
		if (init_size > info->mem_size)
			info->mem_size = init_size;
	}
	if (info->protocol >= 0x020c)
		info->has_64bit_entry = (get_le16(h + BZ_XLOADFLAGS) & BZ_XLF_KERNEL_64) != 0;
	return KD_OK;
}

enum kd_status ldr_image_probe(const void *head, size_t len, uint64_t file_size,
			       struct ldr_image_info *ret, struct kd_err *err)
{
	struct ldr_image_info info = { .kind = LDR_IMAGE_UNKNOWN, .file_size = file_size };
	const uint8_t *h = head;
	enum kd_status st;

	if (len > file_size)
		len = (size_t)file_size;
	if (len >= BZ_HEAD_LEN && get_le32(h + BZ_HEADER) == bz_magic) {
		st = probe_bzimage(h, file_size, &info, err);
		if (st)
			return st;
	} else if (len >= ARM64_HEAD_LEN && get_le32(h + ARM64_MAGIC) == arm64_magic) {
		info.kind = LDR_IMAGE_ARM64;
		info.align = 2 << 20;
		info.mem_size = get_le64(h + ARM64_IMAGE_SIZE);
		if (info.mem_size < file_size)
			info.mem_size = file_size; /* image_size 0: before Linux 3.17 */
	} else {
		info.mem_size = file_size;
	}
	*ret = info;
	return KD_OK;
}

enum kd_status ldr_image_probe_file(const char *path, struct ldr_image_info *ret,
				    struct kd_err *err)
{
	uint8_t head[PROBE_HEAD_LEN];
	enum kd_status st;
	struct stat sb;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_sys(err, errno, "cannot open kernel '%s'", path);
	if (fstat(fd, &sb) < 0) {
		st = kd_err_sys(err, errno, "cannot stat kernel '%s'", path);
		goto out_close_fd;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = kd_err_set(err, KD_ERR_INVALID, "kernel '%s' is not a regular file", path);
		goto out_close_fd;
	}
	do {
		n = pread(fd, head, sizeof(head), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		st = kd_err_sys(err, errno, "cannot read kernel '%s'", path);
		goto out_close_fd;
	}
	st = ldr_image_probe(head, (size_t)n, (uint64_t)sb.st_size, ret, err);
	if (st)
		kd_err_prefix(err, "kernel '%s'", path);
out_close_fd:
	close(fd);
	return st;
}
