/* folds.c — see folds.h for the contracts. */
#include "worker/folds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "worker/series.h"

const rs_enum FOLD_E_PERIOD[] = { {"year", FOLD_YEAR}, {"quarter", FOLD_QUARTER}, {"month", FOLD_MONTH},
                                  {NULL, 0} };
const rs_enum FOLD_E_SCHEME[] = { {"walkforward", FOLD_WALKFORWARD}, {"holdout", FOLD_HOLDOUT}, {NULL, 0} };

/* First row with t >= v (n when none). */
static int64_t lower_bound(const int64_t *t, int64_t n, int64_t v) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (t[mid] < v) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* Midnight of the first day of (year, month) where month may be <= 0 or > 12. */
static int64_t month_start(int year, int month0) {      /* month0: 0-based */
    int64_t total = (int64_t)year * 12 + month0;
    int64_t y = total >= 0 ? total / 12 : (total - 11) / 12;
    int m = (int)(total - y * 12);
    return series_time((int)y, m + 1, 1, 0, 0, 0);
}

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---- fold ids ------------------------------------------------------------------- */

/* A period as (year, 0-based first month, months long). */
typedef struct { int y, m0, len; } span;

int fold_id_period(int id) {
    if (id >= 1 && id <= 9999) return FOLD_YEAR;
    if (id >= 10000 && id <= 99999 && id % 10 >= 1 && id % 10 <= 4) return FOLD_QUARTER;
    if (id >= 100000 && id <= 999999 && id % 100 >= 1 && id % 100 <= 12) return FOLD_MONTH;
    return -1;
}

static span id_span(int id) {
    switch (fold_id_period(id)) {
    case FOLD_YEAR:    return (span){ id, 0, 12 };
    case FOLD_QUARTER: return (span){ id / 10, (id % 10 - 1) * 3, 3 };
    case FOLD_MONTH:   return (span){ id / 100, id % 100 - 1, 1 };
    }
    return (span){ 0, 0, 0 };
}

static int span_id(int period, int y, int m0) {
    switch (period) {
    case FOLD_QUARTER: return y * 10 + m0 / 3 + 1;
    case FOLD_MONTH:   return y * 100 + m0 + 1;
    default:           return y;
    }
}

/* The period `k` periods after id (k may be negative). */
static int id_add(int period, int id, int k) {
    span s = id_span(id);
    int64_t m = (int64_t)s.y * 12 + s.m0 + (int64_t)k * s.len;
    int64_t y = m >= 0 ? m / 12 : (m - 11) / 12;
    return span_id(period, (int)y, (int)(m - y * 12));
}

static int64_t id_start(int id) {
    span s = id_span(id);
    return month_start(s.y, s.m0);
}

int fold_id_year(int id) { return fold_id_period(id) < 0 ? 0 : id_span(id).y; }

int fold_id_of(int period, int64_t t) {
    int64_t z = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int y, m, d;
    series_civil_from_days(z, &y, &m, &d);
    return span_id(period, y, m - 1);
}

void fold_id_year_span(int period, int y, int *first, int *last) {
    *first = span_id(period, y, 0);
    *last = span_id(period, y, 11);
}

char *fold_id_text(int id, char *buf, size_t n) {
    switch (fold_id_period(id)) {
    case FOLD_YEAR:    snprintf(buf, n, "%d", id); break;
    case FOLD_QUARTER: snprintf(buf, n, "%dQ%d", id / 10, id % 10); break;
    case FOLD_MONTH:   snprintf(buf, n, "%d-%02d", id / 100, id % 100); break;
    default:           snprintf(buf, n, "%s", id == FOLD_ID_HOLDOUT ? "holdout" : "?"); break;
    }
    return buf;
}

int fold_id_parse(const char *s, int *id) {
    int y, q, k = 0;
    size_t n = strlen(s);
    if (!strcmp(s, "holdout")) { *id = FOLD_ID_HOLDOUT; return 0; }
    for (size_t i = 0; i < 4 && i < n; i++)
        if (s[i] < '0' || s[i] > '9') return -1;       /* four digits of year first */
    if (n == 4 && sscanf(s, "%4d%n", &y, &k) == 1 && k == 4 && y >= 1) { *id = y; return 0; }
    if (n == 6 && (s[4] == 'Q' || s[4] == 'q') && s[5] >= '1' && s[5] <= '4' && sscanf(s, "%4d", &y) == 1 &&
        y >= 1) {
        *id = y * 10 + (s[5] - '0');
        return 0;
    }
    if (n == 7 && s[4] == '-' && s[5] >= '0' && s[5] <= '1' && s[6] >= '0' && s[6] <= '9' &&
        sscanf(s, "%4d-%2d", &y, &q) == 2 && y >= 1 && q >= 1 && q <= 12) {
        *id = y * 100 + q;
        return 0;
    }
    return -1;
}

