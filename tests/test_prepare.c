/* test_prepare.c — config → prepared data → task list, checked against the
 * CSV files the test writes itself: every value of the task_data block, the
 * target for each kind and horizon, resampling and both alignments, data
 * errors, the content hash, the task expansion against folds_build and
 * plan_task_key, and task inputs against plan_task_spec. */
#include "tests/cu.h"
#include "coordinator/prepare.h"
#include "worker/features.h"
#include "worker/folds.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n  expected: %s\n", (e).msg, (sub)); } while (0)

static char g_dir[64];

/* ---- synthetic instruments ---------------------------------------------- */

#define MAXROWS 2000
#define DAY     86400

/* What a CSV holds, as the doubles the loader must parse from it. */
typedef struct {
    int     n;
    int64_t t[MAXROWS];
    double  o[MAXROWS], h[MAXROWS], l[MAXROWS], c[MAXROWS];
    char    path[128];
} inst;

static inst M, MB, H, B, C;       /* main daily, M bumped, hourly, two partial dailies */

static int64_t T2015;             /* 2015-01-01 00:00:00 */

static double put(FILE *f, const char *sep, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.4f", v);
    fprintf(f, "%s%s", sep, buf);
    /* strtod rounds correctly and series_parse_number is exact: the same double */
    return strtod(buf, NULL);
}

/* Rows i = 0..n-1 at t0 + i*step, a random walk from `seed`; rows with
 * i % skip_mod == skip_rem are left out (skip_mod 0: none).  bump >= 0
 * raises that row's high by 0.01: one price changed, everything else equal.
 * Prices are written with 4 decimals; since rounding is monotone,
 * high >= max(open, close) and low <= min(open, close) survive it. */
static void make_inst(inst *s, const char *file, uint64_t seed, int64_t t0, int64_t step, int n,
                      int skip_mod, int skip_rem, int bump) {
    snprintf(s->path, sizeof s->path, "%s/%s", g_dir, file);
    FILE *f = fopen(s->path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "time,open,high,low,close\n");
    rs_rng r;
    rs_rng_seed(&r, seed);
    double p = 50.0 + (double)(seed % 100);
    s->n = 0;
    for (int i = 0; i < n; i++) {
        double o = p;
        p *= exp(0.002 * sin(i / 15.0) + 0.02 * (rs_rng_uniform(&r) - 0.5));
        double c = p;
        double hi = (o > c ? o : c) * (1 + 0.004 * rs_rng_uniform(&r));
        double lo = (o < c ? o : c) * (1 - 0.004 * rs_rng_uniform(&r));
        if (i == bump) hi += 0.01;
        if (skip_mod && i % skip_mod == skip_rem) continue;
        int k = s->n++;
        s->t[k] = t0 + (int64_t)i * step;
        fprintf(f, "%lld", (long long)s->t[k]);
        s->o[k] = put(f, ",", o);
        s->h[k] = put(f, ",", hi);
        s->l[k] = put(f, ",", lo);
        s->c[k] = put(f, ",", c);
        fputc('\n', f);
    }
    fclose(f);
}

static void make_all(void) {
    static int made;
    if (made) return;
    made = 1;
    T2015 = series_time(2015, 1, 1, 0, 0, 0);
    /* 2015..2018 every day: 1461 rows, an odd count (see test_hash_heap) */
    make_inst(&M, "m.csv", 7, T2015, DAY, 1461, 0, 0, -1);
    make_inst(&MB, "mb.csv", 7, T2015, DAY, 1461, 0, 0, 700);
    /* 60 days of hours with about one in eleven missing */
    make_inst(&H, "h.csv", 11, series_time(2016, 3, 1, 0, 0, 0), 3600, 60 * 24, 11, 3, -1);
    /* B starts 10 days late and ends 10 days early; B and C miss different days */
    make_inst(&B, "b.csv", 21, T2015 + 10 * DAY, DAY, 1441, 53, 7, -1);
    make_inst(&C, "c.csv", 33, T2015, DAY, 1461, 61, 5, -1);
}

/* ---- configs ------------------------------------------------------------- */

/* Write an INI (printf-formatted) into the temp folder and config_load it. */
__attribute__((format(printf, 2, 3)))
static int load(sweep_config *c, const char *fmt, ...) {
    static int n;
    char path[128], text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s/c%d.ini", g_dir, n++);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    rs_err e;
    int r = config_load(path, c, &e);
    if (r) printf("\n  config: %s\n", e.msg);
    CU_ASSERT_EQUAL(r, 0);
    return r;
}

/* One instrument, three feature columns (close first: x's column 0 is the
 * close), warm-up 5 (rsi:5). */
#define ONE "[data]\ninstruments = M\nM.path = %s\n[features]\nM = close, logret, rsi:5\n"

static int prep(const sweep_config *c, task_data *d, prepare_info *info) {
    rs_err e;
    int r = prepare_data(c, d, info, &e);
    if (r) printf("\n  prepare_data: %s\n", e.msg);
    CU_ASSERT_EQUAL(r, 0);
    return r;
}

