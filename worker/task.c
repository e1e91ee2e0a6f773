/*
 * task.c — the packed task result (task.h): sizes, packing, zero-copy
 * parsing, and the shared data block.  task_run lives in task_run.c.
 */
#include "worker/task.h"

#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void task_msg_set(char *dst, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, TASK_MSG_MAX, fmt, ap);
    va_end(ap);
}

const char *task_status_name(int status) {
    switch (status) {
    case TASK_OK: return "ok";
    case TASK_DIVERGED: return "diverged";
    case TASK_EMPTY: return "empty";
    case TASK_FAILED: return "failed";
    default: return "?";
    }
}

/* ---- shared data ------------------------------------------------------- */

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

int task_data_alloc(task_data *d, int64_t n, int n_feat, int n_inst, rs_err *e) {
    if (n < 1 || n_feat < 1 || n_inst < 1)
        return rs_err_set(e, RS_EINPUT, "task data: %lld rows of %d features, %d instruments", (long long)n,
                          n_feat, n_inst);
    size_t bt = align8((size_t)n * sizeof(int64_t));
    size_t bx = align8((size_t)n * (size_t)n_feat * sizeof(float));
    size_t by = align8((size_t)n * sizeof(float));
    size_t bb = (size_t)n * 4 * sizeof(double);
    size_t bc = (size_t)n * (size_t)n_inst * sizeof(double);
    unsigned char *p = malloc(bt + bx + by + bb + bc);
    if (!p) return rs_err_set(e, RS_EINTERNAL, "task data: out of memory (%zu bytes)", bt + bx + by + bb + bc);
    d->block = p;
    d->block_bytes = bt + bx + by + bb + bc;
    d->n = n;
    d->n_feat = n_feat;
    d->n_inst = n_inst;
    d->t = (int64_t *)p;
    d->x = (float *)(p + bt);
    d->y = (float *)(p + bt + bx);
    d->bars = (double *)(p + bt + bx + by);
    d->close = (double *)(p + bt + bx + by + bb);
    /* the alignment padding is hashed and broadcast with the rest: zero it */
    memset(p + (size_t)n * sizeof(int64_t), 0, bt - (size_t)n * sizeof(int64_t));
    memset(p + bt + (size_t)n * (size_t)n_feat * sizeof(float), 0, bx - (size_t)n * (size_t)n_feat * sizeof(float));
    memset(p + bt + bx + (size_t)n * sizeof(float), 0, by - (size_t)n * sizeof(float));
    return 0;
}

void task_data_free(task_data *d) {
    if (!d) return;
    free(d->block);
    memset(d, 0, sizeof *d);
}

/* ---- packing ------------------------------------------------------------ */

