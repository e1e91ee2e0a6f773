/*
 * results_write.c — writing the whole results file (results.h is the
 * contract and documents the layout; results_layout.h the rows and types).
 *
 * The records are first reduced to the set that will be written and
 * sorted; every dataset is then created at its final length and filled one
 * task at a time through hyperslabs.  Selection rules, beyond the header's
 * (unknown model keys and strategy rows dropped, the later of two equal
 * task keys wins): a record whose n_out is not the plan's is dropped too
 * (/series/pred has one width, and the plan fixes the head, so such a
 * record cannot be this plan's); a strategy that appears twice in one
 * record keeps its later row.
 *
 * The file is built in memory (HDF5's core driver, no backing store) and
 * then written to PATH.tmp with write(2), synced and renamed over PATH.
 * Why not let HDF5 write the file: when a write fails inside H5Fclose (a
 * full disk), HDF5 1.10 leaves the file's ID open on a half-destroyed
 * object, and its cleanup at exit — in MPI_Finalize, or atexit — then
 * dereferences it (a segfault that loses the exit status and the message);
 * a later checkpoint in the same process could trip over it too.  In memory
 * no HDF5 call can fail on I/O, and our own write reports ENOSPC as one
 * line and leaves PATH untouched.  The memory costs the compressed file's
 * size once — the core driver's buffer is taken over at close (file image
 * callbacks), never copied: 222 bytes per small task, 22 MB at 10^5 in
 * bench/scale.sh.
 *
 * Big files go straight to disk.  A sweep of 1-minute years stores ~9 MB
 * of per-bar predictions per task (task.h): its final file does not fit in
 * rank 0's memory.  When the records to write add up to more than
 * RESULTS_DIRECT_BYTES (1 GiB; the environment variable
 * RNNSWEEP_DIRECT_WRITE_BYTES overrides it, tests use 0), HDF5 writes
 * PATH.tmp itself (the sec2 driver) and memory stays one record plus
 * HDF5's caches.  The full-disk hazard above is then met before HDF5
 * writes a byte: the file system must have room for an upper bound of the
 * file (RESULTS_DIRECT_SLACK x the records, the plan's tables and 1 MiB:
 * compression never grows a dataset by more than deflate's few bytes per
 * chunk), else the
 * write fails with one line saying how much it needs.  Every dataset and
 * attribute is the same either way (tests/test_faults.sh compares them);
 * the file's own bytes differ (the drivers allocate space differently), so
 * a sweep's final file is byte-identical to another run's of the same
 * records, which takes the same path.
 *
 * Checkpoints (issue 15).  A sweep's checkpoint used to be this function on
 * every record: its cost grew with the whole file (~20 s at 10^5 tasks).
 * Three designs were weighed:
 *   (a) extendable datasets appended in arrival order in place, plus a
 *       final sorted pass — HDF5 1.10 writes in place are not crash-safe
 *       (a kill mid-flush can leave metadata that does not open, and the
 *       reader cannot tell a half-flushed file from a whole one without
 *       SWMR, whose writers may not touch attributes), and in-place writes
 *       bring back the failing-H5Fclose problem described below;
 *   (b) rows at fixed plan positions, datasets allocated early and
 *       uncompressed — order-independent by construction, but files several
 *       times larger, holes for tasks not run, and the same in-place risk;
 *   (c) per-checkpoint part files merged at the end — chosen: a checkpoint
 *       calls this writer on the NEW records only (cmd_run.c, checkpoint),
 *       each part is whole or absent (tmp + rename, below), the writer and
 *       its determinism stay one piece of code, and `rnnsweep merge` already
 *       reads FILE.h5 + parts as the current state.  FILE.h5 is written
 *       whole once at the end, sorted, so its bytes never depend on arrival
 *       order, kills or resumes.
 * Measured (bench/README.md, "Results at scale"): a checkpoint costs its new
 * records plus a fixed ~40 ms, flat from 10% to 100% of 10^5 tasks.
 *
 * Records come from a results_source: the writer keeps ~56 bytes per record
 * for the ordering (sel_t) and fetches each record when it writes its rows
 * (two or three times in all: selection, /tasks + /results + /series, the
 * extra groups), so cmd_run can read them back from the journal instead of
 * holding them.  Per dataset group one function decides what of a task goes
 * in (put_task, put_rows, put_series, write_extra).
 *
 * Contents (sections in file order):
 *   strat_row              one /plan/strategies row from the strategy table
 *   selecting and ordering which records go in, sorted, rows mapped to the
 *                          plan's strategies
 *   the datasets           /plan, /tasks, /results, /series, root attributes
 *   the file image         the core driver's buffer, put_file, results_write
 */
#include "coordinator/results.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "coordinator/h5io.h"
#include "coordinator/results_layout.h"
#include "worker/version.h"

#define RS_PROGRAM     "rnnsweep " RS_VERSION
/* The in-memory file grows by this much at a time (glibc moves large
 * blocks with mremap, so growth costs no copy). */
#define IMAGE_INCREMENT ((size_t)4 << 20)
#define RESULTS_DIRECT_BYTES ((uint64_t)1 << 30)
#define RESULTS_DIRECT_SLACK 1.25