/* y against the closes c[] of the traded instrument, row for row. */
static void check_y(const task_data *d, const double *c, int h, int price) {
    int bad = 0;
    for (int64_t e = 0; e < d->n; e++) {
        if (e < d->first_valid || e > d->n - 1 - h) {
            bad += !isnan(d->y[e]);
            continue;
        }
        float want = price ? (float)c[e + h] : (float)log(c[e + h] / c[e]);
        bad += d->y[e] != want;
    }
    CU_ASSERT_EQUAL(bad, 0);
    if (bad) printf("\n  %d rows of y wrong (h = %d, price = %d)\n", bad, h, price);
}

/* t and the four bar blocks against expected arrays of n rows. */
static void check_bars(const task_data *d, const int64_t *t, const double *o, const double *hi,
                       const double *lo, const double *c, int64_t n) {
    CU_ASSERT_EQUAL_FATAL(d->n, n);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        bad += d->t[i] != t[i];
        bad += d->bars[0 * n + i] != o[i];
        bad += d->bars[1 * n + i] != hi[i];
        bad += d->bars[2 * n + i] != lo[i];
        bad += d->bars[3 * n + i] != c[i];
    }
    CU_ASSERT_EQUAL(bad, 0);
    if (bad) printf("\n  %d bar values differ from the file\n", bad);
}

/* ---- one instrument ------------------------------------------------------- */

static void test_single(void) {
    make_all();
    for (int h = 1; h <= 3; h += 2) {
        sweep_config c;
        task_data d;
        prepare_info info;
        if (load(&c, ONE "[target]\nhorizon = %d\n", M.path, h)) return;
        if (prep(&c, &d, &info)) { config_free(&c); return; }
        CU_ASSERT_EQUAL(c.features.n_feat, 3);
        CU_ASSERT_EQUAL(d.n_feat, c.features.n_feat);
        CU_ASSERT_EQUAL(d.first_valid, 5);                  /* rsi:5's warm-up */
        CU_ASSERT_EQUAL(d.bar_seconds, DAY);
        check_bars(&d, M.t, M.o, M.h, M.l, M.c, M.n);
        check_y(&d, M.c, h, 0);
        /* x is the feature matrix, row-major: column 0 is the close */
        int bad = 0;
        for (int i = 0; i < M.n; i++) bad += d.x[(size_t)i * 3] != (float)M.c[i];
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT(isnan(d.x[1]));                           /* logret of row 0: warm-up */
        CU_ASSERT(!isnan(d.x[5 * 3 + 2]));                  /* rsi defined from row 5 */
        /* the block is one allocation and t, x, y, bars are views into it */
        CU_ASSERT_PTR_EQUAL(d.block, d.t);
        CU_ASSERT((char *)d.bars + 4 * sizeof(double) * (size_t)d.n <= (char *)d.block + d.block_bytes);

        CU_ASSERT_EQUAL(info.n_inst, 1);
        CU_ASSERT_STRING_EQUAL(info.name[0], "M");
        CU_ASSERT_EQUAL(info.rows_loaded[0], M.n);
        CU_ASSERT_EQUAL(info.rows, M.n);
        CU_ASSERT_EQUAL(info.first_valid, 5);
        CU_ASSERT_EQUAL(info.n_feat, 3);
        CU_ASSERT_EQUAL(info.t_first, M.t[0]);
        CU_ASSERT_EQUAL(info.t_last, M.t[M.n - 1]);
        CU_ASSERT(info.seconds >= 0);
        CU_ASSERT_EQUAL(d.setup.horizon, h);
        CU_ASSERT_EQUAL(d.setup.target_kind, TARGET_RETURN);

        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        prepare_describe(&info, f);
        fclose(f);
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, "M 1461 rows"));
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, "1461 aligned rows 2015-01-01 00:00:00 .. 2018-12-31"));
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, "3 features"));
        free(buf);
        task_data_free(&d);
        config_free(&c);
    }
}

