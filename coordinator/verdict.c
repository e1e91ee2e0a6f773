/*
 * verdict.c — stitched curves, the deflated Sharpe, PBO and walk-forward
 * selection of a board (see verdict.h).
 *
 * The series stay where results_read put them (the packed task records):
 * an index of (model, fold) → task view is built once per call, and every
 * configuration's returns are read through it into one scratch buffer of a
 * fold's length or of the common bars (T), never a trials × bars matrix.
 * Two passes over the trials: moments, Sharpes and PBO block statistics,
 * then the standardised sums behind the average correlation.
 */
#include "coordinator/verdict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "worker/metrics.h"

#define PBO_DEFAULT_BLOCKS 16
#define WF_DEFAULT_TOP     5
#define PBO_DEFAULT_BUDGET 4e9

/* ---- the series index ---------------------------------------------------------------- */

/* A task with a series: its view, and its series points' timestamps (the
 * record's t for a per-bar series, the days' last bars for a daily one). */
typedef struct { int model, fold_id; task_view v; const int64_t *pt; } tref;

typedef struct {
    tref    *t;
    int      n;
    long     max_bars;               /* the most points of one task            */
    int      n_none;                 /* ok tasks with bars but no points stored */
    int64_t *pts;                    /* the daily tasks' point timestamps       */
} sindex;

static void sindex_free(sindex *ix) { free(ix->t); free(ix->pts); memset(ix, 0, sizeof *ix); }

static int cmp_tref(const void *pa, const void *pb) {
    const tref *a = pa, *b = pb;
    if (a->model != b->model) return a->model < b->model ? -1 : 1;
    return (a->fold_id > b->fold_id) - (a->fold_id < b->fold_id);
}

/* The index of every ok task's series points (task.h, "Series resolution"):
 * per bar or per day alike, a series is n_pts points with timestamps; a
 * task stored without them ([run] series = none) only counts in n_none. */
