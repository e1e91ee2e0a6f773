/*
 * results_read.c — reading a results file back (results.h is the contract;
 * results_layout.h the rows and types).
 *
 * Reading rebuilds each packed record from /tasks (head), /results (its
 * rows: a run of equal task_key, same order as /tasks), /series/index (its
 * slice, if any), /series/points (schema 5: the slice of its per-strategy
 * series points and their resolution; a schema-3/4 file's series are per
 * bar at the /series/index slice) and the returns columns named by each
 * row's strategy index; n_out is /series/pred's width.
 */
#include "coordinator/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coordinator/h5io.h"
#include "coordinator/results_layout.h"

/* One group of per-task blocks (/curves, /train_classes, /weights): its
 * index and data, absent (n_ix = 0) in a schema-3 file. */
typedef struct {
    index_rec *ix;
    size_t     n_ix, N, at;          /* at: the next index row to match      */
    void      *a, *b;                /* loss [N][2] | net, label | blob       */
} extra_group;

static void extra_free(extra_group *g) { free(g->ix); free(g->a); free(g->b); memset(g, 0, sizeof *g); }

/* Task key's slice of group g (in /tasks order, like /series/index):
 * *off and *n, or n = 0.  -1 when the index points outside the data. */
static int extra_slice(extra_group *g, uint64_t key, size_t *off, size_t *n) {
    *off = *n = 0;
    if (g->at >= g->n_ix || g->ix[g->at].task_key != key) return 0;
    const index_rec *q = &g->ix[g->at++];
    if (q->offset < 0 || q->n < 1 || (size_t)q->offset > g->N || (size_t)q->n > g->N - (size_t)q->offset) return -1;
    *off = (size_t)q->offset;
    *n = (size_t)q->n;
    return 0;
}

/* Rebuild every task's packed record from /tasks, /results and /series
 * (all three in the same task order, see results_write), and /curves,
 * /train_classes and /weights. */
/* The per-strategy series points of a file: /series/points (NULL in a
 * schema-3/4 file: every series per bar), returns [P][S], bh [P], and
 * point_end [P], trades [P][S] when the file has daily points (n_pe = P;
 * else 0). */
typedef struct {
    const points_rec *ix;
    size_t            n_ix, P, n_pe;
    const float      *ret, *bh;
    const int32_t    *pe, *trd;
} points_in;