/* Row i of /plan/strategies into buf (L.size bytes, zeroed by the caller). */
static void strat_row(const strat_layout *L, const sweep_plan *p, int i, unsigned char *buf) {
    const plan_strategy *ps = &p->strategies[i];
    int32_t idx = i, aut = ps->bars_per_year_auto;
    memcpy(buf + L->index, &idx, sizeof idx);
    memcpy(buf + L->key, &ps->key, sizeof ps->key);
    plan_strategy_label(p, i, (char *)buf + L->label, STRAT_LABEL_LEN);
    memcpy(buf + L->bpy_auto, &aut, sizeof aut);
    h5io_fixstr((char *)buf + L->market, STRAT_NAME_LEN, rs_enum_name(BT_E_MARKET, ps->s.market));
    int32_t ci = ps->correction, la = mm_kind_lookahead(ps->s.correction);
    memcpy(buf + L->corr_index, &ci, sizeof ci);
    memcpy(buf + L->lookahead, &la, sizeof la);
    for (int f = 0; f < BT_F_N; f++) {
        double v = strategy_get(&ps->s, f);
        unsigned char *q = buf + L->field[f];
        if (bt_fields[f].type == BT_T_ENUM) {
            h5io_fixstr((char *)q, STRAT_NAME_LEN, rs_enum_name(bt_fields[f].names, (int)v));
        } else if (bt_fields[f].type == BT_T_REAL) {
            memcpy(q, &v, sizeof v);
        } else {
            int32_t iv = (int32_t)v;
            memcpy(q, &iv, sizeof iv);
        }
    }
}

/* ---- selecting and ordering records ---------------------------------------- */

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

/* One record chosen for the file: what ordering and sizing need, copied
 * from its head (the record itself is fetched again, src->get, when its
 * rows are written: at 10^5 tasks the records do not fit in memory). */
typedef struct {
    uint64_t key;
    int32_t  fold_id;
    int      pos;                    /* index in the source                      */
    int      model;                  /* plan index                               */
    int      n_rows;                 /* rows that survive the strategy mapping   */
    int32_t  n_strat, n_test, status;
    int32_t  n_pts, series;          /* series points and their resolution       */
    int32_t  n_curve, n_trcls;
    int64_t  n_weights;
} sel_t;

