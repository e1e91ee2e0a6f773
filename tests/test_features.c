/* test_features.c — the spec parser, every feature against a hand
 * computation, targets, scalers, and causality as a property. */
#include "tests/cu.h"
#include "worker/features.h"
#include "worker/folds.h"
#include "worker/series.h"

#include <math.h>
#include <string.h>

#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n", (e).msg); } while (0)

/* The short series of the hand computations (see each test's comments). */
#define HN 10
static const double HC[HN] = { 10, 11, 10.5, 11.5, 12, 11, 11.5, 12.5, 13, 12 };
static const double HV[HN] = { 100, 200, 150, 0, 300, 100, 100, 200, 50, 250 };

/* A daily series named `name`: close c, high/low = c +- 0.5, volume v, and
 * n_cols extra columns named "x0", "x1", ... left for the caller to fill. */
static series mk_cols(const char *name, const double *c, const double *v, int64_t n, int64_t day0,
                      int n_cols) {
    series s;
    series_alloc_cols(&s, n, n_cols, NULL);
    for (int j = 0; j < n_cols; j++) snprintf(s.col_name[j], sizeof s.col_name[j], "x%d", j);
    snprintf(s.name, sizeof s.name, "%s", name);
    for (int64_t i = 0; i < n; i++) {
        s.t[i] = (day0 + i) * 86400;
        s.close[i] = c[i];
        s.open[i] = i ? c[i - 1] : c[i];
        s.high[i] = c[i] + 0.5;
        s.low[i] = c[i] - 0.5;
        s.volume[i] = v ? v[i] : 1;
    }
    series_count_gaps(&s);
    return s;
}

static series mk(const char *name, const double *c, const double *v, int64_t n, int64_t day0) {
    return mk_cols(name, c, v, n, day0, 0);
}

/* ---- parser -------------------------------------------------------------------- */

static void test_parse(void) {
    feat_spec sp;
    rs_err e;
    memset(&sp, 0, sizeof sp);
    CU_ASSERT_EQUAL_FATAL(features_parse("close, logret,range,vol:20,sma:10,rsi:14,macd:12:26:9,"
                                         "boll:20:2,volratio:20", 0, &sp, &e), 0);
    CU_ASSERT_EQUAL(sp.n_items, 9);
    CU_ASSERT_EQUAL(sp.item[6].kind, FEAT_MACD);
    CU_ASSERT_EQUAL(sp.item[6].n[0], 12); CU_ASSERT_EQUAL(sp.item[6].n[1], 26); CU_ASSERT_EQUAL(sp.item[6].n[2], 9);
    CU_ASSERT_EQUAL(sp.item[4].n[0], 10);
    CU_ASSERT_EQUAL(sp.item[7].k, 2.0);
    /* Append for instrument 1, defaults, the triangle's own indices. */
    CU_ASSERT_EQUAL_FATAL(features_parse("RSI,macd,boll:10:2.5,triangle:2:0:1,triangle", 1, &sp, &e), 0);
    CU_ASSERT_EQUAL(sp.n_items, 14);
    CU_ASSERT_EQUAL(sp.item[9].inst[0], 1);
    CU_ASSERT_EQUAL(sp.item[9].n[0], 14);
    CU_ASSERT_EQUAL(sp.item[10].n[1], 26);
    CU_ASSERT_EQUAL(sp.item[11].k, 2.5);
    CU_ASSERT_EQUAL(sp.item[12].inst[0], 2); CU_ASSERT_EQUAL(sp.item[12].inst[2], 1);
    CU_ASSERT_EQUAL(sp.item[13].inst[0], 0); CU_ASSERT_EQUAL(sp.item[13].inst[1], 1);
    /* Raw bar values and extra columns; a column name is kept lower-cased. */
    CU_ASSERT_EQUAL_FATAL(features_parse("open, HIGH,low,volume,column:Sent_1.x-y,column:abcdefghijklmnopqrstuvw",
                                         2, &sp, &e), 0);
    CU_ASSERT_EQUAL_FATAL(sp.n_items, 20);
    const int kinds[6] = { FEAT_OPEN, FEAT_HIGH, FEAT_LOW, FEAT_VOLUME, FEAT_COLUMN, FEAT_COLUMN };
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(sp.item[14 + i].kind, kinds[i]);
        CU_ASSERT_EQUAL(sp.item[14 + i].inst[0], 2);
    }
    CU_ASSERT_STRING_EQUAL(sp.item[18].col, "sent_1.x-y");
    CU_ASSERT_STRING_EQUAL(sp.item[19].col, "abcdefghijklmnopqrstuvw");     /* 23: the longest */
    struct { const char *text, *msg; } bad[] = {
        { "close,foo", "unknown feature 'foo'" },
        { "rsi:x", "'rsi:x': period must be an integer >= 1" },
        { "rsi:0", "'rsi:0': period must be an integer >= 1" },
        { "vol:1", "'vol:1': period must be an integer >= 2" },
        { "macd:26:12:9", "'macd:26:12:9': the fast period must be below the slow one" },
        { "close:3", "'close:3': close takes 0 parameter" },
        { "sma:10:5", "'sma:10:5': sma takes 1 parameter" },
        { "close,,logret", "empty item" },
        { "", "empty item" },
        { "boll:20:-1", "'boll:20:-1': band width K must be a positive number" },
        { "rsi:", "'rsi:'" },
        { "triangle:0:x:1", "instrument index must be an integer >= 0" },
        { "column", "'column': column needs a name: column:NAME" },
        { "column:", "'column:': column needs a name: column:NAME" },
        { "close,column:a b", "'column:a b': a column name has only letters, digits, '_', '-' and '.'" },
        { "column:x:y", "'column:x:y': a column name has only letters" },
        { "column:abcdefghijklmnopqrstuvwx", "'column:abcdefghijklmnopqrstuvwx': a column name has at "
                                             "most 23 characters" },
        { "opens", "unknown feature 'opens' (expected close, open, high, low, volume," },
        { "volume:3", "'volume:3': volume takes 0 parameter" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        feat_spec s2;
        memset(&s2, 0, sizeof s2);
        rs_err_clear(&e);
        CU_ASSERT_EQUAL(features_parse(bad[i].text, 0, &s2, &e), RS_EINPUT);
        ASSERT_MSG_HAS(e, bad[i].msg);
    }
}