static void test_targets_and_setup(void) {
    make_all();
    sweep_config c;
    task_data d;
    prepare_info info;
    /* price target, horizon 3, every setup field away from its default */
    if (load(&c, ONE "scaler = minmax\n[target]\nkind = price\nhorizon = 3\nscaler = none\n"
             "[walkforward]\nfirst_year = 2017\nlast_year = 2018\nrolling_years = 1\n"
             "val_frac = 0.1\nval_months = 2\nembargo = 30\nmin_train = 7\n", M.path)) return;
    if (prep(&c, &d, &info)) { config_free(&c); return; }
    check_y(&d, M.c, 3, 1);
    const task_setup *u = &d.setup;
    CU_ASSERT_EQUAL(u->target_kind, TARGET_PRICE);
    CU_ASSERT_EQUAL(u->horizon, 3);
    CU_ASSERT_EQUAL(u->target_scaler, SCALE_NONE);
    CU_ASSERT_EQUAL(u->feat_scaler, SCALE_MINMAX);
    CU_ASSERT_EQUAL(u->folds.horizon, 3);
    CU_ASSERT_EQUAL(u->folds.embargo, 30);
    CU_ASSERT_EQUAL(u->folds.rolling_years, 1);
    CU_ASSERT_EQUAL(u->folds.val_frac, 0.1);
    CU_ASSERT_EQUAL(u->folds.val_months, 2);
    CU_ASSERT_EQUAL(u->folds.first_id, 2017);
    CU_ASSERT_EQUAL(u->folds.last_id, 2018);
    CU_ASSERT_EQUAL(u->folds.min_train, 7);
    /* prepare_fold_opts: the same options with the lookback asked for */
    fold_opts o = prepare_fold_opts(&c, 17);
    CU_ASSERT_EQUAL(o.lookback, 17);
    CU_ASSERT_EQUAL(o.horizon, 3);
    CU_ASSERT_EQUAL(o.embargo, 30);
    CU_ASSERT_EQUAL(o.rolling_years, 1);
    CU_ASSERT_EQUAL(o.val_frac, 0.1);
    CU_ASSERT_EQUAL(o.val_months, 2);
    CU_ASSERT_EQUAL(o.first_id, 2017);
    CU_ASSERT_EQUAL(o.last_id, 2018);
    CU_ASSERT_EQUAL(o.min_train, 7);
    task_data_free(&d);
    config_free(&c);

    /* trend3: y holds the forward log return (classes are cut per fold) */
    if (load(&c, ONE "scaler = none\n[target]\nkind = trend3\nhorizon = 2\ntrend3_fit = fixed\n"
             "trend3_theta = 0.003\nscaler = minmax\n", M.path)) return;
    if (prep(&c, &d, &info)) { config_free(&c); return; }
    check_y(&d, M.c, 2, 0);
    CU_ASSERT_EQUAL(d.setup.target_kind, TARGET_TREND3);
    CU_ASSERT_EQUAL(d.setup.horizon, 2);
    CU_ASSERT_EQUAL(d.setup.trend3_fit, 0);
    CU_ASSERT_EQUAL(d.setup.trend3_theta, 0.003);
    CU_ASSERT_EQUAL(d.setup.target_scaler, SCALE_MINMAX);
    CU_ASSERT_EQUAL(d.setup.feat_scaler, SCALE_NONE);
    CU_ASSERT_EQUAL(d.setup.folds.embargo, 0);              /* defaults pass through */
    CU_ASSERT_EQUAL(d.setup.folds.val_frac, 0.2);
    task_data_free(&d);
    config_free(&c);
}

/* ---- content hash ----------------------------------------------------------- */

static uint64_t hash_of(const sweep_config *c) {
    task_data d;
    prepare_info info;
    if (prep(c, &d, &info)) return 0;
    task_data_free(&d);
    return info.content_hash;
}

static void test_hash(void) {
    make_all();
    sweep_config a, b, m;
    if (load(&a, ONE "[target]\nhorizon = 2\n[walkforward]\nval_frac = 0.1\n", M.path)) return;
    /* the same INI, sections and keys in another order */
    if (load(&b, "[walkforward]\nval_frac = 0.1\n[target]\nhorizon = 2\n[features]\n"
             "M = close, logret, rsi:5\n[data]\nM.path = %s\ninstruments = M\n", M.path)) return;
    /* the same INI over a file with one high changed */
    if (load(&m, ONE "[target]\nhorizon = 2\n[walkforward]\nval_frac = 0.1\n", MB.path)) return;
    uint64_t ha = hash_of(&a), hb = hash_of(&b), hm = hash_of(&m);
    CU_ASSERT_NOT_EQUAL(ha, 0);
    CU_ASSERT_EQUAL(ha, hb);
    CU_ASSERT_NOT_EQUAL(ha, hm);
    config_free(&a);
    config_free(&b);
    config_free(&m);
}

/* The content hash goes into the journal head, so it must be a function of
 * the data alone.  It covers the whole block, and task_data_alloc rounds
 * each array up to 8 bytes without initialising the gap: with 1461 rows
 * (odd) y is followed by 4 unwritten bytes, as is x with 1461 x 3 floats.
 * glibc's M_PERTURB fills every malloc'd block with a chosen byte, which
 * makes whatever lands in such gaps visible as two different hashes. */
static void test_hash_heap(void) {
#ifdef __GLIBC__
    make_all();
    sweep_config c;
    if (load(&c, ONE, M.path)) return;
    mallopt(M_PERTURB, 0x11);
    uint64_t h1 = hash_of(&c);
    mallopt(M_PERTURB, 0x5a);
    uint64_t h2 = hash_of(&c);
    mallopt(M_PERTURB, 0);
    CU_ASSERT_EQUAL(h1, h2);
    if (h1 != h2) printf("\n  content_hash depends on heap garbage (block padding not written)\n");
    config_free(&c);
#else
    printf("SKIP (needs glibc's M_PERTURB) ");
#endif
}

/* ---- resampling and alignment ----------------------------------------------- */

