/*
 * features.c — see features.h for the contracts.
 *
 * Contents (sections in file order):
 *   spec parsing           "close,rsi:14,macd:12:26:9" -> feat_spec, and back
 *                          to canonical item text
 *   feature kernels        each item kind, causal (bar t uses bars <= t)
 *   targets                forward returns / prices, trend3 labels
 *   scalers                minmax / zscore fit on training rows, applied
 */
#include "worker/features.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- spec parsing --------------------------------------------------------- */

static const struct { const char *name; int kind, nparam, def[3]; } FEAT_TABLE[] = {
    { "close",    FEAT_CLOSE,    0, { 0, 0, 0 } },
    { "logret",   FEAT_LOGRET,   0, { 0, 0, 0 } },
    { "range",    FEAT_RANGE,    0, { 0, 0, 0 } },
    { "vol",      FEAT_VOL,      1, { 20, 0, 0 } },
    { "sma",      FEAT_SMA,      1, { 20, 0, 0 } },
    { "rsi",      FEAT_RSI,      1, { 14, 0, 0 } },
    { "macd",     FEAT_MACD,     3, { 12, 26, 9 } },
    { "boll",     FEAT_BOLL,     2, { 20, 0, 0 } },   /* second parameter: k (double) */
    { "volratio", FEAT_VOLRATIO, 1, { 20, 0, 0 } },
    { "triangle", FEAT_TRIANGLE, 3, { 0, 1, 2 } },
    { "open",     FEAT_OPEN,     0, { 0, 0, 0 } },
    { "high",     FEAT_HIGH,     0, { 0, 0, 0 } },
    { "low",      FEAT_LOW,      0, { 0, 0, 0 } },
    { "volume",   FEAT_VOLUME,   0, { 0, 0, 0 } },
    { "column",   FEAT_COLUMN,   1, { 0, 0, 0 } },   /* the parameter is a name */
};
#define N_TABLE ((int)(sizeof FEAT_TABLE / sizeof FEAT_TABLE[0]))
#define EXPECTED "close, open, high, low, volume, logret, range, vol:N, sma:N, rsi:N, macd:F:S:G, " \
                 "boll:N:K, volratio:N, triangle:A:B:C, column:NAME"

/* The table's name of a kind: the one spelling of it (canonical text). */
static const char *kind_name(int kind) {
    for (int i = 0; i < N_TABLE; i++)
        if (FEAT_TABLE[i].kind == kind) return FEAT_TABLE[i].name;
    return "?";
}