/* ---- building ---------------------------------------------------------------------- */

/* The status rule every scheme shares. */
static void set_status(fold *g, int want_val, int64_t min_train) {
    if (fold_count(g->test_lo, g->test_hi) < 1 || fold_count(g->train_lo, g->train_hi) < min_train ||
        (want_val && fold_count(g->val_lo, g->val_hi) < 1))
        g->status = FOLD_EMPTY;
}

static int build_holdout(int64_t emin, int64_t emax, int64_t T, int64_t E, const fold_opts *o,
                         int64_t min_train, fold **out, int *n_out, rs_err *e) {
    const double sum = o->train_frac + o->val_frac + o->test_frac;
    if (!(o->train_frac > 0 && o->train_frac < 1) || !(o->test_frac > 0 && o->test_frac < 1) ||
        fabs(sum - 1) > 1e-9)
        return rs_err_set(e, RS_EINPUT, "folds: holdout fractions train %g, validation %g, test %g: each "
                          "of train and test must be in (0, 1) and the three must sum to 1",
                          o->train_frac, o->val_frac, o->test_frac);
    fold *g = calloc(1, sizeof *g);
    if (!g) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    const int64_t W = emax - emin + 1;
    /* boundaries at the fractions of the windows; the embargo is cut from
     * the start of the set that follows, so training keeps its share */
    const int64_t b1 = emin + (int64_t)llround(o->train_frac * (double)W);
    const int64_t b2 = emin + (int64_t)llround((o->train_frac + o->val_frac) * (double)W);
    g->id = FOLD_ID_HOLDOUT;
    g->train_lo = emin;
    g->train_hi = b1 - 1;
    if (o->val_frac > 0) {
        g->val_lo = g->train_hi + E;
        g->val_hi = b2 - 1;
        g->test_lo = max64(b2 - 1, g->val_lo) + E;   /* an empty validation still leaves E */
    } else {
        g->val_lo = b1;
        g->val_hi = b1 - 1;
        g->test_lo = g->train_hi + E;
    }
    g->test_hi = emax;
    if (g->test_lo > g->test_hi) g->test_lo = g->test_hi + 1;
    set_status(g, o->val_frac > 0, min_train);
    g->fit_lo = g->train_lo - T + 1;
    g->fit_hi = g->train_hi;
    *out = g;
    *n_out = 1;
    return 0;
}

