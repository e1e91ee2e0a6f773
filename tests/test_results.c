/* test_results.c — the HDF5 results file: a byte-exact round trip of packed
 * task records, order independence, duplicates and unknown keys, NaN
 * returns for missing strategies, atomic replacement, a full disk, read
 * errors. */
#include "tests/cu.h"
#include "tests/cu_plan.h"
#include "coordinator/results.h"
#include "worker/version.h"

#include <hdf5.h>
#include <math.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n", (e).msg); } while (0)

static char g_dir[256];

/* 2 cells x 2 hidden = 4 model points; signal x 2 thresholds + grid x 2
 * thresholds = 4 strategy points. */
static const char *INI =
    "[data]\ninstruments = SPX\nSPX.path = data/none.csv\n"
    "[features]\nSPX = close, logret, rsi:14\n[target]\nkind = return\nhorizon = 1\n"
    "[model]\ncell = lstm, gru\nhidden = 8, 16x8\nlookback = 5\n"
    "[training]\nlr = 0.001\nepochs = 3\n"
    "[strategy]\nmarket = equity\nkind = signal, grid\nthreshold = 0, 0.001\nspacing = 1\n"
    "[run]\nname = rtest\n";

static const char *INI_TREND3 =
    "[data]\ninstruments = SPX\nSPX.path = data/none.csv\n"
    "[features]\nSPX = close, logret\n[target]\nkind = trend3\nhorizon = 1\n"
    "[model]\ncell = gru\nhidden = 4\nlookback = 3, 6\n"
    "[strategy]\nkind = signal, grid\nmin_prob = 0.4, 0.5\nspacing = 10, 20\n"
    "[run]\nname = t3\n";

static const int YEARS[] = { 2015, 2016, 2017 };
#define NY 3

static char *tmp_path(const char *name) {
    static char buf[8][320];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 320, "%s/%s", g_dir, name);
    return p;
}


/* ---- synthetic records ----------------------------------------------------------- */

typedef struct {
    int      status;         /* TASK_*                                         */
    int      n_test;         /* bars (OK tasks only)                           */
    int      skip;           /* strategy index left out, -1 none               */
    int      bogus_at;       /* insert a row with an unknown strategy key here */
    uint64_t variant;        /* a different version of the same task           */
    int      series;         /* TASK_SERIES_*: day bars are 6 h apart          */
} rec_opts;

static const rec_opts OK_REC = { TASK_OK, 40, -1, -1, 0, TASK_SERIES_BAR };

static double unif(rs_rng *g, double lo, double hi) { return lo + (hi - lo) * rs_rng_uniform(g); }

/* Every row and every row's returns come from their own stream, so a record
 * with a row left out or added has the same bytes for the others. */
static void fill_row(task_row *r, const task_head *h, uint64_t skey, int mi, int si, uint64_t seed) {
    rs_rng g;
    rs_rng_seed(&g, seed);
    memset(r, 0, sizeof *r);
    r->task_key = h->task_key;
    r->model_key = h->model_key;
    r->strategy_key = skey;
    r->fold_id = h->fold_id;
    r->status = h->status;
    r->model = mi;
    r->strategy = si;
    r->epochs_run = h->epochs_run;
    r->best_epoch = h->best_epoch;
    r->n_train = 1000 + (int)rs_rng_below(&g, 100);
    r->n_val = 150;
    r->n_test = h->n_test;
    double *d = &r->train_loss;              /* train_loss .. bh_max_dd_pct */
    int nd = (int)((offsetof(task_row, trading) - offsetof(task_row, train_loss)) / sizeof(double));
    for (int k = 0; k < nd; k++) d[k] = unif(&g, -1, 1);
    r->accuracy = r->macro_f1 = r->log_loss = NAN;    /* regression: class fields NaN */
    if (h->status != TASK_OK) return;
    mt_trading *t = &r->trading;
    t->initial_equity = 30000;
    t->final_equity = unif(&g, 20000, 40000);
    t->roi_pct = 100 * (t->final_equity / 30000 - 1);
    t->max_dd_pct = unif(&g, 0, 30);
    t->sharpe = unif(&g, -2, 3);
    t->sortino = unif(&g, -2, 4);
    t->bars_per_year = 252;
    t->n_returns = h->n_test - 1;
    t->n_trades = (int)rs_rng_below(&g, 50);
    t->n_wins = t->n_trades / 2;
    t->hit_rate_pct = unif(&g, 0, 100);
    t->costs_paid = unif(&g, 0, 100);
    t->stopout_bar = -1;
    t->flags = (unsigned)rs_rng_below(&g, 64);
}

