/* Load the relocatable purgatory object: lay out, relocate, patch variables by name. */
#ifndef LDR_PURGATORY_RELOC_H
#define LDR_PURGATORY_RELOC_H

#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"

/** A purgatory image being prepared for one physical address. Opaque. */
struct ldr_purgatory;

/** The purgatory object embedded in the loader at build time (for the architecture built for). */
void ldr_purgatory_builtin(const void **image_ret, size_t *size_ret);

/**
 * Parse the ET_REL x86_64 or arm64 object @image (@size bytes, copied) and lay out its
 * SHF_ALLOC sections. KD_ERR_CORRUPT if it is not such an object.
 */
enum kd_status ldr_purgatory_open(const void *image, size_t size, struct ldr_purgatory **ret,
				  struct kd_err *err);
void ldr_purgatory_destroy(struct ldr_purgatory *p);

/** Bytes the laid-out image needs in memory, and the alignment its load address needs. */
uint64_t ldr_purgatory_memsz(const struct ldr_purgatory *p);
uint64_t ldr_purgatory_align(const struct ldr_purgatory *p);

/**
 * Build the image for physical address @addr: copy the sections and apply
 * every SHT_RELA relocation. Accepted types: R_X86_64_NONE, 64, 32, 32S,
 * PC32, PLT32 (32/32S/PC32/PLT32 overflow-checked); arm64: those of
 * ldr_arm64_reloc_apply(); anything else is KD_ERR_NOTIMPL naming the type. Resets values set by ldr_purgatory_set_symbol().
 */
enum kd_status ldr_purgatory_relocate(struct ldr_purgatory *p, uint64_t addr, struct kd_err *err);

/**
 * Overwrite the variable @name with @len bytes from @buf (after relocate).
 * KD_ERR_NODATA if there is no such symbol, KD_ERR_INVALID if its size is not @len.
 */
enum kd_status ldr_purgatory_set_symbol(struct ldr_purgatory *p, const char *name,
					const void *buf, size_t len, struct kd_err *err);
/** Read the variable @name (@len bytes) into @buf; same errors as set. */
enum kd_status ldr_purgatory_get_symbol(const struct ldr_purgatory *p, const char *name, void *buf,
					size_t len, struct kd_err *err);
/** Physical address of symbol @name once relocated (any binding). */
enum kd_status ldr_purgatory_symbol_addr(const struct ldr_purgatory *p, const char *name,
					 uint64_t *ret, struct kd_err *err);

/** The relocated image: @memsz bytes for address ldr_purgatory_addr(); owned by @p. */
const uint8_t *ldr_purgatory_image(const struct ldr_purgatory *p);
uint64_t ldr_purgatory_addr(const struct ldr_purgatory *p);

#endif
