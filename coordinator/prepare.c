/*
 * prepare.c — load → resample → align → features → target → task_data, and
 * the task list (see prepare.h).
 */
#include "coordinator/prepare.h"

#include <stdlib.h>
#include <string.h>

#include "worker/features.h"
#include "worker/folds.h"
#include "worker/series.h"

static void free_series(series *s, int k) {
    for (int i = 0; i < k; i++) series_free(&s[i]);
}

int prepare_data(const sweep_config *c, task_data *d, prepare_info *info, rs_err *e) {
    double t0 = rs_now();
    memset(d, 0, sizeof *d);
    memset(info, 0, sizeof *info);
    int k = c->data.n_inst;
    series raw[CFG_MAX_INST], al[CFG_MAX_INST];
    memset(raw, 0, sizeof raw);
    memset(al, 0, sizeof al);
    feat_matrix fm;
    memset(&fm, 0, sizeof fm);
    int rc = 0;

    info->n_inst = k;
    for (int i = 0; i < k; i++) {
        const cfg_instrument *in = &c->data.inst[i];
        series_opts o;
        memset(&o, 0, sizeof o);
        o.price_div = in->price_div;
        o.adjust = in->adjust;
        o.columns = in->columns[0] ? in->columns : NULL;
        o.name = in->name;
        o.drop_bad = c->data.drop_bad;
        o.drop_hint = "[data] drop_bad = 1";
        /* The extra columns this instrument's column:NAME items read, each once. */
        const char *keep[FEAT_ITEMS_MAX];
        for (int j = 0; j < c->features.spec.n_items; j++) {
            const feat_item *it = &c->features.spec.item[j];
            if (it->kind != FEAT_COLUMN || it->inst[0] != i) continue;
            int dup = 0;
            for (int q = 0; q < o.n_keep && !dup; q++) dup = !strcmp(keep[q], it->col);
            if (!dup) keep[o.n_keep++] = it->col;
        }
        o.keep = keep;
        if ((rc = series_load(in->path, &o, &raw[i], e))) goto fail;
        snprintf(info->name[i], sizeof info->name[i], "%s", in->name);
        info->rows_loaded[i] = raw[i].n;
        info->rows_dropped[i] = raw[i].dropped;
        if (c->data.resample > 0) {
            series r;
            if ((rc = series_resample(&raw[i], c->data.resample, c->data.resample_offset, &r, e))) goto fail;
            series_free(&raw[i]);
            raw[i] = r;
        }
    }
    const series *s = raw;
    if (k > 1) {
        if ((rc = series_align(raw, k, c->data.align, al, e))) goto fail;
        s = al;
    }
    if ((rc = features_compute(s, k, &c->features.spec, &fm, e))) goto fail;
    int64_t n = s[0].n;
    if ((rc = task_data_alloc(d, n, fm.n_feat, k, e))) goto fail;
    d->first_valid = fm.first_valid;
    d->bar_seconds = (double)s[0].bar;
    memcpy(d->t, s[0].t, (size_t)n * sizeof *d->t);
    memcpy(d->x, fm.x, (size_t)n * (size_t)fm.n_feat * sizeof *d->x);
    int kind = c->target.kind == TARGET_PRICE ? TARGET_PRICE : TARGET_RETURN;
    if ((rc = targets_compute(&s[0], kind, c->target.horizon, fm.first_valid, d->y, e))) goto fail;
    memcpy(d->bars + 0 * n, s[0].open, (size_t)n * sizeof(double));
    memcpy(d->bars + 1 * n, s[0].high, (size_t)n * sizeof(double));
    memcpy(d->bars + 2 * n, s[0].low, (size_t)n * sizeof(double));
    memcpy(d->bars + 3 * n, s[0].close, (size_t)n * sizeof(double));
    for (int i = 0; i < k; i++) memcpy(d->close + (size_t)i * (size_t)n, s[i].close, (size_t)n * sizeof(double));

    task_setup *u = &d->setup;
    u->target_kind = c->target.kind;
    u->horizon = c->target.horizon;
    u->trend3_fit = c->target.trend3_fit;
    u->trend3_theta = c->target.trend3_theta;
    u->target_scaler = c->target.scaler;
    u->feat_scaler = c->features.scaler;
    u->folds = prepare_fold_opts(c, 1);

    info->rows = n;
    info->first_valid = fm.first_valid;
    info->n_feat = fm.n_feat;
    info->t_first = n ? d->t[0] : 0;
    info->t_last = n ? d->t[n - 1] : 0;
    /* The content hash goes into the journal head: a resume refuses a data
     * file that changed under an unchanged config. */
    info->content_hash = rs_hash_bytes(d->block, d->block_bytes, (uint64_t)n);
    info->seconds = rs_now() - t0;
    features_free(&fm);
    free_series(raw, k);
    free_series(al, k);
    return 0;
fail:
    features_free(&fm);
    free_series(raw, k);
    free_series(al, k);
    task_data_free(d);
    if (!rc) rc = RS_EINTERNAL;
    return rc;
}

