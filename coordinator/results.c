/*
 * results.c — the sweep's HDF5 results file (results.h is the contract and
 * documents the layout).
 *
 * Writing streams: the records are first reduced to the set that will be
 * written and sorted; every dataset is then created at its final length and
 * filled one task at a time through hyperslabs, so memory stays at one
 * task's rows and series whatever the size of the sweep.  Selection rules,
 * beyond the header's (unknown model keys and strategy rows dropped, the
 * later of two equal task keys wins): a record whose n_out is not the
 * plan's is dropped too (/series/pred has one width, and the plan fixes the
 * head, so such a record cannot be this plan's); a strategy that appears
 * twice in one record keeps its later row.
 *
 * Reading rebuilds each packed record from /tasks (head), /results (its
 * rows: a run of equal task_key, same order as /tasks), /series/index (its
 * slice, if any) and the returns columns named by each row's strategy
 * index; n_out is /series/pred's width.
 *
 * Type choices (what a reader other than results_read must know):
 *   - compound datasets use the native C struct layouts of this file
 *     (padding included, padding bytes written as zero so the datasets are
 *     deterministic to the bit); their members carry the struct field names;
 *   - string fields inside datasets are fixed-length, NUL-padded ASCII
 *     (h5py: bytes); root string attributes are scalar variable-length UTF-8
 *     strings (h5py: str), because the INI text and the host list have no
 *     useful bound and a variable-length attribute never hits the 64 KiB
 *     object-header limit;
 *   - integer attributes are 32-bit signed; hashes are 16-digit hex strings.
 * Every dataset is chunked with an unlimited first dimension (so an empty
 * dataset still exists, with 0 rows), deflate level 4, no timestamps.
 */
#include "coordinator/results.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "worker/series.h"
#include "worker/version.h"

#define RS_PROGRAM     "rnnsweep " RS_VERSION
#define CHUNK_ROWS     1024           /* rows per chunk, at most              */
#define CHUNK_BYTES    (512 * 1024)   /* and at most this many bytes: a chunk
                                         must fit HDF5's default 1 MiB chunk
                                         cache, or every per-task append would
                                         re-read and re-compress it           */
#define DEFLATE_LEVEL  4

/* ---- rows as stored ------------------------------------------------------ */

/* One row of /plan/models. */
typedef struct {
    int32_t  index;
    uint64_t key;
    char     cell[16];
    int32_t  layers;
    char     hidden[64];             /* "64x32", bottom layer first            */
    int32_t  lookback;
    double   dropout;
    uint64_t seed;
    int32_t  forget_bias_one;
    double   lr;
    int32_t  batch;
    int32_t  epochs;
    double   weight_decay;
    double   clip_norm;
    int32_t  patience;
    double   min_delta;
    int32_t  stride;                 /* [training] stride, max_windows         */
    int32_t  max_windows;
    int64_t  params;                 /* rnn_param_count of the task spec       */
    char     label[96];
} model_rec;

/* One row of /plan/strategies is generated from the strategy table
 * (worker/strategy.h): index, key, label, bars_per_year_auto, market, then
 * one column per field under its key, enum fields as their names.  The
 * row is a byte buffer laid out by strat_layout, not a C struct, so adding
 * a field to the table adds its column with no code here. */
#define STRAT_NAME_LEN  16           /* an enum name column                    */
#define STRAT_LABEL_LEN 96

typedef struct {
    size_t size;                     /* bytes per row                          */
    size_t index, key, label, bpy_auto, market, corr_index, lookahead;
    size_t field[BT_F_N];            /* offset of each table field's column    */
} strat_layout;

static size_t align_up(size_t o, size_t a) { return (o + a - 1) / a * a; }

static void strat_layout_make(strat_layout *L) {
    size_t o = 0;
    L->index = o;                        o += sizeof(int32_t);
    L->key = o = align_up(o, 8);         o += sizeof(uint64_t);
    L->label = o;                        o += STRAT_LABEL_LEN;
    L->bpy_auto = o = align_up(o, 4);    o += sizeof(int32_t);
    L->market = o;                       o += STRAT_NAME_LEN;
    L->corr_index = o = align_up(o, 4);  o += sizeof(int32_t);
    L->lookahead = o;                    o += sizeof(int32_t);
    for (int f = 0; f < BT_F_N; f++) {
        switch (bt_fields[f].type) {
        case BT_T_ENUM: L->field[f] = o; o += STRAT_NAME_LEN; break;
        case BT_T_REAL: L->field[f] = o = align_up(o, 8); o += sizeof(double); break;
        default:        L->field[f] = o = align_up(o, 4); o += sizeof(int32_t); break;
        }
    }
    L->size = align_up(o, 8);
}

/* One row of /plan/corrections: a distinct correction point, in the order
 * of /series/corrected's columns (strategy_corrections order). */
typedef struct {
    int32_t index;
    char    correction[STRAT_NAME_LEN];   /* "none", "motormap", ...          */
    int32_t lookahead;               /* 1: motormap_peek, a diagnostic         */
    int32_t mm_size;
    double  mm_beta, mm_sigma0;
    int32_t mm_epochs;
    int32_t first_strategy;          /* the first /plan/strategies row using it */
    char    label[STRAT_LABEL_LEN];
} corr_rec;

/* One row of /plan/folds. */
typedef struct {
    int32_t lookback;
    int32_t fold_id;                 /* folds.h id: 2017, 20173, 201708, 0     */
    char    fold[FOLD_ID_MAX];       /* its text: "2017", "2017Q3", "holdout"  */
    char    status[8];               /* "ok" | "empty"                         */
    int64_t n_train, n_val, n_test;
    char    train_first[24], train_last[24];   /* ISO 8601, "" for time 0      */
    char    test_first[24], test_last[24];
} fold_rec;

/* One row of /tasks: the head of a record, minus what other datasets say. */
typedef struct {
    uint64_t task_key;
    uint64_t model_key;
    int32_t  model;
    int32_t  fold_id;
    char     fold[FOLD_ID_MAX];      /* the fold id's text                     */
    int32_t  status;
    char     status_name[12];
    int32_t  epochs_run;
    int32_t  best_epoch;
    int64_t  steps;
    int32_t  rank;
    double   sec_train, sec_predict, sec_backtest, sec_total;
    char     message[TASK_MSG_MAX];
} tasks_rec;

/* One row of /series/index. */
typedef struct {
    uint64_t task_key;
    int32_t  model;
    int32_t  fold_id;
    int64_t  offset;                 /* first row in /series/t, y, pred, ...   */
    int64_t  n;                      /* rows                                   */
} index_rec;

/* ---- HDF5 plumbing --------------------------------------------------------- */

/* HDF5 prints its error stack to stderr by default; we report one line
 * instead, so automatic printing is off for the length of a call. */
typedef struct { H5E_auto2_t fn; void *data; } h5quiet;

static void quiet_on(h5quiet *q) {
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const h5quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->fn, q->data); }

/* The innermost error on HDF5's stack (where it was detected) says the most:
 * "unable to open file: ... error message = 'Not a directory'". */
static herr_t walk_first(unsigned n, const H5E_error2_t *err, void *data) {
    if (n == 0 && err->desc) snprintf((char *)data, 256, "%s", err->desc);
    return 0;
}

/* Error context of one read or write. */
typedef struct {
    const char *path;                /* named in every message                 */
    rs_err     *e;                   /* may be NULL                            */
    int         bad;                 /* status of the first error, 0 = none    */
} h5ctx;

/* Record an HDF5 failure, "PATH: what: HDF5's reason" (call right after the
 * failing call: the next HDF5 call clears the stack). */
static int h5fail(h5ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int h5fail(h5ctx *x, const char *fmt, ...) {
    if (x->bad) return -1;
    char d[256] = "", what[300];
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_first, d);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    rs_err_set(x->e, RS_EINTERNAL, "%s: %s%s%s", x->path, what, d[0] ? ": " : "", d);
    x->bad = RS_EINTERNAL;
    return -1;
}

/* Record any other failure, "PATH: what". */
static int xfail(h5ctx *x, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int xfail(h5ctx *x, int status, const char *fmt, ...) {
    if (x->bad) return -1;
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    rs_err_set(x->e, status, "%s: %s", x->path, what);
    x->bad = status;
    return -1;
}

static int oom(h5ctx *x) { return xfail(x, RS_EINTERNAL, "out of memory"); }

static void hclose_t(hid_t *h) { if (*h >= 0) H5Tclose(*h); *h = -1; }

static hid_t str_type(size_t n) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return -1;
    if (H5Tset_size(t, n) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0) { H5Tclose(t); return -1; }
    return t;
}