static int sindex_build(const results_file *r, sindex *ix, rs_err *e) {
    memset(ix, 0, sizeof *ix);
    ix->t = malloc((size_t)(r->n_tasks ? r->n_tasks : 1) * sizeof *ix->t);
    if (!ix->t) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    size_t n_day = 0;
    for (int i = 0; i < r->n_tasks; i++) {
        task_view v;
        if (task_view_parse(r->tasks[i].p, r->tasks[i].len, &v, e)) { sindex_free(ix); return RS_EINTERNAL; }
        if (v.h->status != TASK_OK || v.h->n_strat < 1) continue;
        if (v.h->n_test >= 2 && v.h->n_pts == 0) { ix->n_none++; continue; }
        if (v.h->n_pts < 2) continue;
        ix->t[ix->n++] = (tref){ v.rows[0].model, v.h->fold_id, v, v.t };
        if (v.h->n_pts > ix->max_bars) ix->max_bars = v.h->n_pts;
        if (v.pt_end) n_day += (size_t)v.h->n_pts;
    }
    if (n_day) {
        ix->pts = malloc(n_day * sizeof *ix->pts);
        if (!ix->pts) { sindex_free(ix); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
        size_t at = 0;
        for (int i = 0; i < ix->n; i++) {
            const task_view *v = &ix->t[i].v;
            if (!v->pt_end) continue;
            for (int k = 0; k < v->h->n_pts; k++) ix->pts[at + (size_t)k] = task_point_time(v, k);
            ix->t[i].pt = ix->pts + at;
            at += (size_t)v->h->n_pts;
        }
    }
    qsort(ix->t, (size_t)ix->n, sizeof *ix->t, cmp_tref);
    return 0;
}

/* The why of a verdict part that found no series because none are stored. */
static int sindex_none_why(const sindex *ix, char *why, size_t n) {
    if (ix->n > 0 || ix->n_none == 0) return 0;
    snprintf(why, n, "no per-strategy series stored ([run] series = none): it needs every configuration's "
             "returns; rerun with series = day or bar (re-evaluation needs no training)");
    return 1;
}

static const tref *sindex_find(const sindex *ix, int model, int fold_id) {
    tref key = { model, fold_id, { 0 }, NULL };
    return bsearch(&key, ix->t, (size_t)ix->n, sizeof *ix->t, cmp_tref);
}

/* The row (index into v->rows) of strategy s, or -1. */
static int view_row(const task_view *v, int s) {
    int lo = 0, hi = v->h->n_strat - 1;
    while (lo <= hi) {                           /* rows ascend by strategy */
        int mid = (lo + hi) / 2, x = v->rows[mid].strategy;
        if (x == s) return mid;
        if (x < s) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
}

/* The series points of configuration c in fold fold_id, seeds averaged,
 * into out; *tt their timestamps, *bh the buy-and-hold returns (both of the
 * first seed's task), *bpy the points' annualisation (task_points_per_year).
 * Per bar, points 1..n-1 (the first bar's return is 0 by construction,
 * task.h); per day every point (the first day holds bars 1.. of its day).
 * Returns the number of points, 0 when a seed has no series there. */
static long ens_fold(const sindex *ix, const board *b, const board_cfg *c, int fold_id, double *out,
                     const int64_t **tt, const float **bh, double *bpy) {
    const int g = c->group, m0 = b->member_off[g], ns = b->member_off[g + 1] - m0;
    const tref *f0 = sindex_find(ix, b->members[m0], fold_id);
    if (!f0) return 0;
    const task_view *v0 = &f0->v;
    int j0 = view_row(v0, c->strat);
    if (j0 < 0 || v0->rows[j0].status != TASK_OK) return 0;
    const long np = v0->h->n_pts, skip = v0->pt_end ? 0 : 1, n = np - skip;
    const float *r0 = v0->ret + (size_t)j0 * (size_t)np + skip;
    for (long k = 0; k < n; k++) out[k] = r0[k];
    for (int i = 1; i < ns; i++) {
        const tref *fi = sindex_find(ix, b->members[m0 + i], fold_id);
        if (!fi) return 0;
        const task_view *v = &fi->v;
        if (v->h->n_test != v0->h->n_test || v->h->n_pts != np || v->h->series != v0->h->series ||
            memcmp(v->t, v0->t, (size_t)v0->h->n_test * sizeof *v->t))
            return 0;                             /* seeds trade the same bars */
        int j = view_row(v, c->strat);
        if (j < 0 || v->rows[j].status != TASK_OK) return 0;
        const float *ri = v->ret + (size_t)j * (size_t)np + skip;
        for (long k = 0; k < n; k++) out[k] += ri[k];
    }
    if (ns > 1)
        for (long k = 0; k < n; k++) out[k] /= ns;
    *tt = f0->pt + skip;
    *bh = v0->bh + skip;
    *bpy = task_points_per_year(v0, j0);
    return n;
}

/* ---- stitched curves --------------------------------------------------------------------- */

typedef struct { mt_acc a, bh; double eq, eq_bh; } curve_acc;

static void curve_init(curve_acc *c) {
    metrics_acc_init(&c->a, 1);
    metrics_acc_init(&c->bh, 1);
    c->eq = c->eq_bh = 1;
}

static void curve_push(curve_acc *c, double r, double rb) {
    c->eq *= 1 + r;
    c->eq_bh *= 1 + rb;
    metrics_acc_push(&c->a, c->eq);
    metrics_acc_push(&c->bh, c->eq_bh);
}

static int stitch_all(board *b, const sindex *ix, double *buf) {
    for (int c = 0; c < b->n_cfg; c++) {
        board_cfg *x = &b->cfg[c];
        if (x->strat < 0) continue;
        curve_acc ca;
        curve_init(&ca);
        double bpy = 0;
        x->st_folds = 0;
        x->st_bars = 0;
        for (int f = 0; f < b->n_folds; f++) {
            const int64_t *t;
            const float *bh;
            double by;
            long n = ens_fold(ix, b, x, b->fold_ids[f], buf, &t, &bh, &by);
            if (!n) continue;
            if (!bpy) bpy = by;
            x->st_folds++;
            x->st_bars += n;
            for (long k = 0; k < n; k++) curve_push(&ca, buf[k], bh[k]);
        }
        x->st_roi = x->st_sharpe = x->st_mdd = x->st_bh_roi = NAN;
        if (x->st_bars >= 1) {
            mt_trading m, mb;
            memset(&m, 0, sizeof m);
            memset(&mb, 0, sizeof mb);
            metrics_acc_finish(&ca.a, bpy, &m);
            metrics_acc_finish(&ca.bh, bpy, &mb);
            x->st_roi = m.roi_pct;
            x->st_sharpe = m.sharpe;
            x->st_mdd = m.max_dd_pct;
            x->st_bh_roi = mb.roi_pct;
        }
    }
    return 0;
}

/* ---- common bars ------------------------------------------------------------------------- */

/* Intersect sorted a[0..na) with sorted b[0..nb) into a (in place). */
static long intersect(int64_t *a, long na, const int64_t *b, long nb) {
    long i = 0, j = 0, k = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) i++;
        else if (a[i] > b[j]) j++;
        else { a[k++] = a[i]; i++; j++; }
    }
    return k;
}