fold_opts prepare_fold_opts(const sweep_config *c, int lookback) {
    fold_opts o;
    memset(&o, 0, sizeof o);
    o.lookback = lookback;
    o.horizon = c->target.horizon;
    o.embargo = c->walkforward.embargo;
    o.scheme = c->walkforward.scheme;
    o.period = c->walkforward.period;
    o.rolling_years = c->walkforward.rolling_years;
    o.rolling_periods = c->walkforward.rolling_periods;
    o.val_frac = c->walkforward.val_frac;
    o.val_months = c->walkforward.val_months;
    o.first_id = c->walkforward.first_id;
    o.last_id = c->walkforward.last_id;
    o.train_frac = c->walkforward.train_frac;
    o.test_frac = c->walkforward.test_frac;
    o.min_train = c->walkforward.min_train;
    return o;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int prepare_tasks(const sweep_config *c, const sweep_plan *p, const task_data *d,
                  plan_task **tasks, int *n_tasks, results_fold **folds, int *n_folds, rs_err *e) {
    *tasks = NULL;
    *folds = NULL;
    *n_tasks = *n_folds = 0;
    /* distinct lookbacks, ascending */
    int *lb = malloc((size_t)p->n_models * sizeof *lb);
    if (!lb) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    for (int i = 0; i < p->n_models; i++) lb[i] = p->models[i].lookback;
    qsort(lb, (size_t)p->n_models, sizeof *lb, cmp_int);
    int nl = 0;
    for (int i = 0; i < p->n_models; i++)
        if (!nl || lb[nl - 1] != lb[i]) lb[nl++] = lb[i];

    fold **fl = calloc((size_t)nl, sizeof *fl);
    int *nf = calloc((size_t)nl, sizeof *nf);
    int rc = 0;
    if (!fl || !nf) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto done; }
    int total_folds = 0;
    long long total_tasks = 0;
    for (int j = 0; j < nl; j++) {
        fold_opts o = prepare_fold_opts(c, lb[j]);
        if ((rc = folds_build(d->t, d->n, d->first_valid, &o, &fl[j], &nf[j], e))) {
            char msg[RS_ERRLEN];
            snprintf(msg, sizeof msg, "%s", e ? e->msg : "");
            rs_err_set(e, rc, "%s: [walkforward] with lookback %d: %s", c->file, lb[j], msg);
            goto done;
        }
        total_folds += nf[j];
        /* A requested test period wholly outside the data is a config
         * error, not a sweep of empty tasks (which would end "complete"
         * and exit 0 having tested nothing). */
        const int64_t emin = d->first_valid + lb[j] - 1, emax = d->n - 1 - c->target.horizon;
        for (int f = 0; f < nf[j] && o.scheme == FOLD_WALKFORWARD; f++) {
            const int id = fl[j][f].id;
            if (id >= fold_id_of(o.period, d->t[emin]) && id <= fold_id_of(o.period, d->t[emax])) continue;
            char a[24], b[24], fid[FOLD_ID_MAX];
            series_format_time(d->t[emin], a);
            series_format_time(d->t[emax], b);
            rc = rs_err_set(e, RS_EINPUT, "%s: [walkforward]: test period %s lies outside the data: with "
                            "lookback %d its windows end %s .. %s", c->file, fold_id_text(id, fid, sizeof fid),
                            lb[j], a, b);
            goto done;
        }
    }
    for (int i = 0; i < p->n_models; i++)
        for (int j = 0; j < nl; j++)
            if (lb[j] == p->models[i].lookback) total_tasks += nf[j];
    if (total_tasks > 100000000) {
        rc = rs_err_set(e, RS_EINPUT, "%s: %lld tasks: more than 1e8", c->file, total_tasks);
        goto done;
    }
    *folds = calloc((size_t)(total_folds ? total_folds : 1), sizeof **folds);
    *tasks = calloc((size_t)(total_tasks ? total_tasks : 1), sizeof **tasks);
    if (!*folds || !*tasks) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); goto done; }
    int k = 0;
    for (int j = 0; j < nl; j++)
        for (int f = 0; f < nf[j]; f++) {
            const fold *F = &fl[j][f];
            results_fold *r = &(*folds)[k++];
            r->lookback = lb[j];
            r->fold_id = F->id;
            r->status = F->status;
            r->n_train = fold_count(F->train_lo, F->train_hi);
            r->n_val = fold_count(F->val_lo, F->val_hi);
            r->n_test = fold_count(F->test_lo, F->test_hi);
            if (r->n_train) { r->train_first = d->t[F->train_lo]; r->train_last = d->t[F->train_hi]; }
            if (r->n_test) { r->test_first = d->t[F->test_lo]; r->test_last = d->t[F->test_hi]; }
        }
    *n_folds = k;
    int t = 0;
    for (int i = 0; i < p->n_models; i++) {
        const plan_model *m = &p->models[i];
        for (int j = 0, off = 0; j < nl; off += nf[j++]) {
            if (lb[j] != m->lookback) continue;
            for (int f = 0; f < nf[j]; f++) {
                plan_task *pt = &(*tasks)[t++];
                pt->model = i;
                pt->fold = off + f;          /* the row of *folds */
                pt->fold_id = fl[j][f].id;
                pt->key = plan_task_key(m, pt->fold_id);
                pt->cost = fl[j][f].status == FOLD_OK
                    ? plan_task_cost_fold(p, m, fold_count(fl[j][f].train_lo, fl[j][f].train_hi),
                                          fold_count(fl[j][f].val_lo, fl[j][f].val_hi),
                                          fold_count(fl[j][f].test_lo, fl[j][f].test_hi)) : 0;
            }
        }
    }
    *n_tasks = t;
    plan_sort_tasks(*tasks, t);