/* ---- features by hand -------------------------------------------------------- */

static void check_col(const feat_matrix *m, int col, const double *want, const char *name) {
    CU_ASSERT_STRING_EQUAL(m->names[col], name);
    for (int t = 0; t < HN; t++) {
        float v = m->x[t * m->n_feat + col];
        if (isnan(want[t])) { CU_ASSERT(isnan(v)); continue; }
        CU_ASSERT(fabs(v - want[t]) <= 2e-7 * fmax(1.0, fabs(want[t])));
        if (!(fabs(v - want[t]) <= 2e-7 * fmax(1.0, fabs(want[t]))))
            printf("\n  %s row %d: %.9g, want %.9g", name, t, v, want[t]);
    }
}

static void test_features_by_hand(void) {
    series s = mk("X", HC, HV, HN, 17000);
    feat_spec sp;
    memset(&sp, 0, sizeof sp);
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(features_parse("close,logret,range,vol:3,sma:3,rsi:3,macd:2:4:3,boll:3:2,"
                                         "volratio:3", 0, &sp, &e), 0);
    feat_matrix m;
    CU_ASSERT_EQUAL_FATAL(features_compute(&s, 1, &sp, &m, &e), 0);
    CU_ASSERT_EQUAL_FATAL(m.n_feat, 11);
    CU_ASSERT_EQUAL(m.n_rows, HN);
    const double N = NAN;
    check_col(&m, 0, HC, "X.close");
    /* logret: log(11/10) = 0.0953101798 ... */
    const double lr[HN] = { N, 0.0953101798, -0.0465200156, 0.0909717782, 0.0425596144, -0.087011377,
                            0.0444517626, 0.0833816089, 0.0392207132, -0.0800427077 };
    check_col(&m, 1, lr, "X.logret");
    /* range: log((c+0.5)/(c-0.5)); row 0: log(10.5/9.5). */
    const double rg[HN] = { 0.100083459, 0.0909717782, 0.0953101798, 0.087011377, 0.0833816089,
                            0.0909717782, 0.087011377, 0.0800427077, 0.0769610411, 0.0833816089 };
    check_col(&m, 2, rg, "X.range");
    /* vol:3 at row 3: sample std of the logrets of rows 1..3. */
    const double vo[HN] = { N, N, N, 0.0806624855, 0.0697410824, 0.0920238945, 0.0753600017,
                            0.0892859262, 0.0241284118, 0.0845393947 };
    check_col(&m, 3, vo, "X.vol3");
    /* sma:3 at row 2: 10.5 / mean(10, 11, 10.5) - 1 = 0; row 3: 11.5/11 - 1. */
    const double sm[HN] = { N, N, 0, 0.0454545455, 0.0588235294, -0.0434782609, 0, 0.0714285714,
                            0.0540540541, -0.04 };
    check_col(&m, 4, sm, "X.sma3");
    /* rsi:3 at row 3: changes +1, -0.5, +1: avg gain 2/3, avg loss 1/6, RS 4, RSI 80;
     * row 4 (+0.5): gain (2/3*2 + 0.5)/3, loss (1/6*2)/3, RS 5.5, RSI 84.615. */
    const double rs[HN] = { N, N, N, 80, 84.6153846, 50, 61.7391304, 77.5510204, 82.8627069, 48.4624146 };
    check_col(&m, 5, rs, "X.rsi3");
    /* macd:2:4:3: EMA2 seeded mean(10, 11) at row 1, EMA4 seeded mean(10..11.5) = 10.75 at
     * row 3; line row 3 = (EMA2 = 11.1666..) - 10.75 = 0.41666; signal EMA3 of line seeded at row 5. */
    const double ml[HN] = { N, N, N, 0.416666667, 0.472222222, 0.0907407407, 0.123580247,
                            0.363860082, 0.448220027, 0.0789000091 };
    const double ms[HN] = { N, N, N, N, N, 0.32654321, 0.225061728, 0.294460905, 0.371340466, 0.225120238 };
    const double mh[HN] = { N, N, N, N, N, -0.235802469, -0.101481481, 0.069399177, 0.076879561,
                            -0.146220229 };
    check_col(&m, 6, ml, "X.macd2_4_3");
    check_col(&m, 7, ms, "X.macd2_4_3.signal");
    check_col(&m, 8, mh, "X.macd2_4_3.hist");
    /* boll:3:2 at row 2: the close equals the mean: 0.5. */
    const double bo[HN] = { N, N, 0.5, 0.806186218, 0.767261242, 0.193813782, 0.5, 0.834076552,
                            0.767261242, 0.193813782 };
    check_col(&m, 9, bo, "X.boll3_2");
    /* volratio:3 at row 4: 300 / mean(150, 0, 300) = 2. */
    const double vr[HN] = { N, N, 1, 0, 2, 0.75, 0.6, 1.5, 0.428571429, 1.5 };
    check_col(&m, 10, vr, "X.volratio3");
    const int64_t warm[11] = { 0, 1, 0, 3, 2, 3, 3, 5, 5, 2, 2 };
    for (int j = 0; j < 11; j++) CU_ASSERT_EQUAL(m.warmup[j], warm[j]);
    CU_ASSERT_EQUAL(m.first_valid, 5);
    features_free(&m);
    series_free(&s);
}