static void fixstr(char *dst, size_t n, const char *src) {
    size_t k = strnlen(src ? src : "", n - 1);
    memcpy(dst, src ? src : "", k);
    dst[k] = 0;
}

/* ---- compound types ---------------------------------------------------------- */

#define INS(T, S, f, ty) r |= H5Tinsert(T, #f, offsetof(S, f), ty)
#define D64  H5T_NATIVE_DOUBLE
#define I32  H5T_NATIVE_INT32
#define I64  H5T_NATIVE_INT64
#define U64  H5T_NATIVE_UINT64

static hid_t trading_type(void) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(mt_trading));
    if (t < 0) return -1;
    herr_t r = 0;
    INS(t, mt_trading, initial_equity, D64);
    INS(t, mt_trading, final_equity, D64);
    INS(t, mt_trading, roi_pct, D64);
    INS(t, mt_trading, max_dd_pct, D64);
    INS(t, mt_trading, cagr_pct, D64);
    INS(t, mt_trading, vol_pct, D64);
    INS(t, mt_trading, sharpe, D64);
    INS(t, mt_trading, sortino, D64);
    INS(t, mt_trading, calmar, D64);
    INS(t, mt_trading, bars_per_year, D64);
    INS(t, mt_trading, n_returns, H5T_NATIVE_INT);
    INS(t, mt_trading, n_trades, H5T_NATIVE_INT);
    INS(t, mt_trading, n_wins, H5T_NATIVE_INT);
    INS(t, mt_trading, n_losses, H5T_NATIVE_INT);
    INS(t, mt_trading, gross_profit, D64);
    INS(t, mt_trading, gross_loss, D64);
    INS(t, mt_trading, hit_rate_pct, D64);
    INS(t, mt_trading, profit_factor, D64);
    INS(t, mt_trading, avg_trade, D64);
    INS(t, mt_trading, exposure_pct, D64);
    INS(t, mt_trading, turnover, D64);
    INS(t, mt_trading, costs_paid, D64);
    INS(t, mt_trading, max_open_levels, H5T_NATIVE_INT);
    INS(t, mt_trading, n_take_profits, H5T_NATIVE_INT);
    INS(t, mt_trading, n_baskets, H5T_NATIVE_INT);
    INS(t, mt_trading, n_stopouts, H5T_NATIVE_INT);
    INS(t, mt_trading, stopout_bar, H5T_NATIVE_INT);
    INS(t, mt_trading, n_rejected, H5T_NATIVE_INT);
    INS(t, mt_trading, flags, H5T_NATIVE_UINT);
    if (r < 0) { H5Tclose(t); return -1; }
    return t;
}

/* task_row without pad_ (always 0; the padding mask zeroes it). */
static hid_t row_type(void) {
    static const hsize_t d33[2] = { 3, 3 }, d3[1] = { 3 };
    hid_t tr = trading_type();
    if (tr < 0) return -1;
    hid_t a33 = H5Tarray_create2(H5T_NATIVE_INT32, 2, d33), a3 = H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, d3);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(task_row));
    if (t < 0 || a33 < 0 || a3 < 0) {
        H5Tclose(tr);
        if (a33 >= 0) H5Tclose(a33);
        if (a3 >= 0) H5Tclose(a3);
        if (t >= 0) H5Tclose(t);
        return -1;
    }
    herr_t r = 0;
    INS(t, task_row, task_key, U64);
    INS(t, task_row, model_key, U64);
    INS(t, task_row, strategy_key, U64);
    INS(t, task_row, fold_id, I32);
    INS(t, task_row, status, I32);
    INS(t, task_row, model, I32);
    INS(t, task_row, strategy, I32);
    INS(t, task_row, epochs_run, I32);
    INS(t, task_row, best_epoch, I32);
    INS(t, task_row, n_train, I32);
    INS(t, task_row, n_val, I32);
    INS(t, task_row, n_test, I32);
    INS(t, task_row, correction, I32);
    INS(t, task_row, lookahead, I32);
    INS(t, task_row, confusion, a33);
    INS(t, task_row, class_count, a33);
    INS(t, task_row, train_loss, D64);
    INS(t, task_row, val_loss, D64);
    INS(t, task_row, test_loss, D64);
    INS(t, task_row, rmse, D64);
    INS(t, task_row, mae, D64);
    INS(t, task_row, r2, D64);
    INS(t, task_row, dir_acc, D64);
    INS(t, task_row, accuracy, D64);
    INS(t, task_row, macro_f1, D64);
    INS(t, task_row, log_loss, D64);
    INS(t, task_row, precision, a3);
    INS(t, task_row, recall, a3);
    INS(t, task_row, trend_lo, D64);
    INS(t, task_row, trend_hi, D64);
    INS(t, task_row, base_rmse, D64);
    INS(t, task_row, base_mae, D64);
    INS(t, task_row, base_r2, D64);
    INS(t, task_row, base_dir_acc, D64);
    INS(t, task_row, base_accuracy, D64);
    INS(t, task_row, base_macro_f1, D64);
    INS(t, task_row, base_log_loss, D64);
    INS(t, task_row, bh_roi_pct, D64);
    INS(t, task_row, bh_sharpe, D64);
    INS(t, task_row, bh_max_dd_pct, D64);
    INS(t, task_row, trading, tr);
    H5Tclose(tr);
    H5Tclose(a33);
    H5Tclose(a3);
    if (r < 0) { H5Tclose(t); return -1; }
    return t;
}

static hid_t model_type(void) {
    hid_t s16 = str_type(16), s64 = str_type(64), s96 = str_type(96);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(model_rec));
    herr_t r = (s16 < 0 || s64 < 0 || s96 < 0 || t < 0) ? -1 : 0;
    if (!r) {
        INS(t, model_rec, index, I32);
        INS(t, model_rec, key, U64);
        INS(t, model_rec, cell, s16);
        INS(t, model_rec, layers, I32);
        INS(t, model_rec, hidden, s64);
        INS(t, model_rec, lookback, I32);
        INS(t, model_rec, dropout, D64);
        INS(t, model_rec, seed, U64);
        INS(t, model_rec, forget_bias_one, I32);
        INS(t, model_rec, lr, D64);
        INS(t, model_rec, batch, I32);
        INS(t, model_rec, epochs, I32);
        INS(t, model_rec, weight_decay, D64);
        INS(t, model_rec, clip_norm, D64);
        INS(t, model_rec, patience, I32);
        INS(t, model_rec, min_delta, D64);
        INS(t, model_rec, stride, I32);
        INS(t, model_rec, max_windows, I32);
        INS(t, model_rec, params, I64);
        INS(t, model_rec, label, s96);
    }
    hclose_t(&s16); hclose_t(&s64); hclose_t(&s96);
    if (r < 0) { hclose_t(&t); return -1; }
    return t;
}

static hid_t strat_type(void) {
    strat_layout L;
    strat_layout_make(&L);
    hid_t sn = str_type(STRAT_NAME_LEN), sl = str_type(STRAT_LABEL_LEN);
    hid_t t = H5Tcreate(H5T_COMPOUND, L.size);
    herr_t r = (sn < 0 || sl < 0 || t < 0) ? -1 : 0;
    if (!r) {
        r |= H5Tinsert(t, "index", L.index, I32);
        r |= H5Tinsert(t, "key", L.key, U64);
        r |= H5Tinsert(t, "label", L.label, sl);
        r |= H5Tinsert(t, "bars_per_year_auto", L.bpy_auto, I32);
        r |= H5Tinsert(t, "market", L.market, sn);
        r |= H5Tinsert(t, "correction_index", L.corr_index, I32);
        r |= H5Tinsert(t, "lookahead", L.lookahead, I32);
        for (int f = 0; f < BT_F_N; f++) {
            hid_t ft = bt_fields[f].type == BT_T_ENUM ? sn : bt_fields[f].type == BT_T_REAL ? D64 : I32;
            r |= H5Tinsert(t, bt_fields[f].key, L.field[f], ft);
        }
    }
    hclose_t(&sn); hclose_t(&sl);
    if (r < 0) { hclose_t(&t); return -1; }
    return t;
}