static void make_record(task_buf *b, const sweep_plan *p, int mi, int year, rec_opts o) {
    uint64_t base = rs_hash2(plan_task_key(&p->models[mi], year), o.variant);
    rs_rng g;
    rs_rng_seed(&g, base);
    task_head h;
    memset(&h, 0, sizeof h);
    h.task_key = plan_task_key(&p->models[mi], year);
    h.model_key = p->models[mi].key;
    h.fold_id = year;
    h.status = o.status;
    h.n_out = p->n_out;
    h.n_test = o.status == TASK_OK ? o.n_test : 0;
    h.epochs_run = 1 + (int)rs_rng_below(&g, 10);
    h.best_epoch = 1 + (int)rs_rng_below(&g, (uint32_t)h.epochs_run);
    h.rank = 1 + (int)rs_rng_below(&g, 4);
    h.steps = 100 + rs_rng_below(&g, 1000);
    h.sec_train = unif(&g, 1, 10);
    h.sec_predict = unif(&g, 0, 1);
    h.sec_backtest = unif(&g, 0, 1);
    h.sec_total = h.sec_train + h.sec_predict + h.sec_backtest;
    snprintf(h.host, sizeof h.host, "node%d", h.rank);   /* runtime: /tasks round-trips them */
    snprintf(h.blas, sizeof h.blas, "%s", h.rank % 2 ? "Haswell" : "SkylakeX");
    if (o.status != TASK_OK) snprintf(h.message, sizeof h.message, "model %d, %d: synthetic %s", mi, year,
                                      task_status_name(o.status));
    int S = p->n_strategies, nt = h.n_test, no = p->n_out;
    task_row *rows = calloc((size_t)S + 1, sizeof *rows);
    float *ret = calloc(((size_t)S + 1) * (size_t)(nt ? nt : 1), sizeof *ret);
    int64_t *t = calloc((size_t)(nt ? nt : 1), sizeof *t);
    double *y = calloc((size_t)(nt ? nt : 1), sizeof *y);
    double *pred = calloc((size_t)(nt ? nt : 1) * (size_t)no, sizeof *pred);
    float *bh = calloc((size_t)(nt ? nt : 1), sizeof *bh);
    int n = 0;
    for (int j = 0; j <= S; j++) {
        int bogus = j == S;                      /* the extra row, when asked for */
        if (bogus && o.bogus_at < 0) break;
        if (!bogus && j == o.skip) continue;
        uint64_t skey = bogus ? 0xdeadbeefULL : p->strategies[j].key;
        task_row row;
        fill_row(&row, &h, skey, mi, bogus ? -1 : j, rs_hash2(base, 100 + (uint64_t)j));
        rs_rng gr;
        rs_rng_seed(&gr, rs_hash2(base, 1000 + (uint64_t)j));
        float rr[512];
        for (int k = 0; k < nt; k++) rr[k] = k ? (float)unif(&gr, -0.02, 0.02) : 0.0f;
        int at = n;
        if (bogus && o.bogus_at < n) {           /* insert at bogus_at: shift the rest */
            at = o.bogus_at;
            memmove(rows + at + 1, rows + at, (size_t)(n - at) * sizeof *rows);
            memmove(ret + (size_t)(at + 1) * (size_t)nt, ret + (size_t)at * (size_t)nt,
                    (size_t)(n - at) * (size_t)nt * sizeof *ret);
        }
        rows[at] = row;
        if (nt) memcpy(ret + (size_t)at * (size_t)nt, rr, (size_t)nt * sizeof *ret);
        n++;
    }
    h.n_strat = n;
    for (int k = 0; k < nt; k++) {
        t[k] = series_time(year, 1, 2, 21, 0, 0) + (int64_t)k * (o.series == TASK_SERIES_BAR ? 86400 : 21600);
        y[k] = unif(&g, -0.03, 0.03);
        for (int c = 0; c < no; c++) pred[k * no + c] = unif(&g, -0.01, 0.01);
        bh[k] = k ? (float)unif(&g, -0.02, 0.02) : 0.0f;
    }
    /* trend3: the class after each correction point, as task_run packs it */
    int8_t *corr = NULL;
    if (no == 3 && nt) {
        h.n_corr = p->n_corrections;
        corr = malloc((size_t)h.n_corr * (size_t)nt);
        for (int c = 0; c < h.n_corr; c++)
            for (int k = 0; k < nt; k++) corr[(size_t)c * nt + k] = (int8_t)rs_rng_below(&g, 3);
        for (int j = 0; j < n; j++)
            rows[j].correction = rows[j].strategy >= 0 ? p->strategies[rows[j].strategy].correction : 0;
    }
    rs_err e;
    if (o.series == TASK_SERIES_BAR || !nt) {
        CU_ASSERT_EQUAL(task_pack(b, &h, rows, t, y, pred, ret, bh, corr, &e), 0);
    } else {
        /* the same bars' series as points: days of 6-hour bars, or none */
        int32_t *pe = calloc((size_t)nt, sizeof *pe), *trd = calloc((size_t)n * (size_t)nt + 1, sizeof *trd);
        h.series = o.series;
        h.n_pts = task_series_points(o.series, t, nt, pe);
        for (int j = 0; j < n; j++)
            for (int k = 0; k < h.n_pts; k++) {
                ret[(size_t)j * h.n_pts + k] = (float)unif(&g, -0.05, 0.05);
                trd[(size_t)j * h.n_pts + k] = (int32_t)rs_rng_below(&g, 9);
            }
        const task_points pts = { ret, bh, pe, trd };
        CU_ASSERT_EQUAL(task_pack_points(b, &h, rows, t, y, pred, &pts, corr, NULL, &e), 0);
        free(pe);
        free(trd);
    }
    free(rows); free(ret); free(t); free(y); free(pred); free(bh); free(corr);
}

/* All model points x years in plan order; two tasks not OK; series at
 * g_series (-1: mixed, by task). */
static int g_series = TASK_SERIES_BAR;

static int make_all(const sweep_plan *p, task_buf *b) {
    int n = 0;
    for (int mi = 0; mi < p->n_models; mi++)
        for (int k = 0; k < NY; k++) {
            rec_opts o = OK_REC;
            o.series = g_series >= 0 ? g_series : (mi + k) % 3;
            if (mi == 1 && k == 1) o.status = TASK_DIVERGED;
            if (mi == p->n_models - 1 && k == 2) o.status = TASK_EMPTY;
            o.n_test = 30 + 7 * k + mi;
            make_record(&b[n++], p, mi, YEARS[k], o);
        }
    return n;
}

static void free_bufs(task_buf *b, int n) { for (int i = 0; i < n; i++) task_buf_free(&b[i]); }

static results_fold g_folds[NY + 1];
static const results_meta g_meta = { "2024-01-02T03:04:05Z", 3, 2, "OpenBLAS 0.3.21 test", "node1,node2", "",
                                     3 * NY + 3, 86400, "0123456789abcdef0123456789abcdef01234567-dirty", "4242",
                                     "4240", "2" };