/* Trial c's returns on the common bars ct[f] (counts cn[f]) into x[T]. */
static void trial_series(const sindex *ix, const board *b, const board_cfg *c, int64_t **ct, const long *cn,
                         double *fold_buf, double *x, double *bh_x) {
    long k = 0;
    for (int f = 0; f < b->n_folds; f++) {
        const int64_t *t;
        const float *bh;
        double bpy;
        long n = ens_fold(ix, b, c, b->fold_ids[f], fold_buf, &t, &bh, &bpy);
        long i = 0;
        for (long j = 0; j < cn[f]; j++) {
            while (i < n && t[i] < ct[f][j]) i++;
            x[k] = fold_buf[i];                    /* t[i] == ct[f][j]: ct is a subset */
            if (bh_x) bh_x[k] = bh[i];
            k++;
        }
    }
}

/* ---- the verdict --------------------------------------------------------------------------- */

static void wf_select_and_trade(board *b, const sindex *ix, const verdict_opts *o, verdict *v, double *buf,
                                double *buf2, rs_err *e);

int verdict_build(board *b, const verdict_opts *o, verdict *v, rs_err *e) {
    memset(v, 0, sizeof *v);
    const int S = o && o->pbo_blocks ? o->pbo_blocks : PBO_DEFAULT_BLOCKS;
    if (S < 2 || S > 30 || S % 2)
        return rs_err_set(e, RS_EINPUT, "--pbo-blocks %d: expected an even number from 2 to 30", S);
    const int K = o && o->wf_top > 0 ? o->wf_top : WF_DEFAULT_TOP;
    const double budget = o && o->pbo_budget > 0 ? o->pbo_budget : PBO_DEFAULT_BUDGET;
    v->winner = -1;
    v->wf_k = K;
    const board_metric *m = board_metric_of(b);
    if (m->forecast) {
        const char *w = "rank by a trading metric (e.g. --metric sharpe) for the deflated Sharpe, PBO and "
                        "walk-forward selection: a forecast metric ranks models, not return streams";
        snprintf(v->why, sizeof v->why, "%s", w);
        snprintf(v->pbo_why, sizeof v->pbo_why, "%s", w);
        snprintf(v->wf_why, sizeof v->wf_why, "%s", w);
        return 0;
    }
    sindex ix;
    if (sindex_build(b->r, &ix, e)) return RS_EINTERNAL;
    double *buf = malloc((size_t)(ix.max_bars + 1) * sizeof *buf);
    double *buf2 = malloc((size_t)(ix.max_bars + 1) * 2 * sizeof *buf2);
    if (!buf || !buf2) { free(buf); free(buf2); sindex_free(&ix); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    stitch_all(b, &ix, buf);
    v->n_trials = b->n_trials;

    /* the trials with a curve over every fold, in rank order */
    int *tr = malloc((size_t)(b->n_cfg ? b->n_cfg : 1) * sizeof *tr);
    int64_t **ct = calloc((size_t)(b->n_folds ? b->n_folds : 1), sizeof *ct);
    long *cn = calloc((size_t)(b->n_folds ? b->n_folds : 1), sizeof *cn);
    int rc = 0;
    if (!tr || !ct || !cn) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto done; }
    int nt = 0;
    for (int c = 0; c < b->n_cfg; c++)
        if (b->cfg[c].strat >= 0 && b->cfg[c].st_folds == b->n_folds && b->cfg[c].n_ok) tr[nt++] = c;
    v->n_complete = nt;
    if (nt < 1 || b->n_folds < 1) {
        if (!sindex_none_why(&ix, v->why, sizeof v->why))
            snprintf(v->why, sizeof v->why, "no configuration has a curve over every fold");
        snprintf(v->pbo_why, sizeof v->pbo_why, "%s", v->why);
    } else {
        /* the bars common to every trial, fold by fold */
        long T = 0;
        for (int f = 0; f < b->n_folds; f++) {
            const int64_t *t;
            const float *bh;
            double bpy;
            long n = ens_fold(&ix, b, &b->cfg[tr[0]], b->fold_ids[f], buf, &t, &bh, &bpy);
            ct[f] = malloc((size_t)(n ? n : 1) * sizeof **ct);
            if (!ct[f]) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto done; }
            memcpy(ct[f], t, (size_t)n * sizeof **ct);
            cn[f] = n;
            int last_model = b->cfg[tr[0]].model0;
            for (int i = 1; i < nt; i++) {
                int m0 = b->cfg[tr[i]].model0;
                if (m0 == last_model) continue;      /* same task, same bars */
                last_model = m0;
                long ni = ens_fold(&ix, b, &b->cfg[tr[i]], b->fold_ids[f], buf, &t, &bh, &bpy);
                if (!ni) continue;
                cn[f] = intersect(ct[f], cn[f], t, ni);
            }
            T += cn[f];
        }
        v->T = T;
        double *x = malloc((size_t)(T ? T : 1) * sizeof *x);
        double *bx = malloc((size_t)(T ? T : 1) * sizeof *bx);
        double *sr = malloc((size_t)nt * sizeof *sr);
        double *mu = malloc((size_t)nt * sizeof *mu), *sd = malloc((size_t)nt * sizeof *sd);
        double *zs = calloc((size_t)(T ? T : 1), sizeof *zs);
        stats_block *blk = calloc((size_t)nt * S, sizeof *blk);
        if (!x || !bx || !sr || !mu || !sd || !zs || !blk) {
            free(x); free(bx); free(sr); free(mu); free(sd); free(zs); free(blk);
            rc = rs_err_set(e, RS_EINTERNAL, "out of memory");
            goto done;
        }
        /* pass 1: moments, Sharpes, blocks */
        for (int i = 0; i < nt; i++) {
            trial_series(&ix, b, &b->cfg[tr[i]], ct, cn, buf, x, i == 0 ? bx : NULL);
            stats_mom mm;
            stats_moments(x, T, &mm);
            sr[i] = stats_sharpe(&mm);
            mu[i] = mm.mean;
            sd[i] = mm.sd;
            if (i == 0) {
                v->wm = mm;
                v->sr = sr[0];
                stats_mom mb;
                stats_moments(bx, T, &mb);
                v->sr_bh = stats_sharpe(&mb);
            }
            for (long t = 0; t < T; t++) {
                stats_block *k = &blk[(size_t)i * S + (size_t)(t * S / T)];
                k->n++; k->sum += x[t]; k->sq += x[t] * x[t];
            }
        }
        /* pass 2: Σ_t (Σ_i z_it)², the average correlation */
        int n_var = 0;
        for (int i = 0; i < nt; i++) {
            if (!(sd[i] > 1e-12)) continue;
            n_var++;
            trial_series(&ix, b, &b->cfg[tr[i]], ct, cn, buf, x, NULL);
            for (long t = 0; t < T; t++) zs[t] += (x[t] - mu[i]) / sd[i];
        }
        double z2 = 0;
        for (long t = 0; t < T; t++) z2 += zs[t] * zs[t];
        v->rho = n_var > 1 && T > 1 ? (z2 / (double)(T - 1) - n_var) / ((double)n_var * (n_var - 1)) : NAN;
        v->n_eff = stats_neff(v->rho, v->n_trials);
        double s = 0, ss = 0;
        for (int i = 0; i < nt; i++) s += sr[i];
        for (int i = 0; i < nt; i++) ss += (sr[i] - s / nt) * (sr[i] - s / nt);
        v->var_sr = nt > 1 ? ss / (nt - 1) : NAN;
        v->winner = tr[0];
        {   /* annualisation: the winner's rows' */
            const int64_t *t;
            const float *bh;
            ens_fold(&ix, b, &b->cfg[tr[0]], b->fold_ids[0], buf, &t, &bh, &v->bpy);
            const tref *w = sindex_find(&ix, b->members[b->member_off[b->cfg[tr[0]].group]], b->fold_ids[0]);
            snprintf(v->unit, sizeof v->unit, "%s", w && w->v.pt_end ? "day" : "bar");
        }
        v->psr0 = stats_psr(v->sr, 0, T, v->wm.skew, v->wm.kurt);
        v->psr_bh = stats_psr(v->sr, v->sr_bh, T, v->wm.skew, v->wm.kurt);
        v->dsr = stats_dsr(v->sr, T, v->wm.skew, v->wm.kurt, v->n_trials, v->var_sr);
        v->dsr_eff = stats_dsr(v->sr, T, v->wm.skew, v->wm.kurt, v->n_eff, v->var_sr);
        v->ok = 1;
        if (nt < 2) snprintf(v->pbo_why, sizeof v->pbo_why, "needs 2 or more trials over every fold (%d)", nt);
        else if (T < 2L * S)
            snprintf(v->pbo_why, sizeof v->pbo_why, "%ld common bars: fewer than 2 per block of %d", T, S);
        else {
            rs_err pe;
            if (stats_pbo(blk, nt, S, budget, 0x70626f, &v->pbo, &pe))
                snprintf(v->pbo_why, sizeof v->pbo_why, "%.190s", pe.msg);
            else v->pbo_ok = 1;
        }
        free(x); free(bx); free(sr); free(mu); free(sd); free(zs); free(blk);
    }
    wf_select_and_trade(b, &ix, o, v, buf, buf2, e);
