/* Large buffers on transparent huge pages (see bigmem.h). */
#include "formats/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_SIZE ((size_t)2 << 20)

#ifdef KD_BIGMEM_MALLOC

void *kd_big_alloc(size_t len)
{
	return malloc(len ? len : 1);
}

void kd_big_free(void *p, size_t len)
{
	(void)len;
	free(p);
}

#else

static size_t rounded(size_t len)
{
	return len ? (len + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1) : HUGE_SIZE;
}

void *kd_big_alloc(size_t len)
{
	size_t size = rounded(len);
	uint8_t *map, *start;
	size_t head;

	if (size < len || size > SIZE_MAX - HUGE_SIZE)
		return NULL;
	/* map 2 MiB more than needed, then give back what lies before and after the aligned block */
	map = mmap(NULL, size + HUGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	head = (HUGE_SIZE - ((uintptr_t)map & (HUGE_SIZE - 1))) & (HUGE_SIZE - 1);
	start = map + head;
	if (head)
		munmap(map, head);
	munmap(start + size, HUGE_SIZE - head);	/* head < HUGE_SIZE: never empty */
	/* advice only: without THP (a capture kernel may lack it) the block is 4 KiB pages */
	madvise(start, size, MADV_HUGEPAGE);
	return start;
}

void kd_big_free(void *p, size_t len)
{
	if (p)
		munmap(p, rounded(len));
}

#endif