/* column:NAME -> it->col (lower case), or an error naming the token. */
static int parse_column(const char *tok, size_t n, size_t name_at, feat_item *it, rs_err *e) {
    const char *nm = tok + name_at;
    size_t nn = name_at < n ? n - name_at : 0;
    if (nn == 0)
        return rs_err_set(e, RS_EINPUT, "features: '%.*s': column needs a name: column:NAME",
                          (int)n, tok);
    if (nn >= FEAT_COL_MAX)
        return rs_err_set(e, RS_EINPUT, "features: '%.*s': a column name has at most %d characters",
                          (int)n, tok, FEAT_COL_MAX - 1);
    for (size_t i = 0; i < nn; i++) {
        unsigned char c = (unsigned char)nm[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.')
            return rs_err_set(e, RS_EINPUT, "features: '%.*s': a column name has only letters, "
                              "digits, '_', '-' and '.'", (int)n, tok);
        it->col[i] = (char)tolower(c);
    }
    it->col[nn] = '\0';
    return 0;
}

static int parse_int(const char *s, size_t n, int *v) {
    if (n == 0 || n > 9) return -1;
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int features_parse(const char *text, int inst, feat_spec *spec, rs_err *e) {
    const char *p = text ? text : "";
    for (;;) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        const char *tok = p;
        while (n && isspace((unsigned char)*tok)) { tok++; n--; }
        while (n && isspace((unsigned char)tok[n - 1])) n--;
        if (n == 0) return rs_err_set(e, RS_EINPUT, "features: empty item in '%s' (expected %s)",
                                      text ? text : "", EXPECTED);
        /* Split the token at ':' into a name and up to 3 parameters. */
        const char *part[5];
        size_t plen[5];
        int np = 0;
        const char *a = tok, *end = tok + n;
        while (np < 5) {
            const char *c = memchr(a, ':', (size_t)(end - a));
            part[np] = a;
            plen[np++] = c ? (size_t)(c - a) : (size_t)(end - a);
            if (!c) break;
            a = c + 1;
        }
        int ti = -1;
        for (int i = 0; i < N_TABLE; i++)
            if (strlen(FEAT_TABLE[i].name) == plen[0] && !strncasecmp(FEAT_TABLE[i].name, part[0], plen[0]))
                ti = i;
        if (ti < 0)
            return rs_err_set(e, RS_EINPUT, "features: unknown feature '%.*s' (expected %s)",
                              (int)n, tok, EXPECTED);
        if (FEAT_TABLE[ti].kind == FEAT_COLUMN) {
            if (spec->n_items >= FEAT_ITEMS_MAX)
                return rs_err_set(e, RS_EINPUT, "features: more than %d items", FEAT_ITEMS_MAX);
            feat_item it;
            memset(&it, 0, sizeof it);
            it.kind = FEAT_COLUMN;
            it.inst[0] = it.inst[1] = it.inst[2] = inst;
            if (parse_column(tok, n, plen[0] + 1, &it, e)) return RS_EINPUT;
            spec->item[spec->n_items++] = it;
            if (!q) break;
            p = q + 1;
            continue;
        }
        if (np - 1 > FEAT_TABLE[ti].nparam || memchr(tok, ':', n) == tok + n - 1)
            return rs_err_set(e, RS_EINPUT, "features: '%.*s': %s takes %d parameter(s)",
                              (int)n, tok, FEAT_TABLE[ti].name, FEAT_TABLE[ti].nparam);
        if (spec->n_items >= FEAT_ITEMS_MAX)
            return rs_err_set(e, RS_EINPUT, "features: more than %d items", FEAT_ITEMS_MAX);
        feat_item it;
        memset(&it, 0, sizeof it);
        it.kind = FEAT_TABLE[ti].kind;
        it.inst[0] = it.inst[1] = it.inst[2] = inst;
        for (int j = 0; j < 3; j++) it.n[j] = FEAT_TABLE[ti].def[j];
        it.k = 2.0;
        for (int j = 1; j < np; j++) {
            if (it.kind == FEAT_BOLL && j == 2) {
                char buf[32];
                char *ep;
                if (plen[j] == 0 || plen[j] >= sizeof buf) goto badk;
                memcpy(buf, part[j], plen[j]);
                buf[plen[j]] = '\0';
                it.k = strtod(buf, &ep);
                if (*ep || !(it.k > 0) || !isfinite(it.k)) {
                badk:
                    return rs_err_set(e, RS_EINPUT, "features: '%.*s': band width K must be a "
                                      "positive number", (int)n, tok);
                }
                continue;
            }
            int v;
            int lo = it.kind == FEAT_TRIANGLE ? 0 : it.kind == FEAT_VOL ? 2 : 1;
            if (parse_int(part[j], plen[j], &v) || v < lo)
                return rs_err_set(e, RS_EINPUT, "features: '%.*s': %s must be an integer >= %d",
                                  (int)n, tok, it.kind == FEAT_TRIANGLE ? "instrument index" : "period", lo);
            if (it.kind == FEAT_TRIANGLE) it.inst[j - 1] = v; else it.n[j - 1] = v;
        }
        if (it.kind == FEAT_TRIANGLE && np == 1) { it.inst[0] = 0; it.inst[1] = 1; it.inst[2] = 2; }
        if (it.kind == FEAT_MACD && it.n[0] >= it.n[1])
            return rs_err_set(e, RS_EINPUT, "features: '%.*s': the fast period must be below the slow one",
                              (int)n, tok);
        spec->item[spec->n_items++] = it;
        if (!q) break;
        p = q + 1;
    }
    return 0;
}

/* ---- feature kernels -------------------------------------------------------
 * Each kernel writes one column of n doubles, NaN before its warm-up, and
 * returns the warm-up (first defined row).  Every value at t is a function
 * of inputs at rows <= t evaluated in a fixed order, so truncating the
 * series after t cannot change it (the causality test checks the bits).
 * Windowed sums are recomputed per row rather than slid: O(N) per row, but
 * no drift over millions of rows and no dependence on where the series
 * starts beyond the window itself. */

static int64_t k_logret(const double *c, int64_t n, double *o) {
    if (n > 0) o[0] = NAN;
    for (int64_t t = 1; t < n; t++) o[t] = log(c[t] / c[t - 1]);
    return 1;
}

/* r: scratch for the log returns (n doubles). */
static int64_t k_vol(const double *c, int64_t n, int N, double *o, double *r) {
    k_logret(c, n, r);
    for (int64_t t = 0; t < n; t++) {
        if (t < N) { o[t] = NAN; continue; }
        double m = 0, ss = 0;
        for (int64_t i = t - N + 1; i <= t; i++) m += r[i];
        m /= N;
        for (int64_t i = t - N + 1; i <= t; i++) { double d = r[i] - m; ss += d * d; }
        o[t] = sqrt(ss / (N - 1));
    }
    return N;
}

static double wmean(const double *v, int64_t t, int N) {
    double s = 0;
    for (int64_t i = t - N + 1; i <= t; i++) s += v[i];
    return s / N;
}

static int64_t k_sma(const double *c, int64_t n, int N, double *o) {
    for (int64_t t = 0; t < n; t++) o[t] = t < N - 1 ? NAN : c[t] / wmean(c, t, N) - 1;
    return N - 1;
}

static int64_t k_rsi(const double *c, int64_t n, int N, double *o) {
    double ag = 0, al = 0;
    for (int64_t t = 0; t < n; t++) {
        if (t > 0) {
            double d = c[t] - c[t - 1], g = d > 0 ? d : 0, l = d < 0 ? -d : 0;
            if (t <= N) { ag += g; al += l; if (t == N) { ag /= N; al /= N; } }
            else { ag = (ag * (N - 1) + g) / N; al = (al * (N - 1) + l) / N; }
        }
        if (t < N) o[t] = NAN;
        else o[t] = al == 0 ? (ag == 0 ? 50.0 : 100.0) : 100.0 - 100.0 / (1.0 + ag / al);
    }
    return N;
}

/* EMA of v from row `from` (the first defined input): seeded at from+N-1
 * with the mean of the first N inputs.  Returns the first defined row. */
static int64_t k_ema(const double *v, int64_t from, int64_t n, int N, double *o) {
    double a = 2.0 / (N + 1), m = 0;
    for (int64_t t = 0; t < n; t++) {
        if (t < from + N - 1) {
            if (t >= from) m += v[t];
            o[t] = NAN;
        } else if (t == from + N - 1) {
            m = (m + v[t]) / N;
            o[t] = m;
        } else {
            m = a * v[t] + (1 - a) * m;
            o[t] = m;
        }
    }
    return from + N - 1;
}

static int64_t k_boll(const double *c, int64_t n, int N, double k, double *o) {
    for (int64_t t = 0; t < n; t++) {
        if (t < N - 1) { o[t] = NAN; continue; }
        double m = wmean(c, t, N), ss = 0;
        for (int64_t i = t - N + 1; i <= t; i++) ss += (c[i] - m) * (c[i] - m);
        double sd = sqrt(ss / N);
        o[t] = sd == 0 ? 0.5 : (c[t] - (m - k * sd)) / (2 * k * sd);
    }
    return N - 1;
}

static int64_t k_volratio(const double *v, int64_t n, int N, double *o) {
    for (int64_t t = 0; t < n; t++) {
        if (t < N - 1) { o[t] = NAN; continue; }
        double m = wmean(v, t, N);
        o[t] = m == 0 ? 1.0 : v[t] / m;
    }
    return N - 1;
}

int features_item_cols(const feat_item *it) { return it->kind == FEAT_MACD ? 3 : 1; }

size_t features_item_canon(const feat_item *it, const char *const *inst_names, int n_inst,
                           char *buf, size_t n) {
    char tmp[1];
    if (!buf || n == 0) { buf = tmp; n = 1; }
#define AT(k) ((size_t)(k) < n ? buf + (k) : buf + n - 1)
#define LEFT(k) ((size_t)(k) < n ? n - (size_t)(k) : 1)
#define INAME(i) ((i) >= 0 && (i) < n_inst && inst_names ? inst_names[i] : "?")
    int k = snprintf(buf, n, "%s", kind_name(it->kind));
    switch (it->kind) {
    case FEAT_VOL: case FEAT_SMA: case FEAT_RSI: case FEAT_VOLRATIO:
        k += snprintf(AT(k), LEFT(k), ":%d", it->n[0]); break;
    case FEAT_MACD:
        k += snprintf(AT(k), LEFT(k), ":%d:%d:%d", it->n[0], it->n[1], it->n[2]); break;
    case FEAT_BOLL:
        k += snprintf(AT(k), LEFT(k), ":%d:%.17g", it->n[0], it->k); break;
    case FEAT_COLUMN:
        k += snprintf(AT(k), LEFT(k), ":%s", it->col); break;
    default: break;
    }
    if (it->kind == FEAT_TRIANGLE)
        k += snprintf(AT(k), LEFT(k), "@%s:%s:%s", INAME(it->inst[0]), INAME(it->inst[1]),
                      INAME(it->inst[2]));
    else
        k += snprintf(AT(k), LEFT(k), "@%s", INAME(it->inst[0]));
#undef AT
#undef LEFT
#undef INAME
    return (size_t)k;
}

static void item_names(const feat_item *it, const series *s, char names[][FEAT_NAME_MAX]) {
    const char *nm = s[it->inst[0]].name;
    switch (it->kind) {
    case FEAT_CLOSE:    snprintf(names[0], FEAT_NAME_MAX, "%.40s.close", nm); break;
    case FEAT_OPEN:     snprintf(names[0], FEAT_NAME_MAX, "%.40s.open", nm); break;
    case FEAT_HIGH:     snprintf(names[0], FEAT_NAME_MAX, "%.40s.high", nm); break;
    case FEAT_LOW:      snprintf(names[0], FEAT_NAME_MAX, "%.40s.low", nm); break;
    case FEAT_VOLUME:   snprintf(names[0], FEAT_NAME_MAX, "%.40s.volume", nm); break;
    case FEAT_COLUMN:   snprintf(names[0], FEAT_NAME_MAX, "%.32s.column.%.23s", nm, it->col); break;
    case FEAT_LOGRET:   snprintf(names[0], FEAT_NAME_MAX, "%.40s.logret", nm); break;
    case FEAT_RANGE:    snprintf(names[0], FEAT_NAME_MAX, "%.40s.range", nm); break;
    case FEAT_VOL:      snprintf(names[0], FEAT_NAME_MAX, "%.40s.vol%d", nm, it->n[0]); break;
    case FEAT_SMA:      snprintf(names[0], FEAT_NAME_MAX, "%.40s.sma%d", nm, it->n[0]); break;
    case FEAT_RSI:      snprintf(names[0], FEAT_NAME_MAX, "%.40s.rsi%d", nm, it->n[0]); break;
    case FEAT_VOLRATIO: snprintf(names[0], FEAT_NAME_MAX, "%.40s.volratio%d", nm, it->n[0]); break;
    case FEAT_BOLL:     snprintf(names[0], FEAT_NAME_MAX, "%.40s.boll%d_%g", nm, it->n[0], it->k); break;
    case FEAT_MACD: {
        static const char *const suf[3] = { "", ".signal", ".hist" };
        for (int j = 0; j < 3; j++)
            snprintf(names[j], FEAT_NAME_MAX, "%.30s.macd%d_%d_%d%s", nm, it->n[0], it->n[1],
                     it->n[2], suf[j]);
        break;
    }
    case FEAT_TRIANGLE:
        snprintf(names[0], FEAT_NAME_MAX, "triangle.%.16s_%.16s_%.16s", nm,
                 s[it->inst[1]].name, s[it->inst[2]].name);
        break;
    }
}

/* Compute one item into cols[0..item_cols-1] (n doubles each); warm-ups out.
 * colj: FEAT_COLUMN's index into the series' kept columns. */
static void item_compute(const feat_item *it, const series *s, int64_t n, int colj, double **cols,
                         int64_t *warm) {
    const series *a = &s[it->inst[0]];
    const double *c = a->close;
    double *o = cols[0];
    switch (it->kind) {
    case FEAT_CLOSE: case FEAT_OPEN: case FEAT_HIGH: case FEAT_LOW: case FEAT_VOLUME: case FEAT_COLUMN: {
        /* The bar's own value: known at its close, so causal by itself. */
        const double *v = it->kind == FEAT_CLOSE ? c : it->kind == FEAT_OPEN ? a->open
                        : it->kind == FEAT_HIGH ? a->high : it->kind == FEAT_LOW ? a->low
                        : it->kind == FEAT_VOLUME ? a->volume : a->col + (int64_t)colj * n;
        memcpy(o, v, (size_t)n * sizeof *o);
        warm[0] = 0;
        break;
    }
    case FEAT_LOGRET:   warm[0] = k_logret(c, n, o); break;
    case FEAT_RANGE:
        for (int64_t t = 0; t < n; t++) o[t] = log(a->high[t] / a->low[t]);
        warm[0] = 0;
        break;
    case FEAT_VOL:      warm[0] = k_vol(c, n, it->n[0], o, cols[1]); break;
    case FEAT_SMA:      warm[0] = k_sma(c, n, it->n[0], o); break;
    case FEAT_RSI:      warm[0] = k_rsi(c, n, it->n[0], o); break;
    case FEAT_BOLL:     warm[0] = k_boll(c, n, it->n[0], it->k, o); break;
    case FEAT_VOLRATIO: warm[0] = k_volratio(a->volume, n, it->n[0], o); break;
    case FEAT_MACD: {
        /* cols[1] holds the slow EMA first, then the signal. */
        double *line = cols[0], *sig = cols[1], *hist = cols[2];
        k_ema(c, 0, n, it->n[0], hist);                        /* fast EMA, scratch */
        int64_t w = k_ema(c, 0, n, it->n[1], sig);             /* slow EMA          */
        for (int64_t t = 0; t < n; t++) line[t] = t < w ? NAN : hist[t] - sig[t];
        int64_t ws = k_ema(line, w, n, it->n[2], sig);
        for (int64_t t = 0; t < n; t++) hist[t] = t < ws ? NAN : line[t] - sig[t];
        warm[0] = w; warm[1] = ws; warm[2] = ws;
        break;
    }
    case FEAT_TRIANGLE: {
        const double *cb = s[it->inst[1]].close, *cc = s[it->inst[2]].close;
        for (int64_t t = 0; t < n; t++) o[t] = log(c[t]) - log(cb[t]) - log(cc[t]);
        warm[0] = 0;
        break;
    }
    }
}

void features_free(feat_matrix *m) {
    if (!m) return;
    free(m->x);
    memset(m, 0, sizeof *m);
}

int features_compute(const series *s, int k, const feat_spec *spec, feat_matrix *m, rs_err *e) {
    memset(m, 0, sizeof *m);
    if (k < 1) return rs_err_set(e, RS_EINPUT, "features: no series");
    if (spec->n_items < 1) return rs_err_set(e, RS_EINPUT, "features: the spec has no items");
    const int64_t n = s[0].n;
    for (int i = 1; i < k; i++)
        if (s[i].n != n || memcmp(s[i].t, s[0].t, (size_t)n * sizeof *s[0].t))
            return rs_err_set(e, RS_EINPUT, "features: %s and %s are not aligned (align the "
                              "instruments on common timestamps first)", s[0].name, s[i].name);
    int64_t col0[FEAT_ITEMS_MAX];
    int colj[FEAT_ITEMS_MAX];
    int nf = 0;
    for (int i = 0; i < spec->n_items; i++) {
        const feat_item *it = &spec->item[i];
        int ninst = it->kind == FEAT_TRIANGLE ? 3 : 1;
        for (int j = 0; j < ninst; j++)
            if (it->inst[j] < 0 || it->inst[j] >= k)
                return rs_err_set(e, RS_EINPUT, "features: item %d refers to instrument %d of %d",
                                  i + 1, it->inst[j], k);
        const series *a = &s[it->inst[0]];
        if (it->kind == FEAT_RANGE && !a->has_ohlc)
            return rs_err_set(e, RS_EINPUT, "features: range needs high and low, and %s has only "
                              "closes", a->name);
        if ((it->kind == FEAT_OPEN || it->kind == FEAT_HIGH || it->kind == FEAT_LOW) && !a->has_ohlc)
            return rs_err_set(e, RS_EINPUT, "features: %s needs open, high and low columns, and %s "
                              "has only closes", kind_name(it->kind), a->name);
        if ((it->kind == FEAT_VOLRATIO || it->kind == FEAT_VOLUME) && !a->has_volume)
            return rs_err_set(e, RS_EINPUT, "features: %s needs a volume column, and %s has "
                              "none", kind_name(it->kind), a->name);
        colj[i] = -1;
        if (it->kind == FEAT_COLUMN) {
            for (int j = 0; j < a->n_cols && colj[i] < 0; j++)
                if (!strcasecmp(a->col_name[j], it->col)) colj[i] = j;
            if (colj[i] < 0) {
                char have[256] = "";
                size_t hk = 0;
                for (int j = 0; j < a->n_cols && hk + 2 < sizeof have; j++)
                    hk += (size_t)snprintf(have + hk, sizeof have - hk, "%s%s", j ? ", " : "",
                                           a->col_name[j]);
                return rs_err_set(e, RS_EINPUT, "features: column:%s needs the column '%s' of %s, and "
                                  "%s keeps %s%s", it->col, it->col, a->name, a->name,
                                  a->n_cols ? "only: " : "none", have);
            }
        }
        col0[i] = nf;
        nf += features_item_cols(it);
        if (nf > FEAT_MAX) return rs_err_set(e, RS_EINPUT, "features: more than %d columns", FEAT_MAX);
    }
    /* Log features need positive prices: say where one is not. */
    for (int i = 0; i < k; i++)
        for (int64_t t = 0; t < n; t++)
            if (!(s[i].close[t] > 0) || !(s[i].low[t] > 0)) {
                char tb[20];
                return rs_err_set(e, RS_EINPUT, "features: %s has a non-positive or NaN price at "
                                  "bar %lld (%s)", s[i].name, (long long)t,
                                  series_format_time(s[i].t[t], tb));
            }
    m->n_rows = n;
    m->n_feat = nf;
    m->x = malloc((size_t)(n > 0 ? n : 1) * (size_t)nf * sizeof *m->x);
    if (!m->x) return rs_err_set(e, RS_EINTERNAL, "out of memory for %lld x %d features",
                                 (long long)n, nf);
    int oom = 0;
    #pragma omp parallel
    {
        double *buf = malloc((size_t)(n > 0 ? n : 1) * 3 * sizeof *buf);
        if (!buf) {
            #pragma omp atomic write
            oom = 1;
        }
        #pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < spec->n_items; i++) {
            if (!buf) continue;
            const feat_item *it = &spec->item[i];
            double *cols[3] = { buf, buf + n, buf + 2 * n };
            int64_t warm[3] = { 0, 0, 0 };
            item_compute(it, s, n, colj[i], cols, warm);
            int nc = features_item_cols(it);
            for (int j = 0; j < nc; j++) {
                int64_t c = col0[i] + j;
                m->warmup[c] = warm[j] < n ? warm[j] : n;
                for (int64_t t = 0; t < n; t++) m->x[t * nf + c] = (float)cols[j][t];
            }
            item_names(it, s, &m->names[col0[i]]);
        }
        free(buf);
    }
    if (oom) { features_free(m); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    for (int c = 0; c < nf; c++)
        if (m->warmup[c] > m->first_valid) m->first_valid = m->warmup[c];
    return 0;
}

/* ---- targets ---------------------------------------------------------------- */

int targets_parse(const char *name, int *kind, rs_err *e) {
    static const char *const N[3] = { "return", "price", "trend3" };
    for (int i = 0; i < 3; i++)
        if (name && !strcasecmp(name, N[i])) { *kind = i; return 0; }
    return rs_err_set(e, RS_EINPUT, "target '%s' unknown (expected return, price or trend3)",
                      name ? name : "");
}

int targets_compute(const series *s, int kind, int h, int64_t first_valid, float *y, rs_err *e) {
    if (h < 1) return rs_err_set(e, RS_EINPUT, "target: horizon %d must be >= 1", h);
    if (kind != TARGET_RETURN && kind != TARGET_PRICE)
        return rs_err_set(e, RS_EINPUT, "target: targets_compute makes return or price targets; "
                          "trend3 comes from targets_trend3");
    const double *c = s->close;
    for (int64_t t = 0; t < s->n; t++) {
        if (t < first_valid || t + h >= s->n) { y[t] = NAN; continue; }
        y[t] = kind == TARGET_PRICE ? (float)c[t + h] : (float)log(c[t + h] / c[t]);
    }
    return 0;
}

/* k-th smallest of a[0..n-1] (a is reordered so that a[i] <= a[k] <= a[j]
 * for i < k < j): Hoare partition around a median of three.  O(n) expected,
 * deterministic (no random pivot). */
static double select_k(double *a, int64_t n, int64_t k) {
    int64_t lo = 0, hi = n - 1;
    while (hi > lo) {
        int64_t mid = lo + (hi - lo) / 2;
        double x = a[lo], y = a[mid], z = a[hi];
        double pv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pv) i++;
            while (a[j] > pv) j--;
            if (i <= j) { double tmp = a[i]; a[i] = a[j]; a[j] = tmp; i++; j--; }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return a[k];
    }
    return a[k];
}