static int rebuild_tasks(h5io_ctx *x, results_file *r, const tasks_rec *tr, size_t n_tasks,
                         const index_rec *ix, size_t n_ix, const int64_t *t, const double *y,
                         const double *pred, const points_in *pi, const int8_t *corr,
                         size_t N, size_t n_out, size_t S, size_t C, extra_group *ex) {
    r->tasks = calloc(n_tasks ? n_tasks : 1, sizeof *r->tasks);
    if (!r->tasks) return h5io_oom(x);
    r->n_tasks = (int)n_tasks;
    size_t rc = 0, si = 0, max_ret = 0, max_corr = 0;
    float *rbuf = NULL;
    int8_t *cbuf = NULL;
    int32_t *tbuf = NULL;            /* trades [n_strat][n_pts], max_ret room  */
#define RB_FAIL(...) (free(rbuf), free(cbuf), free(tbuf), h5io_xfail(x, RS_EINTERNAL, __VA_ARGS__))
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
        h5io_fixstr(h.host, sizeof h.host, tr[i].host);
        h5io_fixstr(h.blas, sizeof h.blas, tr[i].blas);
        h5io_fixstr(h.message, sizeof h.message, tr[i].message);
        h.reevaluated = tr[i].reevaluated;
        size_t eo[3], en[3];
        for (int g = 0; g < 3; g++)
            if (extra_slice(&ex[g], h.task_key, &eo[g], &en[g])) {
                free(rbuf);
                free(cbuf);
                return h5io_xfail(x, RS_EINTERNAL, "task %016llx: an index of /curves, /train_classes or "
                                  "/weights points outside its data", (unsigned long long)h.task_key);
            }
        h.n_curve = (int32_t)en[0];
        h.n_trcls = (int32_t)en[1];
        h.n_weights = (int64_t)en[2];
        const task_extras xt = { en[0] ? (const double *)ex[0].a + 2 * eo[0] : NULL,
                                 en[1] ? (const uint8_t *)ex[1].a + eo[1] : NULL,
                                 en[1] ? (const uint8_t *)ex[1].b + eo[1] : NULL,
                                 en[2] ? (const uint8_t *)ex[2].a + eo[2] : NULL };
        size_t r0 = rc;
        while (rc < (size_t)r->n_rows && r->rows[rc].task_key == h.task_key) rc++;
        h.n_strat = (int32_t)(rc - r0);
        size_t off = 0, nt = 0;
        if (si < n_ix && ix[si].task_key == h.task_key) {
            if (ix[si].offset < 0 || ix[si].n < 1 || (size_t)ix[si].offset > N || (size_t)ix[si].n > N - (size_t)ix[si].offset) {
                free(rbuf);
                free(cbuf);
                return h5io_xfail(x, RS_EINTERNAL, "/series/index: task %016llx: rows outside /series",
                             (unsigned long long)h.task_key);
            }
            off = (size_t)ix[si].offset;
            nt = (size_t)ix[si].n;
            si++;
        }
        h.n_test = (int32_t)nt;
        /* the task's series points: /series/points' row of this slice */
        size_t poff = off, np = nt;
        h.series = TASK_SERIES_BAR;
        if (nt && pi->ix) {
            const points_rec *q = &pi->ix[si - 1];
            if (si - 1 >= pi->n_ix || q->task_key != h.task_key || q->offset < 0 || q->n < 0 ||
                (size_t)q->offset > pi->P || (size_t)q->n > pi->P - (size_t)q->offset)
                return RB_FAIL("/series/points: task %016llx: no row, or points outside /series/returns",
                               (unsigned long long)h.task_key);
            poff = (size_t)q->offset;
            np = (size_t)q->n;
            h.series = q->series;
            if (h.series == TASK_SERIES_DAY && pi->n_pe != pi->P)
                return RB_FAIL("/series/point_end: %zu rows for %zu points", pi->n_pe, pi->P);
        }
        h.n_pts = (int32_t)np;
        const int day = h.series == TASK_SERIES_DAY;
        if (np && h.n_strat) {
            size_t need = np * (size_t)h.n_strat;
            if (need > max_ret) {
                float *nb = realloc(rbuf, need * sizeof *nb);
                int32_t *tb = realloc(tbuf, need * sizeof *tb);
                if (nb) rbuf = nb;
                if (tb) tbuf = tb;
                if (!nb || !tb) { free(rbuf); free(cbuf); free(tbuf); return h5io_oom(x); }
                max_ret = need;
            }
            for (size_t j = 0; j < (size_t)h.n_strat; j++) {
                int s = r->rows[r0 + j].strategy;
                if (s < 0 || (size_t)s >= S)
                    return RB_FAIL("/results: strategy index %d outside /series/returns", s);
                for (size_t b = 0; b < np; b++) rbuf[j * np + b] = pi->ret[(poff + b) * S + (size_t)s];
                if (day)
                    for (size_t b = 0; b < np; b++) tbuf[j * np + b] = pi->trd[(poff + b) * S + (size_t)s];
            }
        }
        /* the corrected classes, [correction][bar] as the record holds them */
        h.n_corr = nt ? (int32_t)C : 0;
        if (nt && C) {
            if (nt * C > max_corr) {
                int8_t *nb = realloc(cbuf, nt * C);
                if (!nb) { free(rbuf); free(cbuf); return h5io_oom(x); }
                cbuf = nb;
                max_corr = nt * C;
            }
            for (size_t c = 0; c < C; c++)
                for (size_t b = 0; b < nt; b++) cbuf[c * nt + b] = corr[(off + b) * C + c];
        }
        /* task_pack copies 0 bytes from ret when n_strat = 0, but memcpy
         * still wants a valid pointer */
        static const float none[1];
        static const int32_t nonei[1];
        const task_points pts = { np ? (rbuf ? rbuf : none) : NULL, np ? pi->bh + poff : NULL,
                                  day && np ? pi->pe + poff : NULL, day && np ? (tbuf ? tbuf : nonei) : NULL };
        rs_err pe;
        if (task_pack_points(&r->tasks[i], &h, r->rows + r0, nt ? t + off : NULL, nt ? y + off : NULL,
                             nt ? pred + off * n_out : NULL, &pts, h.n_corr ? cbuf : NULL, &xt, &pe))
            return RB_FAIL("%s", pe.msg);
        /* a daily series must index its own bars (task_view_parse checks) */
        task_view tv;
        if (task_view_parse(r->tasks[i].p, r->tasks[i].len, &tv, &pe))
            return RB_FAIL("task %016llx: %s", (unsigned long long)h.task_key, pe.msg);
    }