/* Row i of /plan/strategies into buf (L.size bytes, zeroed by the caller). */
static void strat_row(const strat_layout *L, const sweep_plan *p, int i, unsigned char *buf) {
    const plan_strategy *ps = &p->strategies[i];
    int32_t idx = i, aut = ps->bars_per_year_auto;
    memcpy(buf + L->index, &idx, sizeof idx);
    memcpy(buf + L->key, &ps->key, sizeof ps->key);
    plan_strategy_label(p, i, (char *)buf + L->label, STRAT_LABEL_LEN);
    memcpy(buf + L->bpy_auto, &aut, sizeof aut);
    fixstr((char *)buf + L->market, STRAT_NAME_LEN, rs_enum_name(BT_E_MARKET, ps->s.market));
    int32_t ci = ps->correction, la = mm_kind_lookahead(ps->s.correction);
    memcpy(buf + L->corr_index, &ci, sizeof ci);
    memcpy(buf + L->lookahead, &la, sizeof la);
    for (int f = 0; f < BT_F_N; f++) {
        double v = strategy_get(&ps->s, f);
        unsigned char *q = buf + L->field[f];
        if (bt_fields[f].type == BT_T_ENUM) {
            fixstr((char *)q, STRAT_NAME_LEN, rs_enum_name(bt_fields[f].names, (int)v));
        } else if (bt_fields[f].type == BT_T_REAL) {
            memcpy(q, &v, sizeof v);
        } else {
            int32_t iv = (int32_t)v;
            memcpy(q, &iv, sizeof iv);
        }
    }
}

static hid_t corr_type(void) {
    hid_t sn = str_type(STRAT_NAME_LEN), sl = str_type(STRAT_LABEL_LEN);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(corr_rec));
    herr_t r = (sn < 0 || sl < 0 || t < 0) ? -1 : 0;
    if (!r) {
        INS(t, corr_rec, index, I32);
        INS(t, corr_rec, correction, sn);
        INS(t, corr_rec, lookahead, I32);
        INS(t, corr_rec, mm_size, I32);
        INS(t, corr_rec, mm_beta, D64);
        INS(t, corr_rec, mm_sigma0, D64);
        INS(t, corr_rec, mm_epochs, I32);
        INS(t, corr_rec, first_strategy, I32);
        INS(t, corr_rec, label, sl);
    }
    hclose_t(&sn); hclose_t(&sl);
    if (r < 0) { hclose_t(&t); return -1; }
    return t;
}

static hid_t fold_type(void) {
    hid_t s8 = str_type(8), s24 = str_type(24), sid = str_type(FOLD_ID_MAX);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(fold_rec));
    herr_t r = (s8 < 0 || s24 < 0 || sid < 0 || t < 0) ? -1 : 0;
    if (!r) {
        INS(t, fold_rec, lookback, I32);
        INS(t, fold_rec, fold_id, I32);
        INS(t, fold_rec, fold, sid);
        INS(t, fold_rec, status, s8);
        INS(t, fold_rec, n_train, I64);
        INS(t, fold_rec, n_val, I64);
        INS(t, fold_rec, n_test, I64);
        INS(t, fold_rec, train_first, s24);
        INS(t, fold_rec, train_last, s24);
        INS(t, fold_rec, test_first, s24);
        INS(t, fold_rec, test_last, s24);
    }
    hclose_t(&s8); hclose_t(&s24); hclose_t(&sid);
    if (r < 0) { hclose_t(&t); return -1; }
    return t;
}

static hid_t tasks_type(void) {
    hid_t s12 = str_type(12), smsg = str_type(TASK_MSG_MAX), sid = str_type(FOLD_ID_MAX);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(tasks_rec));
    herr_t r = (s12 < 0 || smsg < 0 || sid < 0 || t < 0) ? -1 : 0;
    if (!r) {
        INS(t, tasks_rec, task_key, U64);
        INS(t, tasks_rec, model_key, U64);
        INS(t, tasks_rec, model, I32);
        INS(t, tasks_rec, fold_id, I32);
        INS(t, tasks_rec, fold, sid);
        INS(t, tasks_rec, status, I32);
        INS(t, tasks_rec, status_name, s12);
        INS(t, tasks_rec, epochs_run, I32);
        INS(t, tasks_rec, best_epoch, I32);
        INS(t, tasks_rec, steps, I64);
        INS(t, tasks_rec, rank, I32);
        INS(t, tasks_rec, sec_train, D64);
        INS(t, tasks_rec, sec_predict, D64);
        INS(t, tasks_rec, sec_backtest, D64);
        INS(t, tasks_rec, sec_total, D64);
        INS(t, tasks_rec, message, smsg);
    }
    hclose_t(&s12); hclose_t(&smsg); hclose_t(&sid);
    if (r < 0) { hclose_t(&t); return -1; }
    return t;
}

static hid_t index_type(void) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(index_rec));
    if (t < 0) return -1;
    herr_t r = 0;
    INS(t, index_rec, task_key, U64);
    INS(t, index_rec, model, I32);
    INS(t, index_rec, fold_id, I32);
    INS(t, index_rec, offset, I64);
    INS(t, index_rec, n, I64);
    if (r < 0) { H5Tclose(t); return -1; }
    return t;
}

/* Every type the file uses, built once per call. */
typedef struct { hid_t row, model, strat, corr, fold, tasks, index; } h5types;

static void types_close(h5types *T) {
    hclose_t(&T->row); hclose_t(&T->model); hclose_t(&T->strat); hclose_t(&T->corr);
    hclose_t(&T->fold); hclose_t(&T->tasks); hclose_t(&T->index);
}

static int types_open(h5ctx *x, h5types *T) {
    T->row = row_type();
    T->model = model_type();
    T->strat = strat_type();
    T->corr = corr_type();
    T->fold = fold_type();
    T->tasks = tasks_type();
    T->index = index_type();
    if (T->row < 0 || T->model < 0 || T->strat < 0 || T->corr < 0 || T->fold < 0 || T->tasks < 0 ||
        T->index < 0) {
        h5fail(x, "building the compound types");
        types_close(T);
        return -1;
    }
    return 0;
}

/* Which bytes of a compound are members: the rest is padding (and task_row's
 * pad_), which we zero so that a dataset's bytes depend only on its values. */
static void cover_members(hid_t t, size_t base, unsigned char *cover) {
    int n = H5Tget_nmembers(t);
    for (int i = 0; i < n; i++) {
        size_t off = base + H5Tget_member_offset(t, (unsigned)i);
        hid_t mt = H5Tget_member_type(t, (unsigned)i);
        if (mt < 0) continue;
        if (H5Tget_class(mt) == H5T_COMPOUND) cover_members(mt, off, cover);
        else memset(cover + off, 1, H5Tget_size(mt));
        H5Tclose(mt);
    }
}

static void zero_padding(task_row *rows, size_t n, const unsigned char *cover) {
    for (size_t i = 0; i < n; i++) {
        unsigned char *b = (unsigned char *)&rows[i];
        for (size_t k = 0; k < sizeof(task_row); k++)
            if (!cover[k]) b[k] = 0;
    }
}

/* ---- datasets ------------------------------------------------------------------ */

/* A dataset created at its final length and filled by appends. */
typedef struct {
    hid_t       d;
    hid_t       type;                /* memory = file type (not owned)          */
    int         rank;                /* 1: [n]; 2: [n][cols]                     */
    hsize_t     cols;
    hsize_t     at;                  /* rows written                            */
    const char *name;
} h5tab;