static void test_resample(void) {
    make_all();
    /* expected daily bars from the hourly rows the file holds */
    static inst D;
    D.n = 0;
    for (int i = 0; i < H.n; i++) {
        int64_t b = H.t[i] - H.t[i] % DAY;
        if (!D.n || D.t[D.n - 1] != b) {
            int k = D.n++;
            D.t[k] = b;
            D.o[k] = H.o[i];
            D.h[k] = H.h[i];
            D.l[k] = H.l[i];
        }
        int k = D.n - 1;
        if (H.h[i] > D.h[k]) D.h[k] = H.h[i];
        if (H.l[i] < D.l[k]) D.l[k] = H.l[i];
        D.c[k] = H.c[i];
    }
    CU_ASSERT_EQUAL(D.n, 60);
    sweep_config c;
    task_data d;
    prepare_info info;
    if (load(&c, "[data]\ninstruments = H\nH.path = %s\nresample = 1d\n"
             "[features]\nall = close, range, rsi:5\n[target]\nhorizon = 2\n", H.path)) return;
    if (prep(&c, &d, &info)) { config_free(&c); return; }
    CU_ASSERT_EQUAL(info.rows_loaded[0], H.n);              /* before resampling */
    CU_ASSERT_EQUAL(info.rows, D.n);
    CU_ASSERT_EQUAL(d.bar_seconds, DAY);
    check_bars(&d, D.t, D.o, D.h, D.l, D.c, D.n);
    check_y(&d, D.c, 2, 0);
    task_data_free(&d);
    config_free(&c);
}

/* The expected aligned bars of the traded instrument X against the other Y. */
static void expect_align(const inst *X, const inst *Y, int ffill, inst *out) {
    int64_t lo = X->t[0] > Y->t[0] ? X->t[0] : Y->t[0];
    int64_t hi = X->t[X->n - 1] < Y->t[Y->n - 1] ? X->t[X->n - 1] : Y->t[Y->n - 1];
    int i = 0, j = 0;
    out->n = 0;
    while (i < X->n || j < Y->n) {
        int64_t tx = i < X->n ? X->t[i] : INT64_MAX, ty = j < Y->n ? Y->t[j] : INT64_MAX;
        int64_t ts = tx < ty ? tx : ty;
        int in_x = tx == ts, in_y = ty == ts;
        if (ts >= lo && ts <= hi && ((in_x && in_y) || ffill)) {
            int k = out->n++;
            out->t[k] = ts;
            if (in_x) {
                out->o[k] = X->o[i]; out->h[k] = X->h[i]; out->l[k] = X->l[i]; out->c[k] = X->c[i];
            } else {                                 /* flat at X's previous close */
                out->o[k] = out->h[k] = out->l[k] = out->c[k] = X->c[i - 1];
            }
        }
        i += in_x;
        j += in_y;
    }
}

static void check_aligned(const char *first, const inst *X, const char *second, const inst *Y,
                          int ffill) {
    static inst A;
    expect_align(X, Y, ffill, &A);
    sweep_config c;
    task_data d;
    prepare_info info;
    if (load(&c, "[data]\ninstruments = %s, %s\n%s.path = %s\n%s.path = %s\nalign = %s\n"
             "[features]\nall = close, logret, rsi:5\n",
             first, second, first, X->path, second, Y->path, ffill ? "ffill" : "inner")) return;
    if (prep(&c, &d, &info)) { config_free(&c); return; }
    CU_ASSERT_EQUAL(c.features.n_feat, 6);
    CU_ASSERT_EQUAL(d.n_feat, c.features.n_feat);
    CU_ASSERT_EQUAL(info.n_inst, 2);
    CU_ASSERT_STRING_EQUAL(info.name[0], first);
    CU_ASSERT_EQUAL(info.rows_loaded[0], X->n);
    CU_ASSERT_EQUAL(info.rows_loaded[1], Y->n);
    CU_ASSERT_EQUAL(info.rows, A.n);
    check_bars(&d, A.t, A.o, A.h, A.l, A.c, A.n);           /* the FIRST listed is traded */
    check_y(&d, A.c, 1, 0);
    /* x: column 0 is the first instrument's close, column 3 the second's */
    int bad = 0;
    for (int k = 0, j = 0; k < A.n; k++) {
        while (j < Y->n && Y->t[j] < A.t[k]) j++;
        bad += d.x[(size_t)k * 6] != (float)A.c[k];
        if (j < Y->n && Y->t[j] == A.t[k]) bad += d.x[(size_t)k * 6 + 3] != (float)Y->c[j];
    }
    CU_ASSERT_EQUAL(bad, 0);
    task_data_free(&d);
    config_free(&c);
}

static void test_align_inner(void) {
    make_all();
    static inst A;
    expect_align(&B, &C, 0, &A);
    /* the case is not trivial: B and C each lack days the other has */
    CU_ASSERT(A.n < B.n && A.n < C.n);
    check_aligned("B", &B, "C", &C, 0);
    check_aligned("C", &C, "B", &B, 0);
}

static void test_align_ffill(void) {
    make_all();
    static inst A;
    expect_align(&B, &C, 1, &A);
    /* the union inside B's span: more rows than either B or the part of C
     * inside that span (C's first and last 10 days lie outside it) */
    int c_in = 0;
    for (int i = 0; i < C.n; i++) c_in += C.t[i] >= B.t[0] && C.t[i] <= B.t[B.n - 1];
    CU_ASSERT(c_in < C.n);
    CU_ASSERT(A.n > B.n && A.n > c_in);
    CU_ASSERT_EQUAL(A.t[0], B.t[0]);
    CU_ASSERT_EQUAL(A.t[A.n - 1], B.t[B.n - 1]);
    check_aligned("B", &B, "C", &C, 1);
    check_aligned("C", &C, "B", &B, 1);
}

