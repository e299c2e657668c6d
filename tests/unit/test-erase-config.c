/* col_erase_cfg_parse: the erase commands of a makedumpfile.conf(5) filter file (--config). */
#include <stdio.h>
#include <string.h>

#include "collector/erase-priv.h"
#include "tests/unit/tap.h"

static struct col_erase_cfg *parse(const char *text, struct kd_err *err)
{
	struct col_erase_cfg *cfg = NULL;

	kd_err_clear(err);
	if (col_erase_cfg_parse(text, strlen(text), "f.conf", &cfg, err) != KD_OK)
		return NULL;
	return cfg;
}

/* Parsing @text fails with a message containing @want. */
static int fails_with(const char *text, const char *want)
{
	struct kd_err err;
	struct col_erase_cfg *cfg = parse(text, &err);

	if (cfg) {
		col_erase_cfg_free(cfg);
		printf("# parsed: %s\n", text);
		return 0;
	}
	if (!strstr(err.msg, want)) {
		printf("# message: %s\n", err.msg);
		return 0;
	}
	return 1;
}

int main(void)
{
	struct tap t = { 0 };
	struct kd_err err;
	struct col_erase_cfg *cfg;

	cfg = parse("# comment\n\n[vmlinux]\n"
		    "erase a.b.c\n"
		    "\terase  x size 25   # trailing comment\n"
		    "erase y size 1K\nerase y size 2m\nerase y size 0x10\n"
		    "erase p.q size s.len\n"
		    "erase p.addr nullify\n"
		    "[mymodule]\nerase m\n", &err);
	TAP_CHECK(&t, cfg && cfg->ncmds == 8 && cfg->nloops == 0,
		  "a file with every erase form: 8 commands");
	if (cfg && cfg->ncmds == 8) {
		const struct col_erase_cmd *c = cfg->cmds;

		TAP_CHECK(&t, !strcmp(c[0].expr, "a.b.c") && c[0].how == COL_ERASE_BY_TYPE &&
			  c[0].line == 4 && !strcmp(c[0].module, "vmlinux") && c[0].loop == -1,
			  "no size: by type, line 4, section vmlinux");
		TAP_CHECK(&t, c[1].how == COL_ERASE_SIZE && c[1].size == 25 && c[1].line == 5,
			  "blanks, tabs and a trailing comment: size 25");
		TAP_CHECK(&t, c[2].size == 1024 && c[3].size == 2u << 20 && c[4].size == 16,
			  "size suffixes K and m (either case), and hex");
		TAP_CHECK(&t, c[5].how == COL_ERASE_SIZE_OF && !strcmp(c[5].size_expr, "s.len"),
			  "size SYMBOL.member");
		TAP_CHECK(&t, c[6].how == COL_ERASE_NULLIFY, "nullify");
		TAP_CHECK(&t, !strcmp(c[7].module, "mymodule") && c[7].line == 12,
			  "a later section names the module of the commands after it");
	}
	col_erase_cfg_free(cfg);

	cfg = parse("erase init_task.comm", &err);
	TAP_CHECK(&t, cfg && cfg->ncmds == 1 && !strcmp(cfg->cmds[0].module, "vmlinux"),
		  "no section: [vmlinux]; no newline at the end");
	col_erase_cfg_free(cfg);
	cfg = parse("", &err);
	TAP_CHECK(&t, cfg && cfg->ncmds == 0, "an empty file: no commands");
	col_erase_cfg_free(cfg);

	TAP_CHECK(&t, fails_with("erase x\nerase y size 0\n", "f.conf' line 2: size '0'"),
		  "size 0 is refused, with the file and line");
	TAP_CHECK(&t, fails_with("erase y size 12Q\n", "size '12Q'"), "size 12Q is refused");
	TAP_CHECK(&t, fails_with("erase y size 99999999999999999999\n", "size '9"),
		  "a size that overflows is refused");
	TAP_CHECK(&t, fails_with("erase y size 20000000000000M\n", "size '2"),
		  "a size whose suffix overflows is refused");
	TAP_CHECK(&t, fails_with("erase a..b\n", "expected 'erase SYMBOL"), "an empty member");
	TAP_CHECK(&t, fails_with("erase .a\n", "expected 'erase SYMBOL"), "a leading dot");
	TAP_CHECK(&t, fails_with("erase a.\n", "expected 'erase SYMBOL"), "a trailing dot");
	TAP_CHECK(&t, fails_with("erase a-b\n", "expected 'erase SYMBOL"), "a '-' in a name");
	TAP_CHECK(&t, fails_with("erase\n", "expected 'erase SYMBOL"), "erase without a symbol");
	TAP_CHECK(&t, fails_with("erase a nullify now\n", "after 'a'"), "words after nullify");
	TAP_CHECK(&t, fails_with("erase a size 1 2 3\n", "expected 'erase SYMBOL"),
		  "too many words");
	TAP_CHECK(&t, fails_with("erase a sizes 1\n", "after 'a'"), "'sizes' is not 'size'");
	TAP_CHECK(&t, fails_with("[vmlinux\n", "line 1: expected '[MODULE]'"), "an open section");
	TAP_CHECK(&t, fails_with("[]\n", "expected '[MODULE]'"), "an empty section name");
	TAP_CHECK(&t, fails_with("for t in tasks via next\n", "line 1: 'for' without 'endfor'"),
		  "a loop without endfor");
	TAP_CHECK(&t, fails_with("endfor\n", "line 1: 'endfor' without 'for'"), "endfor without for");
	TAP_CHECK(&t, fails_with("for a in x\nfor b in y\nendfor\n", "line 2: loops do not nest"),
		  "nested loops");
	TAP_CHECK(&t, fails_with("for a in x\n erase b.c\nendfor\n", "line 2: inside the loop of line 1"),
		  "inside a loop, erase starts with its id");
	TAP_CHECK(&t, fails_with("for a in x\n erase ab\nendfor\n", "inside the loop"),
		  "an id prefix is not the id");
	TAP_CHECK(&t, fails_with("for a in x via\nendfor\n", "expected 'for ID in"), "via without NEXT");
	TAP_CHECK(&t, fails_with("for a in x within s.m\nendfor\n", "within STRUCT:MEMBER"),
		  "within without a colon");
	TAP_CHECK(&t, fails_with("for a in x within s:\nendfor\n", "within STRUCT:MEMBER"),
		  "within without a member");
	TAP_CHECK(&t, fails_with("for a in x by next\nendfor\n", "via NEXT"), "an unknown loop word");
	TAP_CHECK(&t, fails_with("for a.b in x\nendfor\n", "expected 'for ID in"), "a dotted id");
	TAP_CHECK(&t, fails_with("for a in x\nendfor now\n", "'endfor' takes nothing"),
		  "words after endfor");
	cfg = parse("for fs in file_systems via next\n\terase fs.name\n\terase fs size fs.len\nendfor\n"
		    "erase init_task.comm\n"
		    "for m in modules within module:list\nerase m.name\nendfor\n"
		    "for z in zone_names\nerase z\nendfor\n", &err);
	TAP_CHECK(&t, cfg && cfg->nloops == 3 && cfg->ncmds == 5, "three loops, five commands");
	if (cfg && cfg->nloops == 3 && cfg->ncmds == 5) {
		const struct col_erase_loop *l = cfg->loops;

		TAP_CHECK(&t, l[0].kind == COL_LOOP_VIA && !strcmp(l[0].id, "fs") &&
			  !strcmp(l[0].list, "file_systems") && !strcmp(l[0].next, "next") &&
			  l[0].line == 1, "for ID in LIST via NEXT");
		TAP_CHECK(&t, l[1].kind == COL_LOOP_WITHIN && !strcmp(l[1].sname, "module") &&
			  !strcmp(l[1].smember, "list"), "for ID in LIST within STRUCT:MEMBER");
		TAP_CHECK(&t, l[2].kind == COL_LOOP_ARRAY && !strcmp(l[2].list, "zone_names"),
			  "for ID in ARRAY");
		TAP_CHECK(&t, cfg->cmds[0].loop == 0 && cfg->cmds[1].loop == 0 &&
			  cfg->cmds[1].how == COL_ERASE_SIZE_OF && cfg->cmds[2].loop == -1 &&
			  cfg->cmds[3].loop == 1 && cfg->cmds[4].loop == 2,
			  "each command knows its loop (-1 between loops)");
	}
	col_erase_cfg_free(cfg);
	TAP_CHECK(&t, fails_with("remove a\n", "unknown command 'remove'"), "an unknown command");
	{
		char big[1200];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "erase ", 6);
		TAP_CHECK(&t, fails_with(big, "line 1: not a text line"), "a line over 1023 bytes");
	}
	{
		static const char nul[] = "erase a\nerase \0b\n";
		struct col_erase_cfg *c2 = NULL;

		kd_err_clear(&err);
		TAP_CHECK(&t, col_erase_cfg_parse(nul, sizeof(nul) - 1, "f.conf", &c2, &err) != KD_OK &&
			  strstr(err.msg, "line 2: not a text line"),
			  "a NUL byte inside a line is refused");
		col_erase_cfg_free(c2);
	}
	return tap_finish(&t);
}