static void make_folds(void) {
    memset(g_folds, 0, sizeof g_folds);
    for (int k = 0; k < NY; k++) {
        results_fold *f = &g_folds[k];
        f->lookback = 5;
        f->fold_id = YEARS[k];
        f->status = FOLD_OK;
        f->n_train = 3000 + 252 * k;
        f->n_val = 500;
        f->n_test = 252;
        f->train_first = series_time(2000, 1, 10, 21, 0, 0);
        f->train_last = series_time(YEARS[k] - 1, 12, 20, 21, 0, 0);
        f->test_first = series_time(YEARS[k], 1, 3, 21, 0, 0);
        f->test_last = series_time(YEARS[k], 12, 30, 21, 0, 0);
    }
    g_folds[NY] = (results_fold){ .lookback = 5, .fold_id = 2018, .status = FOLD_EMPTY, .n_train = 3900,
                                  .train_first = series_time(2000, 1, 10, 21, 0, 0),
                                  .train_last = series_time(2017, 12, 20, 21, 0, 0) };
}

static int g_expect_fail;      /* a test that wants results_write to fail */

/* results_write from packed buffers; returns its status. */
static int write_bufs(const char *path, const sweep_config *c, const sweep_plan *p, task_buf *b, int n,
                      rs_err *e) {
    task_view *v = calloc((size_t)(n ? n : 1), sizeof *v);
    for (int i = 0; i < n; i++) CU_ASSERT_EQUAL(task_view_parse(b[i].p, b[i].len, &v[i], e), 0);
    make_folds();
    int r = results_write(path, c, p, g_folds, NY + 1, v, n, &g_meta, e);
    if (r && !g_expect_fail) printf("\n  results_write: %s\n", e->msg);
    free(v);
    return r;
}

static int same_buf(const task_buf *a, const task_buf *b) {
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* A dataset's bytes as stored (memory type = file type: no conversion). */
static unsigned char *dset_raw(const char *path, const char *name, size_t *len) {
    *len = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return NULL;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    unsigned char *buf = NULL;
    if (d >= 0) {
        hid_t t = H5Dget_type(d), s = H5Dget_space(d);
        size_t n = (size_t)H5Sget_simple_extent_npoints(s) * H5Tget_size(t);
        buf = calloc(n ? n : 1, 1);
        if (n && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) { free(buf); buf = NULL; }
        else *len = n;
        H5Sclose(s);
        H5Tclose(t);
        H5Dclose(d);
    }
    H5Fclose(f);
    return buf;
}

static const char *DATASETS[] = { "/results", "/plan/models", "/plan/strategies", "/plan/folds",
                                  "/series/index", "/series/t", "/series/y", "/series/pred",
                                  "/series/returns", "/series/bh", "/tasks" };
#define N_DATASETS 11

/* Byte equality of a dataset in two files. */
static int same_dataset(const char *a, const char *b, const char *name) {
    size_t na, nb;
    unsigned char *x = dset_raw(a, name, &na), *y = dset_raw(b, name, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static const task_buf *find_task(const results_file *r, uint64_t key) {
    for (int i = 0; i < r->n_tasks; i++)
        if (((const task_head *)r->tasks[i].p)->task_key == key) return &r->tasks[i];
    return NULL;
}

static uint64_t key_of(const task_buf *b) { return ((const task_head *)b->p)->task_key; }

/* ---- tests --------------------------------------------------------------------------- */

static void check_round_trip(const char *ini, const char *file) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(ini, &c, &p)) return;
    task_buf b[64] = { 0 };
    int n = make_all(&p, b);
    const char *path = tmp_path(file);
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(write_bufs(path, &c, &p, b, n, &e), 0);
    char tmpname[340];
    snprintf(tmpname, sizeof tmpname, "%s.tmp", path);
    CU_ASSERT_NOT_EQUAL(access(tmpname, F_OK), 0);          /* renamed away */

    results_file r;
    CU_ASSERT_EQUAL_FATAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.schema, RESULTS_SCHEMA);
    CU_ASSERT_STRING_EQUAL(r.program, "rnnsweep " RS_VERSION);
    CU_ASSERT_STRING_EQUAL(r.name, c.run.name);
    CU_ASSERT_STRING_EQUAL(r.ini_text, c.ini_text);
    CU_ASSERT_EQUAL(r.sweep_hash, plan_sweep_hash(&p));
    CU_ASSERT_EQUAL(r.data_hash, p.data_hash);
    CU_ASSERT_STRING_EQUAL(r.created, g_meta.created);
    CU_ASSERT_EQUAL(strlen(r.updated), 20);
    CU_ASSERT_EQUAL(r.ranks, 3);
    CU_ASSERT_EQUAL(r.threads, 2);
    CU_ASSERT_STRING_EQUAL(r.blas, g_meta.blas);
    CU_ASSERT_STRING_EQUAL(r.hosts, "node1,node2");
    CU_ASSERT_STRING_EQUAL(r.shard, "");
    CU_ASSERT_STRING_EQUAL(r.git_commit, g_meta.git_commit);   /* provenance */
    CU_ASSERT_STRING_EQUAL(r.slurm_job_id, "4242");
    CU_ASSERT_STRING_EQUAL(r.slurm_array_job_id, "4240");
    CU_ASSERT_STRING_EQUAL(r.slurm_array_task_id, "2");
    CU_ASSERT_EQUAL(r.bar_seconds, 86400);
    CU_ASSERT_EQUAL(r.tasks_planned, g_meta.tasks_planned);
    CU_ASSERT_EQUAL(r.tasks_done, n);
    CU_ASSERT_EQUAL(r.tasks_failed, 2);
    CU_ASSERT_EQUAL(r.complete, n >= g_meta.tasks_planned);
    /* the records come back byte for byte, in (model, year) order */
    CU_ASSERT_EQUAL_FATAL(r.n_tasks, n);
    for (int i = 0; i < n; i++) {
        task_view v;
        CU_ASSERT_EQUAL(task_view_parse(r.tasks[i].p, r.tasks[i].len, &v, &e), 0);
        CU_ASSERT(same_buf(&r.tasks[i], &b[i]));
    }
    /* every record's rows, in (model, year, strategy) order */
    CU_ASSERT_EQUAL(r.n_rows, n * p.n_strategies);
    for (int i = 1; i < r.n_rows; i++) {
        const task_row *a = &r.rows[i - 1], *z = &r.rows[i];
        CU_ASSERT(a->model < z->model || (a->model == z->model && (a->fold_id < z->fold_id ||
                  (a->fold_id == z->fold_id && a->strategy < z->strategy))));
    }
    CU_ASSERT_EQUAL_FATAL(r.n_folds, NY + 1);
    CU_ASSERT_EQUAL(memcmp(r.folds, g_folds, sizeof g_folds), 0);
    results_file_free(&r);
    CU_ASSERT_PTR_NULL(r.rows);
    results_file_free(NULL);
    free_bufs(b, n);
    plan_free(&p);
    config_free(&c);
}

