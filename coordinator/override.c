/* override.c — command-line overrides of a config's values (see override.h). */
#include "coordinator/override.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Split "sec.key=value": lengths of the section and key, the value.
 * Returns 0 when arg has that form (names of letters, digits, '_', '-',
 * '.'; a section of letters and '_'). */
static int split(const char *arg, size_t *ls, size_t *lk, const char **val) {
    const char *eq = strchr(arg, '='), *dot = strchr(arg, '.');
    if (!eq || !dot || dot > eq || dot == arg || dot + 1 == eq) return -1;
    for (const char *p = arg; p < dot; p++)
        if (!isalpha((unsigned char)*p) && *p != '_') return -1;
    for (const char *p = dot + 1; p < eq; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') return -1;
    *ls = (size_t)(dot - arg);
    *lk = (size_t)(eq - dot - 1);
    *val = eq + 1;
    return 0;
}

int override_is_bare(const char *arg) {
    size_t ls, lk;
    const char *val;
    if (!arg || arg[0] == '-' || split(arg, &ls, &lk, &val)) return 0;
    char sec[32];
    if (ls >= sizeof sec) return 0;
    memcpy(sec, arg, ls);
    sec[ls] = 0;
    struct stat st;
    return config_section_known(sec) && stat(arg, &st) != 0;
}

int override_take(override_set *o, int argc, char **argv, int *i, rs_err *e) {
    const char *a = argv[*i];
    const int flag = !strcmp(a, "--set");
    if (!flag && !override_is_bare(a)) return 0;
    if (flag) {
        if (*i + 1 >= argc) return rs_err_set(e, RS_EINPUT, "--set needs section.key=value (see --help)");
        a = argv[++*i];
    }
    return override_add(o, a, e) ? RS_EINPUT : 1;
}

int override_add(override_set *o, const char *arg, rs_err *e) {
    size_t ls, lk;
    const char *val;
    if (split(arg, &ls, &lk, &val))
        return rs_err_set(e, RS_EINPUT, "--set '%s': expected section.key=value (e.g. model.hidden=64,128 or "
                          "data.spx.path=data/x.csv)", arg);
    if (ls >= sizeof o->sec[0] || lk >= sizeof o->key[0])
        return rs_err_set(e, RS_EINPUT, "--set '%s': section or key name too long", arg);
    if (o->n >= OVERRIDE_MAX) return rs_err_set(e, RS_EINPUT, "--set '%s': more than %d overrides", arg, OVERRIDE_MAX);
    if (strchr(val, '\n') || (strchr(val, '"') && strchr(val, '\'')))
        return rs_err_set(e, RS_EINPUT, "--set '%s': a value holds a newline, or both kinds of quote", arg);
    const int k = o->n;
    for (size_t i = 0; i < ls; i++) o->sec[k][i] = (char)tolower((unsigned char)arg[i]);
    o->sec[k][ls] = 0;
    for (size_t i = 0; i < lk; i++) o->key[k][i] = (char)tolower((unsigned char)arg[ls + 1 + i]);
    o->key[k][lk] = 0;
    for (int i = 0; i < k; i++)
        if (!strcmp(o->sec[i], o->sec[k]) && !strcmp(o->key[i], o->key[k]))
            return rs_err_set(e, RS_EINPUT, "--set %s.%s given twice ('%s', '%s')", o->sec[k], o->key[k], o->arg[i],
                              arg);
    o->arg[k] = arg;
    o->line[k] = o->head[k] = 0;
    o->n++;
    return 0;
}

/* A growable string. */
typedef struct { char *p; size_t n, cap; int bad; } sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->bad) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->n + n + 1) nc *= 2;
        char *q = realloc(b->p, nc);
        if (!q) { b->bad = 1; return; }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

int override_apply(override_set *o, const char *file, const char *text, char **out, rs_err *e) {
    snprintf(o->file, sizeof o->file, "%s", file);
    int old[OVERRIDE_MAX];
    for (int i = 0; i < o->n; i++) old[i] = config_key_line(text, o->sec[i], o->key[i]);
    sbuf b = { 0 };
    /* the file, with every overridden key's line commented out */
    int line = 0;
    for (const char *p = text; *p;) {
        const char *q = strchr(p, '\n');
        size_t n = q ? (size_t)(q - p + 1) : strlen(p);
        line++;
        for (int i = 0; i < o->n; i++)
            if (old[i] == line) { sb_str(&b, "; --set: "); break; }
        sb_put(&b, p, n);
        p += n;
    }
    if (o->n) {
        if (b.n && b.p[b.n - 1] != '\n') { sb_str(&b, "\n"); }
        line = 0;
        for (size_t i = 0; i < b.n; i++) line += b.p[i] == '\n';
        sb_str(&b, "\n; ---- command-line overrides (--set) ----\n");
        line += 2;
        for (int i = 0; i < o->n; i++) {
            const char *val = strchr(o->arg[i], '=') + 1;
            while (isspace((unsigned char)*val)) val++;
            /* ';' and '#' start a comment in INI text: quote such a value */
            const char *qu = strpbrk(val, ";#") ? (strchr(val, '"') ? "'" : "\"") : "";
            sb_str(&b, "[");
            sb_str(&b, o->sec[i]);
            sb_str(&b, "]\n");
            o->head[i] = ++line;
            sb_str(&b, o->key[i]);
            sb_str(&b, " = ");
            sb_str(&b, qu);
            sb_str(&b, val);
            sb_str(&b, qu);
            sb_str(&b, "\n");
            o->line[i] = ++line;
        }
    }
    if (!b.p) sb_str(&b, "");
    if (b.bad) { free(b.p); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    *out = b.p;
    return 0;
}

void override_explain(const override_set *o, rs_err *e) {
    if (!e || !o->n) return;
    size_t fl = strlen(o->file);
    if (strncmp(e->msg, o->file, fl) || e->msg[fl] != ':') return;
    char *end;
    long line = strtol(e->msg + fl + 1, &end, 10);
    if (end == e->msg + fl + 1 || *end != ':') return;
    for (int i = 0; i < o->n; i++) {
        if (line != o->line[i] && line != o->head[i]) continue;
        char rest[RS_ERRLEN];
        snprintf(rest, sizeof rest, "%s", end + 1);
        const char *r = rest;
        while (*r == ' ') r++;
        /* a message too long for the buffer keeps its start: it says what */
        int k = snprintf(e->msg, sizeof e->msg, "--set %s: ", o->arg[i]);
        if (k > 0 && (size_t)k < sizeof e->msg) memcpy(e->msg + k, r, strnlen(r, sizeof e->msg - (size_t)k - 1) + 1);
        e->msg[sizeof e->msg - 1] = 0;
        return;
    }
}

int override_load(const char *path, override_set *o, sweep_config *c, rs_err *e) {
    if (!o || !o->n) return config_load(path, c, e);
    memset(c, 0, sizeof *c);
    char *text = NULL, *eff = NULL;
    size_t len;
    int rc = config_read_file(path, &text, &len, e);
    if (!rc) rc = override_apply(o, path, text, &eff, e);
    free(text);
    if (!rc) {
        rc = config_load_text(eff, path, c, e);
        if (rc) override_explain(o, e);
    }
    free(eff);
    return rc;
}