done:
    if (ct)
        for (int f = 0; f < b->n_folds; f++) free(ct[f]);
    free(ct);
    free(cn);
    free(tr);
    free(buf);
    free(buf2);
    sindex_free(&ix);
    if (rc) verdict_free(v);
    return rc;
}

static void wf_select_and_trade(board *b, const sindex *ix, const verdict_opts *o, verdict *v, double *buf,
                                double *buf2, rs_err *e) {
    (void)o;
    double *tmp = buf2 + ix->max_bars + 1;          /* buf2 holds two fold buffers */
    const int K = v->wf_k, nf = b->n_folds;
    if (sindex_none_why(ix, v->wf_why, sizeof v->wf_why)) return;
    if (nf < 2) {
        snprintf(v->wf_why, sizeof v->wf_why, "needs 2 or more periods (this file has %d)", nf);
        return;
    }
    if (b->n_cfg < 1) { snprintf(v->wf_why, sizeof v->wf_why, "no configurations"); return; }
    v->wf_picks = malloc((size_t)nf * K * sizeof *v->wf_picks);
    long cap = 0;
    for (int f = 1; f < nf; f++) cap += ix->max_bars;
    v->wf_t = malloc((size_t)(cap ? cap : 1) * sizeof *v->wf_t);
    v->wf_eq[0] = malloc((size_t)(cap ? cap : 1) * sizeof **v->wf_eq);
    v->wf_eq[1] = malloc((size_t)(cap ? cap : 1) * sizeof **v->wf_eq);
    v->wf_bh_eq = malloc((size_t)(cap ? cap : 1) * sizeof *v->wf_bh_eq);
    if (!v->wf_picks || !v->wf_t || !v->wf_eq[0] || !v->wf_eq[1] || !v->wf_bh_eq) {
        snprintf(v->wf_why, sizeof v->wf_why, "out of memory");
        return;
    }
    /* the per-fold scores of the trading configurations (forecast ones
     * never reach here) */
    if (stats_wf_select(b->fold_value, b->n_cfg, nf, board_metric_of(b)->higher, K, v->wf_picks, e)) {
        snprintf(v->wf_why, sizeof v->wf_why, "%.190s", e->msg);
        return;
    }
    curve_acc c1, ck;
    curve_init(&c1);
    curve_init(&ck);
    double bpy = 0;
    long n_all = 0;
    for (int f = 1; f < nf; f++) {
        const int *pk = v->wf_picks + (size_t)f * K;
        /* the bars: those of the first pick with a series in this period */
        const int64_t *t = NULL;
        const float *bh = NULL;
        long n = 0;
        int ref = -1;
        for (int j = 0; j < K && pk[j] >= 0 && !n; j++) {
            double by;
            n = ens_fold(ix, b, &b->cfg[pk[j]], b->fold_ids[f], buf, &t, &bh, &by);
            if (n) { ref = j; if (!bpy) bpy = by; }
        }
        if (!n) { v->wf_flat++; continue; }
        v->wf_periods++;
        if (ref != 0) v->wf_flat++;                  /* the top pick had no series: flat */
        /* top-k: the mean over the picks with a series at each bar */
        double *sum = buf2;
        int cnt_k = 0;
        for (long k = 0; k < n; k++) sum[k] = 0;
        for (int j = 0; j < K && pk[j] >= 0; j++) {
            const int64_t *tj;
            const float *bj;
            double by;
            long nj = ens_fold(ix, b, &b->cfg[pk[j]], b->fold_ids[f], tmp, &tj, &bj, &by);
            if (nj) {
                long i = 0;
                for (long k = 0; k < n; k++) {
                    while (i < nj && tj[i] < t[k]) i++;
                    if (i < nj && tj[i] == t[k]) sum[k] += tmp[i];
                }
                cnt_k++;
            }
        }
        for (long k = 0; k < n; k++) {
            double r1 = ref == 0 ? buf[k] : 0;
            double rk = cnt_k ? sum[k] / cnt_k : 0;
            curve_push(&c1, r1, bh[k]);
            curve_push(&ck, rk, bh[k]);
            v->wf_t[n_all] = t[k];
            v->wf_eq[0][n_all] = c1.eq;
            v->wf_eq[1][n_all] = ck.eq;
            v->wf_bh_eq[n_all] = c1.eq_bh;
            n_all++;
        }
    }
    v->wf_n = n_all;
    if (!n_all) { snprintf(v->wf_why, sizeof v->wf_why, "no pick has a series after the first period"); return; }
    mt_trading m1, mk, mb;
    memset(&m1, 0, sizeof m1);
    memset(&mk, 0, sizeof mk);
    memset(&mb, 0, sizeof mb);
    metrics_acc_finish(&c1.a, bpy, &m1);
    metrics_acc_finish(&ck.a, bpy, &mk);
    metrics_acc_finish(&c1.bh, bpy, &mb);
    v->wf_roi[0] = m1.roi_pct; v->wf_sharpe[0] = m1.sharpe; v->wf_mdd[0] = m1.max_dd_pct;
    v->wf_roi[1] = mk.roi_pct; v->wf_sharpe[1] = mk.sharpe; v->wf_mdd[1] = mk.max_dd_pct;
    v->wf_bh_roi = mb.roi_pct;
    v->wf_bh_sharpe = mb.sharpe;
    v->wf_ok = 1;
}