done:
    if (fl) for (int j = 0; j < nl; j++) free(fl[j]);
    free(fl);
    free(nf);
    free(lb);
    if (rc) {
        free(*tasks);
        free(*folds);
        *tasks = NULL;
        *folds = NULL;
        *n_tasks = *n_folds = 0;
    }
    return rc;
}

int prepare_strategies(const sweep_plan *p, bt_strategy **strat, uint64_t **keys, rs_err *e) {
    *strat = malloc((size_t)p->n_strategies * sizeof **strat);
    *keys = malloc((size_t)p->n_strategies * sizeof **keys);
    if (!*strat || !*keys) {
        free(*strat);
        free(*keys);
        *strat = NULL;
        *keys = NULL;
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    }
    for (int i = 0; i < p->n_strategies; i++) {
        (*strat)[i] = p->strategies[i].s;
        (*keys)[i] = p->strategies[i].key;
    }
    return 0;
}

void prepare_input(const sweep_plan *p, const task_data *d, const plan_task *t,
                   const bt_strategy *strat, const uint64_t *strat_key, task_input *in) {
    (void)d;
    memset(in, 0, sizeof *in);
    const plan_model *m = &p->models[t->model];
    in->task_key = t->key;
    in->model_key = m->key;
    in->fold_id = t->fold_id;
    plan_task_spec(p, m, t->key, &in->spec, &in->opts);
    in->stride = m->stride;
    in->label = NULL;                /* the caller may point it at a label */
    in->max_windows = m->max_windows;
    in->n_strat = p->n_strategies;
    in->strat = strat;
    in->strat_key = strat_key;
}

void prepare_describe(const prepare_info *info, FILE *f) {
    char a[24], b[24];
    series_format_time(info->t_first, a);
    series_format_time(info->t_last, b);
    fprintf(f, "data: ");
    for (int i = 0; i < info->n_inst; i++) {
        fprintf(f, "%s%s %lld rows", i ? ", " : "", info->name[i], (long long)info->rows_loaded[i]);
        if (info->rows_dropped[i])
            fprintf(f, " (%lld bad rows skipped: drop_bad)", (long long)info->rows_dropped[i]);
    }
    fprintf(f, "; %lld aligned rows %s .. %s, %d features, warm-up %lld rows, %.2f s\n",
            (long long)info->rows, a, b, info->n_feat, (long long)info->first_valid, info->seconds);
}
