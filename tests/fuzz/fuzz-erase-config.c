/* libFuzzer target: --config filter files (col_erase_cfg_parse), makedumpfile.conf(5) text. */
#include <stdlib.h>
#include <string.h>

#include "collector/erase-priv.h"
#include "tests/fuzz/fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct col_erase_cfg *cfg = NULL;
	struct kd_err err;

	kd_err_clear(&err);
	if (col_erase_cfg_parse((const char *)data, size, "fuzz.conf", &cfg, &err) != KD_OK) {
		if (err.msg[0] == '\0' || cfg)
			abort();	/* documented: a message, and nothing returned */
		return 0;
	}
	for (size_t i = 0; i < cfg->ncmds; i++) {
		const struct col_erase_cmd *c = &cfg->cmds[i];

		/* documented: names are NUL-terminated, a loop index is valid, sizes are positive */
		if (!memchr(c->expr, '\0', sizeof(c->expr)) || !c->expr[0] ||
		    !memchr(c->module, '\0', sizeof(c->module)) ||
		    (c->loop >= 0 && (size_t)c->loop >= cfg->nloops) ||
		    (c->how == COL_ERASE_SIZE && c->size == 0) ||
		    (c->how == COL_ERASE_SIZE_OF && !c->size_expr[0]))
			abort();
		if (c->loop >= 0 && strncmp(c->expr, cfg->loops[c->loop].id,
					    strlen(cfg->loops[c->loop].id)))
			abort();	/* documented: inside a loop, erase starts with its id */
	}
	col_erase_cfg_free(cfg);
	return 0;
}