static void test_round_trip(void) { check_round_trip(INI, "rt.h5"); }

static void test_round_trip_trend3(void) {
    check_round_trip(INI_TREND3, "rt3.h5");
    /* pred keeps the three class columns */
    size_t len;
    unsigned char *pred = dset_raw(tmp_path("rt3.h5"), "/series/pred", &len);
    CU_ASSERT_PTR_NOT_NULL(pred);
    CU_ASSERT(len > 0 && len % (3 * sizeof(double)) == 0);
    free(pred);
}

/* The /series attribute resolution of a file (results_read's series_res). */
static void series_attr(const char *path, char *buf, size_t n) {
    buf[0] = 0;
    results_file r;
    rs_err e;
    if (results_read(path, &r, &e)) { printf("\n  %s\n", e.msg); return; }
    snprintf(buf, n, "%s", r.series_res);
    results_file_free(&r);
}

/* Daily and mixed series (task.h, "Series resolution"): records come back
 * byte for byte, the resolution is stated, and the point datasets have the
 * points' rows, not the bars'. */
static void test_round_trip_series(void) {
    char res[32];
    g_series = TASK_SERIES_DAY;
    check_round_trip(INI, "rtday.h5");
    series_attr(tmp_path("rtday.h5"), res, sizeof res);
    CU_ASSERT_STRING_EQUAL(res, "day");
    size_t lr, lt, lp, lpe, ltr;
    unsigned char *r = dset_raw(tmp_path("rtday.h5"), "/series/returns", &lr);
    unsigned char *t = dset_raw(tmp_path("rtday.h5"), "/series/t", &lt);
    unsigned char *pt = dset_raw(tmp_path("rtday.h5"), "/series/bh", &lp);
    unsigned char *pe = dset_raw(tmp_path("rtday.h5"), "/series/point_end", &lpe);
    unsigned char *tr = dset_raw(tmp_path("rtday.h5"), "/series/trades", &ltr);
    /* 6-hour bars from 21:00: 4 a day after the first (1 bar), so points ~ bars / 4 */
    CU_ASSERT(lt > 0 && lp > 0 && lp * 2 / sizeof(float) < lt / sizeof(int64_t));
    CU_ASSERT_EQUAL(lpe, lp);
    CU_ASSERT_EQUAL(ltr, lr);
    free(r); free(t); free(pt); free(pe); free(tr);
    g_series = -1;
    check_round_trip(INI, "rtmix.h5");
    series_attr(tmp_path("rtmix.h5"), res, sizeof res);
    CU_ASSERT_STRING_EQUAL(res, "mixed");
    g_series = TASK_SERIES_BAR;
    check_round_trip(INI, "rtbar.h5");
    series_attr(tmp_path("rtbar.h5"), res, sizeof res);
    CU_ASSERT_STRING_EQUAL(res, "bar");
    pe = dset_raw(tmp_path("rtbar.h5"), "/series/point_end", &lpe);
    CU_ASSERT_EQUAL(lpe, 0);                     /* per-bar only: no point_end rows */
    free(pe);
}

/* A schema-4 file (tests/fixtures/schema4.h5, written by the program of
 * before series resolutions: 2 tasks x 4 strategies of the sweep_lib tiny
 * config) still reads: every series per bar, the records parse, and each
 * row's returns are its /series/returns column. */
static void test_schema4_file(void) {
    const char *path = "tests/fixtures/schema4.h5";
    results_file r;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.schema, 4);
    CU_ASSERT_STRING_EQUAL(r.series_res, "bar");
    CU_ASSERT_EQUAL(r.data_content_hash, 0);
    CU_ASSERT_EQUAL_FATAL(r.n_tasks, 2);
    size_t len;
    float *ret = (float *)dset_raw(path, "/series/returns", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ret);
    size_t off = 0, S = 4, bad = 0;
    for (int i = 0; i < r.n_tasks; i++) {
        task_view v;
        CU_ASSERT_EQUAL_FATAL(task_view_parse(r.tasks[i].p, r.tasks[i].len, &v, &e), 0);
        CU_ASSERT_EQUAL(v.h->series, TASK_SERIES_BAR);
        CU_ASSERT_EQUAL(v.h->n_pts, v.h->n_test);
        CU_ASSERT_PTR_NULL(v.pt_end);
        CU_ASSERT(v.h->n_test > 300);
        for (int j = 0; j < v.h->n_strat; j++)
            for (int k = 0; k < v.h->n_test; k++)
                bad += memcmp(&v.ret[(size_t)j * v.h->n_test + k], &ret[(off + (size_t)k) * S + (size_t)v.rows[j].strategy],
                              sizeof(float)) != 0;
        off += (size_t)v.h->n_test;
    }
    CU_ASSERT_EQUAL(len, off * S * sizeof(float));
    CU_ASSERT_EQUAL(bad, 0);
    free(ret);
    results_file_free(&r);
}