#undef RB_FAIL
    free(rbuf);
    free(cbuf);
    free(tbuf);
    if (rc != (size_t)r->n_rows || si != n_ix || ex[0].at != ex[0].n_ix || ex[1].at != ex[1].n_ix ||
        ex[2].at != ex[2].n_ix)
        return h5io_xfail(x, RS_EINTERNAL, "/results or /series/index not in the order of /tasks (%zu of %d rows, "
                     "%zu of %zu series matched)", rc, r->n_rows, si, n_ix);
    return 0;
}

int results_read(const char *path, results_file *r, rs_err *e) {
    rs_err_clear(e);
    memset(r, 0, sizeof *r);
    h5io_ctx x = { path, e, 0 };
    struct stat st;
    if (stat(path, &st)) return rs_err_set(e, RS_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    h5io_quiet q;
    h5io_quiet_on(&q);
    layout_types T = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };
    hid_t fapl = -1, f = -1;
    fold_rec *fr = NULL;
    tasks_rec *tr = NULL;
    index_rec *ix = NULL;
    int64_t *t = NULL;
    double *y = NULL, *pred = NULL;
    float *ret = NULL, *bh = NULL;
    int8_t *corr = NULL;
    points_rec *pts = NULL;
    int32_t *pend = NULL, *trd = NULL;
    size_t n_pts_ix = 0, n_pend = 0, n_trd = 0, S2 = 0;
    extra_group ex[3];
    memset(ex, 0, sizeof ex);
    size_t n, n_tasks, n_ix, N, n_y, n_pred, n_ret, n_bh, n_corr_rows, n_out = 1, S = 0, C = 0;

    if (H5Fis_hdf5(path) <= 0) { h5io_xfail(&x, RS_EINPUT, "not an HDF5 file"); goto fail; }
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) { h5io_fail(&x, "file access list"); goto fail; }
    f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f < 0) { h5io_fail(&x, "cannot open"); goto fail; }
    if (H5Aexists(f, "schema") <= 0) {
        h5io_xfail(&x, RS_EINPUT, "not an rnnsweep results file (no schema attribute)");
        goto fail;
    }
    int schema;
    if (h5io_attr_read_int(&x, f, "schema", &schema)) goto fail;
    if (schema < RESULTS_SCHEMA_OLDEST || schema > RESULTS_SCHEMA) {
        h5io_xfail(&x, RS_EINPUT, "schema %d, this program reads %d..%d", schema, RESULTS_SCHEMA_OLDEST,
                   RESULTS_SCHEMA);
        goto fail;
    }
    r->schema = (uint32_t)schema;
    if (h5io_attr_read_buf(&x, f, "program", r->program, sizeof r->program) ||
        h5io_attr_read_str(&x, f, "ini", &r->ini_text) ||
        h5io_attr_read_buf(&x, f, "name", r->name, sizeof r->name) ||
        h5io_attr_read_hex(&x, f, "sweep_hash", &r->sweep_hash) ||
        h5io_attr_read_hex(&x, f, "data_hash", &r->data_hash) ||
        h5io_attr_read_buf(&x, f, "created", r->created, sizeof r->created) ||
        h5io_attr_read_buf(&x, f, "updated", r->updated, sizeof r->updated) ||
        h5io_attr_read_int(&x, f, "ranks", &r->ranks) ||
        h5io_attr_read_int(&x, f, "threads", &r->threads) ||
        h5io_attr_read_buf(&x, f, "blas", r->blas, sizeof r->blas) ||
        h5io_attr_read_str(&x, f, "hosts", &r->hosts) ||
        h5io_attr_read_buf(&x, f, "shard", r->shard, sizeof r->shard) ||
        h5io_attr_read_int(&x, f, "tasks_planned", &r->tasks_planned) ||
        h5io_attr_read_int(&x, f, "tasks_done", &r->tasks_done) ||
        h5io_attr_read_int(&x, f, "tasks_failed", &r->tasks_failed) ||
        h5io_attr_read_int(&x, f, "complete", &r->complete))
        goto fail;
    if (H5Aexists(f, "bar_seconds") > 0 && h5io_attr_read_double(&x, f, "bar_seconds", &r->bar_seconds)) goto fail;
    {   /* provenance: absent from files written before it */
        static const char *const pn[] = { "git_commit", "slurm_job_id", "slurm_array_job_id", "slurm_array_task_id" };
        char *const pb[] = { r->git_commit, r->slurm_job_id, r->slurm_array_job_id, r->slurm_array_task_id };
        const size_t ps[] = { sizeof r->git_commit, sizeof r->slurm_job_id, sizeof r->slurm_array_job_id,
                              sizeof r->slurm_array_task_id };
        for (int i = 0; i < 4; i++)
            if (H5Aexists(f, pn[i]) > 0 && h5io_attr_read_buf(&x, f, pn[i], pb[i], ps[i])) goto fail;
    }

    snprintf(r->series_res, sizeof r->series_res, "bar");      /* schema 3/4: every series per bar */
    if (schema >= 5) {
        hid_t g = H5Gopen2(f, "series", H5P_DEFAULT);
        int bad = g < 0 || h5io_attr_read_buf(&x, g, "resolution", r->series_res, sizeof r->series_res) ||
                  h5io_attr_read_hex(&x, g, "data_content_hash", &r->data_content_hash);
        if (g >= 0) H5Gclose(g);
        if (bad) {
            if (!x.bad) h5io_fail(&x, "/series: no resolution attribute");
            goto fail;
        }
    }
    if (layout_types_open(&x, &T)) goto fail;
    if (h5io_dset_read(&x, f, "/plan/folds", T.fold, 1, (void **)&fr, &n, NULL)) goto fail;
    r->folds = calloc(n ? n : 1, sizeof *r->folds);
    if (!r->folds) { h5io_oom(&x); goto fail; }
    r->n_folds = (int)n;
    for (size_t i = 0; i < n; i++) {
        results_fold *o = &r->folds[i];
        o->lookback = fr[i].lookback;
        o->fold_id = fr[i].fold_id;
        o->status = strcmp(fr[i].status, "ok") ? FOLD_EMPTY : FOLD_OK;
        o->n_train = fr[i].n_train;
        o->n_val = fr[i].n_val;
        o->n_test = fr[i].n_test;
        if (layout_iso_parse(fr[i].train_first, &o->train_first) || layout_iso_parse(fr[i].train_last, &o->train_last) ||
            layout_iso_parse(fr[i].test_first, &o->test_first) || layout_iso_parse(fr[i].test_last, &o->test_last)) {
            h5io_xfail(&x, RS_EINTERNAL, "/plan/folds: row %zu: a timestamp is not ISO 8601", i);
            goto fail;
        }
    }

    if (h5io_dset_read(&x, f, "/results", T.row, 1, (void **)&r->rows, &n, NULL)) goto fail;
    r->n_rows = (int)n;
    {   /* whatever a conversion left in padding: zero, as written */
        unsigned char cover[sizeof(task_row)] = { 0 };
        layout_cover_members(T.row, 0, cover);
        layout_zero_padding(r->rows, n, cover);
    }
    if (h5io_dset_read(&x, f, "/tasks", schema >= 4 ? T.tasks : T.tasks_v3, 1, (void **)&tr, &n_tasks, NULL) ||
        h5io_dset_read(&x, f, "/series/index", T.index, 1, (void **)&ix, &n_ix, NULL) ||
        h5io_dset_read(&x, f, "/series/t", H5T_NATIVE_INT64, 1, (void **)&t, &N, NULL) ||
        h5io_dset_read(&x, f, "/series/y", H5T_NATIVE_DOUBLE, 1, (void **)&y, &n_y, NULL) ||
        h5io_dset_read(&x, f, "/series/pred", H5T_NATIVE_DOUBLE, 2, (void **)&pred, &n_pred, &n_out) ||
        h5io_dset_read(&x, f, "/series/returns", H5T_NATIVE_FLOAT, 2, (void **)&ret, &n_ret, &S) ||
        h5io_dset_read(&x, f, "/series/bh", H5T_NATIVE_FLOAT, 1, (void **)&bh, &n_bh, NULL) ||
        h5io_dset_read(&x, f, "/series/corrected", H5T_NATIVE_INT8, 2, (void **)&corr, &n_corr_rows, &C))
        goto fail;
    /* schema 5: per-strategy series at their resolution (results.h) */
    if (schema >= 5 &&
        (h5io_dset_read(&x, f, "/series/points", T.points, 1, (void **)&pts, &n_pts_ix, NULL) ||
         h5io_dset_read(&x, f, "/series/point_end", H5T_NATIVE_INT32, 1, (void **)&pend, &n_pend, NULL) ||
         h5io_dset_read(&x, f, "/series/trades", H5T_NATIVE_INT32, 2, (void **)&trd, &n_trd, &S2)))
        goto fail;
    const size_t P = n_ret;              /* point rows (= N before schema 5) */
    if (n_y != N || n_pred != N || n_bh != P || n_corr_rows != N || (n_out != 1 && n_out != 3) ||
        (schema < 5 && P != N) || (schema >= 5 && (n_pts_ix != n_ix || (n_pend && n_pend != P) || n_trd != n_pend ||
                                                   (n_trd && S2 != S)))) {
        h5io_xfail(&x, RS_EINTERNAL, "/series: datasets of different lengths or a bad prediction width");
        goto fail;
    }
    if (schema >= 4) {   /* the per-task blocks of schema 4 (results.h) */
        size_t n2, na, nb, cols;
        if (h5io_dset_read(&x, f, "/curves/index", T.index, 1, (void **)&ex[0].ix, &ex[0].n_ix, NULL) ||
            h5io_dset_read(&x, f, "/curves/loss", H5T_NATIVE_DOUBLE, 2, &ex[0].a, &ex[0].N, &cols) ||
            h5io_dset_read(&x, f, "/train_classes/index", T.index, 1, (void **)&ex[1].ix, &ex[1].n_ix, NULL) ||
            h5io_dset_read(&x, f, "/train_classes/net", H5T_NATIVE_UINT8, 1, &ex[1].a, &na, NULL) ||
            h5io_dset_read(&x, f, "/train_classes/label", H5T_NATIVE_UINT8, 1, &ex[1].b, &nb, NULL) ||
            h5io_dset_read(&x, f, "/weights/index", T.index, 1, (void **)&ex[2].ix, &ex[2].n_ix, NULL) ||
            h5io_dset_read(&x, f, "/weights/blob", H5T_NATIVE_UINT8, 1, &ex[2].a, &n2, NULL))
            goto fail;
        ex[1].N = na;
        ex[2].N = n2;
        if (cols != 2 || na != nb) {
            h5io_xfail(&x, RS_EINTERNAL, "/curves/loss or /train_classes: bad shapes");
            goto fail;
        }
    }
    for (size_t i = 0; i < n_tasks; i++) {
        tr[i].message[TASK_MSG_MAX - 1] = 0;
        tr[i].host[TASK_HOST_MAX - 1] = 0;
        tr[i].blas[TASK_BLAS_MAX - 1] = 0;
    }
    const points_in pin = { pts, n_pts_ix, P, n_pend, ret, bh, pend, trd };
    if (rebuild_tasks(&x, r, tr, n_tasks, ix, n_ix, t, y, pred, &pin, corr, N, n_out, S, C, ex)) goto fail;

    H5Fclose(f);
    f = -1;
    goto out;
fail:
    results_file_free(r);
out:
    if (f >= 0) H5Fclose(f);
    if (fapl >= 0) H5Pclose(fapl);
    layout_types_close(&T);
    h5io_quiet_off(&q);
    free(fr); free(tr); free(ix); free(t); free(y); free(pred); free(ret); free(bh); free(corr);
    free(pts); free(pend); free(trd);
    for (int g = 0; g < 3; g++) extra_free(&ex[g]);
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