/* Quantile p of a[0..n-1] by linear interpolation between order statistics
 * (numpy's default, "type 7").  Reorders a. */
static double quantile(double *a, int64_t n, double p) {
    double hpos = p * (double)(n - 1);
    int64_t j = (int64_t)floor(hpos);
    double lo = select_k(a, n, j);
    if (j + 1 >= n) return lo;
    double hi = a[j + 1];
    for (int64_t i = j + 2; i < n; i++) if (a[i] < hi) hi = a[i];
    return lo + (hpos - (double)j) * (hi - lo);
}

int targets_trend3(const float *fwd, int64_t n, const fold *f, int fit_quantiles, double theta,
                   float *y, trend3_info *info, rs_err *e) {
    memset(info, 0, sizeof *info);
    if (fit_quantiles) {
        int64_t w = fold_count(f->train_lo, f->train_hi);
        if (f->status != FOLD_OK || w < 1)
            return rs_err_set(e, RS_EINPUT, "trend3: fold %s has no training labels to fit "
                              "thresholds on", fold_id_text(f->id, (char[FOLD_ID_MAX]){0}, FOLD_ID_MAX));
        double *a = malloc((size_t)w * sizeof *a);
        if (!a) return rs_err_set(e, RS_EINTERNAL, "out of memory");
        for (int64_t i = 0; i < w; i++) {
            a[i] = fwd[f->train_lo + i];
            if (isnan(a[i])) {
                free(a);
                return rs_err_set(e, RS_EINPUT, "trend3: fold %s: training label at row %lld is "
                                  "undefined", fold_id_text(f->id, (char[FOLD_ID_MAX]){0}, FOLD_ID_MAX),
                                  (long long)(f->train_lo + i));
            }
        }
        info->lo = quantile(a, w, 1.0 / 3.0);
        info->hi = quantile(a, w, 2.0 / 3.0);
        free(a);
    } else {
        if (!(theta >= 0)) return rs_err_set(e, RS_EINPUT, "trend3: threshold %g must be >= 0", theta);
        info->lo = -theta;
        info->hi = theta;
    }
    for (int64_t t = 0; t < n; t++) {
        double r = fwd[t];
        y[t] = isnan(r) ? NAN : r < info->lo ? TREND3_SHORT : r > info->hi ? TREND3_LONG : TREND3_RANGE;
    }
    const int64_t rg[3][2] = { { f->train_lo, f->train_hi }, { f->val_lo, f->val_hi },
                               { f->test_lo, f->test_hi } };
    for (int s = 0; s < 3; s++)
        for (int64_t t = rg[s][0] < 0 ? 0 : rg[s][0]; t <= rg[s][1] && t < n; t++)
            if (!isnan(y[t])) info->count[s][(int)y[t]]++;
    return 0;
}