/* ---- errors ------------------------------------------------------------------- */

static void expect_fail(const sweep_config *c, const char *msg_has) {
    task_data d;
    prepare_info info;
    rs_err e;
    memset(&d, 0x5a, sizeof d);
    CU_ASSERT_EQUAL(prepare_data(c, &d, &info, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(e.status, RS_EINPUT);
    ASSERT_MSG_HAS(e, msg_has);
    CU_ASSERT_PTR_NULL(d.block);
    CU_ASSERT_PTR_NULL(d.t);
    CU_ASSERT_EQUAL(d.n, 0);
    task_data_free(&d);
}

/* ---- extra columns ---------------------------------------------------------- */

/* column:NAME reaches the loader: the instrument's file keeps exactly the
 * columns its items ask for, and x holds the file's values; a file
 * without the column is an error naming it. */
static void test_extra_columns(void) {
    char a[160], b[160];
    snprintf(a, sizeof a, "%s/sent_a.csv", g_dir);
    snprintf(b, sizeof b, "%s/sent_b.csv", g_dir);
    FILE *fa = fopen(a, "w"), *fb = fopen(b, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fa);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fb);
    fprintf(fa, "date,open,high,low,close,volume,Sentiment,other\n");
    fprintf(fb, "date,close\n");
    double sent[40];
    for (int i = 0; i < 40; i++) {
        char d[16];
        int64_t t = series_time(2015, 1, 1, 0, 0, 0) + (int64_t)i * DAY;
        int y, m, dd;
        series_civil_from_days(t / DAY, &y, &m, &dd);
        snprintf(d, sizeof d, "%04d-%02d-%02d", y, m, dd);
        sent[i] = (i % 7) * 0.25 - 0.5;
        fprintf(fa, "%s,%d,%d,%d,%d.5,%d,%.2f,x\n", d, 10 + i, 12 + i, 9 + i, 10 + i, 100 * i, sent[i]);
        fprintf(fb, "%s,%d\n", d, 20 + i);
    }
    fclose(fa);
    fclose(fb);
    sweep_config c;
    if (load(&c, "[data]\ninstruments = A, B\nA.path = %s\nB.path = %s\n[features]\n"
             "A = close, column:sentiment, open, volume, column:Sentiment\nB = close\n", a, b)) return;
    task_data d;
    prepare_info info;
    if (prep(&c, &d, &info)) { config_free(&c); return; }
    CU_ASSERT_EQUAL_FATAL(d.n, 40);
    CU_ASSERT_EQUAL_FATAL(d.n_feat, 6);
    for (int i = 0; i < 40; i++) {
        const float *x = d.x + (int64_t)i * d.n_feat;
        CU_ASSERT_EQUAL(x[0], (float)(10 + i + 0.5));
        CU_ASSERT_EQUAL(x[1], (float)sent[i]);
        CU_ASSERT_EQUAL(x[2], (float)(10 + i));
        CU_ASSERT_EQUAL(x[3], (float)(100 * i));
        CU_ASSERT_EQUAL(x[4], (float)sent[i]);
        CU_ASSERT_EQUAL(x[5], (float)(20 + i));
    }
    task_data_free(&d);
    config_free(&c);
    /* B's file has no such column: the error names B's file. */
    if (load(&c, "[data]\ninstruments = A, B\nA.path = %s\nB.path = %s\n[features]\n"
             "all = close, column:sentiment\n", a, b)) return;
    char want[256];
    snprintf(want, sizeof want, "%s:1: missing column 'sentiment' (the header has: date, close)", b);
    expect_fail(&c, want);
    config_free(&c);
}

static void test_errors(void) {
    make_all();
    sweep_config c;
    char path[160], want[200];

    snprintf(path, sizeof path, "%s/nope.csv", g_dir);
    if (load(&c, ONE, path)) return;
    expect_fail(&c, path);
    config_free(&c);

    /* the second instrument's file is missing: the first was loaded already */
    if (load(&c, "[data]\ninstruments = M, X\nM.path = %s\nX.path = %s\n", M.path, path)) return;
    expect_fail(&c, path);
    config_free(&c);

    /* a non-positive close on line 5 (line 1 is the header) */
    snprintf(path, sizeof path, "%s/bad.csv", g_dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "time,open,high,low,close\n");
    for (int i = 0; i < 40; i++)
        fprintf(f, "%lld,10,11,9,%s\n", (long long)(T2015 + i * DAY), i == 3 ? "-10.5" : "10.5");
    fclose(f);
    if (load(&c, ONE, path)) return;
    snprintf(want, sizeof want, "%s:5:", path);
    expect_fail(&c, want);
    config_free(&c);

    /* a feature the data cannot support: range needs high and low */
    snprintf(path, sizeof path, "%s/close_only.csv", g_dir);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "time,close\n");
    for (int i = 0; i < 40; i++) fprintf(f, "%lld,%d\n", (long long)(T2015 + i * DAY), 10 + i % 3);
    fclose(f);
    if (load(&c, "[data]\ninstruments = M\nM.path = %s\n[features]\nM = logret, range\n", path)) return;
    expect_fail(&c, "range");
    config_free(&c);
}