/* open/high/low/volume are the bar's own values, column:NAME the kept
 * column's: warm-up 0, names "X.open", "X.column.sent". */
static void test_raw_and_columns_by_hand(void) {
    series s = mk_cols("X", HC, HV, HN, 17000, 2);
    strcpy(s.col_name[0], "Sent");                /* matched case-insensitively */
    const double SENT[HN] = { 0.5, -1, 0, 2.25, -0.125, 3, 1e-3, -7, 0.75, 4 };
    for (int i = 0; i < HN; i++) { s.col[i] = SENT[i]; s.col[HN + i] = 100 + i; }
    feat_spec sp;
    memset(&sp, 0, sizeof sp);
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(features_parse("open,high,low,volume,column:sent,column:X1", 0, &sp, &e), 0);
    feat_matrix m;
    CU_ASSERT_EQUAL_FATAL(features_compute(&s, 1, &sp, &m, &e), 0);
    CU_ASSERT_EQUAL_FATAL(m.n_feat, 6);
    double op[HN], hi[HN], lo[HN], x1[HN];
    for (int t = 0; t < HN; t++) {
        op[t] = t ? HC[t - 1] : HC[0];            /* mk: open = previous close */
        hi[t] = HC[t] + 0.5;
        lo[t] = HC[t] - 0.5;
        x1[t] = 100 + t;
    }
    check_col(&m, 0, op, "X.open");
    check_col(&m, 1, hi, "X.high");
    check_col(&m, 2, lo, "X.low");
    check_col(&m, 3, HV, "X.volume");
    check_col(&m, 4, SENT, "X.column.sent");
    check_col(&m, 5, x1, "X.column.x1");
    for (int j = 0; j < 6; j++) CU_ASSERT_EQUAL(m.warmup[j], 0);
    CU_ASSERT_EQUAL(m.first_valid, 0);
    features_free(&m);
    /* A column the series did not keep: its name and what the series has. */
    memset(&sp, 0, sizeof sp);
    features_parse("column:mood", 0, &sp, &e);
    CU_ASSERT_EQUAL(features_compute(&s, 1, &sp, &m, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "features: column:mood needs the column 'mood' of X, and X keeps only: Sent, x1");
    CU_ASSERT_PTR_NULL(m.x);
    series t0 = mk("Y", HC, HV, HN, 17000);
    CU_ASSERT_EQUAL(features_compute(&t0, 1, &sp, &m, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "features: column:mood needs the column 'mood' of Y, and Y keeps none");
    /* Without OHLC or volume, like range and volratio. */
    t0.has_ohlc = 0;
    t0.has_volume = 0;
    const char *need_ohlc[3] = { "open", "high", "low" };
    for (int i = 0; i < 3; i++) {
        memset(&sp, 0, sizeof sp);
        features_parse(need_ohlc[i], 0, &sp, &e);
        CU_ASSERT_EQUAL(features_compute(&t0, 1, &sp, &m, &e), RS_EINPUT);
        char want[128];
        snprintf(want, sizeof want, "features: %s needs open, high and low columns, and Y has only closes",
                 need_ohlc[i]);
        ASSERT_MSG_HAS(e, want);
    }
    memset(&sp, 0, sizeof sp);
    features_parse("volume", 0, &sp, &e);
    CU_ASSERT_EQUAL(features_compute(&t0, 1, &sp, &m, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "features: volume needs a volume column, and Y has none");
    series_free(&t0);
    series_free(&s);
}

/* The canonical text behind the data hash: today's items unchanged, the new
 * ones "open@SPX", "column:sentiment@SPX"; snprintf-like truncation. */
static void test_item_canon(void) {
    feat_spec sp;
    memset(&sp, 0, sizeof sp);
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(features_parse("close,logret,range,vol,sma:10,rsi,macd,boll:20:2.5,volratio:5,"
                                         "open,high,low,volume,column:Sentiment", 0, &sp, &e), 0);
    features_parse("triangle:0:2:1", 0, &sp, &e);
    const char *names[3] = { "SPX", "GBPUSD", "EURGBP" };
    const char *want[] = { "close@SPX", "logret@SPX", "range@SPX", "vol:20@SPX", "sma:10@SPX",
                           "rsi:14@SPX", "macd:12:26:9@SPX", "boll:20:2.5@SPX", "volratio:5@SPX",
                           "open@SPX", "high@SPX", "low@SPX", "volume@SPX", "column:sentiment@SPX",
                           "triangle@SPX:EURGBP:GBPUSD" };
    CU_ASSERT_EQUAL_FATAL(sp.n_items, (int)(sizeof want / sizeof *want));
    for (int i = 0; i < sp.n_items; i++) {
        char buf[128];
        size_t n = features_item_canon(&sp.item[i], names, 3, buf, sizeof buf);
        CU_ASSERT_STRING_EQUAL(buf, want[i]);
        CU_ASSERT_EQUAL(n, strlen(want[i]));
        CU_ASSERT_EQUAL(features_item_canon(&sp.item[i], names, 3, NULL, 0), strlen(want[i]));
    }
    char small[8];
    CU_ASSERT_EQUAL(features_item_canon(&sp.item[6], names, 3, small, sizeof small), strlen("macd:12:26:9@SPX"));
    CU_ASSERT_STRING_EQUAL(small, "macd:12");
    CU_ASSERT_EQUAL(features_item_canon(&sp.item[0], names, 0, small, sizeof small), strlen("close@?"));
    CU_ASSERT_STRING_EQUAL(small, "close@?");
    CU_ASSERT_EQUAL(features_item_cols(&sp.item[6]), 3);
    CU_ASSERT_EQUAL(features_item_cols(&sp.item[13]), 1);
}

static void test_triangle_and_errors(void) {
    /* EURUSD = EURGBP * GBPUSD * (1 + d): the residual is log(1 + d). */
    double a[4], b[4] = { 0.85, 0.86, 0.87, 0.88 }, c[4] = { 1.25, 1.24, 1.26, 1.3 };
    const double d[4] = { 0, 1e-4, -2e-4, 0 };
    for (int i = 0; i < 4; i++) a[i] = b[i] * c[i] * (1 + d[i]);
    series s[3] = { mk("EURUSD", a, NULL, 4, 0), mk("EURGBP", b, NULL, 4, 0), mk("GBPUSD", c, NULL, 4, 0) };
    feat_spec sp;
    memset(&sp, 0, sizeof sp);
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(features_parse("triangle", 0, &sp, &e), 0);
    feat_matrix m;
    CU_ASSERT_EQUAL_FATAL(features_compute(s, 3, &sp, &m, &e), 0);
    CU_ASSERT_STRING_EQUAL(m.names[0], "triangle.EURUSD_EURGBP_GBPUSD");
    for (int i = 0; i < 4; i++) CU_ASSERT_CLOSE(m.x[i], log1p(d[i]), 1e-9);
    CU_ASSERT_EQUAL(m.first_valid, 0);
    features_free(&m);
    /* Errors: an index past the instruments, unaligned series, no high/low, no volume. */
    memset(&sp, 0, sizeof sp);
    features_parse("triangle:0:1:3", 0, &sp, &e);
    CU_ASSERT_EQUAL(features_compute(s, 3, &sp, &m, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "refers to instrument 3 of 3");
    CU_ASSERT_PTR_NULL(m.x);
    s[1].t[2] += 1;
    memset(&sp, 0, sizeof sp);
    features_parse("close", 0, &sp, &e);
    CU_ASSERT_EQUAL(features_compute(s, 3, &sp, &m, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "EURUSD and EURGBP are not aligned");
    s[0].has_ohlc = 0;
    s[0].has_volume = 0;
    memset(&sp, 0, sizeof sp);
    features_parse("range", 0, &sp, &e);
    CU_ASSERT_EQUAL(features_compute(s, 1, &sp, &m, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "range needs high and low");
    memset(&sp, 0, sizeof sp);
    features_parse("volratio:2", 0, &sp, &e);
    CU_ASSERT_EQUAL(features_compute(s, 1, &sp, &m, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "volratio needs a volume column");
    s[0].close[1] = 0;
    s[0].has_ohlc = 1;
    memset(&sp, 0, sizeof sp);
    features_parse("logret", 0, &sp, &e);
    CU_ASSERT_EQUAL(features_compute(s, 1, &sp, &m, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "non-positive or NaN price at bar 1 (1970-01-02 00:00:00)");
    for (int i = 0; i < 3; i++) series_free(&s[i]);
}

/* ---- targets -------------------------------------------------------------------- */

static void test_targets(void) {
    series s = mk("X", HC, HV, HN, 0);
    float y[HN];
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(targets_compute(&s, TARGET_RETURN, 2, 1, y, &e), 0);
    CU_ASSERT(isnan(y[0]));                                   /* before first_valid */
    CU_ASSERT_CLOSE(y[1], log(11.5 / 11), 1e-7);              /* c[3] / c[1] */
    CU_ASSERT_CLOSE(y[7], log(12.0 / 12.5), 1e-7);            /* c[9] / c[7] */
    CU_ASSERT(isnan(y[8]) && isnan(y[9]));                    /* the last h rows */
    CU_ASSERT_EQUAL_FATAL(targets_compute(&s, TARGET_PRICE, 1, 0, y, &e), 0);
    for (int t = 0; t < HN - 1; t++) CU_ASSERT_EQUAL(y[t], (float)HC[t + 1]);
    CU_ASSERT(isnan(y[HN - 1]));
    CU_ASSERT_EQUAL(targets_compute(&s, TARGET_RETURN, 0, 0, y, &e), RS_EINPUT);
    int k;
    CU_ASSERT_EQUAL(targets_parse("Trend3", &k, &e), 0);
    CU_ASSERT_EQUAL(k, TARGET_TREND3);
    CU_ASSERT_EQUAL(targets_parse("trend", &k, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "target 'trend' unknown");
    series_free(&s);
}

static void test_trend3(void) {
    /* Training labels 1..9 (shuffled): 1/3 and 2/3 quantiles by linear
     * interpolation are 1 + 8/3 = 3.667 and 1 + 16/3 = 6.333. */
    float fwd[12] = { 5, 9, 1, 7, 3, 8, 2, 6, 4, /* val */ 5, /* test */ 7, NAN };
    fold f = { .id = 2000, .status = FOLD_OK, .train_lo = 0, .train_hi = 8, .val_lo = 9,
               .val_hi = 9, .test_lo = 10, .test_hi = 11 };
    float y[12];
    trend3_info info;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(targets_trend3(fwd, 12, &f, 1, 0, y, &info, &e), 0);
    CU_ASSERT_CLOSE(info.lo, 11.0 / 3, 1e-12);
    CU_ASSERT_CLOSE(info.hi, 19.0 / 3, 1e-12);
    const float want[11] = { 1, 2, 0, 2, 0, 2, 0, 1, 1, 1, 2 };
    for (int i = 0; i < 11; i++) CU_ASSERT_EQUAL(y[i], want[i]);
    CU_ASSERT(isnan(y[11]));
    for (int c = 0; c < 3; c++) CU_ASSERT_EQUAL(info.count[0][c], 3);   /* balanced on training */
    CU_ASSERT_EQUAL(info.count[1][TREND3_RANGE], 1);
    CU_ASSERT_EQUAL(info.count[2][TREND3_LONG], 1);
    CU_ASSERT_EQUAL(info.count[2][TREND3_SHORT] + info.count[2][TREND3_RANGE], 0);
    /* Fitting reads the training labels only: changing val/test labels moves nothing. */
    fwd[9] = -100; fwd[10] = 100;
    trend3_info info2;
    targets_trend3(fwd, 12, &f, 1, 0, y, &info2, &e);
    CU_ASSERT(info2.lo == info.lo && info2.hi == info.hi);
    /* Fixed threshold: |r| <= 4 is RANGE. */
    CU_ASSERT_EQUAL_FATAL(targets_trend3(fwd, 12, &f, 0, 4, y, &info, &e), 0);
    CU_ASSERT_EQUAL(info.lo, -4); CU_ASSERT_EQUAL(info.hi, 4);
    CU_ASSERT_EQUAL(y[0], TREND3_LONG); CU_ASSERT_EQUAL(y[8], TREND3_RANGE); CU_ASSERT_EQUAL(y[9], TREND3_SHORT);
    CU_ASSERT_EQUAL(info.count[0][TREND3_RANGE], 4);
    CU_ASSERT_EQUAL(info.count[0][TREND3_LONG], 5);
    f.status = FOLD_EMPTY;
    CU_ASSERT_EQUAL(targets_trend3(fwd, 12, &f, 1, 0, y, &info, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(targets_trend3(fwd, 12, &f, 0, -1, y, &info, &e), RS_EINPUT);
}

/* ---- scalers ------------------------------------------------------------------ */

static void test_scalers(void) {
    /* Two columns, rows 0..4; fit on rows 1..3 only. */
    float x[10] = { 1, 7, 2, 7, 3, 7, 4, 7, 5, 7 }, o[10];
    scaler s;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(scaler_fit(&s, SCALE_MINMAX, x, 2, 1, 3, &e), 0);
    CU_ASSERT_EQUAL(s.off[0], 2); CU_ASSERT_EQUAL(s.div[0], 2);
    CU_ASSERT_EQUAL(s.off[1], 7); CU_ASSERT_EQUAL(s.div[1], 1);          /* constant column */
    scaler_apply(&s, x, o, 5);
    const float mm[5] = { -0.5f, 0, 0.5f, 1, 1.5f };                    /* val/test may leave [0,1] */
    for (int r = 0; r < 5; r++) { CU_ASSERT_EQUAL(o[2 * r], mm[r]); CU_ASSERT_EQUAL(o[2 * r + 1], 0); }
    CU_ASSERT_EQUAL(scaler_inverse(&s, 0, 1.5), 5);
    CU_ASSERT_EQUAL_FATAL(scaler_fit(&s, SCALE_ZSCORE, x, 2, 1, 3, &e), 0);
    CU_ASSERT_CLOSE(s.off[0], 3, 1e-15);
    CU_ASSERT_CLOSE(s.div[0], sqrt(2.0 / 3), 1e-15);                    /* population std */
    scaler_apply(&s, x, x, 5);                                          /* in place */
    CU_ASSERT_CLOSE(x[8], 2 / sqrt(2.0 / 3), 1e-6);
    CU_ASSERT_CLOSE(scaler_inverse(&s, 0, scaler_forward(&s, 0, 4.25)), 4.25, 1e-12);
    float bad[3] = { 1, NAN, 2 };
    CU_ASSERT_EQUAL(scaler_fit(&s, SCALE_ZSCORE, bad, 1, 0, 2, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "column 1 has a NaN or infinite value at row 1");
    CU_ASSERT_EQUAL(scaler_fit(&s, SCALE_ZSCORE, bad, 1, 2, 1, &e), RS_EINPUT);
    int k;
    CU_ASSERT_EQUAL(scaler_parse("zscore", &k, &e), 0);
    CU_ASSERT_EQUAL(k, SCALE_ZSCORE);
    CU_ASSERT_EQUAL(scaler_parse("robust", &k, &e), RS_EINPUT);
}

/* ---- causality ---------------------------------------------------------------- */

#define CN 3000
#define FULL_SPEC "close,logret,range,vol:20,sma:10,rsi:14,macd:12:26:9,boll:20:2,volratio:20," \
                  "open,high,low,volume,column:x0"

/* Three random-walk instruments, daily from 2010-01-01, each with one extra
 * column "x0" (a random score of either sign). */
static void make_walks(series s[3]) {
    static double c[3][CN], v[CN];
    rs_rng r;
    rs_rng_seed(&r, 2024);
    for (int k = 0; k < 3; k++) {
        double p = 1.0 + 0.3 * k;
        for (int i = 0; i < CN; i++) {
            p *= exp(0.01 * rs_rng_normal(&r));
            c[k][i] = p;
        }
    }
    for (int i = 0; i < CN; i++) v[i] = 1000 + rs_rng_below(&r, 500);
    const char *nm[3] = { "A", "B", "C" };
    for (int k = 0; k < 3; k++) {
        s[k] = mk_cols(nm[k], c[k], v, CN, series_days_from_civil(2010, 1, 1), 1);
        for (int i = 0; i < CN; i++) s[k].col[i] = rs_rng_normal(&r);
    }
}

static series truncate_copy(const series *s, int64_t n) {
    series o;
    series_alloc_cols(&o, n, s->n_cols, NULL);
    memcpy(o.name, s->name, sizeof o.name);
    memcpy(o.col_name, s->col_name, sizeof o.col_name);
    memcpy(o.t, s->t, (size_t)n * sizeof *o.t);
    const double *src[5] = { s->open, s->high, s->low, s->close, s->volume };
    double *dst[5] = { o.open, o.high, o.low, o.close, o.volume };
    for (int j = 0; j < 5; j++) memcpy(dst[j], src[j], (size_t)n * sizeof(double));
    for (int j = 0; j < s->n_cols; j++) memcpy(o.col + j * n, s->col + j * s->n, (size_t)n * sizeof(double));
    return o;
}

static void build_spec(feat_spec *sp) {
    memset(sp, 0, sizeof *sp);
    features_parse(FULL_SPEC, 0, sp, NULL);
    features_parse("logret,rsi:5,macd:3:7:4,column:x0", 1, sp, NULL);
    features_parse("triangle:0:1:2", 0, sp, NULL);
}

static void test_causality_features(void) {
    series s[3];
    make_walks(s);
    feat_spec sp;
    build_spec(&sp);
    feat_matrix full;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(features_compute(s, 3, &sp, &full, &e), 0);
    float *yfull = malloc(CN * sizeof *yfull), *ytr = malloc(CN * sizeof *ytr);
    const int h = 5;
    targets_compute(&s[0], TARGET_RETURN, h, full.first_valid, yfull, &e);
    rs_rng r;
    rs_rng_seed(&r, 99);
    for (int rep = 0; rep < 8; rep++) {
        int64_t t = rep == 0 ? 40 : (int64_t)rs_rng_below(&r, CN - 1);   /* one inside the warm-up */
        series tr[3];
        for (int k = 0; k < 3; k++) tr[k] = truncate_copy(&s[k], t + 1);
        feat_matrix m;
        CU_ASSERT_EQUAL_FATAL(features_compute(tr, 3, &sp, &m, &e), 0);
        CU_ASSERT_EQUAL(m.n_feat, full.n_feat);
        /* Every value at bars <= t: the same bits (NaN included). */
        CU_ASSERT(memcmp(m.x, full.x, (size_t)(t + 1) * (size_t)m.n_feat * sizeof(float)) == 0);
        CU_ASSERT(memcmp(m.warmup, full.warmup, sizeof m.warmup) == 0);
        /* A label y[e] needs bars <= e + h: the same for e <= t - h. */
        targets_compute(&tr[0], TARGET_RETURN, h, m.first_valid, ytr, &e);
        CU_ASSERT(memcmp(ytr, yfull, (size_t)(t + 1 > h ? t + 1 - h : 0) * sizeof(float)) == 0);
        features_free(&m);
        for (int k = 0; k < 3; k++) series_free(&tr[k]);
    }
    /* The comparison has power: moving every price after bar t by 1% leaves
     * rows <= t alone but changes row t+1 in every column past its warm-up
     * (so a feature reading bar t+1 at row t would have been caught). */
    {
        const int64_t t = 2000;
        series pt[3];
        for (int k = 0; k < 3; k++) {
            pt[k] = truncate_copy(&s[k], CN);
            for (int64_t i = t + 1; i < CN; i++) {
                double f = 1.01 + 0.01 * k;
                pt[k].open[i] *= f; pt[k].high[i] *= f * 1.002; pt[k].low[i] *= f; pt[k].close[i] *= f;
                pt[k].volume[i] *= 2;
                pt[k].col[i] += 1;
            }
        }
        feat_matrix m;
        CU_ASSERT_EQUAL_FATAL(features_compute(pt, 3, &sp, &m, &e), 0);
        CU_ASSERT(memcmp(m.x, full.x, (size_t)(t + 1) * m.n_feat * sizeof(float)) == 0);
        for (int j = 0; j < m.n_feat; j++) {
            CU_ASSERT(m.x[(t + 1) * m.n_feat + j] != full.x[(t + 1) * m.n_feat + j]);
            if (m.x[(t + 1) * m.n_feat + j] == full.x[(t + 1) * m.n_feat + j])
                printf("\n  column %s did not react to bar t+1", m.names[j]);
        }
        features_free(&m);
        for (int k = 0; k < 3; k++) series_free(&pt[k]);
    }
    free(yfull); free(ytr);
    features_free(&full);
    for (int k = 0; k < 3; k++) series_free(&s[k]);
}

static void test_causality_scalers(void) {
    series s[3];
    make_walks(s);
    feat_spec sp;
    build_spec(&sp);
    feat_matrix full;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(features_compute(s, 3, &sp, &full, &e), 0);
    const int Y = series_year(s[0].t[CN - 1]);           /* the last, partial year */
    fold_opts fo = { .lookback = 30, .horizon = 5, .val_months = 3, .first_id = Y, .last_id = Y };
    fold *ff;
    int nff;
    CU_ASSERT_EQUAL_FATAL(folds_build(s[0].t, CN, full.first_valid, &fo,
                                      &ff, &nff, &e), 0);
    CU_ASSERT_EQUAL_FATAL(ff[0].status, FOLD_OK);
    scaler sc_full;
    CU_ASSERT_EQUAL_FATAL(scaler_fit(&sc_full, SCALE_ZSCORE, full.x, full.n_feat, ff[0].fit_lo,
                                     ff[0].fit_hi, &e), 0);
    float *xs_full = malloc((size_t)CN * full.n_feat * sizeof(float));
    scaler_apply(&sc_full, full.x, xs_full, CN);
    float *fwd = malloc(CN * sizeof(float)), *y_full = malloc(CN * sizeof(float)), *y = malloc(CN * sizeof(float));
    trend3_info ti_full, ti;
    targets_compute(&s[0], TARGET_RETURN, fo.horizon, full.first_valid, fwd, &e);
    CU_ASSERT_EQUAL_FATAL(targets_trend3(fwd, CN, &ff[0], 1, 0, y_full, &ti_full, &e), 0);
    /* Rows outside the fit range are never read: overwrite them (with huge
     * values and NaN) and the fitted scaler and thresholds keep their bits. */
    {
        float *xg = malloc((size_t)CN * full.n_feat * sizeof(float)), *fg = malloc(CN * sizeof(float));
        memcpy(xg, full.x, (size_t)CN * full.n_feat * sizeof(float));
        memcpy(fg, fwd, CN * sizeof(float));
        for (int64_t i = 0; i < CN; i++) {
            if (i < ff[0].fit_lo || i > ff[0].fit_hi)
                for (int j = 0; j < full.n_feat; j++) xg[i * full.n_feat + j] = (i & 1) ? 1e6f : NAN;
            if (i < ff[0].train_lo || i > ff[0].train_hi) fg[i] = NAN;   /* a read fails loudly */
        }
        scaler sg;
        CU_ASSERT_EQUAL_FATAL(scaler_fit(&sg, SCALE_ZSCORE, xg, full.n_feat, ff[0].fit_lo, ff[0].fit_hi, &e), 0);
        CU_ASSERT(memcmp(&sg, &sc_full, sizeof sg) == 0);
        CU_ASSERT_EQUAL_FATAL(scaler_fit(&sg, SCALE_MINMAX, xg, full.n_feat, ff[0].fit_lo, ff[0].fit_hi, &e), 0);
        scaler sm;
        scaler_fit(&sm, SCALE_MINMAX, full.x, full.n_feat, ff[0].fit_lo, ff[0].fit_hi, &e);
        CU_ASSERT(memcmp(&sg, &sm, sizeof sg) == 0);
        trend3_info tg;
        CU_ASSERT_EQUAL_FATAL(targets_trend3(fg, CN, &ff[0], 1, 0, y, &tg, &e), 0);
        CU_ASSERT(tg.lo == ti_full.lo && tg.hi == ti_full.hi);
        free(xg); free(fg);
    }
    rs_rng r;
    rs_rng_seed(&r, 5);
    for (int rep = 0; rep < 5; rep++) {
        /* Truncate anywhere in the test year after its first window's label. */
        int64_t lo = ff[0].test_lo + fo.horizon;
        int64_t t = lo + (int64_t)rs_rng_below(&r, (uint32_t)(CN - 1 - lo));
        series tr[3];
        for (int k = 0; k < 3; k++) tr[k] = truncate_copy(&s[k], t + 1);
        feat_matrix m;
        CU_ASSERT_EQUAL_FATAL(features_compute(tr, 3, &sp, &m, &e), 0);
        fold *f;
        int nf;
        CU_ASSERT_EQUAL_FATAL(folds_build(tr[0].t, t + 1, m.first_valid, &fo, &f, &nf, &e), 0);
        CU_ASSERT_EQUAL(f[0].status, FOLD_OK);
        CU_ASSERT(f[0].train_lo == ff[0].train_lo && f[0].train_hi == ff[0].train_hi);
        CU_ASSERT(f[0].val_lo == ff[0].val_lo && f[0].val_hi == ff[0].val_hi);
        CU_ASSERT(f[0].fit_lo == ff[0].fit_lo && f[0].fit_hi == ff[0].fit_hi);
        CU_ASSERT_EQUAL(f[0].test_lo, ff[0].test_lo);
        scaler sc;
        CU_ASSERT_EQUAL_FATAL(scaler_fit(&sc, SCALE_ZSCORE, m.x, m.n_feat, f[0].fit_lo, f[0].fit_hi, &e), 0);
        CU_ASSERT(memcmp(&sc, &sc_full, sizeof sc) == 0);
        scaler_apply(&sc, m.x, m.x, t + 1);
        CU_ASSERT(memcmp(m.x, xs_full, (size_t)(t + 1) * m.n_feat * sizeof(float)) == 0);
        targets_compute(&tr[0], TARGET_RETURN, fo.horizon, m.first_valid, fwd, &e);
        CU_ASSERT_EQUAL_FATAL(targets_trend3(fwd, t + 1, &f[0], 1, 0, y, &ti, &e), 0);
        CU_ASSERT(ti.lo == ti_full.lo && ti.hi == ti_full.hi);
        CU_ASSERT(memcmp(ti.count[0], ti_full.count[0], sizeof ti.count[0]) == 0);
        CU_ASSERT(memcmp(y, y_full, (size_t)(t + 1 - fo.horizon) * sizeof(float)) == 0);
        free(f);
        features_free(&m);
        for (int k = 0; k < 3; k++) series_free(&tr[k]);
    }
    free(xs_full); free(fwd); free(y_full); free(y); free(ff);
    features_free(&full);
    for (int k = 0; k < 3; k++) series_free(&s[k]);
}

/* ---- real data ------------------------------------------------------------------ */

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_real_triangle(void) {
    if (!cu_shared_data()) { printf("\n  SKIP triangle: ../shared/data absent "); return; }
    const char *pairs[3] = { "EURUSD", "EURGBP", "GBPUSD" };
    series s[3], a[3];
    rs_err e;
    for (int i = 0; i < 3; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/fx/histdata-m1/DAT_ASCII_%s_M1_2017.csv.gz", cu_shared_data(), pairs[i]);
        CU_ASSERT_EQUAL_FATAL(series_load(p, NULL, &s[i], &e), 0);
    }
    CU_ASSERT_EQUAL_FATAL(series_align(s, 3, SERIES_INNER, a, &e), 0);
    feat_spec sp;
    memset(&sp, 0, sizeof sp);
    features_parse("triangle", 0, &sp, &e);
    feat_matrix m;
    CU_ASSERT_EQUAL_FATAL(features_compute(a, 3, &sp, &m, &e), 0);
    CU_ASSERT_EQUAL(m.n_rows, 368633);
    float *r = malloc((size_t)m.n_rows * sizeof *r);
    for (int64_t i = 0; i < m.n_rows; i++) r[i] = fabsf(m.x[i]) * 1e4f;       /* basis points */
    qsort(r, (size_t)m.n_rows, sizeof *r, cmp_float);
    printf("\n  triangle residual: median %.2f bp, max %.1f bp ", r[m.n_rows / 2], r[m.n_rows - 1]);
    CU_ASSERT(r[m.n_rows / 2] > 0.2 && r[m.n_rows / 2] < 1.0);   /* README: 0.57 bp */
    CU_ASSERT(r[m.n_rows - 1] < 20);                              /* README: 18 bp   */
    free(r);
    features_free(&m);
    for (int i = 0; i < 3; i++) { series_free(&s[i]); series_free(&a[i]); }
}

static CU_TestInfo tests[] = {
    { "spec parser: items, defaults, errors name the token", test_parse },
    { "every feature against a hand computation", test_features_by_hand },
    { "open, high, low, volume, column:NAME by hand; errors", test_raw_and_columns_by_hand },
    { "canonical item text (the data hash's) and column counts", test_item_canon },
    { "triangle residual; compute errors", test_triangle_and_errors },
    { "targets: return, price, NaN warm-up and tail", test_targets },
    { "trend3: quantiles on training labels, counts", test_trend3 },
    { "scalers: min-max, z-score, fit rows only", test_scalers },
    { "causality: features and labels under truncation", test_causality_features },
    { "causality: folds, scalers, thresholds under truncation", test_causality_scalers },
    { "real: 2017 EURUSD/EURGBP/GBPUSD triangle residual", test_real_triangle },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("features", tests); }
