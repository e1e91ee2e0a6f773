/*
 * override.h — config values from the command line: `rnnsweep run|plan|check
 * CONFIG --set section.key=value [--set ...]`, or Hydra's spelling
 * `model.hidden=64,128` as a bare argument.
 *
 * Overrides edit the INI TEXT before anything is validated: each
 * overridden key's line in the file is commented out ("; --set: " in front
 * of it, so a continued value goes with it) and the overrides are appended
 * in a block of their own,
 *
 *     ; --set: lookback = 20
 *     ...
 *     ; ---- command-line overrides (--set) ----
 *     [model]
 *     lookback = 40
 *
 * and that effective text is what is loaded, validated, hashed, stored in
 * the results file and the journal, and broadcast to the workers.  So an
 * override and the same edit made in the file give the same model,
 * strategy and task keys (keys hash canonical values, not text), and a
 * results file says exactly what ran.  Line numbers of the file's own keys
 * do not move (commented lines stay, the block comes last).
 *
 * Form: section.key=value.  The section is everything before the first
 * '.', the key the rest up to '=' ([data] spx.path: data.spx.path=...),
 * both case-insensitive; the value is INI value syntax (lists, ranges,
 * layer lists), quoted in the text when it holds ';' or '#'.  Hydra's
 * multirun list `model.hidden=64,128` is already our list syntax.  A bare
 * argument is an override when it has that form with a known section name
 * (data, features, target, walkforward, model, training, strategy, search,
 * run) and is not also an existing file (then it is ambiguous: use --set).
 *
 * Errors.  A malformed override, or the same key twice, is refused by
 * override_add: "--set 'x': expected section.key=value ...".  A value or
 * name the loader refuses is reported as the loader says it, with the
 * file:line prefix replaced by the override: "--set model.lookback=abc:
 * [model] lookback: expected an integer in [1, 10000], got 'abc'".
 * Status RS_EINPUT (exit 2), nothing run or written.
 */
#ifndef RS_OVERRIDE_H
#define RS_OVERRIDE_H

#include "coordinator/config.h"

#define OVERRIDE_MAX 64

typedef struct {
    int         n;
    const char *arg[OVERRIDE_MAX];   /* "section.key=value" as given (not owned)  */
    char        sec[OVERRIDE_MAX][32];
    char        key[OVERRIDE_MAX][128];
    int         line[OVERRIDE_MAX];  /* override_load: its line in the effective
                                        text, and its [section] header's line     */
    int         head[OVERRIDE_MAX];
    char        file[CFG_PATH_MAX];  /* the name the loader's messages use        */
} override_set;

/* 1 when a bare command-line argument is an override in Hydra's form (see
 * above; an existing file of that name is not). */
int override_is_bare(const char *arg);

/* Add one override.  Returns 0, or RS_EINPUT: "--set 'x': expected
 * section.key=value (e.g. model.hidden=64,128)", "--set 'x': unknown
 * section ...", more than OVERRIDE_MAX, "--set model.hidden given twice". */
int override_add(override_set *o, const char *arg, rs_err *e);

/* Take argv[*i] when it is an override: "--set section.key=value" (two
 * arguments; *i moves to the value) or a bare "section.key=value".  Returns
 * 1 when taken, 0 when argv[*i] is no override, or RS_EINPUT ("--set needs
 * section.key=value", or override_add's message).  What run, plan and check
 * share of their argument loops. */
int override_take(override_set *o, int argc, char **argv, int *i, rs_err *e);

/* The effective INI text of `text` (the file named `file`) under o, into
 * *out (malloc'd, NUL-terminated); records each override's lines in o.
 * With no override *out is a copy of text.  Returns 0 or RS_EINTERNAL. */
int override_apply(override_set *o, const char *file, const char *text, char **out, rs_err *e);

/* config_load with the overrides: read `path`, apply them, load the
 * effective text (c->ini_text).  Errors as config_load, named by the
 * override when they are its (override_explain). */
int override_load(const char *path, override_set *o, sweep_config *c, rs_err *e);

/* If e's message points at an override's line of the effective text
 * ("FILE:LINE: ..."), name the override instead: "--set ARG: ...".  For
 * errors found after loading (config_check_paths, plan_build). */
void override_explain(const override_set *o, rs_err *e);

#endif /* RS_OVERRIDE_H */