/* ---- tasks ---------------------------------------------------------------------- */

typedef struct {
    sweep_config c;
    sweep_plan   p;
    task_data    d;
    prepare_info info;
} fixture;

/* Lookbacks 5 and 400 with first_year = 0: the first window ends at row
 * first_valid + T - 1 = 9 (2015) or 404 (2016-02), so test years run
 * 2016..2018 (3 folds) and 2017..2018 (2 folds). */
#define TASKS ONE "[model]\ncell = lstm, gru\nlookback = 5, 400\nhidden = 4, 3x2\n" \
    "[training]\nepochs = 2, 3\n" \
    "[strategy]\nmarket = equity\nkind = signal, grid\nthreshold = 0, 0.001\nspacing = 1, 2\n"

static int setup(fixture *x, const char *extra) {
    memset(x, 0, sizeof *x);
    if (load(&x->c, TASKS "%s", M.path, extra)) return 1;
    rs_err e;
    int r = plan_build(&x->c, &x->p, &e);
    if (r) printf("\n  plan_build: %s\n", e.msg);
    CU_ASSERT_EQUAL(r, 0);
    if (!r) r = prep(&x->c, &x->d, &x->info);
    if (r) { plan_free(&x->p); config_free(&x->c); return 1; }
    plan_set_bar_seconds(&x->p, x->d.bar_seconds);
    return 0;
}

static void teardown(fixture *x) {
    task_data_free(&x->d);
    plan_free(&x->p);
    config_free(&x->c);
}

static int lb_index(int lookback) { return lookback == 5 ? 0 : lookback == 400 ? 1 : -1; }

/* Everything prepare_tasks returns, checked against folds_build for each
 * lookback; empty = 1 when every fold is expected to be FOLD_EMPTY. */