int folds_build(const int64_t *t, int64_t n, int64_t first_valid, const fold_opts *o,
                fold **out, int *n_out, rs_err *e) {
    *out = NULL;
    *n_out = 0;
    const int64_t T = o->lookback, h = o->horizon;
    if (T < 1 || h < 1)
        return rs_err_set(e, RS_EINPUT, "folds: lookback (%lld) and horizon (%lld) must be >= 1",
                          (long long)T, (long long)h);
    const int64_t E = o->embargo ? o->embargo : T + h;
    if (E < T + h)
        return rs_err_set(e, RS_EINPUT, "folds: embargo of %lld bars is less than lookback + horizon "
                          "= %lld; windows or labels would straddle two sets",
                          (long long)E, (long long)(T + h));
    if (!(o->val_frac >= 0 && o->val_frac < 1) || o->val_months < 0 || o->rolling_years < 0 ||
        o->rolling_periods < 0)
        return rs_err_set(e, RS_EINPUT, "folds: validation fraction %g must be in [0, 1), months (%d) "
                          "and rolling years / periods (%d / %d) >= 0", o->val_frac, o->val_months,
                          o->rolling_years, o->rolling_periods);
    if (o->scheme != FOLD_WALKFORWARD && o->scheme != FOLD_HOLDOUT)
        return rs_err_set(e, RS_EINPUT, "folds: scheme %d unknown", o->scheme);
    if (o->period != FOLD_YEAR && o->period != FOLD_QUARTER && o->period != FOLD_MONTH)
        return rs_err_set(e, RS_EINPUT, "folds: period %d unknown", o->period);
    const int64_t emin = max64(first_valid, 0) + T - 1;  /* first end row with valid inputs */
    const int64_t emax = n - 1 - h;                     /* last end row with a target      */
    if (emin > emax)
        return rs_err_set(e, RS_EINPUT, "folds: %lld rows leave no window after a warm-up of %lld, "
                          "lookback %lld and horizon %lld", (long long)n, (long long)first_valid,
                          (long long)T, (long long)h);
    const int64_t min_train = o->min_train > 0 ? o->min_train : 1;
    if (o->scheme == FOLD_HOLDOUT) return build_holdout(emin, emax, T, E, o, min_train, out, n_out, e);

    const int P = o->period;
    char a[FOLD_ID_MAX], b[FOLD_ID_MAX];
    for (int k = 0; k < 2; k++) {
        int id = k ? o->last_id : o->first_id;
        if (id && fold_id_period(id) != P)
            return rs_err_set(e, RS_EINPUT, "folds: %s test period '%s' is not a %s", k ? "last" : "first",
                              fold_id_text(id, a, sizeof a), rs_enum_name(FOLD_E_PERIOD, P));
    }
    const int p0 = o->first_id ? o->first_id : id_add(P, fold_id_of(P, t[emin]), 1);
    const int p1 = o->last_id ? o->last_id : fold_id_of(P, t[emax]);
    if (p0 > p1)
        return rs_err_set(e, RS_EINPUT, "folds: first test %s %s is after the last %s",
                          rs_enum_name(FOLD_E_PERIOD, P), fold_id_text(p0, a, sizeof a),
                          fold_id_text(p1, b, sizeof b));
    int nf = 0;
    for (int id = p0; id <= p1; id = id_add(P, id, 1)) nf++;

    fold *f = calloc((size_t)nf, sizeof *f);
    if (!f) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    int i = 0;
    for (int id = p0; id <= p1; id = id_add(P, id, 1), i++) {
        fold *g = &f[i];
        g->id = id;
        const span s = id_span(id);
        const int64_t plo = lower_bound(t, n, id_start(id));
        const int64_t phi = lower_bound(t, n, id_start(id_add(P, id, 1))) - 1;
        g->test_lo = max64(plo, emin);
        g->test_hi = min64(phi, emax);

        int64_t span_lo = emin;
        if (o->rolling_periods > 0)
            span_lo = max64(emin, lower_bound(t, n, id_start(id_add(P, id, -o->rolling_periods))));
        else if (o->rolling_years > 0)
            span_lo = max64(emin, lower_bound(t, n, month_start(s.y - o->rolling_years, s.m0)));
        const int64_t span_hi = g->test_lo - E;

        const int want_val = o->val_months > 0 || o->val_frac > 0;
        if (o->val_months > 0) {
            g->val_lo = max64(span_lo, lower_bound(t, n, month_start(s.y, s.m0 - o->val_months)));
            g->val_hi = span_hi;
        } else if (o->val_frac > 0) {
            int64_t w = fold_count(span_lo, span_hi);
            int64_t v = (int64_t)floor(o->val_frac * (double)w);
            g->val_lo = span_hi - v + 1;
            g->val_hi = span_hi;
        } else {
            g->val_lo = span_hi + 1;
            g->val_hi = span_hi;
        }
        g->train_lo = span_lo;
        g->train_hi = want_val ? g->val_lo - E : span_hi;
        set_status(g, want_val, min_train);
        g->fit_lo = g->train_lo - T + 1;
        g->fit_hi = g->train_hi;
    }
    *out = f;
    *n_out = nf;
    return 0;
}

void folds_describe(const fold *f, int n, const int64_t *t, FILE *out) {
    char a[20], b[20], id[FOLD_ID_MAX];
    for (int i = 0; i < n; i++) {
        const fold *g = &f[i];
        fprintf(out, "fold %s%s: train %lld windows [%lld, %lld], val %lld [%lld, %lld], "
                "test %lld [%lld, %lld]", fold_id_text(g->id, id, sizeof id),
                g->status == FOLD_EMPTY ? " (EMPTY)" : "",
                (long long)fold_count(g->train_lo, g->train_hi), (long long)g->train_lo,
                (long long)g->train_hi, (long long)fold_count(g->val_lo, g->val_hi),
                (long long)g->val_lo, (long long)g->val_hi,
                (long long)fold_count(g->test_lo, g->test_hi), (long long)g->test_lo,
                (long long)g->test_hi);
        if (t && g->status == FOLD_OK)
            fprintf(out, " = %s .. %s", series_format_time(t[g->test_lo], a),
                    series_format_time(t[g->test_hi], b));
        fputc('\n', out);
    }
}