static void test_order_independence(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    task_buf a[16] = { 0 }, b[16] = { 0 };
    int n = make_all(&p, a);
    make_all(&p, b);
    /* the second run: another order, other ranks and timings */
    rs_rng g;
    rs_rng_seed(&g, 42);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rs_rng_below(&g, (uint32_t)i + 1);
        task_buf t = b[i]; b[i] = b[j]; b[j] = t;
    }
    for (int i = 0; i < n; i++) {
        task_head *h = (task_head *)b[i].p;
        h->rank += 7;
        h->sec_train *= 3;
        h->sec_total += 1;
    }
    CU_ASSERT(key_of(&b[0]) != key_of(&a[0]) || key_of(&b[1]) != key_of(&a[1]));
    const char *pa = tmp_path("order_a.h5"), *pb = tmp_path("order_b.h5");
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(write_bufs(pa, &c, &p, a, n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(write_bufs(pb, &c, &p, b, n, &e), 0);
    /* every dataset but /tasks (the runtime facts) is identical, bit for bit */
    for (int k = 0; k < N_DATASETS; k++) {
        int same = same_dataset(pa, pb, DATASETS[k]);
        if (!strcmp(DATASETS[k], "/tasks")) {
            CU_ASSERT(!same);
        } else {
            CU_ASSERT(same);
            if (!same) printf("\n  %s differs\n", DATASETS[k]);
        }
    }
    results_file ra, rb;
    CU_ASSERT_EQUAL_FATAL(results_read(pa, &ra, &e), 0);
    CU_ASSERT_EQUAL_FATAL(results_read(pb, &rb, &e), 0);
    CU_ASSERT_EQUAL_FATAL(ra.n_rows, rb.n_rows);
    CU_ASSERT_EQUAL(memcmp(ra.rows, rb.rows, (size_t)ra.n_rows * sizeof *ra.rows), 0);
    CU_ASSERT_EQUAL_FATAL(ra.n_tasks, rb.n_tasks);
    for (int i = 0; i < ra.n_tasks; i++) {
        CU_ASSERT(same_buf(&ra.tasks[i], &a[i]));
        /* b's records come back in plan order, equal but for the runtime fields */
        CU_ASSERT_EQUAL_FATAL(ra.tasks[i].len, rb.tasks[i].len);
        task_head *h = (task_head *)rb.tasks[i].p;
        h->rank -= 7;
        h->sec_train /= 3;
        h->sec_total -= 1;
        const task_head *ha = (const task_head *)ra.tasks[i].p;
        CU_ASSERT_EQUAL(h->task_key, ha->task_key);
        CU_ASSERT_EQUAL(h->rank, ha->rank);
        CU_ASSERT_EQUAL(memcmp(ra.tasks[i].p + sizeof(task_head), rb.tasks[i].p + sizeof(task_head),
                               ra.tasks[i].len - sizeof(task_head)), 0);
    }
    results_file_free(&ra);
    results_file_free(&rb);
    free_bufs(a, n);
    free_bufs(b, n);
    plan_free(&p);
    config_free(&c);
}

static void test_later_duplicate_wins(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    task_buf b[16] = { 0 };
    int n = make_all(&p, b);
    /* a retried task: first it failed, later it finished (and the reverse) */
    rec_opts failed = OK_REC, again = OK_REC;
    failed.status = TASK_FAILED;
    again.variant = 7;
    task_buf v1 = { 0 }, v2 = { 0 };
    make_record(&v1, &p, 2, YEARS[1], failed);
    make_record(&v2, &p, 2, YEARS[1], again);
    task_buf w[20] = { 0 };
    int m = 0;
    w[m++] = v1;
    for (int i = 0; i < n; i++) w[m++] = b[i];       /* b has its own version too */
    w[m++] = v2;
    const char *path = tmp_path("dup.h5");
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(write_bufs(path, &c, &p, w, m, &e), 0);
    results_file r;
    CU_ASSERT_EQUAL_FATAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.n_tasks, n);
    CU_ASSERT_EQUAL(r.tasks_done, n);
    const task_buf *got = find_task(&r, key_of(&v2));
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT(same_buf(got, &v2));
    CU_ASSERT_EQUAL(r.tasks_failed, 2);
    results_file_free(&r);

    /* the failed version last: it wins, and it counts as failed */
    w[0] = v2;
    w[m - 1] = v1;
    CU_ASSERT_EQUAL_FATAL(write_bufs(path, &c, &p, w, m, &e), 0);
    CU_ASSERT_EQUAL_FATAL(results_read(path, &r, &e), 0);
    got = find_task(&r, key_of(&v1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT(same_buf(got, &v1));
    CU_ASSERT_EQUAL(r.tasks_failed, 3);
    results_file_free(&r);
    task_buf_free(&v1);
    task_buf_free(&v2);
    free_bufs(b, n);
    plan_free(&p);
    config_free(&c);
}

static void test_unknown_keys_dropped(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    task_buf b[16] = { 0 };
    int n = make_all(&p, b);
    /* a record of a model the plan does not have */
    task_buf alien = { 0 };
    make_record(&alien, &p, 0, 2099, OK_REC);
    ((task_head *)alien.p)->model_key ^= 0x5555;
    /* a record with one row of an unknown strategy, in the middle */
    rec_opts bog = OK_REC;
    bog.bogus_at = 1;
    bog.n_test = 30;                                   /* as make_all made b[0] */
    task_buf extra = { 0 };
    make_record(&extra, &p, 0, YEARS[0], bog);
    CU_ASSERT_EQUAL(((task_head *)extra.p)->n_strat, p.n_strategies + 1);
    task_buf w[20] = { 0 };
    int m = 0;
    for (int i = 1; i < n; i++) w[m++] = b[i];
    w[m++] = alien;
    w[m++] = extra;                                    /* stands for b[0] */
    const char *path = tmp_path("unknown.h5");
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(write_bufs(path, &c, &p, w, m, &e), 0);
    results_file r;
    CU_ASSERT_EQUAL_FATAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.n_tasks, n);
    CU_ASSERT_EQUAL(r.tasks_done, n);
    CU_ASSERT_PTR_NULL(find_task(&r, key_of(&alien)));
    for (int i = 0; i < r.n_rows; i++) {
        CU_ASSERT_NOT_EQUAL(r.rows[i].strategy_key, 0xdeadbeefULL);
        CU_ASSERT_NOT_EQUAL(r.rows[i].fold_id, 2099);
    }
    CU_ASSERT_EQUAL(r.n_rows, n * p.n_strategies);
    /* the record without its unknown row is exactly b[0] */
    const task_buf *got = find_task(&r, key_of(&b[0]));
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT(same_buf(got, &b[0]));
    results_file_free(&r);
    task_buf_free(&alien);
    task_buf_free(&extra);
    free_bufs(b, n);
    plan_free(&p);
    config_free(&c);
}

static void test_missing_strategy_nan(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    task_buf b[16] = { 0 };
    int n = make_all(&p, b);
    const int mi = 2, yk = 0, skip = 2, bi = mi * NY + yk;
    rec_opts o = OK_REC;
    o.skip = skip;
    o.n_test = 30 + mi;                                 /* as make_all made it */
    task_buf_free(&b[bi]);
    make_record(&b[bi], &p, mi, YEARS[yk], o);
    const char *path = tmp_path("missing.h5");
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(write_bufs(path, &c, &p, b, n, &e), 0);
    results_file r;
    CU_ASSERT_EQUAL_FATAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.n_rows, n * p.n_strategies - 1);
    int rows_of_task = 0;
    for (int i = 0; i < r.n_rows; i++)
        if (r.rows[i].task_key == key_of(&b[bi])) {
            rows_of_task++;
            CU_ASSERT_NOT_EQUAL(r.rows[i].strategy, skip);
        }
    CU_ASSERT_EQUAL(rows_of_task, p.n_strategies - 1);
    const task_buf *got = find_task(&r, key_of(&b[bi]));
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT(same_buf(got, &b[bi]));
    results_file_free(&r);

    /* /series/returns: NaN in the missing column of that task's slice, and
     * the record's returns in the others */
    size_t nix, nret;
    unsigned char *ix = dset_raw(path, "/series/index", &nix);
    float *ret = (float *)dset_raw(path, "/series/returns", &nret);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ix);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ret);
    /* index rows: task_key u64, model i32, year i32, offset i64, n i64 */
    size_t stride = 32, off = 0, cnt = 0, N = nret / sizeof(float) / (size_t)p.n_strategies;
    for (size_t k = 0; k < nix / stride; k++) {
        uint64_t key;
        int64_t o64, n64;
        memcpy(&key, ix + k * stride, 8);
        memcpy(&o64, ix + k * stride + 16, 8);
        memcpy(&n64, ix + k * stride + 24, 8);
        if (key == key_of(&b[bi])) { off = (size_t)o64; cnt = (size_t)n64; }
    }
    CU_ASSERT_EQUAL_FATAL(cnt, (size_t)o.n_test);
    CU_ASSERT_FATAL(off + cnt <= N);
    task_view v;
    CU_ASSERT_EQUAL_FATAL(task_view_parse(b[bi].p, b[bi].len, &v, &e), 0);
    int nan_ok = 1, val_ok = 1;
    for (size_t t = 0; t < cnt; t++)
        for (int s = 0; s < p.n_strategies; s++) {
            float x = ret[(off + t) * (size_t)p.n_strategies + (size_t)s];
            if (s == skip) nan_ok &= isnan(x) != 0;
            else val_ok &= x == v.ret[(size_t)(s < skip ? s : s - 1) * cnt + t];
        }
    CU_ASSERT(nan_ok);
    CU_ASSERT(val_ok);
    /* and no NaN anywhere else: every other task has every strategy */
    size_t nans = 0;
    for (size_t q = 0; q < nret / sizeof(float); q++) nans += isnan(ret[q]) != 0;
    CU_ASSERT_EQUAL(nans, cnt);
    free(ix);
    free(ret);
    free_bufs(b, n);
    plan_free(&p);
    config_free(&c);
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n ? *n : 1);
    if (fread(b, 1, *n, f) != *n) { free(b); b = NULL; }
    fclose(f);
    return b;
}