void verdict_free(verdict *v) {
    if (!v) return;
    stats_pbo_free(&v->pbo);
    free(v->wf_picks);
    free(v->wf_t);
    free(v->wf_eq[0]);
    free(v->wf_eq[1]);
    free(v->wf_bh_eq);
    memset(v, 0, sizeof *v);
}

int verdict_curve(const board *b, int c, int64_t **t, double **eq, double **bh, long *n, rs_err *e) {
    *t = NULL; *eq = *bh = NULL; *n = 0;
    if (c < 0 || c >= b->n_cfg || b->cfg[c].strat < 0)
        return rs_err_set(e, RS_EINPUT, "configuration %d has no return stream", c);
    sindex ix;
    if (sindex_build(b->r, &ix, e)) return RS_EINTERNAL;
    long cap = (long)b->n_folds * ix.max_bars + 1;
    double *buf = malloc((size_t)(ix.max_bars + 1) * sizeof *buf);
    *t = malloc((size_t)cap * sizeof **t);
    *eq = malloc((size_t)cap * sizeof **eq);
    *bh = malloc((size_t)cap * sizeof **bh);
    if (!buf || !*t || !*eq || !*bh) {
        free(buf); free(*t); free(*eq); free(*bh); sindex_free(&ix);
        *t = NULL; *eq = *bh = NULL;
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    }
    double q = 1, qb = 1;
    long k = 0;
    for (int f = 0; f < b->n_folds; f++) {
        const int64_t *tt;
        const float *bb;
        double bpy;
        long m = ens_fold(&ix, b, &b->cfg[c], b->fold_ids[f], buf, &tt, &bb, &bpy);
        for (long i = 0; i < m; i++) {
            q *= 1 + buf[i];
            qb *= 1 + bb[i];
            (*t)[k] = tt[i]; (*eq)[k] = q; (*bh)[k] = qb;
            k++;
        }
    }
    *n = k;
    free(buf);
    sindex_free(&ix);
    return 0;
}