static int cmp_sel_key(const void *a, const void *b) {
    const sel_t *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int cmp_sel_order(const void *a, const void *b) {
    const sel_t *x = a, *y = b;
    if (x->model != y->model) return x->model < y->model ? -1 : 1;
    if (x->fold_id != y->fold_id) return x->fold_id < y->fold_id ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Record sel->pos of the source, as a view valid until the next fetch. */
static int fetch(h5io_ctx *x, const results_source *src, const sel_t *sel, task_view *v) {
    rs_err ge;
    int rc = src->get(src->ctx, sel->pos, v, &ge);
    if (rc) return h5io_xfail(x, rc, "reading task %016llx back: %s", (unsigned long long)sel->key, ge.msg);
    if (v->h->task_key != sel->key)
        return h5io_xfail(x, RS_EINTERNAL, "task %016llx came back as another record", (unsigned long long)sel->key);
    return 0;
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


/* ---- the datasets ---------------------------------------------------------- */

static int write_plan(h5io_ctx *x, hid_t f, const layout_types *T, const sweep_plan *p,
                      const results_fold *folds, int n_folds) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    int rc = -1;
    void *buf = NULL;
    fold_rec *fr = NULL;
    h5io_tab t = { .d = -1 };
    if (gcpl < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
        (g = H5Gcreate2(f, "plan", H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0) {
        h5io_fail(x, "creating /plan");
        goto out;
    }
    /* models, strategies and folds in blocks: a large grid never needs a
     * second copy of the plan in memory */
    enum { BLK = 1024 };
    strat_layout L;
    layout_strat_make(&L);
    buf = calloc(BLK, L.size > sizeof(model_rec) ? L.size : sizeof(model_rec));
    if (!buf) { h5io_oom(x); goto out; }

    if (h5io_tab_create(x, g, "/plan/models", T->model, 1, (hsize_t)p->n_models, 0, &t)) goto out;
    for (int i0 = 0; i0 < p->n_models; i0 += BLK) {
        int nb = p->n_models - i0 < BLK ? p->n_models - i0 : BLK;
        model_rec *r = buf;
        memset(r, 0, (size_t)nb * sizeof *r);
        for (int k = 0; k < nb; k++) {
            const plan_model *m = &p->models[i0 + k];
            r[k].index = i0 + k;
            r[k].key = m->key;
            h5io_fixstr(r[k].cell, sizeof r[k].cell, rnn_cell_name(m->cell));
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
        if (h5io_tab_append(x, &t, r, (hsize_t)nb)) goto out;
    }
    if (h5io_tab_close(x, &t)) goto out;

    if (h5io_tab_create(x, g, "/plan/strategies", T->strat, 1, (hsize_t)p->n_strategies, 0, &t)) goto out;
    for (int i0 = 0; i0 < p->n_strategies; i0 += BLK) {
        int nb = p->n_strategies - i0 < BLK ? p->n_strategies - i0 : BLK;
        memset(buf, 0, (size_t)nb * L.size);
        for (int k = 0; k < nb; k++) strat_row(&L, p, i0 + k, (unsigned char *)buf + (size_t)k * L.size);
        if (h5io_tab_append(x, &t, buf, (hsize_t)nb)) goto out;
    }
    if (h5io_tab_close(x, &t)) goto out;

    {
        corr_rec *cr = calloc((size_t)(p->n_corrections > 0 ? p->n_corrections : 1), sizeof *cr);
        if (!cr) { h5io_oom(x); goto out; }
        for (int k = 0; k < p->n_corrections; k++) {
            const plan_strategy *ps = &p->strategies[p->correction_first[k]];
            cr[k].index = k;
            h5io_fixstr(cr[k].correction, sizeof cr[k].correction, rs_enum_name(BT_E_CORRECTION, ps->s.correction));
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
        int crc = h5io_tab_write_all(x, g, "/plan/corrections", T->corr, cr, (size_t)p->n_corrections);
        free(cr);
        if (crc) goto out;
    }

    fr = calloc(n_folds > 0 ? (size_t)n_folds : 1, sizeof *fr);
    if (!fr) { h5io_oom(x); goto out; }
    for (int i = 0; i < n_folds; i++) {
        const results_fold *s = &folds[i];
        fr[i].lookback = s->lookback;
        fr[i].fold_id = s->fold_id;
        fold_id_text(s->fold_id, fr[i].fold, sizeof fr[i].fold);
        h5io_fixstr(fr[i].status, sizeof fr[i].status, s->status == FOLD_OK ? "ok" : "empty");
        fr[i].n_train = s->n_train;
        fr[i].n_val = s->n_val;
        fr[i].n_test = s->n_test;
        layout_iso_or_empty(s->train_first, fr[i].train_first);
        layout_iso_or_empty(s->train_last, fr[i].train_last);
        layout_iso_or_empty(s->test_first, fr[i].test_first);
        layout_iso_or_empty(s->test_last, fr[i].test_last);
    }
    rc = h5io_tab_write_all(x, g, "/plan/folds", T->fold, fr, (size_t)(n_folds > 0 ? n_folds : 0));
out:
    if (rc) h5io_tab_close(x, &t);
    free(buf);
    free(fr);
    if (g >= 0 && H5Gclose(g) < 0 && !rc) rc = h5io_fail(x, "closing /plan");
    if (gcpl >= 0) H5Pclose(gcpl);
    return rc;
}

/* /tasks, /results and /series, one selected record at a time.  Each
 * dataset group has its own function below, called per record in file
 * order (put_task, put_rows, put_series): what of a task goes into a group
 * is decided there alone, so a change of one group's layout is a change of
 * one function (and of its datasets' creation in write_tasks). */
enum { T_TASKS, T_RESULTS, T_INDEX, T_T, T_Y, T_PRED, T_RET, T_BH, T_CORR, T_PTS, T_PEND, T_TRD, T_N };

typedef struct {
    h5io_ctx       *x;
    const sweep_plan *p;
    const keyidx   *sk;              /* the plan's strategy keys, sorted          */
    int             S, C, n_out;     /* strategies, correction columns, outputs   */
    h5io_tab        tab[T_N];
    rowmap         *map;             /* [max_strat] this record's rows -> plan    */
    int             nr;              /* rows mapped (put_rows)                    */
    task_row       *rows;            /* [max_strat]                               */
    unsigned char   cover[sizeof(task_row)];
    int            *srccol;          /* [C] record correction column per plan one */
    size_t          ret_blk;         /* bars per block of /series/returns         */
    float          *rbuf;            /* [ret_blk][S]                              */
    int32_t        *tbuf;            /* [ret_blk][S] point_end / trades           */
    int             any_day;         /* some task has daily points: point_end and
                                        trades have every point's row             */
    int8_t         *cbuf;            /* [n_test][C]                               */
    size_t          cbuf_cap;
    int64_t         offset;          /* next row of /series/t                     */
    int64_t         p_offset;        /* next row of /series/returns (points)      */
} tasks_writer;

/* /tasks: one row per task. */
static int put_task(tasks_writer *W, const sel_t *sel, const task_view *v) {
    const task_head *h = v->h;
    tasks_rec tr;
    memset(&tr, 0, sizeof tr);
    tr.task_key = h->task_key;
    tr.model_key = h->model_key;
    tr.model = sel->model;
    tr.fold_id = h->fold_id;
    fold_id_text(h->fold_id, tr.fold, sizeof tr.fold);
    tr.status = h->status;
    h5io_fixstr(tr.status_name, sizeof tr.status_name, task_status_name(h->status));
    tr.epochs_run = h->epochs_run;
    tr.best_epoch = h->best_epoch;
    tr.steps = h->steps;
    tr.rank = h->rank;
    h5io_fixstr(tr.host, sizeof tr.host, h->host);
    h5io_fixstr(tr.blas, sizeof tr.blas, h->blas);
    tr.sec_train = h->sec_train;
    tr.sec_predict = h->sec_predict;
    tr.sec_backtest = h->sec_backtest;
    tr.sec_total = h->sec_total;
    h5io_fixstr(tr.message, sizeof tr.message, h->message);
    tr.reevaluated = h->reevaluated;
    return h5io_tab_append(W->x, &W->tab[T_TASKS], &tr, 1);
}

/* /results: the record's rows mapped to the plan's strategies (W->map,
 * W->nr and W->srccol are left for put_series). */
static int put_rows(tasks_writer *W, const sel_t *sel, const task_view *v) {
    const int C = W->C;
    int nr = W->nr = map_rows(v, W->sk, W->S, W->map);
    for (int c = 0; c < C; c++) W->srccol[c] = -1;
    for (int k = 0; k < nr; k++) {
        task_row *r = &W->rows[k];
        *r = v->rows[W->map[k].j];
        r->model = sel->model;
        r->strategy = W->map[k].strat;
        /* the record's correction column -> the plan's correction point */
        const int pc = W->p->strategies[W->map[k].strat].correction;
        if (C > 0 && v->h->n_corr > 0 && r->correction >= 0 && r->correction < v->h->n_corr)
            W->srccol[pc] = r->correction;
        r->correction = C > 0 ? pc : 0;
    }
    layout_zero_padding(W->rows, (size_t)nr, W->cover);
    return h5io_tab_append(W->x, &W->tab[T_RESULTS], W->rows, (hsize_t)nr);
}

/* /series: index row, t, y, pred, corrected [bar][plan correction] per
 * bar; points row, returns [point][plan strategy], bh per series point
 * (task.h, "Series resolution"); point_end and trades [point][plan
 * strategy] for every point when any task has daily points. */
static int put_series(tasks_writer *W, const sel_t *sel, const task_view *v) {
    const task_head *h = v->h;
    h5io_ctx *x = W->x;
    const int S = W->S, C = W->C, nr = W->nr;
    int nt = h->n_test;
    if (nt <= 0) return 0;
    index_rec ir;
    memset(&ir, 0, sizeof ir);
    ir.task_key = h->task_key;
    ir.model = sel->model;
    ir.fold_id = h->fold_id;
    ir.offset = W->offset;
    ir.n = nt;
    W->offset += nt;
    const int np = h->n_pts;
    points_rec pr;
    memset(&pr, 0, sizeof pr);
    pr.task_key = h->task_key;
    pr.model = sel->model;
    pr.fold_id = h->fold_id;
    pr.offset = W->p_offset;
    pr.n = np;
    pr.series = h->series;
    W->p_offset += np;
    if (h5io_tab_append(x, &W->tab[T_INDEX], &ir, 1) || h5io_tab_append(x, &W->tab[T_PTS], &pr, 1) ||
        h5io_tab_append(x, &W->tab[T_T], v->t, (hsize_t)nt) ||
        h5io_tab_append(x, &W->tab[T_Y], v->y, (hsize_t)nt) ||
        h5io_tab_append(x, &W->tab[T_PRED], v->pred, (hsize_t)nt) ||
        (np > 0 && h5io_tab_append(x, &W->tab[T_BH], v->bh, (hsize_t)np)))
        return -1;
    if (W->any_day && np > 0) {
        /* point_end for every point (a per-bar point k ends at bar k);
         * trades -1 where not stored (per-bar points, no row) */
        int32_t *tbuf = W->tbuf;
        for (size_t b0 = 0; b0 < (size_t)np; b0 += W->ret_blk) {
            size_t nb = (size_t)np - b0 < W->ret_blk ? (size_t)np - b0 : W->ret_blk;
            for (size_t b = 0; b < nb; b++) tbuf[b] = v->pt_end ? v->pt_end[b0 + b] : (int32_t)(b0 + b);
            if (h5io_tab_append(x, &W->tab[T_PEND], tbuf, nb)) return -1;
            for (size_t q = 0; q < nb * (size_t)S; q++) tbuf[q] = -1;
            for (int k = 0; v->trades && k < nr; k++) {
                const int32_t *src = v->trades + (size_t)W->map[k].j * (size_t)np + b0;
                for (size_t b = 0; b < nb; b++) tbuf[b * (size_t)S + (size_t)W->map[k].strat] = src[b];
            }
            if (h5io_tab_append(x, &W->tab[T_TRD], tbuf, nb)) return -1;
        }
    }
    for (size_t b0 = 0; b0 < (size_t)np; b0 += W->ret_blk) {
        size_t nb = (size_t)np - b0 < W->ret_blk ? (size_t)np - b0 : W->ret_blk;
        float *rbuf = W->rbuf;
        for (size_t q = 0; q < nb * (size_t)S; q++) rbuf[q] = NAN;
        for (int k = 0; k < nr; k++) {
            const float *src = v->ret + (size_t)W->map[k].j * (size_t)np + b0;
            for (size_t b = 0; b < nb; b++) rbuf[b * (size_t)S + (size_t)W->map[k].strat] = src[b];
        }
        if (h5io_tab_append(x, &W->tab[T_RET], rbuf, nb)) return -1;
    }
    if (C > 0) {            /* [bar][plan correction]; -1 where the record has none */
        size_t need = (size_t)nt * (size_t)C;
        if (need > W->cbuf_cap) {
            int8_t *nbuf = realloc(W->cbuf, need);
            if (!nbuf) return h5io_oom(x);
            W->cbuf = nbuf;
            W->cbuf_cap = need;
        }
        for (size_t b = 0; b < (size_t)nt; b++)
            for (int c = 0; c < C; c++)
                W->cbuf[b * (size_t)C + (size_t)c] =
                    W->srccol[c] < 0 ? -1 : v->corr[(size_t)W->srccol[c] * (size_t)nt + b];
        if (h5io_tab_append(x, &W->tab[T_CORR], W->cbuf, (hsize_t)nt)) return -1;
    }
    return 0;
}

static int write_tasks(h5io_ctx *x, hid_t f, const layout_types *T, const sweep_plan *p,
                       const results_source *src, const sel_t *sel, int n_sel, const keyidx *sk, int max_strat) {
    int rc = -1;
    tasks_writer W;
    memset(&W, 0, sizeof W);
    W.x = x;
    W.p = p;
    W.sk = sk;
    W.S = p->n_strategies;
    W.n_out = p->n_out;
    /* trend3: one column per plan correction point; regression: none */
    W.C = p->head == RNN_HEAD_CLS ? p->n_corrections : 0;
    const int S = W.S, C = W.C;
    for (int i = 0; i < T_N; i++) W.tab[i].d = -1;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    W.map = malloc((size_t)(max_strat > 0 ? max_strat : 1) * sizeof *W.map);
    W.rows = malloc((size_t)(max_strat > 0 ? max_strat : 1) * sizeof *W.rows);
    /* returns are re-laid from [strategy][bar] to [bar][plan strategy] in
     * blocks of bars, so a task with many strategies needs no full copy */
    W.ret_blk = S > 0 ? (size_t)(1 << 18) / (size_t)S : 1;
    if (W.ret_blk < 1) W.ret_blk = 1;
    W.rbuf = malloc(W.ret_blk * (size_t)(S > 0 ? S : 1) * sizeof *W.rbuf);
    W.tbuf = malloc(W.ret_blk * (size_t)(S > 0 ? S : 1) * sizeof *W.tbuf);   /* trades, likewise */
    W.srccol = malloc((size_t)(C > 0 ? C : 1) * sizeof *W.srccol);
    if (!W.map || !W.rows || !W.rbuf || !W.tbuf || !W.srccol) { h5io_oom(x); goto out; }
    layout_cover_members(T->row, 0, W.cover);

    /* Per-strategy series (task.h, "Series resolution"): returns and bh
     * have one row per series POINT (/series/points indexes them); the
     * per-bar t, y, pred, corrected one per bar (/series/index).
     * point_end and trades exist only for daily points: they have every
     * point's row when any task is at day resolution, else 0 rows (a file
     * of per-bar series is then schema 4's layout plus the points index). */
    hsize_t n_rows = 0, n_series = 0, n_index = 0, n_points = 0;
    int res = -1;                            /* the one resolution, -2 mixed  */
    for (int i = 0; i < n_sel; i++) {
        n_rows += (hsize_t)sel[i].n_rows;
        if (sel[i].n_test > 0) {
            n_series += (hsize_t)sel[i].n_test;
            n_points += (hsize_t)sel[i].n_pts;
            n_index++;
            W.any_day |= sel[i].series == TASK_SERIES_DAY;
            res = res == -1 || res == sel[i].series ? sel[i].series : -2;
        }
    }
    const hsize_t n_dpts = W.any_day ? n_points : 0;
    if (gcpl < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
        (g = H5Gcreate2(f, "series", H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0) {
        h5io_fail(x, "creating /series");
        goto out;
    }
    if (h5io_attr_str(x, g, "resolution", res == -1 ? "" : res == -2 ? "mixed" : task_series_name(res)) ||
        h5io_attr_str(x, g, "day_rule", TASK_DAY_RULE))
        goto out;
    {
        char ch[24];
        snprintf(ch, sizeof ch, "%016llx", (unsigned long long)p->content_hash);
        if (h5io_attr_str(x, g, "data_content_hash", ch)) goto out;
    }
    h5io_tab *tab = W.tab;
    if (h5io_tab_create(x, f, "/tasks", T->tasks, 1, (hsize_t)n_sel, 0, &tab[T_TASKS]) ||
        h5io_tab_create(x, f, "/results", T->row, 1, n_rows, 0, &tab[T_RESULTS]) ||
        h5io_tab_create(x, f, "/series/index", T->index, 1, n_index, 0, &tab[T_INDEX]) ||
        h5io_tab_create(x, f, "/series/t", H5T_NATIVE_INT64, 1, n_series, 0, &tab[T_T]) ||
        h5io_tab_create(x, f, "/series/y", H5T_NATIVE_DOUBLE, 1, n_series, 0, &tab[T_Y]) ||
        h5io_tab_create(x, f, "/series/pred", H5T_NATIVE_DOUBLE, 2, n_series, (hsize_t)W.n_out, &tab[T_PRED]) ||
        h5io_tab_create(x, f, "/series/returns", H5T_NATIVE_FLOAT, 2, n_points, (hsize_t)S, &tab[T_RET]) ||
        h5io_tab_create(x, f, "/series/bh", H5T_NATIVE_FLOAT, 1, n_points, 0, &tab[T_BH]) ||
        h5io_tab_create(x, f, "/series/corrected", H5T_NATIVE_INT8, 2, n_series, (hsize_t)C, &tab[T_CORR]) ||
        h5io_tab_create(x, f, "/series/points", T->points, 1, n_index, 0, &tab[T_PTS]) ||
        h5io_tab_create(x, f, "/series/point_end", H5T_NATIVE_INT32, 1, n_dpts, 0, &tab[T_PEND]) ||
        h5io_tab_create(x, f, "/series/trades", H5T_NATIVE_INT32, 2, n_dpts, (hsize_t)S, &tab[T_TRD]))
        goto out;

    for (int i = 0; i < n_sel; i++) {
        task_view v;
        if (fetch(x, src, &sel[i], &v) || put_task(&W, &sel[i], &v) || put_rows(&W, &sel[i], &v) ||
            put_series(&W, &sel[i], &v))
            goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < T_N; i++)
        if (h5io_tab_close(x, &W.tab[i])) rc = -1;
    if (g >= 0 && H5Gclose(g) < 0 && !rc) rc = h5io_fail(x, "closing /series");
    if (gcpl >= 0) H5Pclose(gcpl);
    free(W.map);
    free(W.rows);
    free(W.rbuf);
    free(W.tbuf);
    free(W.srccol);
    free(W.cbuf);
    return rc;
}

/* One of the groups of per-task blocks besides /series (results.h):
 * /curves, /train_classes, /weights.  `what` picks the block. */
enum { EX_CURVE, EX_TRCLS, EX_WEIGHTS };

static int64_t extra_count(const sel_t *s, int what) {
    return what == EX_CURVE ? s->n_curve : what == EX_TRCLS ? s->n_trcls : s->n_weights;
}

static int write_extra(h5io_ctx *x, hid_t f, const layout_types *T, const results_source *src, const sel_t *sel,
                       int n_sel, int what) {
    static const char *const group[] = { "curves", "train_classes", "weights" };
    static const char *const index[] = { "/curves/index", "/train_classes/index", "/weights/index" };
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    enum { X_INDEX, X_A, X_B, X_N };
    h5io_tab tab[X_N];
    for (int i = 0; i < X_N; i++) tab[i].d = -1;
    int rc = -1;
    hsize_t n_ix = 0, N = 0;
    for (int i = 0; i < n_sel; i++) {
        int64_t c = extra_count(&sel[i], what);
        if (c > 0) { n_ix++; N += (hsize_t)c; }
    }
    if (gcpl < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
        (g = H5Gcreate2(f, group[what], H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0) {
        h5io_fail(x, "creating /%s", group[what]);
        goto out;
    }
    if (h5io_tab_create(x, f, index[what], T->index, 1, n_ix, 0, &tab[X_INDEX])) goto out;
    if (what == EX_CURVE && h5io_tab_create(x, f, "/curves/loss", H5T_NATIVE_DOUBLE, 2, N, 2, &tab[X_A])) goto out;
    if (what == EX_TRCLS && (h5io_tab_create(x, f, "/train_classes/net", H5T_NATIVE_UINT8, 1, N, 0, &tab[X_A]) ||
                             h5io_tab_create(x, f, "/train_classes/label", H5T_NATIVE_UINT8, 1, N, 0, &tab[X_B])))
        goto out;
    if (what == EX_WEIGHTS && h5io_tab_create(x, f, "/weights/blob", H5T_NATIVE_UINT8, 1, N, 0, &tab[X_A])) goto out;
    int64_t offset = 0;
    for (int i = 0; i < n_sel; i++) {
        int64_t c = extra_count(&sel[i], what);
        if (c <= 0) continue;
        task_view vv;
        if (fetch(x, src, &sel[i], &vv)) goto out;
        const task_view *v = &vv;
        index_rec ir;
        memset(&ir, 0, sizeof ir);
        ir.task_key = v->h->task_key;
        ir.model = sel[i].model;
        ir.fold_id = v->h->fold_id;
        ir.offset = offset;
        ir.n = c;
        offset += c;
        if (h5io_tab_append(x, &tab[X_INDEX], &ir, 1)) goto out;
        if (what == EX_CURVE && h5io_tab_append(x, &tab[X_A], v->curve, (hsize_t)c)) goto out;
        if (what == EX_TRCLS && (h5io_tab_append(x, &tab[X_A], v->tr_net, (hsize_t)c) ||
                                 h5io_tab_append(x, &tab[X_B], v->tr_true, (hsize_t)c)))
            goto out;
        if (what == EX_WEIGHTS && h5io_tab_append(x, &tab[X_A], v->weights, (hsize_t)c)) goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < X_N; i++)
        if (h5io_tab_close(x, &tab[i])) rc = -1;
    if (g >= 0 && H5Gclose(g) < 0 && !rc) rc = h5io_fail(x, "closing /%s", group[what]);
    if (gcpl >= 0) H5Pclose(gcpl);
    return rc;
}

static int write_attrs(h5io_ctx *x, hid_t f, const sweep_config *c, const sweep_plan *p,
                       const results_meta *m, int done, int failed) {
    char sh[24], dh[24], now[24];
    snprintf(sh, sizeof sh, "%016llx", (unsigned long long)plan_sweep_hash(p));
    snprintf(dh, sizeof dh, "%016llx", (unsigned long long)p->data_hash);
    results_iso_time((int64_t)time(NULL), now);
    int planned = m ? m->tasks_planned : 0;
    if (h5io_attr_int(x, f, "schema", RESULTS_SCHEMA) ||
        h5io_attr_str(x, f, "program", RS_PROGRAM) ||
        h5io_attr_str(x, f, "ini", c ? c->ini_text : "") ||
        h5io_attr_str(x, f, "name", c ? c->run.name : "") ||
        h5io_attr_str(x, f, "sweep_hash", sh) ||
        h5io_attr_str(x, f, "data_hash", dh) ||
        h5io_attr_str(x, f, "created", m && m->created && m->created[0] ? m->created : now) ||
        h5io_attr_str(x, f, "updated", now) ||
        h5io_attr_int(x, f, "ranks", m ? m->ranks : 0) ||
        h5io_attr_int(x, f, "threads", m ? m->threads : 0) ||
        h5io_attr_str(x, f, "blas", m ? m->blas : "") ||
        h5io_attr_str(x, f, "hosts", m ? m->hosts : "") ||
        h5io_attr_str(x, f, "shard", m ? m->shard : "") ||
        h5io_attr_str(x, f, "git_commit", m && m->git_commit ? m->git_commit : "") ||
        h5io_attr_str(x, f, "slurm_job_id", m && m->slurm_job_id ? m->slurm_job_id : "") ||
        h5io_attr_str(x, f, "slurm_array_job_id", m && m->slurm_array_job_id ? m->slurm_array_job_id : "") ||
        h5io_attr_str(x, f, "slurm_array_task_id", m && m->slurm_array_task_id ? m->slurm_array_task_id : "") ||
        h5io_attr_double(x, f, "bar_seconds", m ? m->bar_seconds : 0) ||
        h5io_attr_int(x, f, "tasks_planned", planned) ||
        h5io_attr_int(x, f, "tasks_done", done) ||
        h5io_attr_int(x, f, "tasks_failed", failed) ||
        h5io_attr_int(x, f, "complete", done >= planned))
        return -1;
    return 0;
}

/* ---- the file image --------------------------------------------------------- */

/* The core driver's buffer, taken over when HDF5 closes the file. */
typedef struct {
    void  *p;
    size_t cap;
} image;

static void *img_malloc(size_t size, H5FD_file_image_op_t op, void *ud) {
    (void)op;
    image *m = ud;
    m->p = malloc(size);
    m->cap = m->p ? size : 0;
    return m->p;
}

static void *img_memcpy(void *dst, const void *src, size_t size, H5FD_file_image_op_t op, void *ud) {
    (void)op;
    (void)ud;
    return memcpy(dst, src, size);
}

static void *img_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *ud) {
    (void)op;
    image *m = ud;
    void *q = realloc(ptr, size);
    if (q) { m->p = q; m->cap = size; }
    return q;
}

/* At close the buffer is ours (results_write writes and frees it);
 * anything else HDF5 frees is freed. */
static herr_t img_free(void *ptr, H5FD_file_image_op_t op, void *ud) {
    image *m = ud;
    if (ptr == m->p) {
        if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE) return 0;
        m->p = NULL;
        m->cap = 0;
    }
    free(ptr);
    return 0;
}

static void *img_udata_copy(void *ud) { return ud; }
static herr_t img_udata_free(void *ud) { (void)ud; return 0; }

/* Write n bytes to a new PATH.tmp, sync and close it; on failure remove it.
 * Returns 0, or -1 with errno set. */
static int put_file(const char *tmp, const void *buf, size_t n) {
    /* O_TRUNC without O_EXCL: a .tmp left by a crash is ours to replace
     * (the output lock makes this run the only writer) */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    const char *p = buf;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int err = w < 0 ? errno : EIO;
            close(fd);
            unlink(tmp);
            errno = err;
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    /* fsync and close both report deferred write errors (NFS, ENOSPC) */
    if (fsync(fd) != 0) {
        int err = errno;
        close(fd);
        unlink(tmp);
        errno = err;
        return -1;
    }
    if (close(fd) != 0) {
        int err = errno;
        unlink(tmp);
        errno = err;
        return -1;
    }
    return 0;
}

/* Make the rename durable (best effort: some filesystems cannot sync a
 * directory). */
static void sync_dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = !slash ? strdup(".") : slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        if (fsync(fd)) { /* nothing to add: the data itself was synced */ }
        close(fd);
    }
    free(dir);
}

/* Records adding up to more than this many bytes are written to disk by
 * HDF5 (see the top of the file). */
static uint64_t direct_threshold(void) {
    const char *s = getenv("RNNSWEEP_DIRECT_WRITE_BYTES");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*end) return (uint64_t)v;
    }
    return RESULTS_DIRECT_BYTES;
}

/* Room for an upper bound of a file written from rec_bytes of records in
 * tmp's file system: 0, or -1 with one line saying what is needed. */
static int disk_room(h5io_ctx *x, const sweep_plan *p, int n_folds, const char *tmp, uint64_t rec_bytes) {
    /* the records' blocks, the plan's tables (a row is < 512 bytes) and
     * 1 MiB of HDF5 metadata */
    const double need = RESULTS_DIRECT_SLACK * (double)rec_bytes +
                        512.0 * ((double)p->n_models + p->n_strategies + p->n_corrections + n_folds) +
                        (double)(1u << 20);
    const char *slash = strrchr(tmp, '/');
    char *dir = !slash ? strdup(".") : slash == tmp ? strdup("/") : strndup(tmp, (size_t)(slash - tmp));
    if (!dir) return h5io_oom(x);
    struct statvfs sv;
    int rc = statvfs(dir, &sv);
    free(dir);
    if (rc) return 0;                          /* cannot tell: let the write say */
    const double avail = (double)sv.f_bavail * (double)sv.f_frsize;
    if (avail >= need) return 0;
    errno = ENOSPC;
    return h5io_xfail(x, RS_EINTERNAL, "writing %s: No space left on device (the file needs up to %.1f MiB, "
                      "%.1f MiB free)", tmp, need / 1048576.0, avail / 1048576.0);
}

/* fsync a file HDF5 wrote and closed: 0, or -1 with errno. */
static int sync_file(const char *path) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd), err = errno;
    if (close(fd) && !rc) { rc = -1; err = errno; }
    errno = err;
    return rc;
}

/* Whether a failed write left a .tmp behind (the direct path creates it
 * before it fails; the in-memory path removes its own). */
static int direct_tmp_made(const char *tmp) {
    struct stat sb;
    return stat(tmp, &sb) == 0;
}

/* The test hook RNNSWEEP_TEST_WRITE_PAUSE=SECONDS[:N] (results.h): sleep
 * with PATH.tmp written and not yet renamed, so a test can kill -9 a run in
 * the middle of a checkpoint (every write, or only the N-th of the
 * process). */
static void write_pause(void) {
    static int writes = 0;
    writes++;
    const char *v = getenv("RNNSWEEP_TEST_WRITE_PAUSE");
    double s = v ? atof(v) : 0;
    const char *colon = v ? strchr(v, ':') : NULL;
    if (colon && atoi(colon + 1) != writes) s = 0;
    if (s > 0) {
        struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    }
}

int results_sweep_hash(const char *path, uint64_t *hash) {
    h5io_quiet q;
    h5io_quiet_on(&q);
    h5io_ctx x = { path, NULL, 0 };
    int rc = -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        rc = h5io_attr_read_hex(&x, f, "sweep_hash", hash) ? -1 : 0;
        H5Fclose(f);
    }
    h5io_quiet_off(&q);
    return rc;
}

/* The source of results_write: an array of views. */
static int views_get(void *ctx, int i, task_view *v, rs_err *e) {
    (void)e;
    *v = ((const task_view *)ctx)[i];
    return 0;
}

int results_write(const char *path, const sweep_config *c, const sweep_plan *p,
                  const results_fold *folds, int n_folds,
                  const task_view *tasks, int n_tasks, const results_meta *m, rs_err *e) {
    results_source src = { n_tasks, views_get, (void *)tasks };
    return results_write_source(path, c, p, folds, n_folds, &src, m, e);
}

int results_write_source(const char *path, const sweep_config *c, const sweep_plan *p,
                         const results_fold *folds, int n_folds, const results_source *src,
                         const results_meta *m, rs_err *e) {
    const int n_tasks = src->n;
    rs_err_clear(e);
    h5io_ctx x = { path, e, 0 };
    h5io_quiet q;
    h5io_quiet_on(&q);
    layout_types T = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };
    hid_t fapl = -1, f = -1;
    image img = { NULL, 0 };
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
    if (!tmp || !mk || !sk || !sel) { h5io_oom(&x); goto fail; }

    /* which records go in, in which order */
    for (int i = 0; i < p->n_models; i++) mk[i] = (keyidx){ p->models[i].key, i };
    for (int i = 0; i < p->n_strategies; i++) sk[i] = (keyidx){ p->strategies[i].key, i };
    qsort(mk, (size_t)p->n_models, sizeof *mk, cmp_keyidx);
    qsort(sk, (size_t)p->n_strategies, sizeof *sk, cmp_keyidx);
    int n_sel = 0, max_strat = 1;
    uint64_t rec_bytes = 0;                  /* the selected records' bytes   */
    /* one pass over the records: which go in, and each one's mapped rows
     * (the map needs room for the widest record: grown as they come) */
    for (int i = 0; i < n_tasks; i++) {
        task_view v;
        rs_err ge;
        int grc = src->get(src->ctx, i, &v, &ge);
        if (grc) { h5io_xfail(&x, grc, "reading record %d back: %s", i, ge.msg); goto fail; }
        int mi = key_lookup(mk, p->n_models, v.h->model_key);
        /* pred is [N][plan n_out]: a record of another width cannot be this
         * plan's (the plan fixes the head), like an unknown model key */
        if (mi < 0 || v.h->n_out != p->n_out) continue;
        if (v.h->n_strat > max_strat || !map) {
            if (v.h->n_strat > max_strat) max_strat = v.h->n_strat;
            rowmap *nm = realloc(map, (size_t)max_strat * sizeof *map);
            if (!nm) { h5io_oom(&x); goto fail; }
            map = nm;
        }
        const task_head *h = v.h;
        rec_bytes += v.bytes;
        sel[n_sel++] = (sel_t){ h->task_key, h->fold_id, i, mi, map_rows(&v, sk, p->n_strategies, map), h->n_strat,
                                h->n_test, h->status, h->n_pts, h->series, h->n_curve, h->n_trcls,
                                h->n_weights };
    }
    qsort(sel, (size_t)n_sel, sizeof *sel, cmp_sel_key);
    int k = 0;
    for (int i = 0; i < n_sel; i++) {          /* equal task keys: the later wins */
        if (i + 1 < n_sel && sel[i + 1].key == sel[i].key) continue;
        sel[k++] = sel[i];
    }
    n_sel = k;
    qsort(sel, (size_t)n_sel, sizeof *sel, cmp_sel_order);
    int done = n_sel, failed = 0;
    for (int i = 0; i < n_sel; i++) failed += sel[i].status != TASK_OK;

    /* the file: in memory, or (big) on disk, written by HDF5 */
    const int direct = rec_bytes > direct_threshold();
    if (direct && disk_room(&x, p, n_folds, tmp, rec_bytes)) goto fail;
    if (layout_types_open(&x, &T)) goto fail;
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5FD_file_image_callbacks_t cb = { img_malloc, img_memcpy, img_realloc, img_free, img_udata_copy,
                                       img_udata_free, &img };
    /* STRONG: closing the file closes whatever an error path left open */
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        (direct ? H5Pset_fapl_sec2(fapl) < 0
                : H5Pset_fapl_core(fapl, IMAGE_INCREMENT, 0) < 0 || H5Pset_file_image_callbacks(fapl, &cb) < 0)) {
        h5io_fail(&x, "file access list");
        goto fail;
    }
    f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (f < 0) { h5io_fail(&x, direct ? "cannot create the .tmp file" : "cannot create the file in memory"); goto fail; }
    if (write_attrs(&x, f, c, p, m, done, failed) ||
        write_plan(&x, f, &T, p, folds, n_folds) ||
        write_tasks(&x, f, &T, p, src, sel, n_sel, sk, max_strat) ||
        write_extra(&x, f, &T, src, sel, n_sel, EX_CURVE) || write_extra(&x, f, &T, src, sel, n_sel, EX_TRCLS) ||
        write_extra(&x, f, &T, src, sel, n_sel, EX_WEIGHTS))
        goto fail;
    if (direct) {
        if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) { h5io_fail(&x, "writing %s", tmp); goto fail; }
        herr_t dr = H5Fclose(f);
        f = -1;
        if (dr < 0) { h5io_fail(&x, "closing %s", tmp); goto fail; }
        if (sync_file(tmp)) { h5io_xfail(&x, RS_EINTERNAL, "writing %s: %s", tmp, strerror(errno)); goto fail; }
        goto written;
    }
    /* H5Fget_file_image flushes: the size is the finished file's */
    ssize_t size = H5Fget_file_image(f, NULL, 0);
    if (size < 0) { h5io_fail(&x, "flushing the file"); goto fail; }
    herr_t cr = H5Fclose(f);
    f = -1;
    if (cr < 0) { h5io_fail(&x, "closing the file"); goto fail; }
    if (!img.p || (size_t)size > img.cap) { h5io_xfail(&x, RS_EINTERNAL, "the file image went missing"); goto fail; }

    /* the file, on disk */
    if (put_file(tmp, img.p, (size_t)size)) { h5io_xfail(&x, RS_EINTERNAL, "writing %s: %s", tmp, strerror(errno)); goto fail; }
written:
    write_pause();
    if (rename(tmp, path)) {
        h5io_xfail(&x, RS_EINTERNAL, "cannot rename the .tmp file over it: %s", strerror(errno));
        unlink(tmp);
        goto fail;
    }
    sync_dir_of(path);
    layout_types_close(&T);
    H5Pclose(fapl);
    h5io_quiet_off(&q);
    free(img.p);
    free(tmp); free(mk); free(sk); free(sel); free(map);
    return 0;

fail:
    if (f >= 0) H5Fclose(f);
    if (tmp && direct_tmp_made(tmp)) unlink(tmp);
    layout_types_close(&T);
    if (fapl >= 0) H5Pclose(fapl);
    h5io_quiet_off(&q);
    free(img.p);
    free(tmp); free(mk); free(sk); free(sel); free(map);
    return x.bad;
}