static void test_failed_write_leaves_path(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    task_buf b[16] = { 0 };
    int n = make_all(&p, b);
    rs_err e;
    /* a parent that is a regular file: nothing can be created */
    const char *plain = tmp_path("plain");
    FILE *f = fopen(plain, "w");
    fputs("not a directory\n", f);
    fclose(f);
    char bad[340];
    snprintf(bad, sizeof bad, "%s/x.h5", plain);
    g_expect_fail = 1;
    CU_ASSERT_EQUAL(write_bufs(bad, &c, &p, b, n, &e), RS_EINTERNAL);
    g_expect_fail = 0;
    CU_ASSERT_EQUAL(e.status, RS_EINTERNAL);
    ASSERT_MSG_HAS(e, bad);
    size_t len;
    unsigned char *txt = slurp(plain, &len);
    CU_ASSERT(txt && len == 16 && !memcmp(txt, "not a directory\n", 16));
    free(txt);

    /* an existing results file, and PATH.tmp blocked by a directory: the
     * write fails and PATH keeps every byte */
    const char *path = tmp_path("keep.h5");
    CU_ASSERT_EQUAL_FATAL(write_bufs(path, &c, &p, b, n - 3, &e), 0);
    size_t n0;
    unsigned char *before = slurp(path, &n0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    char tmpdir[340], inner[360];
    snprintf(tmpdir, sizeof tmpdir, "%s.tmp", path);
    snprintf(inner, sizeof inner, "%s/keep", tmpdir);
    CU_ASSERT_EQUAL_FATAL(mkdir(tmpdir, 0700), 0);
    f = fopen(inner, "w");
    fclose(f);
    g_expect_fail = 1;
    CU_ASSERT_EQUAL(write_bufs(path, &c, &p, b, n, &e), RS_EINTERNAL);
    g_expect_fail = 0;
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, "Is a directory");
    size_t n1;
    unsigned char *after = slurp(path, &n1);
    CU_ASSERT(after && n1 == n0 && !memcmp(before, after, n0));
    CU_ASSERT_EQUAL(access(inner, F_OK), 0);           /* not ours: left alone */
    results_file r;
    CU_ASSERT_EQUAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.n_tasks, n - 3);
    results_file_free(&r);
    unlink(inner);
    rmdir(tmpdir);
    /* once the way is clear the same call replaces it */
    CU_ASSERT_EQUAL(write_bufs(path, &c, &p, b, n, &e), 0);
    CU_ASSERT_EQUAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.n_tasks, n);
    results_file_free(&r);
    free(before);
    free(after);
    free_bufs(b, n);
    plan_free(&p);
    config_free(&c);
}