/* ---- paired comparison ---------------------------------------------------------------------- */

typedef struct { uint64_t match; int fold, level; double v; } pcell;

static int cmp_pcell(const void *pa, const void *pb) {
    const pcell *a = pa, *b = pb;
    if (a->match != b->match) return a->match < b->match ? -1 : 1;
    if (a->fold != b->fold) return a->fold < b->fold ? -1 : 1;
    return (a->level > b->level) - (a->level < b->level);
}

int verdict_paired(const board *b, int key, int B, char ref[48], verdict_pair **out, int *n_out, rs_err *e) {
    *out = NULL;
    *n_out = 0;
    ref[0] = 0;
    const int nc = b->n_cfg, nf = b->n_folds;
    int *level = malloc((size_t)(nc ? nc : 1) * sizeof *level);
    uint64_t *match = malloc((size_t)(nc ? nc : 1) * sizeof *match);
    if (!level || !match) { free(level); free(match); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    char (*lab)[48] = NULL;
    int nl = 0;
    int rc = board_levels(b, key, level, match, &lab, &nl, e);
    if (rc || nc == 0) { free(level); free(match); free(lab); return rc; }
    const int higher = board_metric_of(b)->higher;
    const int rl = level[0];                         /* the best-ranked configuration's level */
    snprintf(ref, 48, "%s", lab[rl]);
    pcell *pc = malloc((size_t)nc * (size_t)(nf ? nf : 1) * sizeof *pc);
    double *diff = malloc((size_t)nc * (size_t)(nf ? nf : 1) * sizeof *diff);
    int *per = malloc((size_t)nc * (size_t)(nf ? nf : 1) * sizeof *per);
    verdict_pair *vp = calloc((size_t)nl, sizeof *vp);
    if (!pc || !diff || !per || !vp) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto done; }
    long np = 0;
    for (int c = 0; c < nc; c++)
        for (int f = 0; f < nf; f++) {
            double x = b->fold_value[(size_t)c * nf + f];
            if (!isnan(x)) pc[np++] = (pcell){ match[c], f, level[c], x };
        }
    qsort(pc, (size_t)np, sizeof *pc, cmp_pcell);
    int nv = 0;
    for (int l = 0; l < nl; l++) {
        if (l == rl) continue;
        long nd = 0;
        for (long i = 0; i < np;) {
            long j = i + 1;
            while (j < np && pc[j].match == pc[i].match && pc[j].fold == pc[i].fold) j++;
            /* the cell's value of each level: the mean of its configurations there */
            double sr = 0, sl = 0;
            int cr = 0, cl = 0;
            for (long k = i; k < j; k++) {
                if (pc[k].level == rl) { sr += pc[k].v; cr++; }
                else if (pc[k].level == l) { sl += pc[k].v; cl++; }
            }
            if (cr && cl) {
                double d = sl / cl - sr / cr;
                diff[nd] = higher ? d : -d;
                per[nd] = pc[i].fold;
                nd++;
            }
            i = j;
        }
        if (!nd) continue;
        snprintf(vp[nv].label, sizeof vp[nv].label, "%s", lab[l]);
        if ((rc = stats_paired(diff, per, (int)nd, nf, B, 0x70616972ULL + (uint64_t)l, &vp[nv].st, e))) goto done;
        nv++;
    }
    *out = vp;
    *n_out = nv;
    vp = NULL;
done:
    free(vp);
    free(pc);
    free(diff);
    free(per);
    free(level);
    free(match);
    free(lab);
    return rc;
}
