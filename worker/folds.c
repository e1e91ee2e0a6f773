/* folds.c — see folds.h for the contracts. */
#include "worker/folds.h"

#include <math.h>
#include <stdlib.h>

#include "worker/series.h"

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
    if (!(o->val_frac >= 0 && o->val_frac < 1) || o->val_months < 0 || o->rolling_years < 0)
        return rs_err_set(e, RS_EINPUT, "folds: validation fraction %g must be in [0, 1), months (%d) "
                          "and rolling years (%d) >= 0", o->val_frac, o->val_months, o->rolling_years);
    const int64_t emin = max64(first_valid, 0) + T - 1;  /* first end row with valid inputs */
    const int64_t emax = n - 1 - h;                     /* last end row with a target      */
    if (emin > emax)
        return rs_err_set(e, RS_EINPUT, "folds: %lld rows leave no window after a warm-up of %lld, "
                          "lookback %lld and horizon %lld", (long long)n, (long long)first_valid,
                          (long long)T, (long long)h);
    int y0 = o->first_year ? o->first_year : series_year(t[emin]) + 1;
    int y1 = o->last_year ? o->last_year : series_year(t[emax]);
    if (y0 > y1)
        return rs_err_set(e, RS_EINPUT, "folds: first test year %d is after the last %d", y0, y1);
    const int64_t min_train = o->min_train > 0 ? o->min_train : 1;

    fold *f = calloc((size_t)(y1 - y0 + 1), sizeof *f);
    if (!f) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    for (int Y = y0; Y <= y1; Y++) {
        fold *g = &f[Y - y0];
        g->year = Y;
        int64_t ylo = lower_bound(t, n, series_time(Y, 1, 1, 0, 0, 0));
        int64_t yhi = lower_bound(t, n, series_time(Y + 1, 1, 1, 0, 0, 0)) - 1;
        g->test_lo = max64(ylo, emin);
        g->test_hi = min64(yhi, emax);

        int64_t span_lo = emin;
        if (o->rolling_years > 0)
            span_lo = max64(emin, lower_bound(t, n, series_time(Y - o->rolling_years, 1, 1, 0, 0, 0)));
        int64_t span_hi = g->test_lo - E;

        int want_val = o->val_months > 0 || o->val_frac > 0;
        if (o->val_months > 0) {
            g->val_lo = max64(span_lo, lower_bound(t, n, month_start(Y, -o->val_months)));
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
        g->fit_lo = g->train_lo - T + 1;
        g->fit_hi = g->train_hi;
        if (fold_count(g->test_lo, g->test_hi) < 1 ||
            fold_count(g->train_lo, g->train_hi) < min_train ||
            (want_val && fold_count(g->val_lo, g->val_hi) < 1))
            g->status = FOLD_EMPTY;
    }
    *out = f;
    *n_out = y1 - y0 + 1;
    return 0;
}

void folds_describe(const fold *f, int n, const int64_t *t, FILE *out) {
    char a[20], b[20];
    for (int i = 0; i < n; i++) {
        const fold *g = &f[i];
        fprintf(out, "fold %d%s: train %lld windows [%lld, %lld], val %lld [%lld, %lld], "
                "test %lld [%lld, %lld]", g->year, g->status == FOLD_EMPTY ? " (EMPTY)" : "",
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