/* A full disk (a small tmpfs: root only, else SKIP): the write fails with
 * one line naming the path and the system's reason, PATH keeps its bytes,
 * no PATH.tmp is left, nothing of the failure stays inside HDF5 (a later
 * write in the same process works, and the process exits cleanly —
 * HDF5 1.10 used to keep a half-closed file whose cleanup at exit
 * segfaulted). */
static void test_full_disk(void) {
    if (geteuid() != 0) { printf("SKIP full disk: needs root to mount a tmpfs "); return; }
    char dir[300], cmd[700];
    snprintf(dir, sizeof dir, "%s/full", g_dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=256k tmpfs '%s' 2>/dev/null", dir);
    if (system(cmd) != 0) { printf("SKIP full disk: cannot mount a tmpfs here "); rmdir(dir); return; }
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) goto unmount;
    task_buf b[16] = { 0 };
    int n = make_all(&p, b);
    rs_err e;
    char path[340], tmpf[360], filler[360];
    snprintf(path, sizeof path, "%s/x.h5", dir);
    snprintf(tmpf, sizeof tmpf, "%s.tmp", path);
    snprintf(filler, sizeof filler, "%s/filler", dir);
    CU_ASSERT_EQUAL_FATAL(write_bufs(path, &c, &p, b, 1, &e), 0);
    size_t n0;
    unsigned char *before = slurp(path, &n0);
    /* leave 8 KiB: less than the whole file needs */
    struct statvfs vs;
    CU_ASSERT_EQUAL_FATAL(statvfs(dir, &vs), 0);
    long long fill = (long long)vs.f_bavail * (long long)vs.f_frsize - 8192;
    FILE *f = fopen(filler, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char zero[4096] = { 0 };
    for (long long k = 0; k < fill; k += (long long)sizeof zero) fwrite(zero, 1, sizeof zero, f);
    fclose(f);
    g_expect_fail = 1;
    CU_ASSERT_EQUAL(write_bufs(path, &c, &p, b, n, &e), RS_EINTERNAL);
    g_expect_fail = 0;
    ASSERT_MSG_HAS(e, path);
    ASSERT_MSG_HAS(e, strerror(ENOSPC));
    CU_ASSERT_PTR_NULL(strchr(e.msg, '\n'));
    printf("\n    %s ", e.msg);
    size_t n1;
    unsigned char *after = slurp(path, &n1);
    CU_ASSERT(after && n1 == n0 && !memcmp(before, after, n0));
    CU_ASSERT_NOT_EQUAL(access(tmpf, F_OK), 0);
    /* space back: the same process writes the whole file */
    unlink(filler);
    CU_ASSERT_EQUAL(write_bufs(path, &c, &p, b, n, &e), 0);
    results_file r;
    CU_ASSERT_EQUAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.n_tasks, n);
    results_file_free(&r);
    free(before);
    free(after);
    free_bufs(b, n);
    plan_free(&p);
    config_free(&c);
unmount:
    snprintf(cmd, sizeof cmd, "umount '%s'", dir);
    if (system(cmd)) printf("\n  could not unmount %s ", dir);
    rmdir(dir);
}