static int tab_create(h5ctx *x, hid_t loc, const char *name, hid_t type, int rank,
                      hsize_t n, hsize_t cols, h5tab *t) {
    t->d = -1;
    t->type = type;
    t->rank = rank;
    t->cols = cols;
    t->at = 0;
    t->name = name;
    hsize_t dims[2] = { n, cols }, maxd[2] = { H5S_UNLIMITED, cols ? cols : H5S_UNLIMITED };
    size_t row_bytes = H5Tget_size(type) * (rank == 2 && cols ? cols : 1);
    hsize_t rows = CHUNK_BYTES / (row_bytes ? row_bytes : 1);
    if (rows > CHUNK_ROWS) rows = CHUNK_ROWS;
    if (rows < 1) rows = 1;
    hsize_t chunk[2] = { rows, cols ? cols : 1 };
    hid_t sp = H5Screate_simple(rank, dims, maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int rc = -1;
    if (sp < 0 || dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0) {
        h5fail(x, "creating %s", name);
    } else if ((t->d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0) {
        h5fail(x, "creating %s", name);
    } else {
        rc = 0;
    }
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

static int tab_append(h5ctx *x, h5tab *t, const void *buf, hsize_t rows) {
    if (rows == 0) return 0;
    hsize_t start[2] = { t->at, 0 }, count[2] = { rows, t->cols };
    if (t->rank == 2 && t->cols == 0) { t->at += rows; return 0; }   /* nothing to store */
    hid_t fs = H5Dget_space(t->d);
    hid_t ms = H5Screate_simple(t->rank, count, NULL);
    int rc = 0;
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dwrite(t->d, t->type, ms, fs, H5P_DEFAULT, buf) < 0)
        rc = h5fail(x, "writing %s", t->name);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (!rc) t->at += rows;
    return rc;
}

static int tab_close(h5ctx *x, h5tab *t) {
    if (t->d < 0) return 0;
    herr_t r = H5Dclose(t->d);
    t->d = -1;
    if (r < 0) return h5fail(x, "closing %s", t->name);
    return 0;
}

/* A whole table written at once (the plan's). */
static int tab_write_all(h5ctx *x, hid_t loc, const char *name, hid_t type, const void *buf, size_t n) {
    h5tab t;
    int rc = tab_create(x, loc, name, type, 1, n, 0, &t);
    if (!rc) rc = tab_append(x, &t, buf, n);
    int rc2 = tab_close(x, &t);
    return rc ? rc : rc2;
}

/* ---- attributes ------------------------------------------------------------------ */

static int attr_str(h5ctx *x, hid_t loc, const char *name, const char *s) {
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a = -1;
    const char *v = s ? s : "";
    int rc = 0;
    if (t < 0 || sp < 0 || H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ||
        (a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 || H5Awrite(a, t, &v) < 0)
        rc = h5fail(x, "writing attribute %s", name);
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return rc;
}

static int attr_int(h5ctx *x, hid_t loc, const char *name, int v) {
    hid_t sp = H5Screate(H5S_SCALAR), a = -1;
    int rc = 0;
    if (sp < 0 || (a = H5Acreate2(loc, name, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, H5T_NATIVE_INT, &v) < 0)
        rc = h5fail(x, "writing attribute %s", name);
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

static int attr_double(h5ctx *x, hid_t loc, const char *name, double v) {
    hid_t sp = H5Screate(H5S_SCALAR), a = -1;
    int rc = 0;
    if (sp < 0 || (a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, H5T_NATIVE_DOUBLE, &v) < 0)
        rc = h5fail(x, "writing attribute %s", name);
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

/* ---- time -------------------------------------------------------------------------- */

char *results_iso_time(int64_t s, char *buf) {
    int64_t days = s / 86400, sec = s % 86400;
    if (sec < 0) { sec += 86400; days--; }      /* floor division: before 1970 too */
    int y, mo, d;
    series_civil_from_days(days, &y, &mo, &d);
    if (y < 0) y = 0;                            /* four digits keep buf at 21    */
    if (y > 9999) y = 9999;
    snprintf(buf, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
    return buf;
}

/* Fold timestamps are stored as ISO strings, "" for 0 (an empty set). */
static void iso_or_empty(int64_t s, char *buf) {
    if (s == 0) buf[0] = 0;
    else results_iso_time(s, buf);
}

static int iso_parse(const char *s, int64_t *out) {
    int y, mo, d, h, mi, se;
    char z;
    if (!s[0]) { *out = 0; return 0; }
    if (sscanf(s, "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 || z != 'Z') return -1;
    *out = series_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

/* ---- the sweep hash ----------------------------------------------------------------- */

uint64_t results_sweep_hash(const sweep_plan *p) {
    static const char tag[] = "rnnsweep-sweep-1";
    uint64_t h = rs_hash_bytes(tag, sizeof tag - 1, p->data_hash);
    /* the counts separate the two lists: otherwise moving a key from the end
     * of one to the start of the other would keep the hash */
    h = rs_hash2(h, (uint64_t)p->n_models);
    for (int i = 0; i < p->n_models; i++) h = rs_hash2(h, p->models[i].key);
    h = rs_hash2(h, (uint64_t)p->n_strategies);
    for (int i = 0; i < p->n_strategies; i++) h = rs_hash2(h, p->strategies[i].key);
    return h;
}

/* ---- selecting and ordering records --------------------------------------------------- */

typedef struct { uint64_t key; int index; } keyidx;

static int cmp_keyidx(const void *a, const void *b) {
    const keyidx *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int key_lookup(const keyidx *k, int n, uint64_t key) {
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (k[mid].key == key) return k[mid].index;
        if (k[mid].key < key) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

typedef struct {
    const task_view *v;
    int pos;                         /* position in the caller's array           */
    int model;                       /* plan index                               */
    int n_rows;                      /* rows that survive the strategy mapping   */
} sel_t;

static int cmp_sel_key(const void *a, const void *b) {
    const sel_t *x = a, *y = b;
    if (x->v->h->task_key != y->v->h->task_key) return x->v->h->task_key < y->v->h->task_key ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int cmp_sel_order(const void *a, const void *b) {
    const sel_t *x = a, *y = b;
    if (x->model != y->model) return x->model < y->model ? -1 : 1;
    if (x->v->h->fold_id != y->v->h->fold_id) return x->v->h->fold_id < y->v->h->fold_id ? -1 : 1;
    if (x->v->h->task_key != y->v->h->task_key) return x->v->h->task_key < y->v->h->task_key ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

typedef struct { int strat, j; } rowmap;

static int cmp_rowmap(const void *a, const void *b) {
    const rowmap *x = a, *y = b;
    if (x->strat != y->strat) return x->strat < y->strat ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

/* The rows of one record that go to the file, in strategy order: rows with
 * a strategy key outside the plan are dropped; a strategy listed twice keeps
 * its later row (as duplicate records do).  Fills m[] and returns the count. */
static int map_rows(const task_view *v, const keyidx *sk, int ns, rowmap *m) {
    int n = 0;
    for (int j = 0; j < v->h->n_strat; j++) {
        int s = key_lookup(sk, ns, v->rows[j].strategy_key);
        if (s >= 0) m[n++] = (rowmap){ s, j };
    }
    qsort(m, (size_t)n, sizeof *m, cmp_rowmap);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (i + 1 < n && m[i + 1].strat == m[i].strat) continue;
        m[k++] = m[i];
    }
    return k;
}

/* ---- writing ----------------------------------------------------------------------------- */


static int write_plan(h5ctx *x, hid_t f, const h5types *T, const sweep_plan *p,
                      const results_fold *folds, int n_folds) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    int rc = -1;
    void *buf = NULL;
    fold_rec *fr = NULL;
    h5tab t = { .d = -1 };
    if (gcpl < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
        (g = H5Gcreate2(f, "plan", H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0) {
        h5fail(x, "creating /plan");
        goto out;
    }
    /* models, strategies and folds in blocks: a large grid never needs a
     * second copy of the plan in memory */
    enum { BLK = 1024 };
    strat_layout L;
    strat_layout_make(&L);
    buf = calloc(BLK, L.size > sizeof(model_rec) ? L.size : sizeof(model_rec));
    if (!buf) { oom(x); goto out; }

    if (tab_create(x, g, "/plan/models", T->model, 1, (hsize_t)p->n_models, 0, &t)) goto out;
    for (int i0 = 0; i0 < p->n_models; i0 += BLK) {
        int nb = p->n_models - i0 < BLK ? p->n_models - i0 : BLK;
        model_rec *r = buf;
        memset(r, 0, (size_t)nb * sizeof *r);
        for (int k = 0; k < nb; k++) {
            const plan_model *m = &p->models[i0 + k];
            r[k].index = i0 + k;
            r[k].key = m->key;
            fixstr(r[k].cell, sizeof r[k].cell, rnn_cell_name(m->cell));
            r[k].layers = m->n_layers;
            plan_hidden_text(m, r[k].hidden, sizeof r[k].hidden);
            r[k].lookback = m->lookback;
            r[k].dropout = m->dropout;
            r[k].seed = m->seed;
            r[k].forget_bias_one = m->forget_bias_one;
            r[k].lr = m->train.lr;
            r[k].batch = m->batch;
            r[k].epochs = m->train.epochs;
            r[k].weight_decay = m->train.weight_decay;
            r[k].clip_norm = m->train.clip_norm;
            r[k].patience = m->train.patience;
            r[k].min_delta = m->train.min_delta;
            r[k].stride = m->stride;
            r[k].max_windows = m->max_windows;
            rnn_spec spec;
            rnn_train_opts opts;
            plan_task_spec(p, m, m->key, &spec, &opts);
            r[k].params = (int64_t)rnn_param_count(&spec);
            plan_model_label(p, i0 + k, r[k].label, sizeof r[k].label);
        }
        if (tab_append(x, &t, r, (hsize_t)nb)) goto out;
    }
    if (tab_close(x, &t)) goto out;

    if (tab_create(x, g, "/plan/strategies", T->strat, 1, (hsize_t)p->n_strategies, 0, &t)) goto out;
    for (int i0 = 0; i0 < p->n_strategies; i0 += BLK) {
        int nb = p->n_strategies - i0 < BLK ? p->n_strategies - i0 : BLK;
        memset(buf, 0, (size_t)nb * L.size);
        for (int k = 0; k < nb; k++) strat_row(&L, p, i0 + k, (unsigned char *)buf + (size_t)k * L.size);
        if (tab_append(x, &t, buf, (hsize_t)nb)) goto out;
    }
    if (tab_close(x, &t)) goto out;

    {
        corr_rec *cr = calloc((size_t)(p->n_corrections > 0 ? p->n_corrections : 1), sizeof *cr);
        if (!cr) { oom(x); goto out; }
        for (int k = 0; k < p->n_corrections; k++) {
            const plan_strategy *ps = &p->strategies[p->correction_first[k]];
            cr[k].index = k;
            fixstr(cr[k].correction, sizeof cr[k].correction, rs_enum_name(BT_E_CORRECTION, ps->s.correction));
            cr[k].lookahead = mm_kind_lookahead(ps->s.correction);
            cr[k].mm_size = ps->s.mm_size;
            cr[k].mm_beta = ps->s.mm_beta;
            cr[k].mm_sigma0 = ps->s.mm_sigma0;
            cr[k].mm_epochs = ps->s.mm_epochs;
            cr[k].first_strategy = p->correction_first[k];
            if (ps->s.correction == MM_NONE) snprintf(cr[k].label, sizeof cr[k].label, "none");
            else snprintf(cr[k].label, sizeof cr[k].label, "%s mm%dx%d b%g s%g e%d%s",
                          cr[k].correction, ps->s.mm_size, ps->s.mm_size, ps->s.mm_beta, ps->s.mm_sigma0,
                          ps->s.mm_epochs, cr[k].lookahead ? " LOOK-AHEAD" : "");
        }
        int crc = tab_write_all(x, g, "/plan/corrections", T->corr, cr, (size_t)p->n_corrections);
        free(cr);
        if (crc) goto out;
    }

    fr = calloc(n_folds > 0 ? (size_t)n_folds : 1, sizeof *fr);
    if (!fr) { oom(x); goto out; }
    for (int i = 0; i < n_folds; i++) {
        const results_fold *s = &folds[i];
        fr[i].lookback = s->lookback;
        fr[i].fold_id = s->fold_id;
        fold_id_text(s->fold_id, fr[i].fold, sizeof fr[i].fold);
        fixstr(fr[i].status, sizeof fr[i].status, s->status == FOLD_OK ? "ok" : "empty");
        fr[i].n_train = s->n_train;
        fr[i].n_val = s->n_val;
        fr[i].n_test = s->n_test;
        iso_or_empty(s->train_first, fr[i].train_first);
        iso_or_empty(s->train_last, fr[i].train_last);
        iso_or_empty(s->test_first, fr[i].test_first);
        iso_or_empty(s->test_last, fr[i].test_last);
    }
    rc = tab_write_all(x, g, "/plan/folds", T->fold, fr, (size_t)(n_folds > 0 ? n_folds : 0));
out:
    if (rc) tab_close(x, &t);
    free(buf);
    free(fr);
    if (g >= 0 && H5Gclose(g) < 0 && !rc) rc = h5fail(x, "closing /plan");
    if (gcpl >= 0) H5Pclose(gcpl);
    return rc;
}

/* /tasks, /results and /series, one selected record at a time. */
static int write_tasks(h5ctx *x, hid_t f, const h5types *T, const sweep_plan *p,
                       const sel_t *sel, int n_sel, const keyidx *sk, int max_strat) {
    int rc = -1, S = p->n_strategies, n_out = p->n_out;
    /* trend3: one column per plan correction point; regression: none */
    const int C = p->head == RNN_HEAD_CLS ? p->n_corrections : 0;
    enum { T_TASKS, T_RESULTS, T_INDEX, T_T, T_Y, T_PRED, T_RET, T_BH, T_CORR, T_N };
    h5tab tab[T_N];
    for (int i = 0; i < T_N; i++) tab[i].d = -1;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    rowmap *map = malloc((size_t)(max_strat > 0 ? max_strat : 1) * sizeof *map);
    task_row *rows = malloc((size_t)(max_strat > 0 ? max_strat : 1) * sizeof *rows);
    unsigned char cover[sizeof(task_row)] = { 0 };
    /* returns are re-laid from [strategy][bar] to [bar][plan strategy] in
     * blocks of bars, so a task with many strategies needs no full copy */
    size_t ret_blk = S > 0 ? (size_t)(1 << 18) / (size_t)S : 1;
    if (ret_blk < 1) ret_blk = 1;
    float *rbuf = malloc(ret_blk * (size_t)(S > 0 ? S : 1) * sizeof *rbuf);
    int *srccol = malloc((size_t)(C > 0 ? C : 1) * sizeof *srccol);
    int8_t *cbuf = NULL;
    size_t cbuf_cap = 0;
    if (!map || !rows || !rbuf || !srccol) { oom(x); goto out; }
    cover_members(T->row, 0, cover);

    hsize_t n_rows = 0, n_series = 0, n_index = 0;
    for (int i = 0; i < n_sel; i++) {
        n_rows += (hsize_t)sel[i].n_rows;
        if (sel[i].v->h->n_test > 0) { n_series += (hsize_t)sel[i].v->h->n_test; n_index++; }
    }
    if (gcpl < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
        (g = H5Gcreate2(f, "series", H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0) {
        h5fail(x, "creating /series");
        goto out;
    }
    if (tab_create(x, f, "/tasks", T->tasks, 1, (hsize_t)n_sel, 0, &tab[T_TASKS]) ||
        tab_create(x, f, "/results", T->row, 1, n_rows, 0, &tab[T_RESULTS]) ||
        tab_create(x, f, "/series/index", T->index, 1, n_index, 0, &tab[T_INDEX]) ||
        tab_create(x, f, "/series/t", H5T_NATIVE_INT64, 1, n_series, 0, &tab[T_T]) ||
        tab_create(x, f, "/series/y", H5T_NATIVE_DOUBLE, 1, n_series, 0, &tab[T_Y]) ||
        tab_create(x, f, "/series/pred", H5T_NATIVE_DOUBLE, 2, n_series, (hsize_t)n_out, &tab[T_PRED]) ||
        tab_create(x, f, "/series/returns", H5T_NATIVE_FLOAT, 2, n_series, (hsize_t)S, &tab[T_RET]) ||
        tab_create(x, f, "/series/bh", H5T_NATIVE_FLOAT, 1, n_series, 0, &tab[T_BH]) ||
        tab_create(x, f, "/series/corrected", H5T_NATIVE_INT8, 2, n_series, (hsize_t)C, &tab[T_CORR]))
        goto out;

    int64_t offset = 0;
    for (int i = 0; i < n_sel; i++) {
        const task_view *v = sel[i].v;
        const task_head *h = v->h;
        tasks_rec tr;
        memset(&tr, 0, sizeof tr);
        tr.task_key = h->task_key;
        tr.model_key = h->model_key;
        tr.model = sel[i].model;
        tr.fold_id = h->fold_id;
        fold_id_text(h->fold_id, tr.fold, sizeof tr.fold);
        tr.status = h->status;
        fixstr(tr.status_name, sizeof tr.status_name, task_status_name(h->status));
        tr.epochs_run = h->epochs_run;
        tr.best_epoch = h->best_epoch;
        tr.steps = h->steps;
        tr.rank = h->rank;
        tr.sec_train = h->sec_train;
        tr.sec_predict = h->sec_predict;
        tr.sec_backtest = h->sec_backtest;
        tr.sec_total = h->sec_total;
        fixstr(tr.message, sizeof tr.message, h->message);
        if (tab_append(x, &tab[T_TASKS], &tr, 1)) goto out;

        int nr = map_rows(v, sk, S, map);
        for (int c = 0; c < C; c++) srccol[c] = -1;
        for (int k = 0; k < nr; k++) {
            rows[k] = v->rows[map[k].j];
            rows[k].model = sel[i].model;
            rows[k].strategy = map[k].strat;
            /* the record's correction column -> the plan's correction point */
            const int pc = p->strategies[map[k].strat].correction;
            if (C > 0 && v->h->n_corr > 0 && rows[k].correction >= 0 && rows[k].correction < v->h->n_corr)
                srccol[pc] = rows[k].correction;
            rows[k].correction = C > 0 ? pc : 0;
        }
        zero_padding(rows, (size_t)nr, cover);
        if (tab_append(x, &tab[T_RESULTS], rows, (hsize_t)nr)) goto out;

        int nt = h->n_test;
        if (nt <= 0) continue;
        index_rec ir;
        memset(&ir, 0, sizeof ir);
        ir.task_key = h->task_key;
        ir.model = sel[i].model;
        ir.fold_id = h->fold_id;
        ir.offset = offset;
        ir.n = nt;
        offset += nt;
        if (tab_append(x, &tab[T_INDEX], &ir, 1) ||
            tab_append(x, &tab[T_T], v->t, (hsize_t)nt) ||
            tab_append(x, &tab[T_Y], v->y, (hsize_t)nt) ||
            tab_append(x, &tab[T_PRED], v->pred, (hsize_t)nt) ||
            tab_append(x, &tab[T_BH], v->bh, (hsize_t)nt))
            goto out;
        for (size_t b0 = 0; b0 < (size_t)nt; b0 += ret_blk) {
            size_t nb = (size_t)nt - b0 < ret_blk ? (size_t)nt - b0 : ret_blk;
            for (size_t q = 0; q < nb * (size_t)S; q++) rbuf[q] = NAN;
            for (int k = 0; k < nr; k++) {
                const float *src = v->ret + (size_t)map[k].j * (size_t)nt + b0;
                for (size_t b = 0; b < nb; b++) rbuf[b * (size_t)S + (size_t)map[k].strat] = src[b];
            }
            if (tab_append(x, &tab[T_RET], rbuf, nb)) goto out;
        }
        if (C > 0) {            /* [bar][plan correction]; -1 where the record has none */
            size_t need = (size_t)nt * (size_t)C;
            if (need > cbuf_cap) {
                int8_t *nbuf = realloc(cbuf, need);
                if (!nbuf) { oom(x); goto out; }
                cbuf = nbuf;
                cbuf_cap = need;
            }
            for (size_t b = 0; b < (size_t)nt; b++)
                for (int c = 0; c < C; c++)
                    cbuf[b * (size_t)C + (size_t)c] = srccol[c] < 0 ? -1 : v->corr[(size_t)srccol[c] * (size_t)nt + b];
            if (tab_append(x, &tab[T_CORR], cbuf, (hsize_t)nt)) goto out;
        }
    }
    rc = 0;
out:
    for (int i = 0; i < T_N; i++)
        if (tab_close(x, &tab[i])) rc = -1;
    if (g >= 0 && H5Gclose(g) < 0 && !rc) rc = h5fail(x, "closing /series");
    if (gcpl >= 0) H5Pclose(gcpl);
    free(map);
    free(rows);
    free(rbuf);
    free(srccol);
    free(cbuf);
    return rc;
}

static int write_attrs(h5ctx *x, hid_t f, const sweep_config *c, const sweep_plan *p,
                       const results_meta *m, int done, int failed) {
    char sh[24], dh[24], now[24];
    snprintf(sh, sizeof sh, "%016llx", (unsigned long long)results_sweep_hash(p));
    snprintf(dh, sizeof dh, "%016llx", (unsigned long long)p->data_hash);
    results_iso_time((int64_t)time(NULL), now);
    int planned = m ? m->tasks_planned : 0;
    if (attr_int(x, f, "schema", RESULTS_SCHEMA) ||
        attr_str(x, f, "program", RS_PROGRAM) ||
        attr_str(x, f, "ini", c ? c->ini_text : "") ||
        attr_str(x, f, "name", c ? c->run.name : "") ||
        attr_str(x, f, "sweep_hash", sh) ||
        attr_str(x, f, "data_hash", dh) ||
        attr_str(x, f, "created", m && m->created && m->created[0] ? m->created : now) ||
        attr_str(x, f, "updated", now) ||
        attr_int(x, f, "ranks", m ? m->ranks : 0) ||
        attr_int(x, f, "threads", m ? m->threads : 0) ||
        attr_str(x, f, "blas", m ? m->blas : "") ||
        attr_str(x, f, "hosts", m ? m->hosts : "") ||
        attr_str(x, f, "shard", m ? m->shard : "") ||
        attr_double(x, f, "bar_seconds", m ? m->bar_seconds : 0) ||
        attr_int(x, f, "tasks_planned", planned) ||
        attr_int(x, f, "tasks_done", done) ||
        attr_int(x, f, "tasks_failed", failed) ||
        attr_int(x, f, "complete", done >= planned))
        return -1;
    return 0;
}

/* fsync a file (and best-effort its directory) so the rename publishes
 * data that is on disk, not only in the page cache. */
static int sync_path(const char *path, int dir) {
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

int results_write(const char *path, const sweep_config *c, const sweep_plan *p,
                  const results_fold *folds, int n_folds,
                  const task_view *tasks, int n_tasks, const results_meta *m, rs_err *e) {
    rs_err_clear(e);
    h5ctx x = { path, e, 0 };
    h5quiet q;
    quiet_on(&q);
    h5types T = { -1, -1, -1, -1, -1, -1, -1 };
    hid_t fapl = -1, f = -1;
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    if (tmp) {
        memcpy(tmp, path, pl);
        memcpy(tmp + pl, ".tmp", 5);
    }
    keyidx *mk = malloc((size_t)(p->n_models > 0 ? p->n_models : 1) * sizeof *mk);
    keyidx *sk = malloc((size_t)(p->n_strategies > 0 ? p->n_strategies : 1) * sizeof *sk);
    sel_t *sel = malloc((size_t)(n_tasks > 0 ? n_tasks : 1) * sizeof *sel);
    rowmap *map = NULL;
    if (!tmp || !mk || !sk || !sel) { oom(&x); goto fail; }

    /* which records go in, in which order */
    for (int i = 0; i < p->n_models; i++) mk[i] = (keyidx){ p->models[i].key, i };
    for (int i = 0; i < p->n_strategies; i++) sk[i] = (keyidx){ p->strategies[i].key, i };
    qsort(mk, (size_t)p->n_models, sizeof *mk, cmp_keyidx);
    qsort(sk, (size_t)p->n_strategies, sizeof *sk, cmp_keyidx);
    int n_sel = 0;
    for (int i = 0; i < n_tasks; i++) {
        int mi = key_lookup(mk, p->n_models, tasks[i].h->model_key);
        /* pred is [N][plan n_out]: a record of another width cannot be this
         * plan's (the plan fixes the head), like an unknown model key */
        if (mi < 0 || tasks[i].h->n_out != p->n_out) continue;
        sel[n_sel++] = (sel_t){ &tasks[i], i, mi, 0 };
    }
    qsort(sel, (size_t)n_sel, sizeof *sel, cmp_sel_key);
    int k = 0;
    for (int i = 0; i < n_sel; i++) {          /* equal task keys: the later wins */
        if (i + 1 < n_sel && sel[i + 1].v->h->task_key == sel[i].v->h->task_key) continue;
        sel[k++] = sel[i];
    }
    n_sel = k;
    qsort(sel, (size_t)n_sel, sizeof *sel, cmp_sel_order);
    int max_strat = 1, done = n_sel, failed = 0;
    for (int i = 0; i < n_sel; i++) {
        if (sel[i].v->h->n_strat > max_strat) max_strat = sel[i].v->h->n_strat;
        failed += sel[i].v->h->status != TASK_OK;
    }
    map = malloc((size_t)max_strat * sizeof *map);
    if (!map) { oom(&x); goto fail; }
    for (int i = 0; i < n_sel; i++) sel[i].n_rows = map_rows(sel[i].v, sk, p->n_strategies, map);

    /* the file */
    if (types_open(&x, &T)) goto fail;
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* STRONG: closing the file closes whatever an error path left open */
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) { h5fail(&x, "file access list"); goto fail; }
    f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (f < 0) { h5fail(&x, "cannot create %s", tmp); goto fail; }
    if (write_attrs(&x, f, c, p, m, done, failed) ||
        write_plan(&x, f, &T, p, folds, n_folds) ||
        write_tasks(&x, f, &T, p, sel, n_sel, sk, max_strat))
        goto fail;
    herr_t cr = H5Fclose(f);
    f = -1;
    if (cr < 0) { h5fail(&x, "closing the file"); goto fail; }
    if (sync_path(tmp, 0)) { xfail(&x, RS_EINTERNAL, "fsync: %s", strerror(errno)); goto fail; }
    if (rename(tmp, path)) { xfail(&x, RS_EINTERNAL, "cannot rename the .tmp file over it: %s", strerror(errno)); goto fail; }
    {
        char *d = strdup(path);
        if (d) { sync_path(dirname(d), 1); free(d); }
    }
    types_close(&T);
    H5Pclose(fapl);
    quiet_off(&q);
    free(tmp); free(mk); free(sk); free(sel); free(map);
    return 0;

fail:
    if (f >= 0) H5Fclose(f);
    /* unlink, not remove: a directory in the way is not ours to delete */
    if (tmp) unlink(tmp);
    types_close(&T);
    if (fapl >= 0) H5Pclose(fapl);
    quiet_off(&q);
    free(tmp); free(mk); free(sk); free(sel); free(map);
    return x.bad;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* A string attribute of the root, fixed or variable length, malloc'd. */
static int attr_read_str(h5ctx *x, hid_t f, const char *name, char **out) {
    *out = NULL;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return h5fail(x, "attribute %s", name);
    hid_t ft = H5Aget_type(a), mt = -1;
    int rc = -1;
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
        xfail(x, RS_EINTERNAL, "attribute %s: not a string", name);
    } else if (H5Tis_variable_str(ft) > 0) {
        char *v = NULL;
        mt = H5Tcopy(H5T_C_S1);
        /* the memory type must carry the file's character set, or HDF5
         * finds no conversion between them */
        if (mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, H5Tget_cset(ft)) < 0 ||
            H5Aread(a, mt, &v) < 0) {
            h5fail(x, "reading attribute %s", name);
        } else {
            *out = strdup(v ? v : "");
            H5free_memory(v);
            rc = *out ? 0 : oom(x);
        }
    } else {
        size_t n = H5Tget_size(ft);
        *out = calloc(n + 1, 1);
        mt = H5Tcopy(H5T_C_S1);
        if (!*out) rc = oom(x);
        else if (mt < 0 || H5Tset_size(mt, n) < 0 || H5Tset_strpad(mt, H5T_STR_NULLPAD) < 0 ||
                 H5Tset_cset(mt, H5Tget_cset(ft)) < 0 || H5Aread(a, mt, *out) < 0)
            h5fail(x, "reading attribute %s", name);
        else rc = 0;
    }
    if (rc) { free(*out); *out = NULL; }
    if (mt >= 0) H5Tclose(mt);
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

/* The same into a fixed buffer (truncated). */
static int attr_read_buf(h5ctx *x, hid_t f, const char *name, char *buf, size_t n) {
    char *s;
    if (attr_read_str(x, f, name, &s)) return -1;
    fixstr(buf, n, s);
    free(s);
    return 0;
}

static int attr_read_int(h5ctx *x, hid_t f, const char *name, int *v) {
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return h5fail(x, "attribute %s", name);
    int rc = H5Aread(a, H5T_NATIVE_INT, v) < 0 ? h5fail(x, "reading attribute %s", name) : 0;
    H5Aclose(a);
    return rc;
}

static int attr_read_double(h5ctx *x, hid_t f, const char *name, double *v) {
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return h5fail(x, "attribute %s", name);
    int rc = H5Aread(a, H5T_NATIVE_DOUBLE, v) < 0 ? h5fail(x, "reading attribute %s", name) : 0;
    H5Aclose(a);
    return rc;
}

static int attr_read_hex(h5ctx *x, hid_t f, const char *name, uint64_t *v) {
    char buf[40], *end;
    if (attr_read_buf(x, f, name, buf, sizeof buf)) return -1;
    errno = 0;
    *v = strtoull(buf, &end, 16);
    if (errno || end == buf || *end) return xfail(x, RS_EINTERNAL, "attribute %s: '%s' is not a hex hash", name, buf);
    return 0;
}

/* A whole dataset of `type` (rank 1, or rank 2 with `cols` columns when
 * cols >= 0 is asked; *cols_out receives the file's column count), malloc'd
 * (at least one element, so an empty dataset still gives a pointer). */
static int dset_read(h5ctx *x, hid_t f, const char *name, hid_t type, int rank,
                     void **out, size_t *n_out, size_t *cols_out) {
    *out = NULL;
    *n_out = 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return h5fail(x, "dataset %s", name);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = { 0, 1 };
    int rc = -1;
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != rank) {
        xfail(x, RS_EINTERNAL, "dataset %s: expected rank %d", name, rank);
    } else if (H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
        h5fail(x, "dataset %s", name);
    } else {
        size_t n = (size_t)dims[0], cols = rank == 2 ? (size_t)dims[1] : 1;
        size_t bytes = n * cols * H5Tget_size(type);
        *out = calloc(bytes ? bytes : 1, 1);
        if (!*out) oom(x);
        else if (bytes && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            h5fail(x, "reading %s", name);
        else {
            *n_out = n;
            if (cols_out) *cols_out = cols;
            rc = 0;
        }
    }
    if (rc) { free(*out); *out = NULL; }
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

/* Rebuild every task's packed record from /tasks, /results and /series
 * (all three in the same task order, see results_write). */
static int rebuild_tasks(h5ctx *x, results_file *r, const tasks_rec *tr, size_t n_tasks,
                         const index_rec *ix, size_t n_ix, const int64_t *t, const double *y,
                         const double *pred, const float *ret, const float *bh, const int8_t *corr,
                         size_t N, size_t n_out, size_t S, size_t C) {
    r->tasks = calloc(n_tasks ? n_tasks : 1, sizeof *r->tasks);
    if (!r->tasks) return oom(x);
    r->n_tasks = (int)n_tasks;
    size_t rc = 0, si = 0, max_ret = 0, max_corr = 0;
    float *rbuf = NULL;
    int8_t *cbuf = NULL;
    for (size_t i = 0; i < n_tasks; i++) {
        task_head h;
        memset(&h, 0, sizeof h);
        h.task_key = tr[i].task_key;
        h.model_key = tr[i].model_key;
        h.fold_id = tr[i].fold_id;
        h.status = tr[i].status;
        h.n_out = (int32_t)n_out;
        h.epochs_run = tr[i].epochs_run;
        h.best_epoch = tr[i].best_epoch;
        h.rank = tr[i].rank;
        h.steps = tr[i].steps;
        h.sec_train = tr[i].sec_train;
        h.sec_predict = tr[i].sec_predict;
        h.sec_backtest = tr[i].sec_backtest;
        h.sec_total = tr[i].sec_total;
        fixstr(h.message, sizeof h.message, tr[i].message);
        size_t r0 = rc;
        while (rc < (size_t)r->n_rows && r->rows[rc].task_key == h.task_key) rc++;
        h.n_strat = (int32_t)(rc - r0);
        size_t off = 0, nt = 0;
        if (si < n_ix && ix[si].task_key == h.task_key) {
            if (ix[si].offset < 0 || ix[si].n < 1 || (size_t)ix[si].offset > N || (size_t)ix[si].n > N - (size_t)ix[si].offset) {
                free(rbuf);
                free(cbuf);
                return xfail(x, RS_EINTERNAL, "/series/index: task %016llx: rows outside /series",
                             (unsigned long long)h.task_key);
            }
            off = (size_t)ix[si].offset;
            nt = (size_t)ix[si].n;
            si++;
        }
        h.n_test = (int32_t)nt;
        if (nt && h.n_strat) {
            size_t need = nt * (size_t)h.n_strat;
            if (need > max_ret) {
                float *nb = realloc(rbuf, need * sizeof *nb);
                if (!nb) { free(rbuf); free(cbuf); return oom(x); }
                rbuf = nb;
                max_ret = need;
            }
            for (size_t j = 0; j < (size_t)h.n_strat; j++) {
                int s = r->rows[r0 + j].strategy;
                if (s < 0 || (size_t)s >= S) {
                    free(rbuf);
                    free(cbuf);
                    return xfail(x, RS_EINTERNAL, "/results: strategy index %d outside /series/returns", s);
                }
                for (size_t b = 0; b < nt; b++) rbuf[j * nt + b] = ret[(off + b) * S + (size_t)s];
            }
        }
        /* the corrected classes, [correction][bar] as the record holds them */
        h.n_corr = nt ? (int32_t)C : 0;
        if (nt && C) {
            if (nt * C > max_corr) {
                int8_t *nb = realloc(cbuf, nt * C);
                if (!nb) { free(rbuf); free(cbuf); return oom(x); }
                cbuf = nb;
                max_corr = nt * C;
            }
            for (size_t c = 0; c < C; c++)
                for (size_t b = 0; b < nt; b++) cbuf[c * nt + b] = corr[(off + b) * C + c];
        }
        /* task_pack copies 0 bytes from ret when n_strat = 0, but memcpy
         * still wants a valid pointer */
        static const float none[1];
        rs_err pe;
        if (task_pack(&r->tasks[i], &h, r->rows + r0, nt ? t + off : NULL, nt ? y + off : NULL,
                      nt ? pred + off * n_out : NULL, nt ? (rbuf ? rbuf : none) : NULL,
                      nt ? bh + off : NULL, h.n_corr ? cbuf : NULL, &pe)) {
            free(rbuf);
            free(cbuf);
            return xfail(x, RS_EINTERNAL, "%s", pe.msg);
        }
    }
    free(rbuf);
    free(cbuf);
    if (rc != (size_t)r->n_rows || si != n_ix)
        return xfail(x, RS_EINTERNAL, "/results or /series/index not in the order of /tasks (%zu of %d rows, "
                     "%zu of %zu series matched)", rc, r->n_rows, si, n_ix);
    return 0;
}

int results_read(const char *path, results_file *r, rs_err *e) {
    rs_err_clear(e);
    memset(r, 0, sizeof *r);
    h5ctx x = { path, e, 0 };
    struct stat st;
    if (stat(path, &st)) return rs_err_set(e, RS_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    h5quiet q;
    quiet_on(&q);
    h5types T = { -1, -1, -1, -1, -1, -1, -1 };
    hid_t fapl = -1, f = -1;
    fold_rec *fr = NULL;
    tasks_rec *tr = NULL;
    index_rec *ix = NULL;
    int64_t *t = NULL;
    double *y = NULL, *pred = NULL;
    float *ret = NULL, *bh = NULL;
    int8_t *corr = NULL;
    size_t n, n_tasks, n_ix, N, n_y, n_pred, n_ret, n_bh, n_corr_rows, n_out = 1, S = 0, C = 0;

    if (H5Fis_hdf5(path) <= 0) { xfail(&x, RS_EINPUT, "not an HDF5 file"); goto fail; }
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) { h5fail(&x, "file access list"); goto fail; }
    f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f < 0) { h5fail(&x, "cannot open"); goto fail; }
    if (H5Aexists(f, "schema") <= 0) {
        xfail(&x, RS_EINPUT, "not an rnnsweep results file (no schema attribute)");
        goto fail;
    }
    int schema;
    if (attr_read_int(&x, f, "schema", &schema)) goto fail;
    if (schema != RESULTS_SCHEMA) {
        xfail(&x, RS_EINPUT, "schema %d, this program reads %d", schema, RESULTS_SCHEMA);
        goto fail;
    }
    r->schema = (uint32_t)schema;
    if (attr_read_buf(&x, f, "program", r->program, sizeof r->program) ||
        attr_read_str(&x, f, "ini", &r->ini_text) ||
        attr_read_buf(&x, f, "name", r->name, sizeof r->name) ||
        attr_read_hex(&x, f, "sweep_hash", &r->sweep_hash) ||
        attr_read_hex(&x, f, "data_hash", &r->data_hash) ||
        attr_read_buf(&x, f, "created", r->created, sizeof r->created) ||
        attr_read_buf(&x, f, "updated", r->updated, sizeof r->updated) ||
        attr_read_int(&x, f, "ranks", &r->ranks) ||
        attr_read_int(&x, f, "threads", &r->threads) ||
        attr_read_buf(&x, f, "blas", r->blas, sizeof r->blas) ||
        attr_read_str(&x, f, "hosts", &r->hosts) ||
        attr_read_buf(&x, f, "shard", r->shard, sizeof r->shard) ||
        attr_read_int(&x, f, "tasks_planned", &r->tasks_planned) ||
        attr_read_int(&x, f, "tasks_done", &r->tasks_done) ||
        attr_read_int(&x, f, "tasks_failed", &r->tasks_failed) ||
        attr_read_int(&x, f, "complete", &r->complete))
        goto fail;
    if (H5Aexists(f, "bar_seconds") > 0 && attr_read_double(&x, f, "bar_seconds", &r->bar_seconds)) goto fail;

    if (types_open(&x, &T)) goto fail;
    if (dset_read(&x, f, "/plan/folds", T.fold, 1, (void **)&fr, &n, NULL)) goto fail;
    r->folds = calloc(n ? n : 1, sizeof *r->folds);
    if (!r->folds) { oom(&x); goto fail; }
    r->n_folds = (int)n;
    for (size_t i = 0; i < n; i++) {
        results_fold *o = &r->folds[i];
        o->lookback = fr[i].lookback;
        o->fold_id = fr[i].fold_id;
        o->status = strcmp(fr[i].status, "ok") ? FOLD_EMPTY : FOLD_OK;
        o->n_train = fr[i].n_train;
        o->n_val = fr[i].n_val;
        o->n_test = fr[i].n_test;
        if (iso_parse(fr[i].train_first, &o->train_first) || iso_parse(fr[i].train_last, &o->train_last) ||
            iso_parse(fr[i].test_first, &o->test_first) || iso_parse(fr[i].test_last, &o->test_last)) {
            xfail(&x, RS_EINTERNAL, "/plan/folds: row %zu: a timestamp is not ISO 8601", i);
            goto fail;
        }
    }

    if (dset_read(&x, f, "/results", T.row, 1, (void **)&r->rows, &n, NULL)) goto fail;
    r->n_rows = (int)n;
    {   /* whatever a conversion left in padding: zero, as written */
        unsigned char cover[sizeof(task_row)] = { 0 };
        cover_members(T.row, 0, cover);
        zero_padding(r->rows, n, cover);
    }
    if (dset_read(&x, f, "/tasks", T.tasks, 1, (void **)&tr, &n_tasks, NULL) ||
        dset_read(&x, f, "/series/index", T.index, 1, (void **)&ix, &n_ix, NULL) ||
        dset_read(&x, f, "/series/t", H5T_NATIVE_INT64, 1, (void **)&t, &N, NULL) ||
        dset_read(&x, f, "/series/y", H5T_NATIVE_DOUBLE, 1, (void **)&y, &n_y, NULL) ||
        dset_read(&x, f, "/series/pred", H5T_NATIVE_DOUBLE, 2, (void **)&pred, &n_pred, &n_out) ||
        dset_read(&x, f, "/series/returns", H5T_NATIVE_FLOAT, 2, (void **)&ret, &n_ret, &S) ||
        dset_read(&x, f, "/series/bh", H5T_NATIVE_FLOAT, 1, (void **)&bh, &n_bh, NULL) ||
        dset_read(&x, f, "/series/corrected", H5T_NATIVE_INT8, 2, (void **)&corr, &n_corr_rows, &C))
        goto fail;
    if (n_y != N || n_pred != N || n_ret != N || n_bh != N || n_corr_rows != N || (n_out != 1 && n_out != 3)) {
        xfail(&x, RS_EINTERNAL, "/series: datasets of different lengths or a bad prediction width");
        goto fail;
    }
    for (size_t i = 0; i < n_tasks; i++) tr[i].message[TASK_MSG_MAX - 1] = 0;
    if (rebuild_tasks(&x, r, tr, n_tasks, ix, n_ix, t, y, pred, ret, bh, corr, N, n_out, S, C)) goto fail;

    H5Fclose(f);
    f = -1;
    goto out;
fail:
    results_file_free(r);
out:
    if (f >= 0) H5Fclose(f);
    if (fapl >= 0) H5Pclose(fapl);
    types_close(&T);
    quiet_off(&q);
    free(fr); free(tr); free(ix); free(t); free(y); free(pred); free(ret); free(bh); free(corr);
    return x.bad;
}

void results_file_free(results_file *r) {
    if (!r) return;
    free(r->ini_text);
    free(r->hosts);
    free(r->rows);
    if (r->tasks)
        for (int i = 0; i < r->n_tasks; i++) task_buf_free(&r->tasks[i]);
    free(r->tasks);
    free(r->folds);
    memset(r, 0, sizeof *r);
}