/* ---- scalers --------------------------------------------------------------- */

int scaler_parse(const char *name, int *kind, rs_err *e) {
    static const char *const N[3] = { "none", "minmax", "zscore" };
    for (int i = 0; i < 3; i++)
        if (name && !strcasecmp(name, N[i])) { *kind = i; return 0; }
    return rs_err_set(e, RS_EINPUT, "scaling '%s' unknown (expected none, minmax or zscore)",
                      name ? name : "");
}

int scaler_fit(scaler *s, int kind, const float *x, int n_feat, int64_t row_lo, int64_t row_hi,
               rs_err *e) {
    memset(s, 0, sizeof *s);
    if (n_feat < 1 || n_feat > FEAT_MAX)
        return rs_err_set(e, RS_EINPUT, "scaler: %d columns (expected 1..%d)", n_feat, FEAT_MAX);
    if (row_lo < 0 || row_hi < row_lo)
        return rs_err_set(e, RS_EINPUT, "scaler: empty fit range [%lld, %lld]",
                          (long long)row_lo, (long long)row_hi);
    if (kind < SCALE_NONE || kind > SCALE_ZSCORE)
        return rs_err_set(e, RS_EINPUT, "scaler: unknown kind %d", kind);
    s->kind = kind;
    s->n_feat = n_feat;
    int bad = -1;
    int64_t bad_row = 0;
    #pragma omp parallel for schedule(static)
    for (int j = 0; j < n_feat; j++) {
        double a = 0, b = 0;                    /* min/max, or mean/M2 (Welford) */
        int64_t cnt = 0;
        for (int64_t r = row_lo; r <= row_hi; r++) {
            double v = x[r * n_feat + j];
            if (!isfinite(v)) {
                #pragma omp critical
                { if (bad < 0 || j < bad) { bad = j; bad_row = r; } }
                break;
            }
            if (kind == SCALE_MINMAX) {
                if (cnt == 0) a = b = v;
                else { if (v < a) a = v; if (v > b) b = v; }
            } else {
                double d = v - a;
                a += d / (double)(cnt + 1);
                b += d * (v - a);
            }
            cnt++;
        }
        double off = 0, div = 1;
        if (kind == SCALE_MINMAX) { off = a; div = b - a; }
        else if (kind == SCALE_ZSCORE) { off = a; div = sqrt(b / (double)cnt); }
        if (!(div > 0)) div = 1;               /* a constant column maps to 0 */
        s->off[j] = off;
        s->div[j] = div;
    }
    if (bad >= 0) {
        int c = bad;
        memset(s, 0, sizeof *s);
        return rs_err_set(e, RS_EINPUT, "scaler: column %d has a NaN or infinite value at row %lld "
                          "inside the fit range (a warm-up row?)", c + 1, (long long)bad_row);
    }
    return 0;
}

void scaler_apply(const scaler *s, const float *in, float *out, int64_t n_rows) {
    const int nf = s->n_feat;
    #pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < n_rows; r++)
        for (int j = 0; j < nf; j++)
            out[r * nf + j] = (float)(((double)in[r * nf + j] - s->off[j]) / s->div[j]);
}

double scaler_forward(const scaler *s, int j, double v) { return (v - s->off[j]) / s->div[j]; }
double scaler_inverse(const scaler *s, int j, double v) { return v * s->div[j] + s->off[j]; }