static void test_read_errors(void) {
    rs_err e;
    results_file r;
    const char *txt = tmp_path("notes.txt");
    FILE *f = fopen(txt, "w");
    fputs("date,open,high,low,close\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(results_read(txt, &r, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "not an HDF5 file");
    ASSERT_MSG_HAS(e, txt);
    CU_ASSERT_PTR_NULL(r.rows);

    CU_ASSERT_EQUAL(results_read(tmp_path("absent.h5"), &r, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "absent.h5");

    /* an HDF5 file, but not ours */
    const char *other = tmp_path("other.h5");
    hid_t h = H5Fcreate(other, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(h >= 0);
    H5Fclose(h);
    CU_ASSERT_EQUAL(results_read(other, &r, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "no schema attribute");

    /* ours, from a later schema */
    h = H5Fopen(other, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(h, "schema", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int later = RESULTS_SCHEMA + 1;
    H5Awrite(a, H5T_NATIVE_INT, &later);
    H5Aclose(a);
    H5Sclose(sp);
    H5Fclose(h);
    CU_ASSERT_EQUAL(results_read(other, &r, &e), RS_EINPUT);
    char want[64];
    snprintf(want, sizeof want, "schema %d, this program reads %d..%d", RESULTS_SCHEMA + 1, RESULTS_SCHEMA_OLDEST,
             RESULTS_SCHEMA);
    ASSERT_MSG_HAS(e, want);
}

static void test_empty_file(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    const char *path = tmp_path("empty.h5");
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(write_bufs(path, &c, &p, NULL, 0, &e), 0);
    results_file r;
    CU_ASSERT_EQUAL_FATAL(results_read(path, &r, &e), 0);
    CU_ASSERT_EQUAL(r.n_tasks, 0);
    CU_ASSERT_EQUAL(r.n_rows, 0);
    CU_ASSERT_EQUAL(r.tasks_done, 0);
    CU_ASSERT_EQUAL(r.complete, 0);
    CU_ASSERT_EQUAL(r.n_folds, NY + 1);
    results_file_free(&r);
    /* every dataset exists, empty but for the plan */
    for (int k = 0; k < N_DATASETS; k++) {
        size_t len = 1;
        unsigned char *d = dset_raw(path, DATASETS[k], &len);
        CU_ASSERT_PTR_NOT_NULL(d);
        CU_ASSERT_EQUAL(len == 0, strncmp(DATASETS[k], "/plan/", 6) != 0);
        free(d);
    }
    plan_free(&p);
    config_free(&c);
}

static void test_sweep_hash(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    uint64_t h = plan_sweep_hash(&p);
    CU_ASSERT_EQUAL(h, plan_sweep_hash(&p));
    p.strategies[1].key ^= 1;
    CU_ASSERT_NOT_EQUAL(h, plan_sweep_hash(&p));
    p.strategies[1].key ^= 1;
    p.data_hash ^= 1;
    CU_ASSERT_NOT_EQUAL(h, plan_sweep_hash(&p));
    p.data_hash ^= 1;
    /* a key moved from the end of the models to the start of the strategies */
    p.n_models--;
    CU_ASSERT_NOT_EQUAL(h, plan_sweep_hash(&p));
    p.n_models++;
    CU_ASSERT_EQUAL(h, plan_sweep_hash(&p));
    plan_free(&p);
    config_free(&c);
}

static void test_iso_time(void) {
    char buf[32];
    CU_ASSERT_STRING_EQUAL(results_iso_time(0, buf), "1970-01-01T00:00:00Z");
    CU_ASSERT_STRING_EQUAL(results_iso_time(1700000000, buf), "2023-11-14T22:13:20Z");
    CU_ASSERT_STRING_EQUAL(results_iso_time(-1, buf), "1969-12-31T23:59:59Z");
    CU_ASSERT_STRING_EQUAL(results_iso_time(951782400, buf), "2000-02-29T00:00:00Z");
}

/* A source that hands out each record through ONE scratch buffer, wiped
 * before every copy: a writer that kept a view past the next get would
 * write garbage.  fail_at >= 0: that get fails. */
typedef struct { task_buf *b; task_buf scratch; int fail_at, calls; } one_buf_src;

static int one_buf_get(void *ctx, int i, task_view *v, rs_err *e) {
    one_buf_src *s = ctx;
    s->calls++;
    if (i == s->fail_at) return rs_err_set(e, RS_EINTERNAL, "test: record %d unreadable", i);
    if (s->scratch.p) memset(s->scratch.p, 0xa5, s->scratch.cap);
    if (s->scratch.cap < s->b[i].len) {
        free(s->scratch.p);
        s->scratch.p = malloc(s->b[i].len);
        s->scratch.cap = s->b[i].len;
    }
    memcpy(s->scratch.p, s->b[i].p, s->b[i].len);
    s->scratch.len = s->b[i].len;
    return task_view_parse(s->scratch.p, s->scratch.len, v, e);
}

static void test_source(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI_TREND3, &c, &p)) return;
    task_buf a[16] = { 0 };
    int n = make_all(&p, a);
    const char *pa = tmp_path("src_views.h5"), *pb = tmp_path("src_stream.h5"), *pc = tmp_path("src_fail.h5");
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(write_bufs(pa, &c, &p, a, n, &e), 0);
    one_buf_src os = { a, { 0 }, -1, 0 };
    results_source src = { n, one_buf_get, &os };
    make_folds();
    CU_ASSERT_EQUAL_FATAL(results_write_source(pb, &c, &p, g_folds, NY + 1, &src, &g_meta, &e), 0);
    CU_ASSERT(os.calls >= 2 * n);                   /* every record fetched again to be written */
    for (int k = 0; k < N_DATASETS; k++) {
        int same = same_dataset(pa, pb, DATASETS[k]);
        CU_ASSERT(same);
        if (!same) printf("\n  %s differs\n", DATASETS[k]);
    }
    uint64_t h = 0;
    CU_ASSERT_EQUAL(results_sweep_hash(pb, &h), 0);
    CU_ASSERT_EQUAL(h, plan_sweep_hash(&p));
    CU_ASSERT_EQUAL(results_sweep_hash(tmp_path("none.h5"), &h), -1);
    /* a record that cannot be read back: the write fails with its status and
     * says which, and nothing is left under the path */
    os.fail_at = n - 2;
    CU_ASSERT_EQUAL(results_write_source(pc, &c, &p, g_folds, NY + 1, &src, &g_meta, &e), RS_EINTERNAL);
    ASSERT_MSG_HAS(e, "record");
    ASSERT_MSG_HAS(e, "unreadable");
    CU_ASSERT(access(pc, F_OK) != 0);
    free(os.scratch.p);
    free_bufs(a, n);
    plan_free(&p);
    config_free(&c);
}

static CU_TestInfo tests[] = {
    {"round trip: records back byte for byte", test_round_trip},
    {"round trip of a trend3 sweep (3 outputs)", test_round_trip_trend3},
    {"round trip of daily, mixed and per-bar series: records byte for byte, resolution stated", test_round_trip_series},
    {"a schema-4 file (tests/fixtures/schema4.h5) reads as per-bar series", test_schema4_file},
    {"input order and runtime fields change /tasks only", test_order_independence},
    {"the later of two equal task keys wins", test_later_duplicate_wins},
    {"unknown model keys and strategy rows dropped", test_unknown_keys_dropped},
    {"missing strategy: no row, NaN returns column", test_missing_strategy_nan},
    {"failed write: RS_EINTERNAL, PATH untouched", test_failed_write_leaves_path},
    {"full disk: one-line error, PATH untouched, HDF5 clean", test_full_disk},
    {"read errors: text, foreign HDF5, schema", test_read_errors},
    {"no tasks: every dataset exists, empty", test_empty_file},
    {"sweep hash: data hash, keys, list boundary", test_sweep_hash},
    {"results_iso_time", test_iso_time},
    {"results_write_source: records fetched one at a time == views; a failing source", test_source},
    CU_TEST_INFO_NULL
};

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/rs_test_results_XXXXXX");
    if (!mkdtemp(g_dir)) return 2;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   /* the tests' own HDF5 calls */
    int r = cu_run("results", tests);
    /* RNNSWEEP_KEEP_SAMPLE=FILE keeps a copy of a written file (for the
     * Python reader's checks) */
    const char *keep = getenv("RNNSWEEP_KEEP_SAMPLE");
    char cmd[700];
    if (keep && *keep) {
        snprintf(cmd, sizeof cmd, "cp '%s/rt.h5' '%s'", g_dir, keep);
        if (system(cmd)) {}
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) {}
    return r;
}