static void check_tasks(fixture *x, int empty) {
    static const int LB[2] = { 5, 400 };
    fold *ref[2] = { NULL, NULL };
    int nref[2] = { 0, 0 };
    rs_err e;
    for (int j = 0; j < 2; j++) {
        fold_opts o = prepare_fold_opts(&x->c, LB[j]);
        CU_ASSERT_EQUAL_FATAL(folds_build(x->d.t, x->d.n, x->d.first_valid, &o, &ref[j], &nref[j], &e), 0);
    }
    CU_ASSERT_EQUAL(nref[0], 3);
    CU_ASSERT_EQUAL(nref[1], 2);
    CU_ASSERT_EQUAL(ref[0][0].id, 2016);
    CU_ASSERT_EQUAL(ref[1][0].id, 2017);

    plan_task *t = NULL;
    results_fold *rf = NULL;
    int nt = -1, nf = -1;
    int r = prepare_tasks(&x->c, &x->p, &x->d, &t, &nt, &rf, &nf, &e);
    if (r) printf("\n  prepare_tasks: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(r, 0);

    /* n_tasks = sum over models of the folds of its lookback */
    int want = 0;
    for (int i = 0; i < x->p.n_models; i++) want += nref[lb_index(x->p.models[i].lookback)];
    CU_ASSERT_EQUAL(x->p.n_models, 2 * 2 * 2 * 2);
    CU_ASSERT_EQUAL(nt, want);

    /* folds: (lookback, year) ascending, each row folds_build's */
    CU_ASSERT_EQUAL_FATAL(nf, nref[0] + nref[1]);
    for (int k = 0; k < nf; k++) {
        int j = k < nref[0] ? 0 : 1;
        const fold *F = &ref[j][j ? k - nref[0] : k];
        const results_fold *R = &rf[k];
        CU_ASSERT_EQUAL(R->lookback, LB[j]);
        CU_ASSERT_EQUAL(R->fold_id, F->id);
        CU_ASSERT_EQUAL(R->status, F->status);
        CU_ASSERT_EQUAL(R->status, empty ? FOLD_EMPTY : R->status);
        CU_ASSERT_EQUAL(R->n_train, fold_count(F->train_lo, F->train_hi));
        CU_ASSERT_EQUAL(R->n_val, fold_count(F->val_lo, F->val_hi));
        CU_ASSERT_EQUAL(R->n_test, fold_count(F->test_lo, F->test_hi));
        CU_ASSERT_EQUAL(R->test_first, R->n_test ? x->d.t[F->test_lo] : 0);
        CU_ASSERT_EQUAL(R->test_last, R->n_test ? x->d.t[F->test_hi] : 0);
        CU_ASSERT_EQUAL(R->train_first, R->n_train ? x->d.t[F->train_lo] : 0);
        CU_ASSERT_EQUAL(R->train_last, R->n_train ? x->d.t[F->train_hi] : 0);
        if (k) CU_ASSERT(R->lookback > rf[k - 1].lookback ||
                         (R->lookback == rf[k - 1].lookback && R->fold_id > rf[k - 1].fold_id));
    }

    /* tasks: keys, costs, each (model, year) exactly once, the order */
    static int seen[64][4];
    memset(seen, 0, sizeof seen);
    int bad_key = 0, bad_cost = 0, bad_order = 0, bad_fold = 0, ok_cost = 0;
    for (int k = 0; k < nt; k++) {
        const plan_task *T = &t[k];
        CU_ASSERT_FATAL(T->model >= 0 && T->model < x->p.n_models);
        const plan_model *m = &x->p.models[T->model];
        int j = lb_index(m->lookback);
        bad_key += T->key != plan_task_key(m, T->fold_id);
        int f = T->fold_id - ref[j][0].id;
        CU_ASSERT_FATAL(f >= 0 && f < nref[j]);
        seen[T->model][f]++;
        const fold *F = &ref[j][f];
        double cost = F->status == FOLD_OK
            ? plan_task_cost_fold(&x->p, m, fold_count(F->train_lo, F->train_hi), fold_count(F->val_lo, F->val_hi),
                                  fold_count(F->test_lo, F->test_hi)) : 0;
        bad_cost += T->cost != cost;
        ok_cost += T->cost > 0;
        /* plan.h: fold is an index into the caller's folds, here *folds */
        bad_fold += T->fold < 0 || T->fold >= nf || rf[T->fold].lookback != m->lookback ||
                    rf[T->fold].fold_id != T->fold_id;
        if (k) {
            const plan_task *P = &t[k - 1];
            bad_order += P->cost < T->cost || (P->cost == T->cost && P->key > T->key);
        }
    }
    CU_ASSERT_EQUAL(bad_key, 0);
    CU_ASSERT_EQUAL(bad_cost, 0);
    CU_ASSERT_EQUAL(bad_order, 0);
    CU_ASSERT_EQUAL(bad_fold, 0);
    if (bad_fold) printf("\n  %d tasks whose .fold does not index their row of *folds\n", bad_fold);
    if (empty) CU_ASSERT_EQUAL(ok_cost, 0);
    if (!empty) CU_ASSERT(ok_cost > 0);
    int bad_seen = 0;
    for (int i = 0; i < x->p.n_models; i++)
        for (int f = 0; f < nref[lb_index(x->p.models[i].lookback)]; f++) bad_seen += seen[i][f] != 1;
    CU_ASSERT_EQUAL(bad_seen, 0);

    free(t);
    free(rf);
    free(ref[0]);
    free(ref[1]);
}

static void test_tasks(void) {
    make_all();
    fixture x;
    if (setup(&x, "")) return;
    check_tasks(&x, 0);
    teardown(&x);
}

static void test_tasks_empty_folds(void) {
    make_all();
    fixture x;
    if (setup(&x, "[walkforward]\nmin_train = 100000000\n")) return;
    check_tasks(&x, 1);
    teardown(&x);
}

static void test_tasks_error(void) {
    make_all();
    sweep_config c;
    sweep_plan p;
    task_data d;
    prepare_info info;
    rs_err e;
    /* lookback 2000 on 1461 rows: no window at all */
    if (load(&c, ONE "[model]\nlookback = 5, 2000\n", M.path)) return;
    if (plan_build(&c, &p, &e)) { CU_FAIL("plan_build"); config_free(&c); return; }
    if (prep(&c, &d, &info)) { plan_free(&p); config_free(&c); return; }
    plan_task *t = (plan_task *)&e;
    results_fold *rf = (results_fold *)&e;
    int nt = -1, nf = -1;
    CU_ASSERT_EQUAL(prepare_tasks(&c, &p, &d, &t, &nt, &rf, &nf, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, c.file);
    ASSERT_MSG_HAS(e, "lookback 2000");
    CU_ASSERT_PTR_NULL(t);
    CU_ASSERT_PTR_NULL(rf);
    CU_ASSERT_EQUAL(nt, 0);
    CU_ASSERT_EQUAL(nf, 0);

    /* rs_err may be NULL (util.h): the same failure without a report must
     * return, not crash — run in a child so a crash fails only this test */
    fflush(NULL);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        int r = prepare_tasks(&c, &p, &d, &t, &nt, &rf, &nf, NULL);
        _exit(r == RS_EINPUT && !t && !rf ? 0 : 1);
    }
    int st = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!WIFEXITED(st)) printf("\n  prepare_tasks(..., e = NULL) died with signal %d\n", WTERMSIG(st));
    task_data_free(&d);
    plan_free(&p);
    config_free(&c);
}

/* ---- task inputs and strategies -------------------------------------------------- */

#define STRAT_FIELDS(X) X(kind) X(market) X(threshold) X(long_only) X(min_prob) X(spacing) \
    X(spacing_unit) X(atr_period) X(max_levels) X(tp_spacings) X(basket_tp) X(close_on_flip) \
    X(adapt_factor) X(adapt_max) X(bar_path) X(spread) X(slippage) X(cost_unit) X(commission) \
    X(commission_unit) X(leverage) X(lot_size) X(pip_size) X(initial_balance) X(margin_call_pct) \
    X(stop_out_pct) X(size_unit) X(size) X(bars_per_year)

static int strat_diff(const bt_strategy *a, const bt_strategy *b) {
    int d = 0;
#define X(f) d += a->f != b->f;
    STRAT_FIELDS(X)
#undef X
    return d;
}