void task_buf_free(task_buf *b) {
    if (!b) return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Offsets of the blocks of a packed result; every block 8-byte aligned
 * (pt_end and trades are 4-byte blocks inside the series, so the corr
 * block may start 4-aligned: it is bytes). */
typedef struct { size_t rows, t, y, pred, ret, bh, pt_end, trades, corr, curve, trcls, weights, end; } layout;

static layout layout_of(size_t head, int n_strat, int n_test, int n_out, int n_corr, int series, int n_pts,
                        int n_curve, int n_trcls, int64_t n_weights) {
    layout L;
    size_t ns = (size_t)n_strat, nt = (size_t)n_test, no = (size_t)n_out, nc = (size_t)n_corr;
    size_t np = (size_t)n_pts, nd = series == TASK_SERIES_DAY ? np : 0;
    L.rows    = align8(head);
    L.t       = L.rows + align8(ns * sizeof(task_row));
    L.y       = L.t + nt * sizeof(int64_t);
    L.pred    = L.y + nt * sizeof(double);
    L.ret     = L.pred + nt * no * sizeof(double);
    L.bh      = L.ret + ns * np * sizeof(float);
    L.pt_end  = L.bh + np * sizeof(float);
    L.trades  = L.pt_end + nd * sizeof(int32_t);
    L.corr    = L.trades + ns * nd * sizeof(int32_t);
    L.curve   = align8(L.corr + nc * nt * sizeof(int8_t));
    L.trcls   = L.curve + (size_t)n_curve * 2 * sizeof(double);
    L.weights = align8(L.trcls + 2 * (size_t)n_trcls);
    L.end     = align8(L.weights + (size_t)n_weights);
    return L;
}

static layout layout_head(const task_head *h) {
    return layout_of(sizeof(task_head), h->n_strat, h->n_test, h->n_out, h->n_corr, h->series, h->n_pts,
                     h->n_curve, h->n_trcls, h->n_weights);
}

size_t task_packed_size(int n_strat, int n_test, int n_out, int n_corr) {
    return layout_of(sizeof(task_head), n_strat, n_test, n_out, n_corr, TASK_SERIES_BAR, n_test, 0, 0, 0).end;
}

size_t task_packed_size_of(const task_head *h) { return layout_head(h).end; }

const char *task_series_name(int series) {
    switch (series) {
    case TASK_SERIES_BAR: return "bar";
    case TASK_SERIES_DAY: return "day";
    case TASK_SERIES_NONE: return "none";
    default: return "?";
    }
}

/* floor(t / 86400): the day of a timestamp before 1970 too. */
static int64_t day_of(int64_t t) {
    int64_t d = t / TASK_DAY_SECONDS;
    return d * TASK_DAY_SECONDS > t ? d - 1 : d;
}

int task_series_points(int series, const int64_t *t, int n_test, int32_t *pt_end) {
    if (n_test <= 0 || series == TASK_SERIES_NONE) return 0;
    if (series != TASK_SERIES_DAY) return n_test;
    int n = 0;
    for (int k = 0; k < n_test; k++)
        if (k == n_test - 1 || day_of(t[k + 1]) != day_of(t[k])) pt_end[n++] = k;
    return n;
}

int64_t task_point_time(const task_view *v, int k) {
    assert(k >= 0 && k < v->h->n_pts);
    return v->pt_end ? v->t[v->pt_end[k]] : v->t[k];
}

double task_points_per_year(const task_view *v, int j) {
    const task_head *h = v->h;
    if (h->n_pts < 1 || h->n_test < 1) return 0;
    const double bpy = v->rows[j].trading.bars_per_year;
    return h->series == TASK_SERIES_DAY ? bpy * h->n_pts / h->n_test : bpy;
}

/* The counts every version shares, checked before a length is computed
 * from them (the bounds keep it from overflowing). */
static int counts_ok(const task_head *h) {
    return h->n_strat >= 0 && h->n_strat <= TASK_MAX_STRAT && h->n_test >= 0 && h->n_test <= TASK_MAX_TEST &&
           (h->n_out == 1 || h->n_out == 3) && h->n_corr >= 0 && h->n_corr <= h->n_strat;
}

/* The version-5 series counts: a resolution, and n_pts that fits it. */
static int series_ok(const task_head *h) {
    switch (h->series) {
    case TASK_SERIES_BAR: return h->n_pts == h->n_test;
    case TASK_SERIES_DAY: return h->n_test > 0 ? h->n_pts >= 1 && h->n_pts <= h->n_test : h->n_pts == 0;
    case TASK_SERIES_NONE: return h->n_pts == 0;
    default: return 0;
    }
}

int task_view_parse(const void *buf, size_t len, task_view *v, rs_err *e) {
    memset(v, 0, sizeof *v);
    if (!buf || len < sizeof(task_head))
        return rs_err_set(e, RS_EINPUT, "task record: %zu bytes, shorter than its head", len);
    if ((uintptr_t)buf & 7) return rs_err_set(e, RS_EINPUT, "task record: buffer not 8-byte aligned");
    const task_head *h = buf;
    if (h->magic != TASK_MAGIC) return rs_err_set(e, RS_EINPUT, "task record: bad magic %08x", h->magic);
    if (h->version != TASK_VERSION)
        return rs_err_set(e, RS_EINPUT, "task record: version %u, this program reads %u", h->version,
                          TASK_VERSION);
    if (!counts_ok(h) || !series_ok(h) || h->n_curve < 0 || h->n_curve > TASK_MAX_EPOCHS || h->n_trcls < 0 ||
        h->n_trcls > TASK_MAX_TEST || h->n_weights < 0 || h->n_weights > TASK_MAX_WEIGHTS)
        return rs_err_set(e, RS_EINPUT, "task record: bad counts (strategies %d, test bars %d, outputs %d, "
                          "corrections %d, epochs %d, training classes %d, weight bytes %lld, series %d of "
                          "%d points)", h->n_strat, h->n_test, h->n_out, h->n_corr, h->n_curve, h->n_trcls,
                          (long long)h->n_weights, h->series, h->n_pts);
    layout L = layout_head(h);
    if (L.end != len)
        return rs_err_set(e, RS_EINPUT, "task record: %zu bytes, its counts need %zu", len, L.end);
    if (memchr(h->message, 0, sizeof h->message) == NULL)
        return rs_err_set(e, RS_EINPUT, "task record: message not terminated");
    if (memchr(h->host, 0, sizeof h->host) == NULL || memchr(h->blas, 0, sizeof h->blas) == NULL)
        return rs_err_set(e, RS_EINPUT, "task record: host or BLAS name not terminated");
    const unsigned char *p = buf;
    v->h = h;
    v->rows = (const task_row *)(p + L.rows);
    if (h->n_test > 0) {
        v->t = (const int64_t *)(p + L.t);
        v->y = (const double *)(p + L.y);
        v->pred = (const double *)(p + L.pred);
        if (h->n_corr > 0) v->corr = (const int8_t *)(p + L.corr);
    }
    if (h->n_pts > 0) {
        v->ret = (const float *)(p + L.ret);
        v->bh = (const float *)(p + L.bh);
    }
    if (h->series == TASK_SERIES_DAY && h->n_pts > 0) {
        /* the points index t: strictly ascending, the last one the last bar */
        const int32_t *pe = (const int32_t *)(p + L.pt_end);
        for (int k = 0; k < h->n_pts; k++)
            if (pe[k] < 0 || pe[k] >= h->n_test || (k > 0 && pe[k] <= pe[k - 1]))
                return rs_err_set(e, RS_EINPUT, "task record: day point %d ends at bar %d (of %d)", k, pe[k],
                                  h->n_test);
        if (pe[h->n_pts - 1] != h->n_test - 1)
            return rs_err_set(e, RS_EINPUT, "task record: the last day point does not end at the last bar");
        v->pt_end = pe;
        v->trades = (const int32_t *)(p + L.trades);
    }
    if (h->n_curve > 0) v->curve = (const double *)(p + L.curve);
    if (h->n_trcls > 0) {
        v->tr_net = p + L.trcls;
        v->tr_true = p + L.trcls + h->n_trcls;
    }
    if (h->n_weights > 0) v->weights = p + L.weights;
    v->bytes = len;
    return 0;
}

uint32_t task_record_version(const void *buf, size_t len) {
    if (!buf || len < 8) return 0;
    uint32_t m, ver;
    memcpy(&m, buf, 4);
    memcpy(&ver, (const char *)buf + 4, 4);
    return m == TASK_MAGIC ? ver : 0;
}

/* Version 3's head is version 5's up to n_curve, version 4's up to series:
 * what task_upgrade relies on. */
#define TASK_HEAD_V3 offsetof(task_head, n_curve)
#define TASK_HEAD_V4 offsetof(task_head, series)
_Static_assert(TASK_HEAD_V3 == 400, "a version-3 head is 400 bytes");
_Static_assert(TASK_HEAD_V4 == 424, "a version-4 head is 424 bytes");

/* Check a version-3 or -4 record and give its head (as this version's: the
 * new fields 0, its series per bar) and the offset of its rows.  Both
 * versions' blocks after the head are this version's blocks of a per-bar
 * series, in the same order and sizes. */
static int old_check(uint32_t ver, const void *buf, size_t len, task_head *h, size_t *rows_at, rs_err *e) {
    const size_t hs = ver == 3 ? TASK_HEAD_V3 : TASK_HEAD_V4;
    if (len < hs || ((uintptr_t)buf & 7))
        return rs_err_set(e, RS_EINPUT, "task record: %zu bytes, shorter than a version-%u head", len, ver);
    memset(h, 0, sizeof *h);
    memcpy(h, buf, hs);
    if (!counts_ok(h)) return rs_err_set(e, RS_EINPUT, "task record: bad counts in a version-%u head", ver);
    if (ver == 4 && (h->n_curve < 0 || h->n_curve > TASK_MAX_EPOCHS || h->n_trcls < 0 ||
                     h->n_trcls > TASK_MAX_TEST || h->n_weights < 0 || h->n_weights > TASK_MAX_WEIGHTS))
        return rs_err_set(e, RS_EINPUT, "task record: bad counts in a version-4 head");
    h->series = TASK_SERIES_BAR;
    h->n_pts = h->n_test;
    layout L = layout_of(hs, h->n_strat, h->n_test, h->n_out, h->n_corr, TASK_SERIES_BAR, h->n_test, h->n_curve,
                         h->n_trcls, h->n_weights);
    size_t want = ver == 3 ? L.curve : L.end;
    if (want != len)
        return rs_err_set(e, RS_EINPUT, "task record: %zu bytes, its version-%u counts need %zu", len, ver, want);
    if (!memchr(h->message, 0, sizeof h->message) || !memchr(h->host, 0, sizeof h->host) ||
        !memchr(h->blas, 0, sizeof h->blas))
        return rs_err_set(e, RS_EINPUT, "task record: a version-%u string not terminated", ver);
    *rows_at = L.rows;
    return 0;
}

int task_record_check(const void *buf, size_t len, rs_err *e) {
    uint32_t ver = task_record_version(buf, len);
    if (ver == 3 || ver == 4) {
        task_head h;
        size_t at;
        return old_check(ver, buf, len, &h, &at, e);
    }
    task_view v;
    return task_view_parse(buf, len, &v, e);
}

int task_upgrade(const void *buf, size_t len, task_buf *out, rs_err *e) {
    uint32_t ver = task_record_version(buf, len);
    if (ver == TASK_VERSION) {
        task_view v;
        if (task_view_parse(buf, len, &v, e)) return RS_EINPUT;
        if (out->cap < len) {
            unsigned char *p = realloc(out->p, len);
            if (!p) return rs_err_set(e, RS_EINTERNAL, "task record: out of memory (%zu bytes)", len);
            out->p = p;
            out->cap = len;
        }
        memcpy(out->p, buf, len);
        out->len = len;
        return 0;
    }
    if (ver != 3 && ver != 4)
        return rs_err_set(e, RS_EINPUT, "task record: version %u, this program reads %u..%u", ver,
                          TASK_VERSION_OLDEST, TASK_VERSION);
    task_head h;
    size_t rows_at;
    if (old_check(ver, buf, len, &h, &rows_at, e)) return RS_EINPUT;
    h.version = TASK_VERSION;
    layout L = layout_head(&h);
    if (out->cap < L.end) {
        unsigned char *p = realloc(out->p, L.end);
        if (!p) return rs_err_set(e, RS_EINTERNAL, "task record: out of memory (%zu bytes)", L.end);
        out->p = p;
        out->cap = L.end;
    }
    /* the blocks after the head keep their order and sizes: only the head
     * grew, so they move as one (a version-3 record ends at its corr block:
     * the curve, classes and weights of this version are empty) */
    memset(out->p, 0, L.end);
    memcpy(out->p, &h, sizeof h);
    memcpy(out->p + L.rows, (const unsigned char *)buf + rows_at, len - rows_at);
    out->len = L.end;
    return 0;
}

int task_pack(task_buf *out, const task_head *h, const task_row *rows,
              const int64_t *t, const double *y, const double *pred,
              const float *ret, const float *bh, const int8_t *corr, rs_err *e) {
    return task_pack_extras(out, h, rows, t, y, pred, ret, bh, corr, NULL, e);
}

int task_pack_extras(task_buf *out, const task_head *h, const task_row *rows,
                     const int64_t *t, const double *y, const double *pred,
                     const float *ret, const float *bh, const int8_t *corr,
                     const task_extras *x, rs_err *e) {
    task_head hh = *h;
    hh.series = TASK_SERIES_BAR;
    hh.n_pts = h->n_test;
    const task_points pts = { ret, bh, NULL, NULL };
    return task_pack_points(out, &hh, rows, t, y, pred, &pts, corr, x, e);
}

int task_pack_points(task_buf *out, const task_head *h, const task_row *rows,
                     const int64_t *t, const double *y, const double *pred,
                     const task_points *pts, const int8_t *corr, const task_extras *x, rs_err *e) {
    if (!x && (h->n_curve || h->n_trcls || h->n_weights))
        return rs_err_set(e, RS_EINTERNAL, "task record: curve, classes or weights counted but not given");
    task_head hn;
    if (h->n_test == 0 && h->series != TASK_SERIES_BAR) {
        /* no test bars, no series: one canonical head (per bar, 0 points),
         * so a record's bytes do not depend on the resolution it was asked
         * for when it has nothing to store */
        hn = *h;
        hn.series = TASK_SERIES_BAR;
        hn.n_pts = 0;
        h = &hn;
    }
    if (!series_ok(h) || (h->n_pts > 0 && !pts))
        return rs_err_set(e, RS_EINTERNAL, "task record: series %d of %d points for %d test bars", h->series,
                          h->n_pts, h->n_test);
    layout L = layout_head(h);
    if (out->cap < L.end) {
        size_t cap = out->cap ? out->cap : 4096;
        while (cap < L.end) cap *= 2;
        unsigned char *p = realloc(out->p, cap);
        if (!p) return rs_err_set(e, RS_EINTERNAL, "task record: out of memory (%zu bytes)", L.end);
        out->p = p;
        out->cap = cap;
    }
    unsigned char *p = out->p;
    memset(p, 0, L.end);     /* padding bytes are zero: records compare with memcmp */
    task_head hh = *h;
    hh.magic = TASK_MAGIC;
    hh.version = TASK_VERSION;
    hh.message[TASK_MSG_MAX - 1] = 0;
    hh.pad_ = 0;
    memcpy(p, &hh, sizeof hh);
    if (h->n_strat > 0) memcpy(p + L.rows, rows, (size_t)h->n_strat * sizeof(task_row));
    size_t nt = (size_t)h->n_test, np = (size_t)h->n_pts;
    if (nt) {
        memcpy(p + L.t, t, nt * sizeof(int64_t));
        memcpy(p + L.y, y, nt * sizeof(double));
        memcpy(p + L.pred, pred, nt * (size_t)h->n_out * sizeof(double));
        if (h->n_corr > 0) memcpy(p + L.corr, corr, nt * (size_t)h->n_corr);
    }
    if (np) {
        if (h->n_strat > 0) memcpy(p + L.ret, pts->ret, np * (size_t)h->n_strat * sizeof(float));
        memcpy(p + L.bh, pts->bh, np * sizeof(float));
        if (h->series == TASK_SERIES_DAY) {
            memcpy(p + L.pt_end, pts->pt_end, np * sizeof(int32_t));
            if (h->n_strat > 0) memcpy(p + L.trades, pts->trades, np * (size_t)h->n_strat * sizeof(int32_t));
        }
    }
    if (h->n_curve > 0) memcpy(p + L.curve, x->curve, (size_t)h->n_curve * 2 * sizeof(double));
    if (h->n_trcls > 0) {
        memcpy(p + L.trcls, x->tr_net, (size_t)h->n_trcls);
        memcpy(p + L.trcls + h->n_trcls, x->tr_true, (size_t)h->n_trcls);
    }
    if (h->n_weights > 0) memcpy(p + L.weights, x->weights, (size_t)h->n_weights);
    out->len = L.end;
    return 0;
}