static int spec_diff(const rnn_spec *a, const rnn_spec *b) {
    int d = a->cell != b->cell || a->n_layers != b->n_layers || a->n_in != b->n_in ||
            a->head != b->head || a->n_out != b->n_out || a->seq_len != b->seq_len ||
            a->batch != b->batch || a->dropout != b->dropout ||
            a->forget_bias_one != b->forget_bias_one || a->seed != b->seed;
    for (int i = 0; i < RNN_MAX_LAYERS; i++) d += a->hidden[i] != b->hidden[i];
    return d;
}

static int opts_diff(const rnn_train_opts *a, const rnn_train_opts *b) {
    return a->epochs != b->epochs || a->lr != b->lr || a->beta1 != b->beta1 ||
           a->beta2 != b->beta2 || a->eps != b->eps || a->weight_decay != b->weight_decay ||
           a->clip_norm != b->clip_norm || a->patience != b->patience ||
           a->min_delta != b->min_delta || a->explode != b->explode || a->seed != b->seed ||
           a->shuffle != b->shuffle || a->verbose != b->verbose;
}

static void test_inputs_and_strategies(void) {
    make_all();
    fixture x;
    if (setup(&x, "")) return;
    rs_err e;
    bt_strategy *s = NULL;
    uint64_t *sk = NULL;
    CU_ASSERT_EQUAL_FATAL(prepare_strategies(&x.p, &s, &sk, &e), 0);
    CU_ASSERT_EQUAL(x.p.n_strategies, 2 + 2 * 2);           /* signal x threshold; grid x threshold x spacing */
    int bad = 0;
    for (int i = 0; i < x.p.n_strategies; i++) {
        bad += strat_diff(&s[i], &x.p.strategies[i].s);
        bad += sk[i] != x.p.strategies[i].key;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* plan_set_bar_seconds ran before: the copies carry the data's bars_per_year */
    CU_ASSERT_EQUAL(s[0].bars_per_year, backtest_bars_per_year(BT_EQUITY, DAY));

    plan_task *t;
    results_fold *rf;
    int nt, nf;
    CU_ASSERT_EQUAL_FATAL(prepare_tasks(&x.c, &x.p, &x.d, &t, &nt, &rf, &nf, &e), 0);
    int bad_in = 0;
    for (int k = 0; k < nt; k++) {
        task_input in;
        memset(&in, 0x5a, sizeof in);
        prepare_input(&x.p, &x.d, &t[k], s, sk, &in);
        const plan_model *m = &x.p.models[t[k].model];
        rnn_spec spec;
        rnn_train_opts opts;
        plan_task_spec(&x.p, m, t[k].key, &spec, &opts);
        bad_in += in.task_key != t[k].key || in.model_key != m->key || in.fold_id != t[k].fold_id;
        bad_in += spec_diff(&in.spec, &spec) + opts_diff(&in.opts, &opts);
        bad_in += in.n_strat != x.p.n_strategies || in.strat != s || in.strat_key != sk;
        bad_in += in.rank != 0;
        /* task_run refuses a spec whose n_in is not the data's */
        bad_in += in.spec.n_in != x.d.n_feat || in.spec.seq_len != m->lookback;
    }
    CU_ASSERT_EQUAL(bad_in, 0);
    CU_ASSERT(nt > 0);
    /* different tasks of one model get different streams */
    for (int k = 1; k < nt; k++) {
        if (t[k].model != t[0].model) continue;
        task_input a, b;
        prepare_input(&x.p, &x.d, &t[0], s, sk, &a);
        prepare_input(&x.p, &x.d, &t[k], s, sk, &b);
        CU_ASSERT_NOT_EQUAL(a.spec.seed, b.spec.seed);
        CU_ASSERT_NOT_EQUAL(a.opts.seed, b.opts.seed);
        break;
    }
    free(t);
    free(rf);
    free(s);
    free(sk);
    teardown(&x);
}

static CU_TestInfo tests[] = {
    {"one instrument: rows, bars, features, y for h = 1 and 3", test_single},
    {"price / trend3 targets; setup and fold options from the config", test_targets_and_setup},
    {"content hash: data changes it, INI order does not", test_hash},
    {"content hash does not depend on heap contents", test_hash_heap},
    {"resample 1h -> 1d", test_resample},
    {"two instruments, inner: common rows, first listed traded", test_align_inner},
    {"two instruments, ffill: union inside the common span", test_align_ffill},
    {"data errors name the file (and line); *d empty", test_errors},
    {"column:NAME items: the loader keeps those columns", test_extra_columns},
    {"tasks: folds per lookback, keys, costs, order", test_tasks},
    {"tasks on empty folds cost 0", test_tasks_empty_folds},
    {"tasks: folds the data cannot satisfy; NULL rs_err", test_tasks_error},
    {"task inputs match plan_task_spec; strategies copied", test_inputs_and_strategies},
    CU_TEST_INFO_NULL
};

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/rs_test_prepare_XXXXXX");
    if (!mkdtemp(g_dir)) return 2;
    int r = cu_run("prepare", tests);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) {}
    return r;
}
